"""The integration API (/api/v1): bearer tokens, adding recipients, campaign counts, report
figures, exported responses, errors."""

import json
import logging
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from feedback import create_app, jobs
from feedback.config import TestConfig
from feedback.extensions import limiter
from feedback.models import Campaign, CampaignRecipient, ResponseAnalysis, utcnow
from feedback.services import api_tokens, campaigns, responses
from tests.factories import create_service, create_survey, create_user, question_ids

GOOD = "07700 900123"  # Ofcom's drama range: a mobile that reaches nobody
OTHER_GOOD = "+44 7700 900456"


@pytest.fixture
def enqueued(monkeypatch) -> list:
    """The jobs asked for, instead of running them (which would text Twilio)."""
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


QUESTIONS = ["fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet",
             "own_device", "needs_help_online"]


@pytest.fixture
def service(db):
    service = create_service()
    create_survey(service=service, languages=("en", "cy"), question_keys=QUESTIONS)
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
    return [("POST", "/recipients"), ("GET", "/campaigns/1"), ("GET", "/reports/2026-10"),
            ("GET", "/responses"), ("GET", "/openapi")]


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
    # Past PostgreSQL's integer ids: still a 404, not the database's "out of range".
    assert call(client, "GET", "/campaigns/2147483648", token).status_code == 404
    assert call(client, "GET", f"/campaigns/{10**30}", token).status_code == 404


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


# --- hostile text in bodies -------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    json.dumps({"campaign": "\x00Clinic", "recipients": [{"phone": GOOD}]}),
    json.dumps({"campaign": "Clinic\x1b[31m", "recipients": [{"phone": GOOD}]}),
    json.dumps({"campaign": "Clinic\u0085", "recipients": [{"phone": GOOD}]}),
    json.dumps({"campaign": "\u3000\u2003 ", "recipients": [{"phone": GOOD}]}),
    json.dumps({"campaign": " " + "x" * 200, "recipients": [{"phone": GOOD}]}),
    json.dumps({"campaign": "", "recipients": [{"phone": GOOD}]}),
    '{"campaign": "Clinic \\ud800", "recipients": [{"phone": "07700 900123"}]}',
    "",
    " ",
    '{"recipients": [{"phone": "07700 900123"}]}\x00',
])
def test_control_characters_lone_surrogates_and_empty_bodies_get_400_and_nothing_is_stored(
    client, db, token, enqueued, data
):
    response = post(client, token, None, data=data)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"] == "bad_request"
    assert stored_rows(db) == (0, 0)
    assert enqueued == []


def test_a_campaign_name_in_any_script_is_stored_as_typed(client, db, token, enqueued):
    name = "Clinig Caerdydd – ŵ 🙂 اردو '; DROP TABLE campaigns; --"
    response = post(client, token, {"campaign": f"  {name} ", "recipients": [{"phone": GOOD}]})
    assert response.status_code == 202
    assert db.session.get(Campaign, response.get_json()["campaign_id"]).name == name


def test_hostile_recipient_fields_are_skipped_and_never_stored(client, db, token, enqueued):
    response = post(client, token, {"recipients": [
        {"phone": "\x00"}, {"phone": GOOD + "\x00"}, {"phone": "<script>alert(1)</script>"},
        {"phone": "٠٧٧٠٠ ٩٠٠٤٥٦", "language": "\x00"},  # Arabic-Indic digits are a number
        {"phone": OTHER_GOOD, "role": "'; DROP TABLE campaign_recipients; --"},
        {"phone": "7" * 100_000},
    ]})
    assert response.status_code == 202
    assert [s["reason"] for s in response.get_json()["skipped"]] == [
        "phone_not_a_number", "phone_not_a_number", "phone_not_a_number", "unknown_language",
        "unknown_role", "phone_not_a_number"]
    assert stored_rows(db) == (1, 0)


# --- report figures ---------------------------------------------------------------------------


