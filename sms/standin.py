"""A local Twilio stand-in: the Messages API, status callbacks and inbound webhooks, offline.

It answers the twilio library as Twilio does, so the app and its tests use the real client
(see :class:`sms.client.StandInHttpClient`) without the internet or real credentials. Run it::

    python -m sms.standin --port 8025 --inbound-url http://127.0.0.1:5000/sms/inbound

and set the app's Twilio settings to ``api_base_url="http://127.0.0.1:8025"`` with the fixed
development credentials below. They are not secrets and work nowhere else:

- ``DEV_ACCOUNT_SID``: "AC" and 32 zeros, shaped like a real account SID;
- ``DEV_AUTH_TOKEN``: "standin-auth-token-not-secret", which signs the stand-in's webhooks;
- ``DEV_PHONE_NUMBER``: +447700900000, our number, from Ofcom's drama range that reaches nobody.

Besides the Messages API, a small JSON control API (HTTP basic auth with the same account SID
and auth token, because it can make signed webhooks) serves a development "phone" page:
``GET /_standin/messages?to=+44...``, ``GET /_standin/conversation?number=+44...`` and
``POST /_standin/inbound`` with ``{"from": "+44...", "body": "..."}``.
"""

import argparse
import base64
import hmac
import json
import logging
import re
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from sms.encoding import MAX_BODY_CHARACTERS, segments
from sms.phone import InvalidPhoneNumber, mask_phone, normalise_phone
from sms.signature import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

DEV_ACCOUNT_SID = "AC" + "0" * 32
DEV_AUTH_TOKEN = "standin-auth-token-not-secret"
DEV_PHONE_NUMBER = "+447700900000"
DEV_HOST = "127.0.0.1"
DEV_PORT = 8025
DEV_INBOUND_URL = "http://127.0.0.1:5000/sms/inbound"
API_VERSION = "2010-04-01"
# Seconds Twilio waits for a webhook to answer before it gives up.
WEBHOOK_TIMEOUT_SECONDS = 15.0
# Bytes: far above any form the Messages API takes (1,600 characters of body).
MAX_REQUEST_BYTES = 64 * 1024
# Messages the control API returns at most, newest last.
CONTROL_MESSAGE_LIMIT = 50

# Twilio itself handles these on long codes before the message reaches our webhook.
TWILIO_OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
TWILIO_OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
_DEFAULT_DELIVERY_ERRORS = {"undelivered": 30003, "failed": 30008}  # unreachable; unknown

_MESSAGES = re.compile(rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json")
_MESSAGE = re.compile(
    rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[A-Za-z0-9]+)\.json"
)
# No proxy from the environment: every address the stand-in calls is local.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class StandInMessage:
    """A message the app sent through the stand-in, or one a phone sent to the app."""

    sid: str
    account_sid: str
    direction: str  # "outbound-api" (the app sent it) or "inbound" (a phone sent it)
    to_number: str
    from_number: str
    body: str
    status: str
    num_segments: int
    date_created: datetime
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    error_code: int | None = None
    webhook_status: int | None = None  # inbound: the HTTP status the app answered

    def as_json(self) -> dict:
        """The message as the control API shows it."""
        return {
            "sid": self.sid, "direction": self.direction, "to": self.to_number,
            "from": self.from_number, "body": self.body, "status": self.status,
            "num_segments": self.num_segments, "error_code": self.error_code,
            "date_created": self.date_created.isoformat(), "webhook_status": self.webhook_status,
        }


class _ApiError(Exception):
    """An error the Messages API answers in Twilio's JSON shape."""

    def __init__(self, http_status: int, code: int, message: str):
        super().__init__(message)
        self.http_status, self.code, self.message = http_status, code, message

    def as_json(self) -> dict:
        return {
            "code": self.code, "message": self.message, "status": self.http_status,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
        }


