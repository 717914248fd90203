"""The integration API (/api/v1): appointment systems add SMS recipients with a service's token."""

import json
import logging
from datetime import UTC

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..extensions import csrf, limiter
from ..services import api_tokens, campaigns
from ..services.campaigns import MAX_ROWS, CampaignError, RecipientInput
from . import access_guard

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Callers prove who they are with a bearer token they send on purpose, never with a cookie the
# browser adds by itself, so there is nothing for a cross-site request to borrow.
csrf.exempt(bp)
log = logging.getLogger(__name__)

# Calls per token, over all the API's routes. Counters expire with their window.
# Bytes; 5,000 recipients at about 150 bytes each, with room to spare.
MAX_BODY_BYTES = 2 * 1024 * 1024
BODY_FIELDS = ("campaign", "recipients")
RECIPIENT_FIELDS = ("phone", "language", "role", "appointment_date")
CAMPAIGN_NAME_MAX_LENGTH = campaigns.CAMPAIGN_NAME_MAX_LENGTH

# Machines read these, so they are in English and never translated.
ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorised", "Send a valid token in the header Authorization: Bearer <token>."),
    403: ("forbidden", "This token may not do that."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    409: ("conflict", "The request conflicts with the service's current state."),
    413: ("too_large", f"The body is too large: send at most {MAX_BODY_BYTES} bytes."),
    415: ("unsupported_media_type",
          "Send the body as JSON, with the header Content-Type: application/json."),
    429: ("rate_limited", "Too many calls with this token. Wait, then try again."),
    500: ("server_error", "Something went wrong on our side. Try again later."),
}


def error_response(status: int, message: str | None = None, *, error: str | None = None,
                   headers: dict | None = None) -> Response:
    """`{"error": code, "message": text}` with the status; a 401 says how to authenticate."""
    name, default = ERRORS.get(status) or ERRORS[500 if status >= 500 else 400]
    response = jsonify(error=error or name, message=message or default)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    response.headers.update(headers or {})
    return response


@access_guard
def require_api_token():
    """Only a service's token opens the API; the token says which service."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        log.warning("API call to %s without a bearer token", request.path)
        return error_response(401)
    token = api_tokens.authenticate(credentials.strip())
    if token is None:
        # Never log the token, not even part of it: a near miss may be a real one mistyped.
        log.warning("API call to %s with an unknown or revoked token", request.path)
        return error_response(401, "The token is not recognised, or has been revoked.",
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    g.api_token = token
    return None


bp.before_request(require_api_token)


@bp.before_app_request
def answer_routing_errors_with_json():
    """An unknown path or method under /api/v1 matches no route, so no blueprint: Flask would
    answer with the HTML error page. Answer JSON instead, once the token has been checked."""
    error = request.routing_exception
    if not isinstance(error, NotFound | MethodNotAllowed):  # also leaves redirects alone
        return None
    if not (request.path + "/").startswith(bp.url_prefix + "/"):
        return None
    refused = require_api_token()
    return refused if refused is not None else _http_error_response(error)


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _http_error_response(error: HTTPException) -> Response:
    code = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.valid_methods or [])
    return error_response(code, headers=headers)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    if (error.code or 500) >= 500:
        log.error("HTTP %s on %s", error.code, request.path)
    return _http_error_response(error)


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    log.exception("Unhandled error on %s", request.path)
    return error_response(500)


# --- rate limit -------------------------------------------------------------------------------


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _token_key() -> str:
    return f"api-token:{g.api_token.id}"


# Checked inside each view, so after the guard has found the token the counter belongs to.
per_token = limiter.shared_limit(_rate_limit, scope="api", key_func=_token_key)


# --- the request body -------------------------------------------------------------------------


class BodyError(ValueError):
    """What is wrong with a request body, in words for the developer who sent it."""


def _unknown_field(fields: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(key)[:40] for key in fields if key not in allowed)
    if unknown:
        raise BodyError(f"{where} has an unknown field {unknown[0]!r}; the fields are "
                        f"{', '.join(allowed)}.")


def _campaign_name(body: dict) -> str | None:
    name = body.get("campaign")
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip() \
            or len(name.strip()) > CAMPAIGN_NAME_MAX_LENGTH:
        raise BodyError(f"campaign must be a name of 1 to {CAMPAIGN_NAME_MAX_LENGTH} "
                        "characters, or left out for the day's campaign.")
    return name.strip()


def _recipient(index: int, item) -> RecipientInput:
    where = f"recipients[{index}]"
    if not isinstance(item, dict):
        raise BodyError(f"{where} must be an object with a phone field.")
    _unknown_field(item, RECIPIENT_FIELDS, where)
    if "phone" not in item:
        raise BodyError(f"{where}.phone is required.")
    for field in RECIPIENT_FIELDS:
        value = item.get(field)
        if not isinstance(value, str) and (value is not None or field == "phone"):
            raise BodyError(f"{where}.{field} must be a string.")
    return RecipientInput(phone=item["phone"], language=item.get("language"),
                          role=item.get("role"), appointment_date=item.get("appointment_date"))


def parse_recipients(data: bytes) -> tuple[str | None, list[RecipientInput]]:
    """The campaign name and recipients in a request body.

    :raise BodyError: when the body is not JSON or not the expected shape; nothing is checked
        here that campaigns.add_from_api reports as a skipped recipient instead.
    """
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise BodyError("The body is not valid JSON.") from error
    if not isinstance(body, dict):
        raise BodyError("The body must be a JSON object with a recipients list.")
    _unknown_field(body, BODY_FIELDS, "The body")
    recipients = body.get("recipients")
    if recipients is None:
        raise BodyError(f"recipients is required: a list of 1 to {MAX_ROWS} recipients.")
    if not isinstance(recipients, list):
        raise BodyError("recipients must be a list.")
    if not recipients:
        raise BodyError("recipients is empty: send at least one.")
    if len(recipients) > MAX_ROWS:
        raise BodyError(f"recipients has {len(recipients)} items: send at most {MAX_ROWS} "
                        "in one call.")
    return _campaign_name(body), [_recipient(i, item) for i, item in enumerate(recipients)]


# --- the routes -------------------------------------------------------------------------------


@bp.post("/recipients")
@per_token
def add_recipients():
    if request.mimetype != "application/json":
        return error_response(415)
    request.max_content_length = MAX_BODY_BYTES  # a 413 when reading more than this
    try:
        campaign_name, rows = parse_recipients(request.get_data(cache=False))
    except BodyError as error:
        return error_response(400, str(error))
    try:
        campaign, report = campaigns.add_from_api(
            service=g.api_token.service, campaign_name=campaign_name, rows=rows,
            token_id=g.api_token.id)
    except CampaignError as error:  # no_open_survey is the only one it raises
        return error_response(409, "The service has no survey open, so nobody can be invited. "
                                   "Ask an administrator to open one.", error=error.code)
    # Skipped recipients are named by their place in the list, never by their number.
    return jsonify(
        campaign_id=campaign.id,
        accepted=report.added,
        skipped=[{"index": row - 1, "reason": reason} for row, reason in report.skipped],
    ), 202


@bp.get("/campaigns/<int:campaign_id>")
@per_token
def campaign(campaign_id: int):
    found = campaigns.get_campaign(campaign_id)
    if found is None or found.service_id != g.api_token.service_id:
        return error_response(404, "There is no campaign with this id for this token's service.")
    return jsonify(
        campaign_id=found.id,
        name=found.name,
        created_at=found.created_at.replace(tzinfo=UTC).isoformat(),
        counts=campaigns.counts(found.id),
    )
