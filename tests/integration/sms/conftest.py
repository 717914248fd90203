"""A running Twilio stand-in, the real twilio client pointed at it, and a webhook receiver."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from sms.client import TwilioSettings, build_client
from sms.standin import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, DEV_PHONE_NUMBER, TwilioStandIn


@dataclass(frozen=True)
class Received:
    """One request the receiver was sent."""

    path: str  # with the query string
    headers: dict[str, str]
    form: dict[str, str]


class Receiver:
    """A local HTTP server that records what it is posted and answers as the test says."""

    def __init__(self):
        self.requests: list[Received] = []
        self.answer = (200, "<Response></Response>")
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                with receiver._changed:
                    receiver.requests.append(
                        Received(self.path, dict(self.headers), dict(parse_qsl(body)))
                    )
                    receiver._changed.notify_all()
                status, text = receiver.answer
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def standin():
    with TwilioStandIn() as running:
        yield running
        running.wait_idle()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def settings(standin):
    return TwilioSettings(
        DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, from_number=DEV_PHONE_NUMBER,
        api_base_url=standin.base_url,
    )


@pytest.fixture
def client(settings):
    return build_client(settings)
