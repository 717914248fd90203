"""Forged credentials of every kind are refused: API tokens, Twilio signatures, session
cookies and CSRF tokens.

The API and CSRF-protected routes come from the URL map, so a route added later is tried too.
"""

import base64
import json
import re

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from feedback import jobs
from feedback.extensions import csrf
from feedback.models import Role, SmsMessage
from feedback.services import api_tokens, campaigns
from sms.signature import SIGNATURE_HEADER, sign
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user

# Blueprints a browser never posts to with a cookie: a signature or a bearer token stands in.
CSRF_EXEMPT = {"sms_webhook", "api"}
EXPIRED_PAGE = "Sorry, your session has expired"


@pytest.fixture
def enqueued(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


@pytest.fixture
def survey(db):
    return create_survey(service=create_service())


@pytest.fixture
def service(survey):
    return survey.service


def fill(rule, ids: dict) -> str:
    """The rule's path with its parameters filled in, from `ids` or else 1."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)


def rules_of(app, blueprints: set[str], method: str) -> list:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.endpoint.split(".")[0] in blueprints and method in rule.methods),
                  key=lambda rule: rule.rule)


# --- API bearer tokens --------------------------------------------------------------------------


def api_calls(app, ids: dict) -> list[tuple[str, str]]:
    calls = []
    for rule in rules_of(app, {"api"}, "GET") + rules_of(app, {"api"}, "POST"):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            calls.append((method, fill(rule, ids)))
    return [*dict.fromkeys(calls), ("GET", "/api/v1/no-such-thing")]


def forged_authorizations(real: str) -> dict[str, dict]:
    """Authorization headers that must not open the API, by what is wrong with them."""
    flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
    return {
        "none": {},
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "another scheme": {"Authorization": f"Basic {real}"},
        "made up": {"Authorization": "Bearer fbk_" + "x" * 43},
        "one character changed": {"Authorization": f"Bearer {flipped}"},
        "without its prefix": {"Authorization": f"Bearer {real.removeprefix('fbk_')}"},
        "with more after it": {"Authorization": f"Bearer {real}x"},
        "too long": {"Authorization": "Bearer fbk_" + "x" * 5000},
        "SQL": {"Authorization": "Bearer fbk_' OR '1'='1"},
        "not ASCII": {"Authorization": "Bearer fbk_é\xa0ß"},
        "its hash": {"Authorization": f"Bearer {api_tokens._hash(real)}"},
    }


def assert_refused(response, where: str) -> None:
    assert response.status_code == 401, where
    assert response.is_json and response.json["error"] == "unauthorised", where
    assert response.headers["WWW-Authenticate"].startswith("Bearer"), where


def test_every_api_call_is_401_with_a_forged_token(app, client, service, enqueued):
    token, real = api_tokens.create_token(service, name="Appointments", created_by=None)
    ids = {"campaign_id": 1, "period": "2026-10"}
    calls = api_calls(app, ids)
    assert ("POST", "/api/v1/recipients") in calls
    for name, headers in forged_authorizations(real).items():
        for method, path in calls:
            body = json.dumps({"recipients": [{"phone": "07700 900123"}]})
            response = client.open(path, method=method, headers=headers, data=body,
                                   content_type="application/json")
            assert_refused(response, f"{method} {path} with a token {name}")
    # The token query parameter is not a way in either.
    assert_refused(client.get(f"/api/v1/responses?token={real}"), "token in the query")
    assert not enqueued


def test_a_revoked_or_replaced_token_is_401_at_once(client, service):
    revoked, revoked_plain = api_tokens.create_token(service, name="Old", created_by=None)
    rotated, rotated_plain = api_tokens.create_token(service, name="Rotated", created_by=None)
    headers = {"Authorization": f"Bearer {revoked_plain}"}
    assert client.get("/api/v1/reports/2026-10", headers=headers).status_code != 401
    api_tokens.revoke_token(revoked, by=None)
    _, replacement = api_tokens.rotate_token(rotated, by=None)
    # Tokens have no expiry date: revoking, or rotating (which revokes the old one), ends one.
    for plaintext in (revoked_plain, rotated_plain):
        response = client.get("/api/v1/reports/2026-10",
                              headers={"Authorization": f"Bearer {plaintext}"})
        assert_refused(response, "revoked token")
        assert "revoked" in response.json["message"]
    replaced = client.get("/api/v1/reports/2026-10",
                          headers={"Authorization": f"Bearer {replacement}"})
    assert replaced.status_code == 200


def test_a_token_opens_only_its_own_services_campaigns(client, service, enqueued):
    other = create_service(slug="other-service", name="Other service")
    create_survey(service=other)
    campaign, _ = campaigns.start_campaign(
        service=other, name="Theirs", created_by=None,
        rows=[campaigns.RecipientInput(phone="07700 900123")])
    _, mine = api_tokens.create_token(service, name="Mine", created_by=None)
    response = client.get(f"/api/v1/campaigns/{campaign.id}",
                          headers={"Authorization": f"Bearer {mine}"})
    assert response.status_code in (403, 404)
    assert "Theirs" not in response.get_data(as_text=True)


# --- Twilio signatures ---------------------------------------------------------------------------


def inbound(body: str = "1") -> dict:
    return {"MessageSid": "SM" + "3" * 32, "AccountSid": "AC" + "0" * 32,
            "From": "+447700900999", "To": "+447700900000", "Body": body, "NumMedia": "0"}


def stored_texts(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SmsMessage))


def other_scheme(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return ("https" if scheme == "http" else "http") + "://" + rest


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
def test_a_twilio_signature_with_the_wrong_token_or_for_another_url_is_refused(
    app, client, db, enqueued, path
):
    form = inbound() if path == "/sms/inbound" else {
        "MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered"}
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    token = app.config["TWILIO_AUTH_TOKEN"]
    other = "/sms/status" if path == "/sms/inbound" else "/sms/inbound"
    forged = {
        "wrong token": sign("not-" + token, base + path, form),
        "empty": "",
        "another path": sign(token, base + other, form),
        "another host": sign(token, "https://feedback.attacker.test" + path, form),
        # The URL the app is called on behind the proxy, not the public one Twilio signs.
        "the internal URL": sign(token, "http://localhost" + path, form),
        "the other scheme": sign(token, other_scheme(base) + path, form),
        "a query added": sign(token, base + path + "?next=1", form),
        "other values": sign(token, base + path, {**form, "MessageSid": "SM" + "4" * 32}),
        "another form's": sign(token, base + path, {}),
        "not base64": "%%%",
    }
    for name, signature in forged.items():
        response = client.post(path, data=form, headers={SIGNATURE_HEADER: signature})
        assert response.status_code == (401 if not signature else 403), name
    assert stored_texts(db) == 0 and not enqueued
    good = client.post(path, data=form, headers={SIGNATURE_HEADER: sign(token, base + path, form)})
    assert good.status_code == 200


def test_a_signature_made_for_one_text_does_not_let_in_a_changed_body(app, client, db, enqueued):
    base, token = app.config["PUBLIC_BASE_URL"].rstrip("/"), app.config["TWILIO_AUTH_TOKEN"]
    signature = sign(token, base + "/sms/inbound", inbound("1"))
    for body in ("5", "STOP", "1 ", "<script>window.__pwned=1</script>"):
        response = client.post("/sms/inbound", data=inbound(body),
                               headers={SIGNATURE_HEADER: signature})
        assert response.status_code == 403, body
    # Nor an extra field added to a signed form.
    response = client.post("/sms/inbound", data={**inbound("1"), "Extra": "x"},
                           headers={SIGNATURE_HEADER: signature})
    assert response.status_code == 403
    assert stored_texts(db) == 0 and not enqueued


# --- session cookies ---------------------------------------------------------------------------


def serializer(app, secret_key: str) -> URLSafeTimedSerializer:
    """How Flask signs a session cookie, with the secret key given."""
    stand_in = Flask("stand_in")
    stand_in.config.update(app.config, SECRET_KEY=secret_key)
    return SecureCookieSessionInterface().get_signing_serializer(stand_in)


def tampered_cookies(app, real: str, admin) -> dict[str, str]:
    payload, _, rest = real.partition(".")
    signed_in = {"_user_id": admin.get_id(), "_fresh": True, "staff_last_seen": 9e9}
    raw = base64.urlsafe_b64encode(json.dumps(signed_in).encode()).decode().rstrip("=")
    flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
    return {
        "signature changed": flipped,
        "payload swapped": raw + "." + rest,
        "unsigned payload": raw,
        "signed with another key": serializer(app, "not-the-key").dumps(signed_in),
        "empty": "",
        "garbage": "%00<script>';--",
        "very long": "x" * 4000,
    }


def test_a_tampered_session_cookie_is_treated_as_signed_out(app, client, db):
    admin = create_user(email="admin@nhs.test", role=Role.ADMIN)
    sign_in_as(client, admin)
    assert client.get("/admin/").status_code == 200
    real = client.get_cookie("session").value
    for name, value in tampered_cookies(app, real, admin).items():
        client.set_cookie("session", value)
        response = client.get("/admin/")
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith("/sign-in?next="), name
    # The same cookie, untouched, still works: it was the tampering that was refused.
    client.set_cookie("session", real)
    assert client.get("/admin/").status_code == 200


def test_a_tampered_cookie_on_the_survey_starts_afresh_without_an_error(app, client, service):
    client.get("/s/video-appointments")
    client.set_cookie("session", "eyJkcmFmdDp2aWRlby1hcHBvaW50bWVudHMiOiJ4In0.forged.sig")
    response = client.get("/s/video-appointments/questions/1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/s/video-appointments")


# --- CSRF tokens -------------------------------------------------------------------------------


def csrf_protected_posts(app) -> list:
    protected = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()} - CSRF_EXEMPT
    return rules_of(app, protected, "POST")


def test_only_the_twilio_webhooks_and_the_api_take_posts_without_a_csrf_token(app):
    exempt = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    changing = {"POST", "PUT", "PATCH", "DELETE"}
    # Exempting a blueprint of GET routes only (such as health) lets nothing through.
    taking_posts = {name for name in exempt if any(
        rule.endpoint.split(".")[0] == name and changing & rule.methods
        for rule in app.url_map.iter_rules())}
    assert taking_posts == CSRF_EXEMPT
    assert not csrf._exempt_views


@pytest.fixture
def staff_ids(db, survey) -> dict:
    """Real ids where there are some to hand; the CSRF check comes before any lookup."""
    volunteer = create_user(email="volunteer@nhs.test", role=Role.VOLUNTEER)
    return {"service_id": survey.service.id, "survey_id": survey.id, "user_id": volunteer.id,
            "slug": survey.service.slug, "token": "not-a-token"}


def forged_csrf_tokens(app, client, other_client) -> dict[str, str | None]:
    """Tokens that must not pass, by what is wrong with them (None: no token sent)."""
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    others = parse(other_client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
    wrong_key = URLSafeTimedSerializer("not-the-key", salt="wtf-csrf-token").dumps(raw)
    return {"missing": None, "empty": "", "made up": "x" * 40, "another session's": others,
            "signed with another key": wrong_key, "the raw session value": raw}


def test_every_csrf_protected_post_is_400_with_a_missing_or_forged_token(
    app, client, db, staff_ids, new_audit_events
):
    admin = create_user(email="admin@nhs.test", role=Role.ADMIN)
    admin.can_review_safeguarding = True
    db.session.commit()
    sign_in_as(client, admin)
    real = parse(client.get("/admin/staff/invite")).select_one("input[name=csrf_token]")["value"]
    tokens = forged_csrf_tokens(app, client, app.test_client())
    rules = csrf_protected_posts(app)
    endpoints = {rule.endpoint for rule in rules}
    assert {"admin.invite", "volunteer.new_sheet", "safeguarding.review",
            "reports.new_campaign", "auth.sign_out"} <= endpoints
    for rule in rules:
        path = fill(rule, staff_ids)
        for name, token in tokens.items():
            data = {"name": "Eve", "email": "eve@nhs.test", "role": "admin", "note": "x"}
            if token is not None:
                data["csrf_token"] = token
            response = client.post(path, data=data)
            where = f"POST {path} with a token {name}"
            assert response.status_code == 400, where
            assert EXPIRED_PAGE in parse(response, 400).h1.get_text(), where
    assert new_audit_events() == []
    # The real token would have worked: it was the forgery that was refused.
    response = client.post("/admin/staff/invite", data={
        "csrf_token": real, "name": "Eve", "email": "eve@nhs.test", "role": "volunteer"})
    assert response.status_code == 200 and new_audit_events()
