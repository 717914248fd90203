"""The integration API (/api/v1): bearer tokens, adding recipients, campaign counts, errors."""

import json
import logging
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from feedback import create_app, jobs
from feedback.config import TestConfig
from feedback.extensions import limiter
from feedback.models import Campaign, CampaignRecipient, utcnow
from feedback.services import api_tokens, campaigns
from tests.factories import create_service, create_survey, create_user

GOOD = "07700 900123"  # Ofcom's drama range: a mobile that reaches nobody
OTHER_GOOD = "+44 7700 900456"


@pytest.fixture
def enqueued(monkeypatch) -> list:
    """The jobs asked for, instead of running them (which would text Twilio)."""
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


@pytest.fixture
def service(db):
    service = create_service()
    create_survey(service=service, languages=("en", "cy"))
    return service


@pytest.fixture
def token(service) -> str:
    _, plaintext = api_tokens.create_token(service, name="Appointments", created_by=None)
    return plaintext


def call(client, method, path, token=None, body=None, *, content_type="application/json",
         data=None, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is None and body is not None:
        data = json.dumps(body)
    return client.open(f"/api/v1{path}", method=method, headers=headers, data=data,
                       content_type=content_type)


def post(client, token, body, **kwargs):
    return call(client, "POST", "/recipients", token, body, **kwargs)


def stored_rows(db) -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Campaign)),
            db.session.scalar(select(func.count()).select_from(CampaignRecipient)))


# --- adding recipients ------------------------------------------------------------------------


def test_recipients_are_added_to_the_days_campaign_and_sending_is_asked_for(
    client, db, token, service, enqueued
):
    response = post(client, token, {"recipients": [
        {"phone": GOOD, "language": "cy", "role": "carer", "appointment_date": "2026-11-20"},
        {"phone": OTHER_GOOD},
        {"phone": "07700900123"},  # the first again
        {"phone": "call me"},
        {"phone": "07700 900789", "language": "klingon"},
        {"phone": "07700 900790", "role": "doctor"},
        {"phone": "07700 900791", "appointment_date": "20/11/2026"},
        {"phone": "", "language": None},
    ]})

    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    campaign = db.session.get(Campaign, body["campaign_id"])
    assert campaign.service_id == service.id
    assert campaign.name == campaigns.default_campaign_name()
    assert body["accepted"] == 2
    assert body["skipped"] == [
        {"index": 2, "reason": "duplicate"},
        {"index": 3, "reason": "phone_not_a_number"},
        {"index": 4, "reason": "unknown_language"},
        {"index": 5, "reason": "unknown_role"},
        {"index": 6, "reason": "bad_date"},
        {"index": 7, "reason": "phone_empty"},
    ]
    assert "7700" not in response.get_data(as_text=True)  # numbers are never echoed back
    recipients = db.session.scalars(select(CampaignRecipient).order_by(CampaignRecipient.id)).all()
    assert [(r.phone_number, r.locale, r.respondent_role, str(r.appointment_on))
            for r in recipients] == [("+447700900123", "cy", "carer", "2026-11-20"),
                                     ("+447700900456", "en", "patient", "None")]
    assert enqueued == [(jobs.send_invitations, ())]


def test_a_second_call_the_same_day_adds_to_the_same_campaign_and_a_named_one_is_separate(
    client, db, token, enqueued
):
    first = post(client, token, {"recipients": [{"phone": GOOD}]}).get_json()
    again = post(client, token, {"recipients": [{"phone": GOOD}, {"phone": OTHER_GOOD}]})
    named = post(client, token, {"campaign": " Clinic 12 ", "recipients": [{"phone": GOOD}]})
    named_again = post(client, token, {"campaign": "Clinic 12", "recipients": [{"phone": GOOD}]})

    assert again.get_json() == {"campaign_id": first["campaign_id"], "accepted": 1,
                                "skipped": [{"index": 0, "reason": "duplicate"}]}
    assert named.get_json()["campaign_id"] != first["campaign_id"]
    assert named_again.get_json()["campaign_id"] == named.get_json()["campaign_id"]
    assert db.session.get(Campaign, named.get_json()["campaign_id"]).name == "Clinic 12"
    assert stored_rows(db) == (2, 3)
    assert len(enqueued) == 3  # not for the call that added nobody


def test_nothing_is_enqueued_when_every_recipient_is_skipped(client, db, token, enqueued):
    response = post(client, token, {"recipients": [{"phone": "not a phone"}]})
    assert response.status_code == 202
    assert response.get_json()["accepted"] == 0
    assert enqueued == []


