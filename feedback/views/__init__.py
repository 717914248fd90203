"""Blueprints, one per audience; each module attaches its access guard where it makes `bp`."""

from collections.abc import Callable

from flask import Blueprint, Flask, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


def access_guard(func: Callable) -> Callable:
    """Mark a before_request function as a blueprint's access rule (checked by a test)."""
    func.is_access_guard = True
    return func


@access_guard
def allow_anonymous() -> None:
    """The public pages: anyone may answer a survey, and nobody signs in to do so."""
    return None


# (endpoint, label, roles that see it). Administrators see everything.
STAFF_PAGES = [
    ("admin.index", _l("Administration"), {"admin"}),
    ("reports.index", _l("Reports"), {"admin", "service_lead"}),
    ("volunteer.index", _l("Volunteering"), {"admin", "volunteer"}),
]


def staff_navigation() -> list[dict]:
    from flask_login import current_user

    from ..services import safeguarding

    items = []
    for endpoint, label, roles in STAFF_PAGES:
        if current_user.is_authenticated and current_user.role in roles:
            blueprint = endpoint.split(".")[0]
            items.append({
                "href": url_for(endpoint),
                "text": label,
                "current": (request.blueprint == blueprint),
            })
    if safeguarding.may_review(current_user):
        waiting = safeguarding.waiting_count(current_user)
        items.append({
            "href": url_for("safeguarding.queue"),
            "text": _("Safeguarding reviews (%(count)s waiting)", count=format_number(waiting)),
            "current": request.blueprint == "safeguarding",
        })
    return items


def register_views(app: Flask) -> None:
    from . import (
        admin,
        api,
        auth,
        exports,
        health,
        reports,
        safeguarding,
        sms_webhook,
        survey,
        volunteer,
    )

    blueprints: list[Blueprint] = [
        survey.bp, health.bp, auth.bp, admin.bp, reports.bp, volunteer.bp, sms_webhook.bp,
        api.bp, safeguarding.bp, exports.bp,
    ]
    if app.config["ENV_NAME"] == "development" and app.config.get("TWILIO_API_BASE_URL"):
        from . import phone

        blueprints.append(phone.bp)  # the pretend phone, beside the local Twilio stand-in
    for bp in blueprints:
        app.register_blueprint(bp)
    app.jinja_env.globals["staff_navigation"] = staff_navigation
