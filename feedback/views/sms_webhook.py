"""Twilio's webhooks: inbound texts and delivery statuses, signed with X-Twilio-Signature."""

import logging

from flask import Blueprint, Response, abort, current_app, request

from sms.payloads import InvalidPayload, parse_inbound, parse_status
from sms.signature import SIGNATURE_HEADER, is_valid_signature, public_url

from ..extensions import csrf
from ..services import sms
from . import access_guard

bp = Blueprint("sms_webhook", __name__, url_prefix="/sms")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; its signature stands in for one
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@access_guard
def require_twilio_signature():
    """Only Twilio (or the stand-in, with the same token) may call these."""
    if not sms.is_enabled():
        abort(404)
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        log.warning("Twilio webhook %s without a signature", request.path)
        abort(401)
    # Behind a proxy the URL Twilio signed is the public one, not the one we were called on.
    url = public_url(current_app.config["PUBLIC_BASE_URL"], request.path,
                     request.query_string)
    if not is_valid_signature(current_app.config["TWILIO_AUTH_TOKEN"], url,
                              request.form.to_dict(), signature):
        log.warning("Twilio webhook %s with a wrong signature", request.path)
        abort(403)
    return None


bp.before_request(require_twilio_signature)


def _twiml() -> Response:
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.errorhandler(400)
@bp.errorhandler(401)
@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(405)
def plain_error(error):
    return Response(error.name, status=error.code, mimetype="text/plain")


@bp.post("/inbound")
def inbound():
    try:
        message = parse_inbound(request.form)
    except InvalidPayload as error:
        log.warning("Inbound text refused: bad %s", error.field)
        abort(400)
    sms.receive(message)
    # Replies are sent through the API, not TwiML, so each can be retried and tracked.
    return _twiml()


@bp.post("/status")
def status():
    try:
        update = parse_status(request.form)
    except InvalidPayload as error:
        log.warning("Status callback refused: bad %s", error.field)
        abort(400)
    if not sms.record_status(update):
        log.info("Status for an unknown text %s", update.message_sid)
    return _twiml()
