"""Signing webhooks as Twilio does and checking the signature."""

import base64
import hashlib
import hmac

import pytest

from sms.signature import is_valid_signature, public_url, sign

TOKEN = "test-auth-token"
URL = "https://feedback.example.nhs.uk/sms/inbound?survey=7&lang=cy"
PARAMS = {"MessageSid": "SM" + "a" * 32, "From": "+447700900123", "Body": "Diolch ŵ"}


class MultiValueForm(dict):
    """The part of Werkzeug's MultiDict that RequestValidator uses."""

    def getlist(self, key):
        return self[key]


def test_signature_round_trips_with_a_query_string():
    assert is_valid_signature(TOKEN, URL, PARAMS, sign(TOKEN, URL, PARAMS))


def test_signature_is_hmac_sha1_of_url_and_sorted_params():
    # Twilio's documented scheme, computed independently of the twilio library.
    text = URL + "".join(name + PARAMS[name] for name in sorted(PARAMS))
    digest = hmac.new(TOKEN.encode(), text.encode(), hashlib.sha1).digest()
    assert sign(TOKEN, URL, PARAMS) == base64.b64encode(digest).decode()


def test_signature_accepts_a_multi_value_form():
    form = MultiValueForm({k: [v] for k, v in PARAMS.items()})
    assert is_valid_signature(TOKEN, URL, form, sign(TOKEN, URL, PARAMS))


def test_signature_ignores_a_default_port_in_the_url():
    signature = sign(TOKEN, URL, PARAMS)
    with_port = URL.replace("nhs.uk/", "nhs.uk:443/")
    assert is_valid_signature(TOKEN, with_port, PARAMS, signature)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (URL, {**PARAMS, "Body": "Diolch w"}),
        (URL, {**PARAMS, "Extra": "1"}),
        (URL.replace("survey=7", "survey=8"), PARAMS),
        (URL.split("?")[0], PARAMS),
        (URL.replace("https://", "http://"), PARAMS),
        (URL.replace("feedback.", "phish."), PARAMS),
    ],
)
def test_signature_fails_when_params_or_url_were_tampered_with(url, params):
    assert not is_valid_signature(TOKEN, url, params, sign(TOKEN, URL, PARAMS))


def test_signature_fails_with_another_auth_token():
    assert not is_valid_signature("other-token", URL, PARAMS, sign(TOKEN, URL, PARAMS))


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature_fails(signature):
    assert not is_valid_signature(TOKEN, URL, PARAMS, signature)


def test_empty_auth_token_never_validates():
    assert not is_valid_signature("", URL, PARAMS, sign("", URL, PARAMS))


@pytest.mark.parametrize(
    ("base", "path", "query", "expected"),
    [
        ("https://feedback.example.nhs.uk", "/sms/inbound", "",
         "https://feedback.example.nhs.uk/sms/inbound"),
        ("https://feedback.example.nhs.uk/", "/sms/inbound", "a=1&b=%2B44",
         "https://feedback.example.nhs.uk/sms/inbound?a=1&b=%2B44"),
        ("https://feedback.example.nhs.uk", "sms/status", "?id=5",
         "https://feedback.example.nhs.uk/sms/status?id=5"),
        ("https://example.nhs.uk/feedback", "/sms/inbound", b"x=1",
         "https://example.nhs.uk/feedback/sms/inbound?x=1"),
    ],
)
def test_public_url_rebuilds_what_twilio_called_behind_a_proxy(base, path, query, expected):
    assert public_url(base, path, query) == expected


def test_signature_made_for_the_public_url_validates_against_public_url():
    called = "https://feedback.example.nhs.uk/sms/inbound?survey=7"
    signature = sign(TOKEN, called, PARAMS)
    # The app behind the proxy sees http://127.0.0.1:8000/sms/inbound.
    rebuilt = public_url("https://feedback.example.nhs.uk", "/sms/inbound", b"survey=7")
    assert is_valid_signature(TOKEN, rebuilt, PARAMS, signature)
    assert not is_valid_signature(
        TOKEN, "http://127.0.0.1:8000/sms/inbound?survey=7", PARAMS, signature
    )


@pytest.mark.parametrize("base", ["feedback.example.nhs.uk", "ftp://x.nhs.uk", "https://x?y=1"])
def test_public_url_refuses_a_base_that_is_not_an_http_url(base):
    with pytest.raises(ValueError):
        public_url(base, "/sms/inbound")
