"""The integration API's OpenAPI 3.1 document, built from the limits and names the code checks.

Built in Python rather than kept as a YAML file so that a limit (the body size, the page size,
the rate limit, the suppression threshold) is stated once and the document cannot drift from
it, and so that a `pip install .` carries it with the code. tests/integration/test_openapi.py
checks that every route under /api/v1 is described, and nothing else, and that real answers
fit the schemas; tests/integration/test_api_schemathesis.py throws generated requests at it.
"""

from datetime import date

from flask import current_app

from sms.phone import REASONS as PHONE_REASONS

from .models import AnswerStatus, Channel, RespondentRole, SentimentLabel

JSON = "application/json"
SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"
SKIP_REASONS = (*(f"phone_{reason}" for reason in PHONE_REASONS), "duplicate", "opted_out",
                "unknown_language", "unknown_role", "bad_date")


def _ref(name: str) -> dict:
    return {"$ref": SCHEMAS + name}


def _nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def _object(properties: dict, *, required: list | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False, **extra}


def _line(names, description: str) -> dict:
    """Counts by name, each a Cell, with their total under "total"."""
    return _object({name: _ref("Cell") for name in (*names, "total")},
                   description=description)


def period_pattern(first_year: int, last_year: int) -> str:
    """Exactly the period slugs from first_year to last_year: months, quarters, ISO weeks 1-52,
    and week 53 only in the years that have one."""
    if not (2000 <= first_year <= last_year <= 2099):
        raise ValueError("the pattern is written for years in 2000 to 2099")
    years = ("20[0-9]{2}" if (first_year, last_year) == (2000, 2099) else
             f"20(?:{'|'.join(f'{y % 100:02d}' for y in range(first_year, last_year + 1))})")
    long_years = [y for y in range(first_year, last_year + 1)
                  if date(y, 12, 28).isocalendar().week == 53]
    week_53 = "|".join(str(y) for y in long_years)
    return (f"^(?:{years}-(?:0[1-9]|1[0-2]|Q[1-4]|W(?:0[1-9]|[1-4][0-9]|5[0-2]))"
            f"|(?:{week_53})-W53)$")


