"""Staff sign-in, second factors, invitations, throttling, sessions and security headers."""

import time

import pyotp
import pytest
from sqlalchemy import select

from feedback import create_app
from feedback.config import TestConfig
from feedback.models import Invitation, RecoveryCode, User
from feedback.services import users
from tests.conftest import parse
from tests.factories import PASSWORD, create_user


def csrf(client, url) -> str:
    return parse(client.get(url)).select_one("input[name=csrf_token]")["value"]


def sign_in(client, email, password=PASSWORD):
    return client.post("/sign-in", data={
        "csrf_token": csrf(client, "/sign-in"), "email": email, "password": password})


def enter_code(client, code, url="/sign-in/code"):
    return client.post(url, data={"csrf_token": csrf(client, url), "code": code})


@pytest.fixture
def secret():
    return pyotp.random_base32()


def test_volunteer_signs_in_with_a_password_alone(client, new_audit_events):
    create_user(email="vol@nhs.test", role="volunteer")
    response = sign_in(client, "VOL@nhs.test ")
    assert response.headers["Location"] == "/staff"
    assert client.get("/staff").headers["Location"] == "/volunteer/"
    assert client.get("/volunteer/").status_code == 200
    assert [e.action for e in new_audit_events()] == ["sign_in"]


def test_service_lead_needs_a_code_from_their_authenticator(client, secret, new_audit_events):
    create_user(email="lead@nhs.test", role="service_lead", totp_secret=secret)
    assert sign_in(client, "lead@nhs.test").headers["Location"] == "/sign-in/code"
    assert client.get("/reports/").status_code == 302  # not signed in yet
    assert enter_code(client, "000000").status_code == 400
    response = enter_code(client, pyotp.TOTP(secret).now())
    assert response.headers["Location"] == "/staff"
    assert client.get("/reports/").status_code == 200
    assert [e.action for e in new_audit_events()] == ["second_factor_failed", "sign_in"]


def test_a_code_cannot_be_used_twice(client, secret):
    user = create_user(email="lead@nhs.test", totp_secret=secret)
    code = pyotp.TOTP(secret).now()
    assert users.verify_second_factor(user, code)
    assert not users.verify_second_factor(user, code)


def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes_once(
    client, db, new_audit_events
):
    create_user(email="admin@nhs.test", role="admin")
    assert sign_in(client, "admin@nhs.test").headers["Location"] == "/sign-in/set-up-authenticator"
    page = parse(client.get("/sign-in/set-up-authenticator"))
    assert page.select_one(".app-qr-code svg") is not None
    user = db.session.scalar(select(User).where(User.email == "admin@nhs.test"))
    response = enter_code(client, pyotp.TOTP(user.totp_secret).now(),
                          url="/sign-in/set-up-authenticator")
    assert response.headers["Location"] == "/sign-in/recovery-codes"
    codes = [c.text for c in parse(client.get("/sign-in/recovery-codes")).select("ul code")]
    assert len(codes) == 10
    response = client.post("/sign-in/recovery-codes",
                           data={"csrf_token": csrf(client, "/sign-in/recovery-codes")})
    assert response.headers["Location"] == "/staff"
    assert client.get("/admin/").status_code == 200
    # Shown once: the page is gone, and only hashes are stored.
    assert client.get("/sign-in/recovery-codes").status_code == 302
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert not set(codes) & set(stored)
    assert "second_factor_enrolled" in [e.action for e in new_audit_events()]


def test_a_recovery_code_signs_in_once(client, db, secret):
    user = create_user(email="lead@nhs.test", totp_secret=secret)
    codes = users._new_recovery_codes(user)
    db.session.commit()
    sign_in(client, "lead@nhs.test")
    assert enter_code(client, codes[0].upper()).headers["Location"] == "/staff"
    client.post("/sign-out", data={"csrf_token": csrf(client, "/reports/")})
    sign_in(client, "lead@nhs.test")
    assert enter_code(client, codes[0]).status_code == 400


@pytest.mark.parametrize(("email", "password"), [
    ("lead@nhs.test", "wrong password entirely"),
    ("nobody@nhs.test", PASSWORD),
])
def test_failed_sign_in_does_not_say_whether_the_account_exists(
    client, email, password, new_audit_events
):
    create_user(email="lead@nhs.test")
    soup = parse(sign_in(client, email, password), 400)
    assert "The email address or password is not right" in soup.select_one(
        ".nhsuk-error-summary").text
    [event] = new_audit_events()
    assert (event.action, event.actor_email) == ("sign_in_failed", email)


def test_deactivated_account_cannot_sign_in(client):
    create_user(email="vol@nhs.test", role="volunteer", active=False)
    assert sign_in(client, "vol@nhs.test").status_code == 400


