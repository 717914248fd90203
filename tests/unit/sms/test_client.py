"""Settings, the stand-in URL rewrite, and turning Twilio's errors into SmsSendError."""

from types import SimpleNamespace

import pytest
from requests import exceptions as requests_errors
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from sms.client import (
    SentMessage,
    SmsSendError,
    StandInHttpClient,
    TwilioSettings,
    build_client,
    send_sms,
)

SETTINGS = TwilioSettings("AC" + "1" * 32, "token", from_number="+447700900000")
SERVICE = TwilioSettings("AC" + "1" * 32, "token", messaging_service_sid="MG" + "2" * 32)


class FakeMessages:
    """Stands in for client.messages: records create() and answers or raises."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def create(self, **kwargs):
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def fake_client(answer):
    return SimpleNamespace(messages=FakeMessages(answer))


def queued(num_segments="1"):
    return SimpleNamespace(sid="SM" + "3" * 32, status="queued", num_segments=num_segments)


def test_settings_need_credentials_and_a_sender():
    with pytest.raises(ValueError):
        TwilioSettings("", "token", from_number="+447700900000")
    with pytest.raises(ValueError):
        TwilioSettings("AC1", "", from_number="+447700900000")
    with pytest.raises(ValueError):
        TwilioSettings("AC1", "token")
    with pytest.raises(ValueError):
        TwilioSettings("AC1", "token", from_number="+447700900000", api_base_url="127.0.0.1:8025")


def test_settings_never_show_the_auth_token():
    assert "token" not in repr(TwilioSettings("AC1", "s3cret-token", from_number="+1"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
         "http://127.0.0.1:8025/2010-04-01/Accounts/AC1/Messages.json"),
        ("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5",
         "http://127.0.0.1:8025/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"),
        ("https://example.com/twilio.com", "https://example.com/twilio.com"),
        ("https://eviltwilio.com/x", "https://eviltwilio.com/x"),
        ("http://api.twilio.com/x", "http://api.twilio.com/x"),
    ],
)
def test_stand_in_client_rewrites_only_twilio_urls(url, expected):
    assert StandInHttpClient("http://127.0.0.1:8025/").rewrite(url) == expected


def test_stand_in_client_keeps_a_path_prefix_of_the_base_url():
    client = StandInHttpClient("http://127.0.0.1:8025/twilio")
    assert client.rewrite("https://api.twilio.com/a.json") == "http://127.0.0.1:8025/twilio/a.json"


def test_build_client_uses_a_short_timeout_and_the_stand_in_only_when_asked():
    real = build_client(SETTINGS)
    assert type(real.http_client) is TwilioHttpClient
    assert real.http_client.timeout == 10
    local = build_client(TwilioSettings(
        "AC" + "1" * 32, "token", from_number="+1", api_base_url="http://127.0.0.1:1"
    ))
    assert isinstance(local.http_client, StandInHttpClient)
    assert local.http_client.timeout == 10


def test_send_uses_the_from_number_and_status_callback():
    client = fake_client(queued("2"))
    sent = send_sms(client, SETTINGS, to="+447700900123", body="Hi", status_callback="https://x/s")
    assert sent == SentMessage(sid="SM" + "3" * 32, status="queued", segments=2)
    assert client.messages.calls == [{
        "to": "+447700900123", "body": "Hi", "from_": "+447700900000",
        "status_callback": "https://x/s",
    }]


def test_send_prefers_the_messaging_service_and_leaves_out_an_absent_callback():
    client = fake_client(queued())
    send_sms(client, SERVICE, to="+447700900123", body="Hi")
    assert client.messages.calls == [
        {"to": "+447700900123", "body": "Hi", "messaging_service_sid": "MG" + "2" * 32}
    ]


def test_send_counts_segments_itself_when_twilio_does_not_say():
    sent = send_sms(fake_client(queued(None)), SETTINGS, to="+447700900123", body="ŵ" * 71)
    assert sent.segments == 2


@pytest.mark.parametrize("body", ["", "a" * 1601])
def test_send_refuses_a_body_twilio_would_refuse(body):
    with pytest.raises(ValueError):
        send_sms(fake_client(queued()), SETTINGS, to="+447700900123", body=body)


def rest_error(status, code):
    return TwilioRestException(status, "https://api.twilio.com/x", "Unable to create", code, "POST")


@pytest.mark.parametrize(
    ("error", "flags"),
    [
        (rest_error(429, 20429), dict(retryable=True, opted_out=False, invalid_number=False)),
        (rest_error(500, 20500), dict(retryable=True, opted_out=False, invalid_number=False)),
        (rest_error(503, 20503), dict(retryable=True, opted_out=False, invalid_number=False)),
        (rest_error(401, 20003), dict(retryable=False, opted_out=False, invalid_number=False)),
        (rest_error(400, 21610), dict(retryable=False, opted_out=True, invalid_number=False)),
        (rest_error(400, 21211), dict(retryable=False, opted_out=False, invalid_number=True)),
        (rest_error(400, 21614), dict(retryable=False, opted_out=False, invalid_number=True)),
    ],
)
def test_twilio_errors_become_send_errors_that_say_what_to_do(error, flags):
    with pytest.raises(SmsSendError) as caught:
        send_sms(fake_client(error), SETTINGS, to="+447700900123", body="Hi")
    sent_error = caught.value
    assert (sent_error.code, sent_error.http_status) == (error.code, error.status)
    assert {name: getattr(sent_error, name) for name in flags} == flags
    assert "+447700900123" not in str(sent_error)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (requests_errors.ConnectionError("refused"), True),
        (requests_errors.ConnectTimeout("slow"), True),
        (requests_errors.ReadTimeout("slow"), True),
        (requests_errors.InvalidURL("bad"), False),
    ],
)
def test_network_errors_become_send_errors(error, retryable):
    with pytest.raises(SmsSendError) as caught:
        send_sms(fake_client(error), SETTINGS, to="+447700900123", body="Hi")
    assert caught.value.retryable is retryable
    assert caught.value.http_status is None
