"""The Twilio webhooks refuse what Twilio did not sign, and take bad input calmly."""

import pytest
from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.models import SmsMessage
from sms.signature import SIGNATURE_HEADER, sign

URL = "/sms/inbound"


@pytest.fixture
def client(app, db):
    """The Flask test client (this folder's conftest calls the twilio client `client`)."""
    return app.test_client()


def signed_post(client, app, path, form, *, signature=None):
    url = app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    header = sign(app.config["TWILIO_AUTH_TOKEN"], url, form) if signature is None else signature
    headers = {SIGNATURE_HEADER: header} if header else {}
    return client.post(path, data=form, headers=headers)


def inbound(body="1", sid="SM" + "1" * 32, **extra):
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+447700900999",
            "To": "+447700900000", "Body": body, "NumMedia": "0", **extra}


def inbound_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(SmsMessage))


def test_missing_signature_is_401_and_logged(client, app, caplog):
    response = client.post(URL, data=inbound())
    assert response.status_code == 401
    assert "without a signature" in caplog.text
    assert inbound_count() == 0


def test_wrong_signature_is_403_and_logged(client, app, caplog):
    response = signed_post(client, app, URL, inbound(), signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert "wrong signature" in caplog.text


def test_signature_over_other_parameters_is_refused(client, app):
    form = inbound(body="1")
    good = sign(app.config["TWILIO_AUTH_TOKEN"], app.config["PUBLIC_BASE_URL"] + URL, form)
    response = client.post(URL, data={**form, "Body": "5"}, headers={SIGNATURE_HEADER: good})
    assert response.status_code == 403


def test_a_signed_message_is_stored_and_acknowledged_with_empty_twiml(client, app):
    response = signed_post(client, app, URL, inbound())
    assert response.status_code == 200
    assert response.mimetype == "text/xml" and "<Response></Response>" in response.text
    assert inbound_count() == 1


def test_the_same_message_sid_is_stored_once(client, app):
    for _ in range(3):
        assert signed_post(client, app, URL, inbound()).status_code == 200
    assert inbound_count() == 1


@pytest.mark.parametrize("body", ["", "😀👍", "x" * 1600, "ڈاکٹر بہت مہربان تھے۔", "a\x00b"])
def test_odd_bodies_are_stored_without_fuss(client, app, body):
    assert signed_post(client, app, URL, inbound(body=body)).status_code == 200
    assert inbound_count() == 1


def test_a_picture_without_words_is_stored(client, app):
    form = inbound(body="", NumMedia="1", MediaUrl0="https://example.test/x.jpg")
    assert signed_post(client, app, URL, form).status_code == 200
    assert _db.session.scalars(select(SmsMessage)).one().num_media == 1


@pytest.mark.parametrize("broken", [
    {"MessageSid": "not-a-sid"}, {"From": ""}, {"From": "whatsapp:+447700900999"},
])
def test_a_malformed_payload_is_400_and_stores_nothing(client, app, broken, caplog):
    response = signed_post(client, app, URL, {**inbound(), **broken})
    assert response.status_code == 400
    assert inbound_count() == 0
    assert "Inbound text refused" in caplog.text


def test_status_for_an_unknown_text_is_acknowledged(client, app):
    form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered",
            "AccountSid": "AC" + "0" * 32, "To": "+447700900999"}
    assert signed_post(client, app, "/sms/status", form).status_code == 200


def test_webhook_is_only_a_post(client, app):
    assert client.get(URL).status_code in (401, 405)