def submit(service, *, rating="good", improve=None, channel="web", when=None, inclusion=True):
    survey = service.surveys[0]
    ids = question_ids(survey)
    answers = {ids["fft_rating"]: {"choice": rating}}
    if inclusion:
        answers.update({ids["home_internet"]: {"choice": "no"},
                        ids["own_device"]: {"choices": ["smartphone", "basic_phone"]},
                        ids["needs_help_online"]: {"status": "skipped"}})
    if improve is not None:
        answers[ids["fft_what_could_improve"]] = {"text": improve}
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel=channel, respondent_role="patient",
        locale="en", answers=answers, enforce_required=False,
        submitted_at=when or datetime(2026, 10, 6, 12))


def cells(value):
    """Every Cell in a report, wherever it sits."""
    if isinstance(value, dict):
        if set(value) == {"count", "suppressed"}:
            yield value
        else:
            for item in value.values():
                yield from cells(item)
    elif isinstance(value, list):
        for item in value:
            yield from cells(item)


def test_a_report_gives_the_services_figures_with_small_counts_suppressed(client, db, token,
                                                                          service):
    for number in range(10):
        submit(service, rating=("very_good", "poor")[number % 2])
    for _ in range(3):
        submit(service, channel="sms", rating="good")

    response = call(client, "GET", "/reports/2026-10", token)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report["service"]["slug"] == service.slug
    assert report["period"] == {"slug": "2026-10", "kind": "month", "first_day": "2026-10-01",
                                "last_day": "2026-10-31"}
    assert report["suppressed_below"] == 5
    # Three by SMS: hidden, and so is enough else that it cannot be worked out from the rest.
    assert report["by_channel"]["sms"] == {"count": None, "suppressed": True}
    assert report["by_channel"]["paper"] == {"count": 0, "suppressed": False}
    assert report["by_channel"]["web"]["suppressed"] or report["by_channel"]["total"][
        "suppressed"]
    for cell in cells(report):
        assert cell["count"] is None if cell["suppressed"] else cell["count"] == 0 or cell[
            "count"] >= 5, cell
    fft = report["fft"]
    assert fft["rated"] == {"count": 13, "suppressed": False}
    assert fft["counts"]["positive"] == {"count": 8, "suppressed": False}  # 5 + 3 by SMS
    assert fft["counts"]["negative"] == {"count": 5, "suppressed": False}
    assert fft["no_rating"] == {"count": 0, "suppressed": False}
    positive = fft["shares"]["positive"]
    assert positive["proportion"] == pytest.approx(8 / 13)
    assert 0 <= positive["low"] < positive["proportion"] < positive["high"] <= 1
    assert set(report["risk_by_channel"]["rows"]) == {"web", "sms", "paper", "assisted"}
    assert report["barriers"][0]["code"] == "access.no_home_internet"


def test_a_report_has_no_comments_in_it_and_no_other_services_figures(client, db, token,
                                                                      service):
    for _ in range(12):  # enough comments that the reports page would quote them
        submit(service, improve="Dr Patel never rang me back, the video kept freezing.")
    other = create_service(slug="other", name="Other service")
    create_survey(service=other, question_keys=QUESTIONS)
    for _ in range(37):
        submit(other, rating="poor")

    body = call(client, "GET", "/reports/2026-10", token).get_data(as_text=True)

    assert "rang" not in body and "[NAME]" not in body and "freezing" not in body
    assert "Other service" not in body and "other" not in json.loads(body)["service"]["slug"]
    assert all(cell["count"] not in (37, 49) for cell in cells(json.loads(body)))
    assert json.loads(body)["themes"]["rows"]  # themes are counted, never quoted


def test_a_share_of_a_hidden_count_is_null(client, db, token, service):
    for number in range(8):
        submit(service, rating=("good", "good", "poor")[number % 3])  # 6 good, 2 poor: both hidden
    fft = call(client, "GET", "/reports/2026-10", token).get_json()["fft"]
    assert fft["counts"]["negative"] == {"count": None, "suppressed": True}
    assert fft["shares"] == {"positive": None, "negative": None}


def test_another_services_token_sees_none_of_this_services_figures(client, db, service):
    for _ in range(8):
        submit(service)
    other = create_service(slug="other", name="Other")
    create_survey(service=other)
    _, other_token = api_tokens.create_token(other, name="Theirs", created_by=None)

    report = call(client, "GET", "/reports/2026-10", other_token).get_json()
    exported = call(client, "GET", "/responses", other_token).get_json()

    assert report["responses"] == {"count": 0, "suppressed": False}
    assert exported == {"responses": [], "next_cursor": None}


