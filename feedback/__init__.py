"""The NHS digital-inclusion feedback service."""

import logging
import os
import re

from flask import Flask
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)

from .config import CONFIGS, INSTANCE_DIR, Config


def create_app(config: Config | None = None) -> Flask:
    """Build the app; with no config, FEEDBACK_ENV picks one (development when unset)."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config or CONFIGS[os.environ.get("FEEDBACK_ENV", "development")]())
    configure_proxy(app)
    configure_templates(app)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_jobs(app)
    return app


def configure_proxy(app: Flask) -> None:
    # Behind TRUSTED_PROXY_COUNT reverse proxies, take the client's address and scheme from the
    # headers they set, so rate limits count each visitor rather than the proxy. Never more
    # proxies than there are: a client could otherwise choose its own address.
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def configure_templates(app: Flask) -> None:
    # NHS.UK frontend's Jinja port needs ChainableUndefined for its optional nested params,
    # and autoescaping in its own .jinja macros: Flask's default escapes only .html and the
    # like, so a person's text passed to a macro as "text" or a textarea's "value" went out
    # as HTML. The .css templates stay unescaped, as their font lists have quotes in them.
    app.jinja_options = {
        **app.jinja_options,
        "undefined": ChainableUndefined,
        "autoescape": select_autoescape(("html", "htm", "xml", "xhtml", "svg", "jinja"),
                                        default_for_string=True),
        "loader": ChoiceLoader(
            [FileSystemLoader(os.path.join(app.root_path, "templates")),
             PackageLoader("nhsuk_frontend_jinja")]
        ),
    }
    app.jinja_env.globals["choice_items"] = choice_items
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def choice_items(choices) -> list[dict]:
    """WTForms choices, as SelectChoice or (value, label) pairs, as NHS.UK radio items."""
    items = []
    for choice in choices:
        value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
        items.append({"value": value, "text": str(label)})
    return items


class _DropClientAddress(logging.Filter):
    """The development server starts each request line with the client's address: drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = re.sub(r"^\S+ - - ", "", record.msg)
        return True


_DROP_CLIENT_ADDRESS = _DropClientAddress()


def configure_logging(app: Flask) -> None:
    logging.getLogger("werkzeug").addFilter(_DROP_CLIENT_ADDRESS)  # added once, however often
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from . import i18n, security
    from .extensions import babel, compress, csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .views import register_views

    register_views(app)


def register_errorhandlers(app: Flask) -> None:
    from .views.errors import register_errors

    register_errors(app)


def register_commands(app: Flask) -> None:
    from .cli import register_cli

    register_cli(app)


def register_jobs(app: Flask) -> None:
    from .jobs import init_app

    init_app(app)
