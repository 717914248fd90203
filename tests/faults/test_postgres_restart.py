"""PostgreSQL restarts under traffic: gunicorn and a worker carry on without being restarted.

The web is gunicorn with the shipped gunicorn.conf.py and ProductionConfig, reached as through
the reverse proxy (X-Forwarded-Proto, the public URL Twilio signs); the worker is `flask worker`
in production mode. People go through the web survey and Twilio posts texts the whole time.
While PostgreSQL is down, requests fail with a 5xx and nothing half-saved; a person (or Twilio)
tries again once the service is back. Afterwards every request works at once: the connection
pool tests each connection before use (pool_pre_ping) rather than hand out a dead one.
"""

import itertools
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests
from bs4 import BeautifulSoup
from rq import Worker

from feedback.models import Response
from sms.signature import SIGNATURE_HEADER, sign
from tests.faults.apps import (
    SLUG,
    analysed_responses,
    count,
    half_saved_responses,
    inbound_texts,
    stored_web_keys,
    survey_posts,
    wait_until,
    web_answers,
)
from tests.faults.servers import free_port

pytestmark = pytest.mark.faults

PUBLIC_BASE_URL = "https://feedback.example.nhs.uk"  # what people and Twilio see
TWILIO_AUTH_TOKEN = "fault-tests-auth-token"
SURVEYS_PER_PERSON = 3  # production's limit is 120 survey posts per address in 10 minutes


@dataclass
class Outcome:
    started: float  # time.monotonic() when the request was sent
    finished: float  # and when its answer came
    what: str
    status: int | str  # the HTTP status, or the error when there was none