@pytest.mark.parametrize(("period", "message"), [
    ("2026-13", "there is no month 13"),
    ("2026-Q5", "there is no quarter Q5"),
    ("2026-W54", "ISO weeks 1 to 53"),
    ("2027-W53", "ISO weeks 1 to 52"),
    ("1999-12", "years 2000 to 2099"),
    ("2100-01", "years 2000 to 2099"),
    ("0001-01", "years 2000 to 2099"),
    ("next-month", "not a report period"),
    ("2026-10 ", "not a report period"),
    ("２０２６-10", "not a report period"),
    ("2026-1%00", "not a report period"),
    ("2026%0A", "not a report period"),
    ("x" * 5000, "not a report period"),
])
def test_a_bad_period_gets_400_saying_what_is_wrong(client, db, token, period, message):
    response = call(client, "GET", f"/reports/{period}", token)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"] == "bad_request"
    assert message in response.get_json()["message"]
    assert len(response.get_json()["message"]) < 300  # a long value is never echoed


# --- exported responses -----------------------------------------------------------------------


def test_each_response_is_exported_redacted_with_its_answers_and_analysis(client, db, token,
                                                                          service):
    # 23:30 UTC on 5 October is 00:30 on the 6th in London.
    submitted = submit(service, rating="poor", improve="Dr Patel, 07700 900123",
                       when=datetime(2026, 10, 5, 23, 30))

    response = call(client, "GET", "/responses", token)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    [exported] = response.get_json()["responses"]
    assert exported["id"] == submitted.id
    assert exported["submitted_on"] == "2026-10-06"
    assert (exported["channel"], exported["role"], exported["language"]) == (
        "web", "patient", "en")
    assert exported["complete"] is True and exported["fft_rating"] == "poor"
    assert exported["inclusion"] == {
        "home_internet": {"status": "answered", "value": "no"},
        "own_device": {"status": "answered", "value": ["smartphone", "basic_phone"]},
        "needs_help_online": {"status": "skipped", "value": None},
    }
    assert exported["analysed"] is True
    assert exported["risk_level"] in ("high", "medium", "low", "unknown")
    [comment] = exported["comments"]
    assert comment["question"] == "fft_what_could_improve"
    assert comment["redacted_text"].endswith("[NAME], [PHONE]")
    assert comment["withheld"] is False
    assert "Patel" not in body and "07700" not in body and "900123" not in body
    assert response.get_json()["next_cursor"] is None


def test_the_export_reads_the_redacted_text_never_the_text_as_written(client, db, token,
                                                                      service):
    submitted = submit(service, improve="The nurse was kind.")
    answer = next(a for a in submitted.current_version.answers if a.text)
    answer.text = "WRITTEN BY HAND +447700900123"
    db.session.commit()

    body = call(client, "GET", "/responses", token).get_data(as_text=True)

    assert "The nurse was kind." in body
    assert "WRITTEN" not in body and "+4477" not in body


def test_a_comment_waiting_for_safeguarding_review_is_withheld(client, db, token, service):
    submit(service, improve="Some days I want to end my life.")
    body = call(client, "GET", "/responses", token).get_data(as_text=True)
    [comment] = json.loads(body)["responses"][0]["comments"]
    assert comment["withheld"] is True and comment["redacted_text"] is None
    assert "end my life" not in body


def test_held_back_paper_sheets_are_not_exported_until_released(client, db, token, service):
    kept = submit(service)
    held = submit(service, channel="paper")
    held.held_back = True
    db.session.commit()

    ids = [r["id"] for r in call(client, "GET", "/responses", token).get_json()["responses"]]

    assert ids == [kept.id]


