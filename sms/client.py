"""Sending SMS with the twilio library, to Twilio or, when api_base_url is set, to the stand-in."""

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from requests import exceptions as requests_errors
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from sms.encoding import MAX_BODY_CHARACTERS, segments
from sms.phone import mask_phone

logger = logging.getLogger(__name__)

# Seconds to connect, and again to wait for an answer: a job that sends must not hang, and a
# retry later is cheaper than a worker stuck on a dead connection.
REQUEST_TIMEOUT_SECONDS = 10.0
OPTED_OUT_CODES = frozenset({21610})  # the recipient texted STOP
INVALID_NUMBER_CODES = frozenset({21211, 21614})  # not a number; not a mobile
_RETRYABLE_NETWORK_ERRORS = (
    requests_errors.ConnectionError, requests_errors.Timeout, requests_errors.ChunkedEncodingError
)


@dataclass(frozen=True)
class TwilioSettings:
    """Twilio credentials and sender; set ``api_base_url`` to use a stand-in instead."""

    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_base_url: str | None = None  # None means the real Twilio

    def __post_init__(self) -> None:
        if not self.account_sid or not self.auth_token:
            raise ValueError("Twilio needs both an account SID and an auth token")
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("Twilio needs a from number or a messaging service SID")
        if self.api_base_url is not None:
            _check_base_url(self.api_base_url)


@dataclass(frozen=True)
class SentMessage:
    """What Twilio answered when it accepted a message."""

    sid: str
    status: str  # "queued", or "accepted" through a messaging service
    segments: int


class SmsSendError(Exception):
    """Twilio did not take the message; the flags tell the caller what to do next."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
        opted_out: bool = False,
        invalid_number: bool = False,
    ):
        super().__init__(message)
        self.code = code  # Twilio's error code, e.g. 21610
        self.http_status = http_status  # None when Twilio could not be reached
        self.retryable = retryable  # try again later: throttled, Twilio down, network error
        self.opted_out = opted_out  # the recipient has opted out; never retry
        self.invalid_number = invalid_number  # the number cannot receive SMS; never retry


class StandInHttpClient(TwilioHttpClient):
    """A twilio HTTP client that sends every request for https://*.twilio.com to a stand-in."""

    def __init__(self, api_base_url: str, timeout: float = REQUEST_TIMEOUT_SECONDS):
        super().__init__(timeout=timeout)
        _check_base_url(api_base_url)
        self.api_base_url = api_base_url.rstrip("/")
        if self.session is not None:
            self.session.trust_env = False  # the stand-in is local: ignore proxy settings

    def rewrite(self, url: str) -> str:
        """Swap the scheme and host of a Twilio URL for the stand-in's; keep path and query."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
            return url
        base = urlsplit(self.api_base_url)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))

    def request(self, method: str, url: str, *args, **kwargs) -> Response:
        """Make the request the twilio library asked for, at the stand-in."""
        return super().request(method, self.rewrite(url), *args, **kwargs)


def build_client(settings: TwilioSettings) -> Client:
    """Build the real twilio Client, pointed at the stand-in when settings say so."""
    if settings.api_base_url:
        http_client: TwilioHttpClient = StandInHttpClient(settings.api_base_url)
    else:
        http_client = TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
    return Client(settings.account_sid, settings.auth_token, http_client=http_client)


def send_sms(
    client: Client,
    settings: TwilioSettings,
    *,
    to: str,
    body: str,
    status_callback: str | None = None,
) -> SentMessage:
    """Ask Twilio to send ``body`` to ``to`` (E.164), from the messaging service if set.

    The body is sent as given: sanitise it first if it should be (see :mod:`sms.encoding`).

    :param status_callback: public URL Twilio posts delivery statuses to.
    :raise ValueError: when the body is empty or longer than Twilio allows.
    :raise SmsSendError: when Twilio refuses the message or cannot be reached.
    """
    if not body or len(body) > MAX_BODY_CHARACTERS:
        raise ValueError(f"an SMS body has 1 to {MAX_BODY_CHARACTERS} characters")
    options: dict[str, str] = {}
    if settings.messaging_service_sid:
        options["messaging_service_sid"] = settings.messaging_service_sid
    else:
        options["from_"] = settings.from_number or ""
    if status_callback:
        options["status_callback"] = status_callback
    try:
        message = client.messages.create(to=to, body=body, **options)
    except TwilioException as exc:
        error = _error_from_twilio(exc)
        logger.warning("Twilio refused an SMS to %s: %s", mask_phone(to), error,
                       extra={"twilio_code": error.code, "http_status": error.http_status})
        raise error from exc
    except requests_errors.RequestException as exc:
        retryable = isinstance(exc, _RETRYABLE_NETWORK_ERRORS)
        logger.warning("Could not reach Twilio to send an SMS: %s", type(exc).__name__)
        raise SmsSendError(f"could not reach Twilio ({type(exc).__name__})",
                           retryable=retryable) from exc
    counted = int(message.num_segments) if (message.num_segments or "").isdigit() else None
    sent = SentMessage(
        sid=message.sid or "",
        status=str(message.status or ""),
        segments=counted or segments(body).segments,
    )
    logger.info("Twilio accepted SMS %s to %s", sent.sid, mask_phone(to),
                extra={"message_sid": sent.sid, "segments": sent.segments})
    return sent


def _error_from_twilio(exc: TwilioException) -> SmsSendError:
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    retryable = status is not None and (status == 429 or status >= 500)
    # Twilio's messages can quote the phone number, so only the numbers go in ours.
    return SmsSendError(
        f"Twilio error {code} (HTTP {status})",
        code=code,
        http_status=status,
        retryable=retryable,
        opted_out=code in OPTED_OUT_CODES,
        invalid_number=code in INVALID_NUMBER_CODES,
    )


def _check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"not a base URL: {url!r}")