def test_deactivating_an_account_ends_its_sessions_at_once(app, db, client):
    admin = create_user(email="admin@nhs.test", role="admin")
    volunteer = create_user(email="vol@nhs.test", role="volunteer")
    sign_in(client, "vol@nhs.test")
    assert client.get("/volunteer/").status_code == 200
    users.set_active(volunteer, active=False, changed_by=admin)
    response = client.get("/volunteer/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_changing_a_role_ends_the_persons_sessions(db, client):
    admin = create_user(email="admin@nhs.test", role="admin")
    volunteer = create_user(email="vol@nhs.test", role="volunteer")
    sign_in(client, "vol@nhs.test")
    users.update_access(volunteer, role="service_lead", service_ids=[], changed_by=admin)
    assert client.get("/volunteer/").headers["Location"].startswith("/sign-in")


def test_staff_are_signed_out_after_the_idle_timeout(client, new_audit_events):
    create_user(email="vol@nhs.test", role="volunteer")
    sign_in(client, "vol@nhs.test")
    with client.session_transaction() as session:
        session["staff_last_seen"] = time.time() - 31 * 60
    response = client.get("/volunteer/")
    assert response.headers["Location"] == "/sign-in?expired=1"
    assert client.get("/volunteer/").status_code == 302
    assert "session_expired" in [e.action for e in new_audit_events()]


def test_sign_out_is_a_post_and_ends_the_session(client, new_audit_events):
    create_user(email="vol@nhs.test", role="volunteer")
    sign_in(client, "vol@nhs.test")
    assert client.get("/sign-out").status_code == 405
    client.post("/sign-out", data={"csrf_token": csrf(client, "/volunteer/")})
    assert client.get("/volunteer/").status_code == 302
    assert new_audit_events()[-1].action == "sign_out"


def test_forms_without_a_csrf_token_are_refused(client):
    create_user(email="vol@nhs.test", role="volunteer")
    response = client.post("/sign-in", data={"email": "vol@nhs.test", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/volunteer/").status_code == 302


def test_invitation_link_sets_a_password_once(app, db, client, new_audit_events):
    admin = create_user(email="admin@nhs.test", role="admin")
    user, token = users.invite_user(email="New.Person@NHS.test", name="New Person",
                                    role="volunteer", service_ids=[], invited_by=admin,
                                    lifetime=app.config["INVITATION_LIFETIME"])
    assert db.session.scalar(select(Invitation.token_hash)) != token  # only a hash is kept
    url = f"/invitations/{token}"
    weak = client.post(url, data={"csrf_token": csrf(client, url), "password": "password123",
                                  "confirm": "password123"})
    assert "at least 12 characters" in parse(weak, 400).select_one(".nhsuk-error-summary").text
    common = client.post(url, data={"csrf_token": csrf(client, url),
                                    "password": "passwordpassword", "confirm": "passwordpassword"})
    assert "too easy to guess" in parse(common, 400).text
    strong = "violet tractor lantern"
    done = client.post(url, data={"csrf_token": csrf(client, url), "password": strong,
                                  "confirm": strong})
    assert done.headers["Location"] == "/sign-in"
    assert client.get(url).status_code == 410  # used
    assert sign_in(client, "new.person@nhs.test", strong).headers["Location"] == "/staff"
    assert [e.action for e in new_audit_events()] == ["user_invited", "invitation_accepted",
                                                      "sign_in"]


def test_expired_invitation_link_does_not_work(app, db, client):
    admin = create_user(email="admin@nhs.test", role="admin")
    _, token = users.invite_user(email="late@nhs.test", name="Late", role="volunteer",
                                 service_ids=[], invited_by=admin, lifetime=-app.config[
                                     "INVITATION_LIFETIME"])
    assert client.get(f"/invitations/{token}").status_code == 410
    assert client.get("/invitations/made-up-token").status_code == 410


class ThrottledConfig(TestConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    SIGN_IN_ACCOUNT_LIMIT = "3 per 15 minutes"
    SIGN_IN_ADDRESS_LIMIT = "6 per 15 minutes"


@pytest.fixture
def throttled(second_app):
    return second_app(ThrottledConfig)


def test_sign_in_is_throttled_per_account_with_a_clear_message(throttled):
    with throttled.app_context():
        create_user(email="lead@nhs.test")
    client = throttled.test_client()
    statuses = [sign_in(client, "lead@nhs.test", "wrong guess number x").status_code
                for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    # Even the right password waits: the account is paused, whoever is trying.
    locked = sign_in(client, "lead@nhs.test")
    assert locked.status_code == 429
    assert "Too many attempts" in parse(locked, 429).h1.text
    # Another account from the same address is not locked out.
    assert sign_in(client, "other@nhs.test", "also wrong password").status_code == 400


def test_sign_in_is_throttled_per_address(throttled):
    client = throttled.test_client()
    statuses = [sign_in(client, f"person{i}@nhs.test", "wrong guess").status_code
                for i in range(7)]
    assert statuses[:6] == [400] * 6 and statuses[6] == 429


@pytest.mark.parametrize("path", ["/", "/sign-in", "/health", "/no-such-page", "/admin/"])
def test_security_headers_are_on_every_response(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_production_adds_hsts_and_secure_cookies(monkeypatch, app):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    production = create_app()
    production.config["RATELIMIT_ENABLED"] = False
    response = production.test_client().get("/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_staff_pages_are_never_cached(client):
    create_user(email="vol@nhs.test", role="volunteer")
    sign_in(client, "vol@nhs.test")
    assert client.get("/volunteer/").headers["Cache-Control"] == "no-store"


def test_running_low_on_recovery_codes_is_flagged_only_after_some_were_used(client, db, secret):
    user = create_user(email="lead@nhs.test", totp_secret=secret)
    assert users.running_low_on_recovery_codes(user) is None  # never had any: nothing to say
    codes = users._new_recovery_codes(user)
    db.session.commit()
    for code in codes[:7]:
        assert users.verify_second_factor(user, code)
    assert users.running_low_on_recovery_codes(user) == 3