def test_a_response_not_yet_analysed_is_exported_without_analysis(client, db, token, service):
    submitted = submit(service, improve="Dr Patel rang.")
    db.session.delete(db.session.scalar(
        select(ResponseAnalysis).where(ResponseAnalysis.response_id == submitted.id)))
    db.session.commit()

    response = call(client, "GET", "/responses", token)

    [exported] = response.get_json()["responses"]
    assert (exported["analysed"], exported["risk_level"], exported["comments"]) == (
        False, None, [])
    assert exported["fft_rating"] == "good"
    assert "Patel" not in response.get_data(as_text=True)


def test_pages_follow_the_cursor_and_hold_steady_while_responses_arrive(client, db, token,
                                                                        service):
    made = [submit(service).id for _ in range(5)]
    seen, cursor, pages = [], 0, 0
    while cursor is not None:
        page = call(client, "GET", f"/responses?limit=2&cursor={cursor}", token).get_json()
        assert len(page["responses"]) <= 2
        seen += [r["id"] for r in page["responses"]]
        cursor, pages = page["next_cursor"], pages + 1
        if pages == 1:
            made.append(submit(service).id)  # arrives mid-way: lands after what was seen
    assert seen == made == sorted(made)
    assert pages == 3  # 6 responses, 2 a page, and the last page says it is the last
    assert call(client, "GET", f"/responses?cursor={made[-1]}", token).get_json() == {
        "responses": [], "next_cursor": None}


def test_a_period_gives_the_responses_given_on_its_uk_days(client, db, token, service):
    september = submit(service, when=datetime(2026, 9, 30, 22, 30))  # 23:30 BST, 30 Sept
    october = [submit(service, when=datetime(2026, 9, 30, 23, 30)).id,  # 00:30 BST, 1 Oct
               submit(service, when=datetime(2026, 10, 31, 23, 30)).id]  # 23:30 GMT, 31 Oct
    november = submit(service, when=datetime(2026, 11, 1, 0, 0))

    def ids(query):
        return [r["id"] for r in call(client, "GET", f"/responses?{query}", token)
                .get_json()["responses"]]

    assert ids("period=2026-10") == october
    assert ids("period=2026-09") == [september.id]
    assert ids("period=2026-Q4") == [*october, november.id]
    assert ids("period=2026-W40") == [september.id, october[0]]  # 28 Sept to 4 Oct


@pytest.mark.parametrize(("query", "message"), [
    ("limit=0", "limit must be a whole number from 1 to 500"),
    ("limit=501", "limit must be a whole number from 1 to 500"),
    ("limit=-1", "limit must be"),
    ("limit=abc", "limit must be"),
    ("limit=1.5", "limit must be"),
    ("limit=", "limit must be"),
    ("limit=%205", "limit must be"),
    ("limit=%D9%A3", "limit must be"),  # an Arabic-Indic 3, which int() would take
    ("limit=" + "9" * 40, "limit must be"),
    ("cursor=-1", "cursor must be a whole number from 0"),
    ("cursor=2147483648", "cursor must be a whole number from 0 to 2147483647"),
    ("cursor=9223372036854775808", "cursor must be"),
    ("cursor=1e3", "cursor must be"),
    ("period=2026-13", "there is no month 13"),
    ("period=", "not a report period"),
    ("period=" + "x" * 100_000, "not a report period"),
    ("period=2026-10%00", "not a report period"),
    ("period=%FF%FE", "not a report period"),
    ("curser=5", "Unknown query parameter 'curser'"),
    ("limit=5&limit=6", "limit is given more than once"),
])
def test_bad_query_parameters_get_400_naming_the_problem(client, db, token, query, message):
    response = call(client, "GET", f"/responses?{query}", token)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"] == "bad_request"
    assert message in response.get_json()["message"]
    assert len(response.get_json()["message"]) < 300


def test_a_page_takes_as_many_queries_for_many_responses_as_for_few(client, db, token, service):
    for _ in range(12):
        submit(service, improve="The video kept freezing and Dr Patel never rang back.")
    call(client, "GET", "/responses?limit=1", token)  # the token's last use is saved once
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call(client, "GET", "/responses?limit=2", token)
        few = len(statements)
        statements.clear()
        page = call(client, "GET", "/responses?limit=12", token).get_json()
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(page["responses"]) == 12 and all(r["comments"] for r in page["responses"])
    assert many == few, statements