@dataclass
class Traffic:
    base_url: str
    outcomes: list[Outcome] = field(default_factory=list)
    surprises: list[str] = field(default_factory=list)  # answers no outage explains
    web_sent: int = 0
    web_acknowledged: int = 0
    sms_sent: list[str] = field(default_factory=list)
    sms_acknowledged: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    quiet: threading.Event = field(default_factory=threading.Event)  # a pause in the traffic
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, session, method: str, path: str, what: str, **kwargs):
        while self.quiet.is_set():
            time.sleep(0.02)
        started = time.monotonic()
        try:
            response = session.request(method, self.base_url + path, timeout=15,
                                       allow_redirects=False, **kwargs)
            status = response.status_code
            if isinstance(session, requests.Session):
                for cookie in session.cookies:
                    # The session cookie is Secure: TLS ends at the proxy, which is not here.
                    cookie.secure = False
        except requests.RequestException as error:  # refused, or no answer in time
            response, status = None, type(error).__name__
        with self.lock:
            self.outcomes.append(Outcome(started, time.monotonic(), what, status))
        return response

    def healthy(self) -> bool:
        response = self.send(requests, "GET", "/health", "health")
        return response is not None and response.status_code == 200

    def until_accepted(self, expected: int, send):
        """Send until answered `expected`; after a 5xx, wait for /health as a person would."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = send()
            if response is not None and response.status_code == expected:
                return response
            if response is not None and response.status_code < 500:
                with self.lock:
                    self.surprises.append(f"{response.status_code} {response.url}: "
                                          f"{response.text[:300]}")
                return None
            while not self.healthy() and time.monotonic() < deadline:
                time.sleep(0.1)
        return None

    def person(self, first_number: int) -> None:
        """Someone answering the web survey again and again, in a browser behind the proxy."""
        for n in range(first_number, first_number + SURVEYS_PER_PERSON):
            if self.stop.is_set():
                return
            browser = requests.Session()
            host = self.base_url.removeprefix("http://")
            # The proxy says the visit came over HTTPS; the browser says where from.
            browser.headers.update({"X-Forwarded-Proto": "https",
                                    "Referer": f"https://{host}/s/{SLUG}"})
            with self.lock:
                self.web_sent += 1
            start = self.until_accepted(200, lambda b=browser: self.send(
                b, "GET", f"/s/{SLUG}", "web"))
            if start is None:
                return
            token = BeautifulSoup(start.text, "html.parser").select_one(
                "input[name=csrf_token]")["value"]
            for path, form in survey_posts(token, web_answers(n)):
                time.sleep(0.15)  # reading the page
                answered = self.until_accepted(302, lambda b=browser, p=path, f=form: self.send(
                    b, "POST", p, "web", data=f))
                if answered is None:
                    return
            if answered.headers["Location"].endswith(f"/s/{SLUG}/done"):
                with self.lock:
                    self.web_acknowledged += 1

    def twilio(self) -> None:
        """Twilio posting texts, signed for the public URL, and sending again after a 5xx."""
        numbers = itertools.cycle(f"+4477009003{n:02d}" for n in range(10))
        while not self.stop.is_set():
            sid = "SM" + secrets.token_hex(16)
            form = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": next(numbers),
                    "To": "+447700900000", "Body": f"Comment {len(self.sms_sent)}",
                    "NumMedia": "0"}
            signature = sign(TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL + "/sms/inbound", form)
            self.sms_sent.append(sid)
            if self.until_accepted(200, lambda f=form, s=signature: self.send(
                    requests, "POST", "/sms/inbound", "sms", data=f,
                    headers={SIGNATURE_HEADER: s})) is not None:
                with self.lock:
                    self.sms_acknowledged.append(sid)
            time.sleep(0.3)

    def health_checks(self) -> None:
        while not self.stop.is_set():
            self.healthy()
            time.sleep(0.1)


@pytest.fixture
def production(processes, database_url, redis_server, tmp_path):
    """gunicorn and `flask worker --no-cron`, both as a trust runs them."""
    port = free_port()
    env = {
        "FEEDBACK_ENV": "production", "FLASK_APP": "wsgi",
        "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+447700900000", "PHONE_HASH_KEY": secrets.token_urlsafe(32),
        "SENTIMENT_MODEL_PATH": str(tmp_path / "no-model.skops"),  # the built-in analyser
        "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
    }
    web = processes("gunicorn", [sys.executable, "-m", "gunicorn", "wsgi:app"], env)
    worker = processes("worker", [sys.executable, "-m", "flask", "worker", "--no-cron"], env)
    return web, worker, f"http://127.0.0.1:{port}"


def test_web_and_worker_carry_on_when_postgres_restarts_under_traffic(
        app, db, redis, postgres, survey, production):
    web, worker, base_url = production
    traffic = Traffic(base_url)
    wait_until(traffic.healthy, timeout=60, interval=0.3,
               message=f"gunicorn to answer:\n{web.output()}")
    wait_until(lambda: Worker.all(connection=redis), timeout=60, interval=0.3,
               message=f"the worker to start:\n{worker.output()}")
    traffic.outcomes.clear()  # gunicorn refusing connections as it started is not the test
    threads = [threading.Thread(target=traffic.person, args=(100,)),
               threading.Thread(target=traffic.person, args=(200,)),
               threading.Thread(target=traffic.twilio),
               threading.Thread(target=traffic.health_checks)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: traffic.web_acknowledged and len(traffic.sms_acknowledged) > 2,
                   timeout=30, message="traffic to flow")
        outage_began = time.monotonic()
        postgres.stop()  # `fast`: every session ended, as a restart by the system does
        time.sleep(2.5)
        postgres.start()
        back = time.monotonic()
        time.sleep(2)
        # And again at a quiet moment, when no request comes to clear out dead connections:
        # the next requests must not be handed one.
        traffic.quiet.set()
        time.sleep(1)  # requests under way finish
        postgres.stop()
        postgres.start()
        traffic.quiet.clear()
        time.sleep(2)
    finally:
        traffic.quiet.clear()
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=90)

    # Nothing answered that an outage does not explain, and nothing failed once it was over.
    assert traffic.surprises == []
    failed = [o for o in traffic.outcomes if isinstance(o.status, str) or o.status >= 500]
    assert failed, "the outage should have failed some requests"
    # Each failure was in flight while PostgreSQL was down.
    assert [o for o in failed if not (o.started < back and o.finished >= outage_began)] == []
    assert any(o.what == "health" and o.status == 503 for o in failed)
    assert web.alive() and worker.alive()  # never restarted

    # Every survey acknowledged is stored once, whole; so is every text Twilio was thanked for.
    keys = stored_web_keys()
    assert traffic.web_sent == traffic.web_acknowledged == len(keys) == len(set(keys))
    assert half_saved_responses() == 0
    stored_sids = [text.message_sid for text in inbound_texts()]
    assert (len(traffic.sms_sent) == len(traffic.sms_acknowledged) == len(stored_sids)
            == len(set(stored_sids)))
    assert set(stored_sids) == set(traffic.sms_acknowledged)

    # The same worker finishes every job, those that failed in the outage retried by RQ.
    wait_until(lambda: analysed_responses() == count(Response)
               and all(text.processed_at for text in inbound_texts()),
               timeout=90, interval=0.5, message=f"the worker's jobs:\n{worker.output()}")
    assert worker.alive()
    failures = {what: sum(o.what == what for o in failed) for what in ("web", "sms", "health")}
    print(f"web surveys sent {traffic.web_sent}, stored {len(keys)}; texts sent "
          f"{len(traffic.sms_sent)}, stored {len(stored_sids)}; requests {len(traffic.outcomes)}"
          f", failed in the outage {failures}")