@pytest.mark.parametrize(("now", "name"), [
    (datetime(2026, 7, 1, 22, 30), "Appointment system 2026-07-01"),
    (datetime(2026, 7, 1, 23, 30), "Appointment system 2026-07-02"),  # BST: after midnight
    (datetime(2026, 12, 1, 23, 30), "Appointment system 2026-12-01"),  # GMT
])
def test_the_days_campaign_is_named_by_the_uk_date(now, name):
    assert campaigns.default_campaign_name(now) == name


def test_a_service_with_no_open_survey_gets_409_and_nothing_is_stored(client, db, enqueued):
    closed = create_service(slug="closed", name="Closed")
    create_survey(service=closed, opens_at=utcnow() - timedelta(days=9),
                  closes_at=utcnow() - timedelta(days=1))
    _, plaintext = api_tokens.create_token(closed, name="Appointments", created_by=None)

    response = post(client, plaintext, {"recipients": [{"phone": GOOD}]})

    assert response.status_code == 409
    assert response.get_json()["error"] == "no_open_survey"
    assert stored_rows(db) == (0, 0)
    assert enqueued == []


# --- refused bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "not valid JSON"),
    (b"\xff\xfe\x00", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),
    ("[]", "must be a JSON object"),
    ("null", "must be a JSON object"),
    ("{}", "recipients is required"),
    ('{"recipients": null}', "recipients is required"),
    ('{"recipients": {"phone": "07700 900123"}}', "recipients must be a list"),
    ('{"recipients": []}', "recipients is empty"),
    ('{"recipients": ["07700 900123"]}', "recipients[0] must be an object"),
    ('{"recipients": [{"phone": "07700 900123"}, 7]}', "recipients[1] must be an object"),
    ('{"recipients": [{"language": "cy"}]}', "recipients[0].phone is required"),
    ('{"recipients": [{"phone": 7700900123}]}', "recipients[0].phone must be a string"),
    ('{"recipients": [{"phone": null}]}', "recipients[0].phone must be a string"),
    ('{"recipients": [{"phone": "07700 900123", "language": ["cy"]}]}',
     "recipients[0].language must be a string"),
    ('{"recipients": [{"phone": "07700 900123", "role": 1}]}',
     "recipients[0].role must be a string"),
    ('{"recipients": [{"phone": "07700 900123", "appointment_date": 20261120}]}',
     "recipients[0].appointment_date must be a string"),
    ('{"recipients": [{"phone": "07700 900123", "lang": "cy"}]}',
     "recipients[0] has an unknown field 'lang'"),
    ('{"recipient": [{"phone": "07700 900123"}]}', "The body has an unknown field 'recipient'"),
    ('{"campaign": 12, "recipients": [{"phone": "07700 900123"}]}', "campaign must be a name"),
    ('{"campaign": "  ", "recipients": [{"phone": "07700 900123"}]}', "campaign must be a name"),
    (json.dumps({"campaign": "x" * 201, "recipients": [{"phone": "07700 900123"}]}),
     "campaign must be a name"),
    (json.dumps({"recipients": [{"phone": "07700 900123"}] * 5001}),
     "recipients has 5001 items: send at most 5000"),
])
def test_a_malformed_body_gets_400_naming_the_problem_and_nothing_is_stored(
    client, db, token, enqueued, data, message
):
    response = post(client, token, None, data=data)

    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad_request"
    assert message in body["message"]
    assert "7700" not in body["message"]
    assert stored_rows(db) == (0, 0)
    assert enqueued == []


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "application/xml", None,
])
def test_a_body_that_is_not_declared_json_gets_415(client, db, token, enqueued, content_type):
    response = post(client, token, {"recipients": [{"phone": GOOD}]}, content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"
    assert stored_rows(db) == (0, 0)


def test_a_body_over_the_size_limit_gets_413(client, db, token, enqueued, monkeypatch):
    monkeypatch.setattr("feedback.views.api.MAX_BODY_BYTES", 1000)
    response = post(client, token, {"recipients": [{"phone": GOOD}] * 100})
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
    assert stored_rows(db) == (0, 0)


def test_an_unexpected_failure_gets_a_json_500(client, db, token, monkeypatch, caplog):
    def fail(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(campaigns, "add_from_api", fail)
    with caplog.at_level(logging.ERROR, logger="feedback.views.api"):
        response = post(client, token, {"recipients": [{"phone": GOOD}]})
    assert response.status_code == 500
    assert response.get_json()["error"] == "server_error"
    assert "database on fire" not in response.get_data(as_text=True)


# --- tokens -----------------------------------------------------------------------------------


def _routes():
    return [("POST", "/recipients"), ("GET", "/campaigns/1")]


@pytest.mark.parametrize(("method", "path"), _routes())
@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "fbk_nobearer",
])
def test_a_call_without_a_bearer_token_gets_401(client, db, token, method, path, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = call(client, method, path, body={"recipients": [{"phone": GOOD}]},
                    headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["error"] == "unauthorised"
    assert "Authorization: Bearer" in response.get_json()["message"]
    assert stored_rows(db) == (0, 0)


@pytest.mark.parametrize(("method", "path"), _routes())
def test_a_forged_token_gets_401_and_a_warning_that_never_shows_it(
    client, db, token, caplog, method, path
):
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with caplog.at_level(logging.WARNING, logger="feedback.views.api"):
        response = call(client, method, path, forged, {"recipients": [{"phone": GOOD}]})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"] == "unauthorised"
    assert "unknown or revoked token" in caplog.text
    assert forged not in caplog.text and forged[4:12] not in caplog.text


def test_a_revoked_token_gets_401(client, db, service, enqueued):
    token, plaintext = api_tokens.create_token(service, name="Old", created_by=None)
    assert post(client, plaintext, {"recipients": [{"phone": GOOD}]}).status_code == 202
    api_tokens.revoke_token(token, by=None)

    response = post(client, plaintext, {"recipients": [{"phone": OTHER_GOOD}]})

    assert response.status_code == 401
    assert stored_rows(db) == (1, 1)


def test_a_session_cookie_is_no_substitute_for_a_token(client, db, token):
    admin = create_user(email="admin@nhs.test", role="admin")
    with client.session_transaction() as session:
        session.update({"_user_id": admin.get_id(), "_fresh": True,
                        "staff_last_seen": time.time()})
    response = call(client, "POST", "/recipients", body={"recipients": [{"phone": GOOD}]})
    assert response.status_code == 401


# --- campaigns --------------------------------------------------------------------------------


def test_a_campaigns_counts_are_shown_to_its_services_token(client, db, token, enqueued):
    added = post(client, token, {"campaign": "Clinic", "recipients": [
        {"phone": GOOD}, {"phone": OTHER_GOOD}, {"phone": "nope"}]}).get_json()

    response = call(client, "GET", f"/campaigns/{added['campaign_id']}", token)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["campaign_id"], body["name"]) == (added["campaign_id"], "Clinic")
    assert body["created_at"].endswith("+00:00")
    assert body["counts"]["recipients"] == 2
    assert body["counts"]["waiting"] == 2


def test_another_services_campaign_gets_404(client, db, token, enqueued):
    other = create_service(slug="other", name="Other")
    create_survey(service=other)
    _, other_token = api_tokens.create_token(other, name="Theirs", created_by=None)
    theirs = post(client, other_token, {"recipients": [{"phone": GOOD}]}).get_json()

    response = call(client, "GET", f"/campaigns/{theirs['campaign_id']}", token)

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert call(client, "GET", "/campaigns/999999", token).status_code == 404


# --- routing errors ---------------------------------------------------------------------------


def test_unknown_paths_and_methods_get_json_errors_once_the_token_is_good(client, db, token):
    missing = call(client, "GET", "/nothing-here", token)
    wrong_method = call(client, "GET", "/recipients", token)
    anonymous = call(client, "GET", "/nothing-here")

    assert (missing.status_code, missing.get_json()["error"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.get_json()["error"]) == (
        405, "method_not_allowed")
    assert "POST" in wrong_method.headers["Allow"]
    assert (anonymous.status_code, anonymous.get_json()["error"]) == (401, "unauthorised")
    # Elsewhere, errors are still pages for people.
    assert "text/html" in client.get("/no-such-page").headers["Content-Type"]


# --- rate limit -------------------------------------------------------------------------------


class ThrottledConfig(TestConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    API_RATE_LIMIT = "3 per minute"


@pytest.fixture
def throttled_client(app, db, monkeypatch):
    # The limiter is one object: binding it to a second app enables it for the first too.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    throttled = create_app(ThrottledConfig(database_url=app.config["SQLALCHEMY_DATABASE_URI"]))
    return throttled.test_client()


def test_each_token_is_rate_limited_on_its_own_with_a_json_429(throttled_client, service, token):
    _, other = api_tokens.create_token(service, name="Other", created_by=None)
    statuses = [call(throttled_client, "GET", "/campaigns/999999", token).status_code
                for _ in range(4)]
    refused = call(throttled_client, "POST", "/recipients", token, {"recipients": []})

    assert statuses == [404, 404, 404, 429]
    assert refused.status_code == 429  # one allowance for all the API's routes
    assert refused.get_json()["error"] == "rate_limited"
    assert "Retry-After" in refused.headers
    assert call(throttled_client, "GET", "/campaigns/999999", other).status_code == 404