class TwilioStandIn:
    """A threaded local HTTP server that plays Twilio for development and tests."""

    def __init__(
        self,
        *,
        account_sid: str = DEV_ACCOUNT_SID,
        auth_token: str = DEV_AUTH_TOKEN,
        host: str = DEV_HOST,
        port: int = 0,
        inbound_url: str | None = None,
        phone_number: str = DEV_PHONE_NUMBER,
        callback_delay: float = 0.0,
        webhook_timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    ):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.host = host
        self.inbound_url = inbound_url
        self.phone_number = phone_number
        self.callback_delay = callback_delay  # seconds before each status callback
        self.webhook_timeout = webhook_timeout
        self._requested_port = port
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._messages: list[StandInMessage] = []
        self._failures: deque[_ApiError] = deque()
        self._opted_out: set[str] = set()
        self._delivery: dict[str, tuple[str, int]] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> "TwilioStandIn":
        """Listen and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="twilio-standin", daemon=True,
        )
        self._thread.start()
        logger.info("Twilio stand-in listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; callbacks already under way finish on their own."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> "TwilioStandIn":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on, chosen by the system when constructed with port 0."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The URL to give TwilioSettings.api_base_url, e.g. "http://127.0.0.1:8025"."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    # Faults and delivery outcomes, for tests

    def fail_next(self, http_status: int, code: int | None = None, *, times: int = 1) -> None:
        """Make the next ``times`` sends fail with this HTTP status and Twilio error code."""
        code = code or 20000 + http_status  # 20429, 20500, 20503 are Twilio's own codes
        with self._lock:
            self._failures.extend(
                _ApiError(http_status, code, "Injected failure") for _ in range(times)
            )

    def opt_out(self, number: str) -> None:
        """Refuse sends to ``number`` with error 21610, as after the person texted STOP."""
        with self._lock:
            self._opted_out.add(_e164(number))

    def opt_in(self, number: str) -> None:
        """Accept sends to ``number`` again, as after the person texted START."""
        with self._lock:
            self._opted_out.discard(_e164(number))

    def set_delivery(self, number: str, status: str, error_code: int | None = None) -> None:
        """Make messages to ``number`` end "undelivered" or "failed" with ``error_code``."""
        if status not in _DEFAULT_DELIVERY_ERRORS:
            raise ValueError(f"status must be undelivered or failed, not {status!r}")
        with self._lock:
            self._delivery[_e164(number)] = (status, error_code or _DEFAULT_DELIVERY_ERRORS[status])

    def reset(self) -> None:
        """Forget every message, fault, opt-out and delivery outcome."""
        with self._lock:
            self._messages.clear()
            self._failures.clear()
            self._opted_out.clear()
            self._delivery.clear()

    # What happened

    def messages(self, to: str | None = None) -> list[StandInMessage]:
        """Messages the app sent, oldest first; only those to ``to`` when given."""
        number = _e164(to) if to else None
        with self._lock:
            return [m for m in self._messages if m.direction == "outbound-api"
                    and (number is None or m.to_number == number)]

    def conversation(self, number: str) -> list[StandInMessage]:
        """Messages both ways between the app and the phone ``number``, oldest first."""
        phone = _e164(number)
        with self._lock:
            return [m for m in self._messages if phone in (m.to_number, m.from_number)]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait for status callbacks and control-API inbound posts; False if ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # Inbound messages

    def send_inbound(
        self,
        *,
        from_number: str,
        body: str,
        to_number: str | None = None,
        message_sid: str | None = None,
        url: str | None = None,
    ) -> tuple[int, str]:
        """Post a signed inbound message to the app's webhook as Twilio would.

        Reuse a ``message_sid`` to simulate Twilio delivering the same message again.

        :param url: the webhook; defaults to the ``inbound_url`` the stand-in was given.
        :return: the HTTP status and body the app answered.
        :raise OSError: when the app cannot be reached (``urllib.error.URLError``).
        """
        target = url or self.inbound_url
        if not target:
            raise ValueError("no inbound URL: pass url= or give the stand-in inbound_url=")
        sid = message_sid or _new_sid("SM")
        to = to_number or self.phone_number
        self._apply_twilio_keywords(from_number, body)
        message = StandInMessage(
            sid=sid, account_sid=self.account_sid, direction="inbound", to_number=to,
            from_number=from_number, body=body, status="received",
            num_segments=max(1, segments(body).segments), date_created=datetime.now(UTC),
        )
        form = {
            "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
            "AccountSid": self.account_sid, "From": from_number, "To": to, "Body": body,
            "NumMedia": "0", "NumSegments": str(message.num_segments),
            "SmsStatus": "received", "ApiVersion": API_VERSION,
        }
        with self._lock:
            if not any(m.sid == sid for m in self._messages):
                self._messages.append(message)
        status, answer = self._post_signed(target, form)
        self._update(sid, webhook_status=status)
        return status, answer

    def _apply_twilio_keywords(self, from_number: str, body: str) -> None:
        word = body.strip().upper()
        if word in TWILIO_OPT_OUT_WORDS:
            self.opt_out(from_number)
        elif word in TWILIO_OPT_IN_WORDS:
            self.opt_in(from_number)

    # The Messages API, called by the request handler

    def _authorised(self, authorization: str | None) -> bool:
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), self.account_sid.encode()) and \
            hmac.compare_digest(password.encode(), self.auth_token.encode())

    def _check_account(self, authorization: str | None, account: str) -> None:
        if not self._authorised(authorization):
            raise _ApiError(401, 20003, "Authenticate")
        if account != self.account_sid:
            raise _ApiError(404, 20404, "The requested resource was not found")

    def _create(self, authorization: str | None, account: str, form: dict[str, str]) -> dict:
        self._check_account(authorization, account)
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            raise failure
        to, body, sender, service = _checked_send(form)
        with self._lock:
            if to in self._opted_out:
                raise _ApiError(400, 21610, "Attempt to send to unsubscribed recipient")
        message = StandInMessage(
            sid=_new_sid("SM"), account_sid=self.account_sid, direction="outbound-api",
            to_number=to, from_number=sender or self.phone_number, body=body,
            # Through a messaging service, Twilio first accepts and then picks a sender.
            status="queued" if sender else "accepted",
            num_segments=segments(body).segments, date_created=datetime.now(UTC),
            status_callback=form.get("StatusCallback") or None, messaging_service_sid=service,
        )
        with self._lock:
            self._messages.append(message)
        logger.info("Stand-in accepted %s to %s (%d segments)", message.sid,
                    mask_phone(to), message.num_segments)
        self._in_background(self._deliver, message)
        return _resource(message, shown_from=sender)

    def _fetch(self, authorization: str | None, account: str, sid: str) -> dict:
        self._check_account(authorization, account)
        with self._lock:
            found = [m for m in self._messages if m.sid == sid]
        if not found:
            raise _ApiError(404, 20404, f"The requested resource {sid} was not found")
        return _resource(found[0], shown_from=found[0].from_number)

    # Status callbacks

    def _in_background(self, work: Callable[..., None], *args: object, **kwargs: object) -> None:
        """Run ``work`` in a daemon thread that wait_idle() waits for and that never raises."""
        def run() -> None:
            try:
                work(*args, **kwargs)
            except Exception:  # a background thread must never take the server down
                logger.exception("Stand-in background work failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        with self._idle:
            self._pending += 1
        threading.Thread(target=run, daemon=True).start()

    def _deliver(self, message: StandInMessage) -> None:
        with self._lock:
            outcome, error_code = self._delivery.get(message.to_number, ("delivered", None))
        steps = ["failed"] if outcome == "failed" else ["sent", outcome]
        for status in steps:
            time.sleep(self.callback_delay)
            final_error = error_code if status == outcome else None
            changes = {"status": status, "error_code": final_error}
            current = self._update(message.sid, **changes) or replace(message, **changes)
            if message.status_callback:
                self._callback(current)

    def _callback(self, message: StandInMessage) -> None:
        form = {
            "MessageSid": message.sid, "SmsSid": message.sid, "AccountSid": message.account_sid,
            "MessageStatus": message.status, "SmsStatus": message.status,
            "To": message.to_number, "From": message.from_number, "ApiVersion": API_VERSION,
        }
        if message.error_code is not None:
            form["ErrorCode"] = str(message.error_code)
        url = message.status_callback or ""
        try:
            status, _ = self._post_signed(url, form)
        except OSError as exc:
            logger.warning("Stand-in could not post status %s for %s to %s: %s",
                           message.status, message.sid, url, exc)
            return
        if status >= 400:
            logger.warning("Status callback %s for %s answered HTTP %d",
                           message.status, message.sid, status)

    def _post_signed(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(
            url, data=urlencode(form).encode(), method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "TwilioProxy/1.1",
                SIGNATURE_HEADER: sign(self.auth_token, url, form),
            },
        )
        try:
            with _OPENER.open(request, timeout=self.webhook_timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:  # an answer all the same
            with exc:
                return exc.code, exc.read().decode("utf-8", "replace")

    def _update(self, sid: str, **changes: object) -> StandInMessage | None:
        """Record a change to a message; None if reset() has forgotten it meanwhile."""
        with self._lock:
            for index, message in enumerate(self._messages):
                if message.sid == sid:
                    self._messages[index] = replace(message, **changes)
                    return self._messages[index]
        return None

    # The control API for the development phone page

    def _control_messages(self, query: dict[str, list[str]]) -> dict:
        number = (query.get("to") or [""])[0]
        found = self.messages(to=number or None)
        return {"messages": [m.as_json() for m in found[-CONTROL_MESSAGE_LIMIT:]]}

    def _control_conversation(self, query: dict[str, list[str]]) -> dict:
        number = (query.get("number") or [""])[0]
        if not number:
            raise _ApiError(400, 21604, "number is required")
        found = self.conversation(number)
        return {"messages": [m.as_json() for m in found[-CONTROL_MESSAGE_LIMIT:]]}

    def _control_inbound(self, payload: object) -> dict:
        if not isinstance(payload, dict) or not isinstance(payload.get("body"), str):
            raise _ApiError(400, 21602, "JSON with from and body is required")
        try:
            phone = normalise_phone(str(payload.get("from") or ""))
        except InvalidPhoneNumber as exc:
            raise _ApiError(400, 21211, f"from is not a mobile number: {exc.reason}") from None
        sid = _new_sid("SM")
        # In the background: the app may be calling us from the very thread that would answer.
        self._in_background(
            self._inbound_quietly, from_number=phone, body=payload["body"], message_sid=sid
        )
        return {"message_sid": sid, "from": phone}

    def _inbound_quietly(self, **kwargs: str) -> None:
        try:
            status, _ = self.send_inbound(**kwargs)
        except OSError as exc:
            logger.warning("Stand-in could not post an inbound message: %s", exc)
            return
        if status >= 400:
            logger.warning("The app answered an inbound message with HTTP %d", status)


def _checked_send(form: dict[str, str]) -> tuple[str, str, str | None, str | None]:
    """Return To (E.164), Body, From and MessagingServiceSid, or raise Twilio's error."""
    raw_to = (form.get("To") or "").strip()
    body = form.get("Body") or ""
    sender = (form.get("From") or "").strip() or None
    service = (form.get("MessagingServiceSid") or "").strip() or None
    if not raw_to:
        raise _ApiError(400, 21604, "A 'To' phone number is required.")
    if not body:
        raise _ApiError(400, 21602, "Message body is required.")
    if not (sender or service):
        raise _ApiError(400, 21603, "A 'From' phone number is required.")
    if len(body) > MAX_BODY_CHARACTERS:
        raise _ApiError(400, 21617, "The concatenated message body exceeds the 1600 character "
                        "limit.")
    try:
        to = normalise_phone(raw_to)
    except InvalidPhoneNumber as exc:
        if exc.reason == "not_mobile":
            raise _ApiError(400, 21614, f"'To' number {raw_to} is not a valid mobile number") \
                from None
        raise _ApiError(400, 21211, f"Invalid 'To' Phone Number: {raw_to}") from None
    return to, body, sender, service


