"""The integration API (/api/v1): a service's token adds SMS recipients after appointments,
reads its campaigns and suppressed report figures, and pages through its redacted responses."""

import json
import logging
import re
from datetime import UTC, timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from .. import openapi
from ..analysis.periods import Period, parse_period
from ..analysis.suppression import Cell, SuppressedTable
from ..extensions import csrf, limiter
from ..services import api_tokens, campaigns, reports, response_export
from ..services.campaigns import MAX_ROWS, CampaignError, RecipientInput
from . import access_guard

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Callers prove who they are with a bearer token they send on purpose, never with a cookie the
# browser adds by itself, so there is nothing for a cross-site request to borrow.
csrf.exempt(bp)
log = logging.getLogger(__name__)

# Bytes; 5,000 recipients at about 150 bytes each, with room to spare.
MAX_BODY_BYTES = 2 * 1024 * 1024
BODY_FIELDS = ("campaign", "recipients")
RECIPIENT_FIELDS = ("phone", "language", "role", "appointment_date")
CAMPAIGN_NAME_MAX_LENGTH = campaigns.CAMPAIGN_NAME_MAX_LENGTH
# A campaign name has no control characters (PostgreSQL refuses NUL; the rest garble lists)
# and something besides spaces. Written out, not as \s, so that Python, the JSON Schema
# validators and the test generators all read it alike; the spaces are those str.strip() strips.
_CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"
_SPACE = "\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
CAMPAIGN_NAME_PATTERN = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
_CAMPAIGN_NAME = re.compile(CAMPAIGN_NAME_PATTERN)
# Ids are PostgreSQL integers (the migrations make them so): a bigger number is no id, and
# PostgreSQL would refuse to compare it with one ("integer out of range"), giving a 500.
MAX_ID = 2**31 - 1
# Years reports may be asked for: no response predates the service, and a period whose
# previous one or trailing year fell outside the calendar could not be built.
FIRST_YEAR, LAST_YEAR = 2000, 2099
EXPORT_PARAMETERS = ("period", "cursor", "limit")
DEFAULT_PAGE = 100
MAX_PAGE = response_export.MAX_PAGE
NOT_SCORED = "not_scored"  # the API's name for the rollups' "" sentiment

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
    if not isinstance(name, str) or not 1 <= len(name) <= CAMPAIGN_NAME_MAX_LENGTH \
            or not _CAMPAIGN_NAME.fullmatch(name) or not _encodable(name):
        raise BodyError(f"campaign must be a name of 1 to {CAMPAIGN_NAME_MAX_LENGTH} "
                        "characters, not all spaces and with no control characters, or left "
                        "out for the day's campaign.")
    return name.strip()


def _encodable(text: str) -> bool:
    """False for text holding a lone surrogate, which JSON can carry and no database can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


# --- query and path parameters ---------------------------------------------------------------


class ParameterError(ValueError):
    """What is wrong with a query or path parameter, in words for the developer who sent it."""


def _query(allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each given at most once; an unknown one is refused, not ignored,
    so that a misspelt parameter cannot silently page through everything."""
    unknown = sorted(name[:40] for name in request.args if name not in allowed)
    if unknown:
        raise ParameterError(f"Unknown query parameter {unknown[0]!r}; the parameters are "
                             f"{', '.join(allowed)}.")
    for name in allowed:
        if len(request.args.getlist(name)) > 1:
            raise ParameterError(f"{name} is given more than once: give it once.")
    return {name: request.args[name] for name in allowed if name in request.args}


def _whole_number(value: str, name: str, minimum: int, maximum: int) -> int:
    # [0-9], not \d or int() alone, which also take other scripts' digits, signs and spaces.
    if not re.fullmatch(r"[0-9]{1,19}", value) or not minimum <= int(value) <= maximum:
        raise ParameterError(f"{name} must be a whole number from {minimum} to {maximum}.")
    return int(value)


def _period(value: str, name: str = "period") -> Period:
    # A long value is not echoed: it is nothing like a period, and could be anything at all.
    if len(value) > 16:
        raise ParameterError(f"{name} is not a report period: use a month like 2026-10, an "
                             "ISO week like 2026-W44 or a quarter like 2026-Q3.")
    try:
        period = parse_period(value)
    except ValueError as error:
        raise ParameterError(f"{name}: {error}.") from error
    if not FIRST_YEAR <= int(period.slug[:4]) <= LAST_YEAR:
        raise ParameterError(f"{name}: reports cover the years {FIRST_YEAR} to {LAST_YEAR}.")
    return period


# --- what the routes answer ---------------------------------------------------------------------
# Every figure passes through feedback.analysis.suppression in reports.build: a hidden one
# arrives here with no value, and leaves as null beside "suppressed": true.


