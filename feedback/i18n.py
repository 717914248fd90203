"""Choosing the visitor's language and presenting stored translations."""

from urllib.parse import urlencode

from flask import Flask, current_app, request, session
from flask_babel import get_locale

# Each language's name in itself, for the switcher, so a reader can find their own.
LANGUAGE_NAMES = {
    "en": "English",
    "cy": "Cymraeg",
    "pl": "Polski",
    "ro": "Română",
    "ur": "اردو",
}


def select_locale() -> str:
    """?lang= (remembered in the session), then the session, then Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def localise(texts: dict | None, locale: str | None = None) -> str:
    """Pick a stored {locale: text} translation, falling back to English."""
    if not texts:
        return ""
    locale = locale or current_language()
    return texts.get(locale) or texts.get("en") or ""


def _language_links() -> list[dict]:
    args = {k: v for k, v in request.args.items() if k != "lang"}
    links = []
    for code in current_app.config["LANGUAGES"]:
        query = urlencode({**args, "lang": code})
        links.append(
            {"code": code, "name": LANGUAGE_NAMES[code], "href": f"{request.path}?{query}"}
        )
    return links


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localise"] = localise

    @app.context_processor
    def language_context() -> dict:
        language = current_language()
        return {
            "current_language": language,
            "text_direction": "rtl" if language in app.config["RTL_LANGUAGES"] else "ltr",
            "language_links": _language_links,
        }
