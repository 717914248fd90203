"""A pretend phone, for trying the SMS survey on a development machine with the stand-in.

Registered only in development, when the local Twilio stand-in stands in for Twilio.
"""

import time

import requests
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sms.phone import InvalidPhoneNumber, normalise_phone

from ..forms.survey import StartForm
from ..services import campaigns, surveys
from . import allow_anonymous

bp = Blueprint("phone", __name__, url_prefix="/dev/phone")
bp.before_request(allow_anonymous)
DEFAULT_NUMBER = "+447700900123"  # Ofcom's drama range: reaches nobody


def _standin(path: str, **kwargs):
    config = current_app.config
    return requests.request(
        "POST" if "json" in kwargs else "GET", config["TWILIO_API_BASE_URL"] + path,
        auth=(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]), timeout=5, **kwargs)


def _number() -> str:
    try:
        return normalise_phone(request.values.get("number") or DEFAULT_NUMBER)
    except InvalidPhoneNumber:
        return DEFAULT_NUMBER


@bp.get("/")
def index():
    number = _number()
    try:
        messages = _standin("/_standin/conversation", params={"number": number}).json()["messages"]
        unreachable = False
    except (requests.RequestException, ValueError, KeyError):
        messages, unreachable = [], True
    return render_template("phone/index.html", number=number, messages=messages,
                           unreachable=unreachable, open_surveys=surveys.list_open_surveys(),
                           form=StartForm())


@bp.post("/text")
def send_text():
    number = _number()
    form = StartForm()
    body = request.form.get("body", "")
    if form.validate_on_submit() and body.strip():
        before = len(_standin("/_standin/messages", params={"to": number}).json()["messages"])
        _standin("/_standin/inbound", json={"from": number, "body": body})
        # The reply comes back through the webhook and a job; give it a moment to arrive.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            after = _standin("/_standin/messages", params={"to": number}).json()["messages"]
            if len(after) > before:
                break
            time.sleep(0.2)
    return redirect(url_for(".index", number=number))


@bp.post("/invite")
def invite():
    number = _number()
    form = StartForm()
    service = surveys.get_service_by_slug(request.form.get("service", ""))
    if form.validate_on_submit() and service is not None:
        try:
            campaigns.invite_now(service=service, phone=number,
                                 language=request.form.get("language") or "en")
        except campaigns.CampaignError as error:
            flash(_("The invitation could not be sent: %(reason)s", reason=error.code), "error")
    return redirect(url_for(".index", number=number))