def _resource(message: StandInMessage, *, shown_from: str | None) -> dict:
    """The message as Twilio's Messages API returns it."""
    uri = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}.json"
    created = format_datetime(message.date_created)
    return {
        "account_sid": message.account_sid, "api_version": API_VERSION, "body": message.body,
        "date_created": created, "date_updated": created, "date_sent": None,
        "direction": message.direction, "error_code": message.error_code,
        "error_message": None, "from": shown_from, "to": message.to_number,
        "messaging_service_sid": message.messaging_service_sid, "num_media": "0",
        "num_segments": str(message.num_segments), "price": None, "price_unit": "USD",
        "sid": message.sid, "status": message.status, "uri": uri,
        "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
    }


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _e164(number: str) -> str:
    """Read a number leniently: "+" in a query string arrives as a space."""
    text = number.strip()
    if text.isdigit():
        text = "+" + text
    try:
        return normalise_phone(text)
    except InvalidPhoneNumber:
        return text


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: TwilioStandIn):
        self.standin = standin
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        logger.exception("Stand-in failed to answer a request")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "TwilioStandIn/1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        standin, auth = self.server.standin, self.headers.get("Authorization")
        query = parse_qs(parts.query)
        if match := _MESSAGE.fullmatch(parts.path):
            self._answer(200, lambda: standin._fetch(auth, match["account"], match["sid"]))
        elif parts.path == "/_standin/messages":
            self._answer(200, lambda: self._control(lambda: standin._control_messages(query)))
        elif parts.path == "/_standin/conversation":
            self._answer(200, lambda: self._control(lambda: standin._control_conversation(query)))
        else:
            self._answer(404, _not_found)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        standin, auth = self.server.standin, self.headers.get("Authorization")
        body = self._body()
        if body is None:
            self._send_json(413, _ApiError(413, 20413, "Request too large").as_json())
        elif match := _MESSAGES.fullmatch(parts.path):
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                                 keep_blank_values=True).items()}
            self._answer(201, lambda: standin._create(auth, match["account"], form))
        elif parts.path == "/_standin/inbound":
            self._answer(202, lambda: self._control(
                lambda: standin._control_inbound(_json_or_none(body))))
        else:
            self._answer(404, _not_found)

    def _control(self, action):
        if not self.server.standin._authorised(self.headers.get("Authorization")):
            raise _ApiError(401, 20003, "Authenticate")
        return action()

    def _body(self) -> bytes | None:
        """The request body, or None when its length is missing, bad or too large."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if not 0 <= length <= MAX_REQUEST_BYTES:
            return None
        return self.rfile.read(length)

    def _answer(self, status: int, produce) -> None:
        try:
            payload = produce()
        except _ApiError as error:
            status, payload = error.http_status, error.as_json()
        self._send_json(status, payload)

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug(format, *args)


def _not_found() -> dict:
    raise _ApiError(404, 20404, "The requested resource was not found")


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m sms.standin", description="A local Twilio stand-in for development."
    )
    parser.add_argument("--host", default=DEV_HOST)
    parser.add_argument("--port", type=int, default=DEV_PORT)
    parser.add_argument("--account-sid", default=DEV_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEV_AUTH_TOKEN)
    parser.add_argument("--inbound-url", default=DEV_INBOUND_URL,
                        help="the app's inbound SMS webhook (default %(default)s)")
    parser.add_argument("--phone-number", default=DEV_PHONE_NUMBER, help="our Twilio number")
    parser.add_argument("--callback-delay", type=float, default=1.0,
                        help="seconds before each status callback (default %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    standin = TwilioStandIn(
        account_sid=args.account_sid, auth_token=args.auth_token, host=args.host,
        port=args.port, inbound_url=args.inbound_url, phone_number=args.phone_number,
        callback_delay=args.callback_delay,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with standin:
        print(f"Twilio stand-in listening on {standin.base_url} "
              f"(account {standin.account_sid}, number {standin.phone_number})", flush=True)
        print(f"Inbound messages go to {standin.inbound_url}. Ctrl+C stops it.", flush=True)
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
