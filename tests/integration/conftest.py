"""Fixtures shared by the integration tests: staff, and the app served over real HTTP."""

import threading

import pyotp
import pytest
from werkzeug.serving import make_server

from sms.standin import TwilioStandIn
from tests.conftest import sign_in_as
from tests.factories import create_user


@pytest.fixture
def admin(client, db):
    """An administrator with an authenticator, signed in on `client`."""
    user = create_user(email="admin@nhs.test", name="Ada Admin", role="admin",
                       totp_secret=pyotp.random_base32())
    sign_in_as(client, user)
    return user


@pytest.fixture
def volunteers(db):
    """Three volunteers: one to key a sheet, one to check it, one to resolve differences."""
    return [create_user(email=f"v{n}@nhs.test", name=f"Volunteer {n}", role="volunteer")
            for n in (1, 2, 3)]


@pytest.fixture
def live(app, db, monkeypatch):
    """The app served over HTTP, with a Twilio stand-in that posts signed webhooks to it.

    The real twilio client talks to the stand-in; quiet hours are off unless a test sets them.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    standin = TwilioStandIn(account_sid=app.config["TWILIO_ACCOUNT_SID"],
                            auth_token=app.config["TWILIO_AUTH_TOKEN"],
                            phone_number=app.config["TWILIO_FROM_NUMBER"],
                            inbound_url=f"{base_url}/sms/inbound")
    standin.start()
    monkeypatch.setitem(app.config, "TWILIO_API_BASE_URL", standin.base_url)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base_url)
    monkeypatch.setitem(app.config, "SMS_QUIET_HOURS", (24, 0))
    app.extensions.pop("feedback.twilio", None)
    yield standin
    standin.stop()
    server.shutdown()
    app.extensions.pop("feedback.twilio", None)
