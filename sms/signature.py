"""X-Twilio-Signature: check it on our webhooks, and compute it for the stand-in and tests."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def is_valid_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Whether ``signature`` is Twilio's for this request.

    :param url: the full URL Twilio called, query string included (see :func:`public_url`).
    :param params: the POST form; a multi-value form such as Flask's ``request.form`` works.
    """
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Compute the X-Twilio-Signature Twilio would send for a POST of ``params`` to ``url``."""
    return RequestValidator(auth_token).compute_signature(url, params)


def public_url(public_base_url: str, path: str, query: str | bytes = "") -> str:
    """Rebuild the URL Twilio called, when a proxy hides it from the app.

    :param public_base_url: scheme and host people reach us on, e.g.
        "https://feedback.example.nhs.uk", possibly with a path prefix.
    :param path: the request path as the app saw it, e.g. "/sms/inbound".
    :param query: the raw query string, without "?" (Flask's ``request.query_string`` works).
    :raise ValueError: when ``public_base_url`` is not an http(s) URL.
    """
    parts = urlsplit(public_base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"not a base URL: {public_base_url!r}")
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")  # Twilio sends it percent-encoded: ASCII
    query = query.removeprefix("?")
    url = public_base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url
