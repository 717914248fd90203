"""The integration API's OpenAPI document tells the truth.

Generated from the URL map, so a route added under /api/v1 without a description fails here,
as does a description of a route that has gone. The document must be valid OpenAPI 3.1, its
patterns must accept exactly what the code accepts, and real answers, errors included, must
carry a documented status and fit the documented schema.
"""

import json
import os
import re
from datetime import datetime

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback import create_app, jobs
from feedback.config import TestConfig
from feedback.extensions import limiter
from feedback.models import utcnow
from feedback.openapi import period_pattern
from feedback.services import api_tokens, campaigns, responses
from feedback.views import api
from tests.factories import create_service, create_survey, question_ids

PREFIX = "/api/v1"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
CONVERTER_TYPES = {"int": "integer", "string": "string", None: "string"}
EXAMPLES = 50 if os.environ.get("CI") == "true" else 300
QUESTIONS = ["fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet",
             "own_device"]


@pytest.fixture
def enqueued(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


@pytest.fixture
def service(db):
    service = create_service()
    create_survey(service=service, question_keys=QUESTIONS)
    return service


@pytest.fixture
def token(service) -> str:
    return api_tokens.create_token(service, name="Appointments", created_by=None)[1]


def call(client, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(PREFIX + path, method=method, headers=headers, **kwargs)


@pytest.fixture
def document(client, token) -> dict:
    response = call(client, "GET", "/openapi", token)
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def schema(document):
    return schemathesis.openapi.from_dict(document)


def documented(document) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in METHODS}


def _template(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule[len(PREFIX):])


def routed(app) -> set[tuple[str, str]]:
    return {(method, _template(rule.rule)) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(PREFIX + "/")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


# --- the document against the URL map ---------------------------------------------------------


def test_every_route_under_the_api_is_documented_and_nothing_else(app, document):
    assert document["servers"] == [{"url": PREFIX}]
    assert routed(app) - documented(document) == set(), "describe these in feedback/openapi.py"
    assert documented(document) - routed(app) == set(), "these are described but not routed"


def test_path_parameters_are_documented_with_the_url_maps_types(app, document):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        converters = dict((name, conv) for conv, name in
                          re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = document["paths"][_template(rule.rule)][method.lower()]
            in_path = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(in_path) == set(converters), rule.rule
            for name, converter in converters.items():
                assert in_path[name]["required"] is True
                assert in_path[name]["schema"]["type"] == CONVERTER_TYPES[converter or None]


def test_the_document_is_valid_openapi_3_1(schema, document):
    assert document["openapi"].startswith("3.1.")
    schema.validate()  # against the OpenAPI 3.1 meta-schema schemathesis carries
    json.dumps(document, allow_nan=False)


def test_every_operation_needs_the_token_and_lists_the_errors_any_call_can_get(document):
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerToken": []}]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"401", "429", "500"} <= set(operation["responses"]), (method, path)
            assert "security" not in operation  # none opts out of the token


def test_the_documented_limits_are_the_ones_the_code_applies(document):
    schemas = document["components"]["schemas"]
    recipients = schemas["AddRecipients"]["properties"]["recipients"]
    assert (recipients["minItems"], recipients["maxItems"]) == (1, campaigns.MAX_ROWS)
    limit = next(p for p in document["paths"]["/responses"]["get"]["parameters"]
                 if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (
        1, api.MAX_PAGE, api.DEFAULT_PAGE)
    assert str(api.MAX_BODY_BYTES) in document["info"]["description"]


def test_the_document_is_refused_without_a_token(client, db):
    response = call(client, "GET", "/openapi")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorised"


# --- patterns against the code ----------------------------------------------------------------


def _accepted_period(slug: str) -> bool:
    try:
        api._period(slug)
    except api.ParameterError:
        return False
    return True


def _slugs():
    for year in (1999, 2000, 2004, 2025, 2026, 2027, 2099, 2100):
        yield from (f"{year}-{month:02d}" for month in range(0, 14))
        yield from (f"{year}-Q{quarter}" for quarter in range(0, 6))
        yield from (f"{year}-W{week:02d}" for week in range(0, 55))
    yield from ("2026-1", "2026-W1", "2026-q3", "2026-w44", "26-10", "2026-10 ", " 2026-10",
                "2026-10\n", "\u0662\u0660\u0662\u0666-10", "2026\u201310", "")


def test_the_period_pattern_matches_exactly_the_periods_the_api_accepts():
    pattern = period_pattern(api.FIRST_YEAR, api.LAST_YEAR)
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    for slug in _slugs():
        accepted = _accepted_period(slug)
        assert validator.is_valid(slug) is accepted, slug
        assert bool(re.fullmatch(pattern, slug)) is accepted, slug
    # Every year in range that has an ISO week 53 is in the pattern, and none that has not.
    assert _accepted_period("2026-W53") and not _accepted_period("2027-W53")


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None)
@given(st.text(max_size=24) | st.from_regex(r"20[0-9]{2}-(W[0-9]{2}|Q[0-9]|[0-9]{2})",
                                            fullmatch=True))
def test_the_period_pattern_agrees_with_the_api_on_any_text(slug):
    pattern = period_pattern(api.FIRST_YEAR, api.LAST_YEAR)
    assert bool(re.fullmatch(pattern, slug)) is _accepted_period(slug)


def _accepted_campaign_name(name: str) -> bool:
    try:
        api._campaign_name({"campaign": name})
    except api.BodyError:
        return False
    return True


@pytest.fixture(scope="module")
def campaign_name_schema(app) -> dict:
    # Module-scoped, so hypothesis may share it between examples.
    with app.app_context():
        from feedback import openapi

        return openapi.document()["components"]["schemas"]["AddRecipients"]["properties"][
            "campaign"]


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None)
@given(name=st.text(max_size=210) | st.just("x" * 201)
       | st.text(alphabet=" \u00a0\u2003\u3000\ufeff\x1c\x85\x00ab", max_size=6))
def test_the_campaign_name_schema_accepts_exactly_the_names_the_api_accepts(
    campaign_name_schema, name
):
    validator = jsonschema_rs.validator_for(campaign_name_schema)
    assert validator.is_valid(name) is _accepted_campaign_name(name), repr(name)


# --- real answers against the schemas ---------------------------------------------------------


def submit(survey, *, rating="good", improve=None, channel="web", when=None):
    ids = question_ids(survey)
    answers = {ids["fft_rating"]: {"choice": rating}, ids["home_internet"]: {"choice": "no"},
               ids["own_device"]: {"choices": ["smartphone", "computer"]}}
    if improve is not None:
        answers[ids["fft_what_could_improve"]] = {"text": improve}
    return responses.submit(survey_version_id=survey.versions[0].id, channel=channel,
                            respondent_role="patient", locale="en", answers=answers,
                            enforce_required=False,
                            submitted_at=when or datetime(2026, 10, 6, 12))


class ThrottledConfig(TestConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    API_RATE_LIMIT = "1 per minute"


def test_real_answers_carry_a_documented_status_and_fit_its_schema(
    app, client, db, service, token, schema, document, enqueued, monkeypatch
):
    survey = service.surveys[0]
    for number in range(7):
        submit(survey, rating=("good", "poor")[number % 2], channel=("web", "sms")[number > 4],
               improve="Dr Patel never rang me back on 07700 900123." if number < 3 else None)
    submit(survey, improve="Some days I want to end my life.")  # withheld for review
    closed = create_service(slug="closed", name="Closed")
    create_survey(service=closed, opens_at=utcnow().replace(year=2020),
                  closes_at=utcnow().replace(year=2021))
    closed_token = api_tokens.create_token(closed, name="Closed", created_by=None)[1]
    good = {"recipients": [{"phone": "07700 900123"}, {"phone": "nope"}]}

    answers = []

    def check(method, template, path, expected, tok=token, **kwargs):
        response = call(client, method, path, tok, **kwargs)
        assert response.status_code == expected, (path, response.get_data(as_text=True)[:500])
        answers.append((method, template, response))
        return response

    added = check("POST", "/recipients", "/recipients", 202, json=good).get_json()
    check("POST", "/recipients", "/recipients", 400, json={"recipients": []})
    check("POST", "/recipients", "/recipients", 409, tok=closed_token, json=good)
    check("POST", "/recipients", "/recipients", 415, data="phone", content_type="text/plain")
    check("POST", "/recipients", "/recipients", 401, tok=None, json=good)
    check("GET", "/campaigns/{campaign_id}", f"/campaigns/{added['campaign_id']}", 200)
    check("GET", "/campaigns/{campaign_id}", "/campaigns/999999", 404)
    check("GET", "/reports/{period}", "/reports/2026-10", 200)
    check("GET", "/reports/{period}", "/reports/2026-W41", 200)
    check("GET", "/reports/{period}", "/reports/2026-Q1", 200)  # nothing in it
    check("GET", "/reports/{period}", "/reports/2026-13", 400)
    page = check("GET", "/responses", "/responses", 200, query_string={"limit": 3}).get_json()
    check("GET", "/responses", "/responses", 200,
          query_string={"cursor": page["next_cursor"], "period": "2026-10"})
    check("GET", "/responses", "/responses", 400, query_string={"limit": 501})
    check("GET", "/openapi", "/openapi", 200)
    check("GET", "/openapi", "/openapi", 401, tok="fbk_forged")
    monkeypatch.setattr(api, "MAX_BODY_BYTES", 100)
    check("POST", "/recipients", "/recipients", 413, json={"recipients": [good] * 20})

    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    throttled = create_app(ThrottledConfig(database_url=app.config["SQLALCHEMY_DATABASE_URI"]))
    throttled_client = throttled.test_client()
    assert call(throttled_client, "GET", "/openapi", token).status_code == 200
    answers.append(("GET", "/openapi", call(throttled_client, "GET", "/openapi", token)))
    assert answers[-1][2].status_code == 429

    statuses = set()
    for method, template, response in answers:
        where = f"{method} {template} {response.status_code}"
        documented_responses = document["paths"][template][method.lower()]["responses"]
        assert str(response.status_code) in documented_responses, where
        assert response.mimetype == "application/json", where
        schema[template][method].validate_response(response)  # raises when it does not fit
        statuses.add(response.status_code)
    assert statuses == {200, 202, 400, 401, 404, 409, 413, 415, 429}
    assert answers[-1][2].headers["Retry-After"]


def test_suppressed_and_shown_cells_both_fit_the_cell_schema(document):
    cell = jsonschema_rs.validator_for(document["components"]["schemas"]["Cell"])
    assert cell.is_valid({"count": 12, "suppressed": False})
    assert cell.is_valid({"count": None, "suppressed": True})
    # A hidden cell that carried its number would be a leak: the schema refuses it.
    assert not cell.is_valid({"count": 3, "suppressed": True})
    assert not cell.is_valid({"count": None, "suppressed": False})