def _schemas(api, reports) -> dict:
    cell = {
        "description": "A published count. A count of 1 to suppressed_below - 1, and any count "
                       "from which a hidden one could be worked out, is hidden: its count is "
                       "null and suppressed is true. The number itself never appears.",
        "oneOf": [
            _object({"count": {"type": "integer", "minimum": 0},
                     "suppressed": {"const": False}}),
            _object({"count": {"type": "null"}, "suppressed": {"const": True}}),
        ],
    }
    share = _nullable(_object({
        "proportion": {"type": "number", "minimum": 0, "maximum": 1},
        "low": {"type": "number", "minimum": 0, "maximum": 1},
        "high": {"type": "number", "minimum": 0, "maximum": 1},
    }, description="A share of the rated responses as a fraction, with its 95% Wilson "
                   "interval; null when either count is hidden or nothing was rated."))
    cells_by_name = {"type": "object", "additionalProperties": _ref("Cell")}
    table = _object({
        "rows": {"type": "array", "items": {"type": "string"}},
        "columns": {"type": "array", "items": {"type": "string"}},
        "cells": {"type": "object", "additionalProperties": cells_by_name,
                  "description": "cells[row][column]"},
        "row_totals": cells_by_name,
        "column_totals": cells_by_name,
        "total": _ref("Cell"),
    }, description="A table of counts, suppressed as a whole: totals too may be hidden.")
    sentiments = [s.value for s in SentimentLabel]
    return {
        "Error": _object({
            "error": {"type": "string", "description": "A code for programs, e.g. bad_request, "
                      "unauthorised, not_found, no_open_survey."},
            "message": {"type": "string", "description": "What went wrong, in English."},
        }),
        "Cell": cell,
        "Share": share,
        "Table": table,
        "Fft": _object({
            "rated": {**_ref("Cell"), "description": "Responses with a rating, Don't know "
                      "included: the denominator of the shares."},
            "no_rating": _ref("Cell"),
            "counts": _object({name: _ref("Cell") for name in reports.FFT_LINE}),
            "shares": _object({"positive": _ref("Share"), "negative": _ref("Share")}),
        }, description="Friends and Family Test figures, as NHS England computes them."),
        "Period": _object({
            "slug": {"type": "string", "examples": ["2026-10", "2026-W44", "2026-Q3"]},
            "kind": {"enum": ["week", "month", "quarter"]},
            "first_day": {"type": "string", "format": "date"},
            "last_day": {"type": "string", "format": "date"},
        }),
        "Report": _object({
            "service": _object({"id": {"type": "integer"}, "slug": {"type": "string"},
                                "name": {"type": "string"}}),
            "period": _ref("Period"),
            "suppressed_below": {"type": "integer", "minimum": 1, "description":
                                 "Counts from 1 up to this less one are hidden."},
            "responses": _ref("Cell"),
            "fft": _ref("Fft"),
            "by_channel": _line(reports.CHANNELS, "Responses by channel."),
            "by_role": _line(reports.ROLES, "Responses by who answered."),
            "by_language": _line(reports.LANGUAGES, "Responses by the survey's language."),
            "risk_by_channel": {**_ref("Table"), "description": "Rows are channels, columns "
                                "risk levels: " + ", ".join(reports.RISK_LEVELS) + "."},
            "themes": {**_ref("Table"), "description": "Rows are themes, most common first; "
                       "columns the sentiment of the sentences carrying the theme: "
                       + ", ".join(s or api.NOT_SCORED for s in reports.SENTIMENTS) + "."},
            "barriers": {"type": "array", "items": _object({
                "code": {"type": "string", "examples": ["access.no_home_internet"]},
                "domain": {"type": "string"},
                "respondents": _ref("Cell"),
                "by_channel": {"type": "object", "additionalProperties": _ref("Cell")},
            }), "description": "The barriers to digital services most reported, at most ten."},
        }, description="Figures for one service and period, suppressed as in the reports. "
                       "No quotes."),
        "InclusionAnswer": _object({
            "status": {"enum": [s.value for s in AnswerStatus]},
            "value": {"oneOf": [{"type": "string"},
                                {"type": "array", "items": {"type": "string"}},
                                {"type": "null"}],
                      "description": "The option chosen, or options for a question that "
                                     "takes several; null unless answered."},
        }),
        "Comment": _object({
            "question": {"type": "string", "examples": ["fft_what_could_improve"]},
            "redacted_text": {"type": ["string", "null"], "description":
                              "The comment with names, phone numbers, emails, addresses and "
                              "other identifiers replaced, e.g. [NAME], [PHONE]. Null when "
                              "withheld or erased on schedule."},
            "withheld": {"type": "boolean", "description": "True when the comment is with "
                         "safeguarding reviewers; its text is then never exported."},
            "language": {"type": ["string", "null"]},
            "sentiment": {"enum": [*sentiments, None]},
            "themes": {"type": "array", "items": {"type": "string"}},
        }),
        "ExportedResponse": _object({
            "id": {"type": "integer", "minimum": 1},
            "submitted_on": {"type": "string", "format": "date",
                             "description": "The UK date it was given."},
            "channel": {"enum": [c.value for c in Channel]},
            "role": {"enum": [r.value for r in RespondentRole]},
            "language": {"type": "string"},
            "complete": {"type": "boolean"},
            "fft_rating": {"enum": [*reports.RATINGS, None]},
            "inclusion": {"type": "object", "additionalProperties": _ref("InclusionAnswer"),
                          "description": "Answers to the digital inclusion questions the "
                                         "respondent was asked, by question key."},
            "analysed": {"type": "boolean", "description": "False for a response not yet "
                         "analysed: risk_level is then null and comments empty."},
            "risk_level": {"enum": [*reports.RISK_LEVELS, None]},
            "comments": {"type": "array", "items": _ref("Comment")},
        }),
        "ResponsePage": _object({
            "responses": {"type": "array", "maxItems": api.MAX_PAGE,
                          "items": _ref("ExportedResponse")},
            "next_cursor": {"type": ["integer", "null"], "description": "Pass as cursor for "
                            "the next page; null when this is the last."},
        }),
        "Recipient": _object({
            "phone": {"type": "string", "description": "A UK mobile number in any usual "
                      "form. Never echoed back."},
            "language": {"type": ["string", "null"], "description": "A code (en, cy, pl, ro, "
                         "ur) or name (Welsh) of one of the survey's languages; en if left "
                         "out."},
            "role": {"type": ["string", "null"],
                     "description": "patient, carer or staff; patient if left out."},
            "appointment_date": {"type": ["string", "null"],
                                 "description": "YYYY-MM-DD, if known."},
        }, required=["phone"]),
        "AddRecipients": _object({
            "campaign": {"oneOf": [
                {"type": "string", "minLength": 1, "maxLength": api.CAMPAIGN_NAME_MAX_LENGTH,
                 "pattern": api.CAMPAIGN_NAME_PATTERN},
                {"type": "null"}],
                "description": "The campaign to add to, created if new. Left out: one "
                               "campaign a day, named by the UK date."},
            "recipients": {"type": "array", "minItems": 1, "maxItems": api.MAX_ROWS,
                           "items": _ref("Recipient")},
        }, required=["recipients"]),
        "RecipientsAdded": _object({
            "campaign_id": {"type": "integer"},
            "accepted": {"type": "integer", "minimum": 0},
            "skipped": {"type": "array", "items": _object({
                "index": {"type": "integer", "minimum": 0,
                          "description": "The recipient's place in the list, from 0."},
                "reason": {"enum": list(SKIP_REASONS)},
            })},
        }),
        "Campaign": _object({
            "campaign_id": {"type": "integer"},
            "name": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "counts": _object({name: {"type": "integer", "minimum": 0} for name in (
                "recipients", "waiting", "sent", "delivered", "failed", "answered",
                "completed", "expired", "opted_out", "skipped")}),
        }),
        "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"]},
    }