def _cell(cell: Cell) -> dict:
    if cell.hidden:
        return {"count": None, "suppressed": True}
    return {"count": cell.value, "suppressed": False}


def _share(share) -> dict | None:
    if share is None:  # hidden, or out of nothing
        return None
    return {"proportion": share.proportion, "low": share.low, "high": share.high}


def _line(cells: dict) -> dict:
    return {name: _cell(cell) for name, cell in cells.items()}


def _column_name(name: str) -> str:
    return name or NOT_SCORED


def _table(table: SuppressedTable) -> dict:
    columns = [_column_name(c) for c in table.columns]
    return {
        "rows": list(table.rows),
        "columns": columns,
        "cells": {row: {_column_name(c): _cell(table.cell(row, c)) for c in table.columns}
                  for row in table.rows},
        "row_totals": {row: _cell(table.row_totals[row]) for row in table.rows},
        "column_totals": {_column_name(c): _cell(table.column_totals[c])
                          for c in table.columns},
        "total": _cell(table.grand_total),
    }


def _fft(fft: reports.Fft) -> dict:
    return {
        "rated": _cell(fft.rated),
        "no_rating": _cell(fft.no_rating),
        "counts": {name: _cell(fft.line[name]) for name in reports.FFT_LINE},
        "shares": {"positive": _share(fft.positive), "negative": _share(fft.negative)},
    }


def _period_json(period: Period) -> dict:
    return {"slug": period.slug, "kind": period.kind, "first_day": period.start.isoformat(),
            "last_day": (period.end - timedelta(days=1)).isoformat()}


def report_json(report: reports.Report) -> dict:
    """The report's figures, never its quotes, nor the all-services benchmark (with few
    services, the benchmark less this service's figures would be another service's)."""
    return {
        "service": {"id": report.service.id, "slug": report.service.slug,
                    "name": report.service.name},
        "period": _period_json(report.period),
        "suppressed_below": current_app.config["SUPPRESS_BELOW"],
        "responses": _cell(report.responses),
        "fft": _fft(report.fft),
        "by_channel": _line(report.by_channel),
        "by_role": _line(report.by_role),
        "by_language": _line(report.by_language),
        "risk_by_channel": _table(report.risk),
        "themes": _table(report.themes),
        "barriers": [
            {"code": code, "domain": domain, "respondents": _cell(cell),
             "by_channel": {channel: _cell(report.barriers_by_channel.cell(code, channel))
                            for channel in report.barriers_by_channel.columns}}
            for code, domain, cell in report.barriers
        ],
    }


def response_json(exported: response_export.ExportedResponse) -> dict:
    return {
        "id": exported.id,
        "submitted_on": exported.submitted_on.isoformat(),
        "channel": exported.channel,
        "role": exported.role,
        "language": exported.language,
        "complete": exported.complete,
        "fft_rating": exported.fft_rating,
        "inclusion": {key: {"status": answer.status, "value": answer.value}
                      for key, answer in exported.inclusion.items()},
        "analysed": exported.analysed,
        "risk_level": exported.risk_level,
        "comments": [
            {"question": c.question, "redacted_text": c.redacted_text, "withheld": c.withheld,
             "language": c.language, "sentiment": c.sentiment, "themes": list(c.themes)}
            for c in exported.comments
        ],
    }


# --- the routes -------------------------------------------------------------------------------


@bp.get("/openapi")
@per_token
def openapi_document():
    """This API described in OpenAPI 3.1, for client generators and contract tests."""
    return jsonify(openapi.document())


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
    found = campaigns.get_campaign(campaign_id) if campaign_id <= MAX_ID else None
    if found is None or found.service_id != g.api_token.service_id:
        return error_response(404, "There is no campaign with this id for this token's service.")
    return jsonify(
        campaign_id=found.id,
        name=found.name,
        created_at=found.created_at.replace(tzinfo=UTC).isoformat(),
        counts=campaigns.counts(found.id),
    )


@bp.get("/reports/<string:period>")
@per_token
def report(period: str):
    try:
        chosen = _period(period)
    except ParameterError as error:
        return error_response(400, str(error))
    return jsonify(report_json(reports.build(g.api_token.service, chosen)))


@bp.get("/responses")
@per_token
def export_responses():
    try:
        args = _query(EXPORT_PARAMETERS)
        period = _period(args["period"]) if "period" in args else None
        cursor = _whole_number(args.get("cursor", "0"), "cursor", 0, MAX_ID)
        limit = _whole_number(args.get("limit", str(DEFAULT_PAGE)), "limit", 1, MAX_PAGE)
    except ParameterError as error:
        return error_response(400, str(error))
    page = response_export.list_page(g.api_token.service_id, period=period, after_id=cursor,
                                     limit=limit)
    return jsonify(responses=[response_json(r) for r in page.responses],
                   next_cursor=page.next_cursor)