def _error(description: str, *, example: tuple[str, str] | None = None,
           headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {JSON: {"schema": _ref("Error")}}}
    if example:
        response["content"][JSON]["example"] = {"error": example[0], "message": example[1]}
    if headers:
        response["headers"] = headers
    return response


def _errors(api) -> dict:
    def message(status):
        return api.ERRORS[status]

    return {
        "BadRequest": _error("A parameter or the body is not as described; the message says "
                             "which and why.", example=("bad_request",
                                                        "limit must be a whole number from 1 "
                                                        "to 500.")),
        "Unauthorised": _error(
            "No bearer token, or one that is unknown or revoked.", example=message(401),
            headers={"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}),
        "NotFound": _error("Nothing at this address for this token's service.",
                           example=message(404)),
        "TooManyRequests": _error(
            "Over the token's rate limit, shared by every route.", example=message(429),
            headers={"Retry-After": {"required": True, "description": "Seconds to wait.",
                                     "schema": {"type": "string"}}}),
        "ServerError": _error("Something failed on the server; nothing was half-saved.",
                              example=message(500)),
    }


def _responses(success: tuple[str, str, str], *errors: str) -> dict:
    status, description, schema = success
    responses = {status: {"description": description,
                          "content": {JSON: {"schema": _ref(schema)}}}}
    named = {"400": "BadRequest", "401": "Unauthorised", "404": "NotFound",
             "429": "TooManyRequests", "500": "ServerError"}
    for code in (*errors, "401", "429", "500"):
        responses[code] = {"$ref": RESPONSES + named[code]}
    return dict(sorted(responses.items()))


def _paths(api) -> dict:
    period_description = ("A month (2026-10), ISO week (2026-W44) or quarter (2026-Q3), in UK "
                          f"time, from {api.FIRST_YEAR} to {api.LAST_YEAR}.")
    pattern = period_pattern(api.FIRST_YEAR, api.LAST_YEAR)
    recipients = _responses(("202", "Accepted: the recipients are saved and will be texted "
                             "outside quiet hours.", "RecipientsAdded"), "400")
    recipients["409"] = _error("The service has no survey open, so nobody can be invited.",
                               example=("no_open_survey", "The service has no survey open."))
    recipients["413"] = _error("The body is over the size limit.", example=api.ERRORS[413])
    recipients["415"] = _error("The body is not declared as JSON.", example=api.ERRORS[415])
    return {
        "/openapi": {"get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "responses": _responses(("200", "The OpenAPI document.", "OpenApiDocument")),
        }},
        "/recipients": {"post": {
            "operationId": "addRecipients",
            "summary": "Add people to text for feedback after their appointments",
            "description": "Each recipient is checked on its own: bad ones are skipped and "
                           "listed by their place in the list, good ones are added. Adding the "
                           "same number twice to a campaign adds it once.",
            "requestBody": {"required": True, "content": {JSON: {
                "schema": _ref("AddRecipients"),
                "example": {"campaign": "Clinic 12", "recipients": [
                    {"phone": "07700 900123", "language": "cy", "role": "patient",
                     "appointment_date": "2026-11-20"}]}}}},
            "responses": dict(sorted(recipients.items())),
        }},
        "/campaigns/{campaign_id}": {"get": {
            "operationId": "getCampaign",
            "summary": "Where a campaign's invitations have got to",
            "parameters": [{"name": "campaign_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1,
                                       "maximum": api.MAX_ID}}],
            "responses": _responses(("200", "The campaign's counts.", "Campaign"), "404"),
        }},
        "/reports/{period}": {"get": {
            "operationId": "getReport",
            "summary": "The service's report figures for a period, small numbers suppressed",
            "description": "Responses count once analysed, usually seconds after they arrive. "
                           "A period under way grows until it ends.",
            "parameters": [{"name": "period", "in": "path", "required": True,
                            "description": period_description,
                            "schema": {"type": "string", "pattern": pattern}}],
            "responses": _responses(("200", "The figures.", "Report"), "400"),
        }},
        "/responses": {"get": {
            "operationId": "listResponses",
            "summary": "The service's responses, redacted, oldest first, a page at a time",
            "description": "Free text appears only redacted, and phone numbers never. Paper "
                           "sheets appear once their batch is checked. Pass next_cursor back "
                           "as cursor until it is null.",
            "parameters": [
                {"name": "period", "in": "query", "required": False,
                 "description": period_description + " Left out: every period.",
                 "schema": {"type": "string", "pattern": pattern}},
                {"name": "cursor", "in": "query", "required": False,
                 "description": "The id after which the page starts: 0, or the last page's "
                                "next_cursor.",
                 "schema": {"type": "integer", "minimum": 0, "maximum": api.MAX_ID,
                            "default": 0}},
                {"name": "limit", "in": "query", "required": False,
                 "description": "Responses a page.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": api.MAX_PAGE,
                            "default": api.DEFAULT_PAGE}},
            ],
            "responses": _responses(("200", "A page of responses.", "ResponsePage"), "400"),
        }},
    }


def document() -> dict:
    """The document, as a plain dict ready for JSON."""
    from .services import reports
    from .views import api  # here, not at the top: the views module serves this document

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "NHS digital inclusion feedback: integration API",
            "version": "1",
            "description": (
                "For a trust's appointment system: add people to text for feedback after "
                "their appointments, and read the service's figures and redacted responses. "
                "Each token belongs to one service and sees only that service. Calls are "
                f"limited to {current_app.config['API_RATE_LIMIT']} per token, over all "
                f"routes. Bodies are JSON, at most {api.MAX_BODY_BYTES} bytes. Errors are "
                "JSON with an error code and a message. See docs/api.md."),
        },
        "servers": [{"url": api.bp.url_prefix}],
        "security": [{"bearerToken": []}],
        "paths": _paths(api),
        "components": {
            "securitySchemes": {"bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "A token an administrator creates for the service (fbk_...)."}},
            "schemas": _schemas(api, reports),
            "responses": _errors(api),
        },
    }

