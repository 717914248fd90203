"""A mixed load for a fixed time: web survey submissions, SMS replies, report views and /health.

Runs the app as in production: gunicorn (2 workers, the shipped gunicorn.conf.py), PostgreSQL,
Redis, two `flask worker` processes (one of them scheduling the periodic jobs) and the local
Twilio stand-in, which delivers the service's texts and posts Twilio's status callbacks back.
Concurrent clients then submit the web survey page by page, answer SMS surveys reply by reply
(each reply only once the service's previous text has reached the phone), view a service
lead's report and ask for /health, in a weighted mix. It prints count, throughput, p50 and p99
of each, the peak memory of every web and worker process, and, once the queues have drained,
the responses lost or duplicated and any left unanalysed. Goals: every process under 200 MB;
nothing lost, nothing duplicated, everything analysed.

    .venv/bin/python bench/load.py [--duration 60] [--clients 8]
"""

import argparse
import itertools
import multiprocessing
import os
import random
import re
import secrets
import statistics
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pyotp
import requests
from _server import flask, flask_worker, free_port, fresh_database, gunicorn_process, peak_rss_kb
from _server import worker_pids as child_pids
from flask.sessions import SecureCookieSessionInterface
from redis import Redis
from reports import LEAD_EMAIL, LEAD_PASSWORD, SERVICES, Generator, load, set_up
from requests.adapters import HTTPAdapter

from feedback import create_app
from feedback.analysis.periods import current_period, uk_date
from feedback.extensions import db
from feedback.jobs import QueueNames
from feedback.models import CampaignRecipient, SurveyVersion, utcnow
from feedback.services import campaigns, sms, surveys
from feedback.services.demo import COMMENTS, ROLE_WEIGHTS
from sms.signature import SIGNATURE_HEADER, sign
from sms.standin import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, DEV_PHONE_NUMBER, TwilioStandIn

# A Redis database of this bench's own: it is flushed before and after, and the other benches
# flush theirs (13 by default) whenever they run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
SURVEY_SLUG = "online-booking"  # the demo's short survey, 7 questions: the web and SMS load
REPORT_SLUG = SERVICES[0][0]  # the service whose lead views its report, as in reports.py
GOAL_MB = 200
KINDS = ("web", "sms", "report", "health")
DEFAULT_MIX = "web=2,sms=5,report=1,health=2"
REPEAT_SHARE = 0.05  # SMS replies that Twilio delivers a second time, same MessageSid
CALLBACK_DELAY = 1.0  # seconds before each of the stand-in's status callbacks, as Twilio
REQUEST_TIMEOUT = 30  # seconds; gunicorn's own cuts a request off at 10
TEXTS_BEFORE_FIRST_REPLY = 2  # the invitation and the first question
SETUP_THREADS = 4  # sending the invitations before the load


class Failed(Exception):
    """An operation that did not get the answer a person would: its reason is what counts."""


# --- what is measured ------------------------------------------------------------------------


class Tally:
    """Latencies of the operations that succeeded and reasons for those that did not."""

    def __init__(self):
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.lock = threading.Lock()
        self.recording = False

    def ok(self, name: str, seconds: float) -> None:
        if self.recording:
            self.seconds[name].append(seconds)  # list.append is atomic

    def failed(self, name: str, reason: str) -> None:
        with self.lock:  # counted in the warm-up too: a failure is a failure
            self.errors[name][reason] += 1


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


# --- the phones: SMS conversations and the texts that reach them ----------------------------


@dataclass
class Phone:
    number: str
    conversation_id: int
    replies: list[str]  # what this person will text, one per question
    texts: list[float] = field(default_factory=list)  # when each of the service's texts came
    sent: list[float] = field(default_factory=list)  # when each reply was first posted
    answered: int = 0  # replies the webhook acknowledged
    sid: str | None = None  # the reply being posted, kept to post again if it failed
    started: bool = False
    busy: bool = False
    queued: bool = False

    @property
    def done(self) -> bool:
        return self.answered == len(self.replies)


class Phones:
    """Which conversations may send their next reply: a person answers a question only after
    it has reached their phone, so replies never overtake the service's processing.

    At most `people` conversations are under way at once, and those furthest on go first, as
    people answer while the survey is in front of them. Without the cap every conversation
    would be started while the workers are behind, and few finished when the time is up;
    invitations go out at SMS_SEND_RATE (1 a second) in production, so conversations start
    at that pace, not all at once.
    """

    def __init__(self, phones: list[Phone], people: int):
        self.by_number = {p.number: p for p in phones}
        self.people = people
        self.active = 0  # started, not finished
        # Ready conversations by replies so far.
        self.ready: list[deque[Phone]] = [deque() for _ in range(max(
            (len(p.replies) for p in phones), default=0))]
        self.lock = threading.Lock()

    def arrived(self, number: str, at: float) -> None:
        with self.lock:
            phone = self.by_number.get(number)
            if phone is not None:
                phone.texts.append(at)
                self._check(phone)

    def take(self, *, under_way_only: bool = False) -> Phone | None:
        with self.lock:
            waiting = next((ready for ready in reversed(self.ready[1:]) if ready), None)
            if waiting is None:
                # A first reply that failed is still under way; a new person only if room.
                fresh = self.ready[0]
                if fresh and (fresh[0].started
                              or (not under_way_only and self.active < self.people)):
                    waiting = fresh
                else:
                    return None
            phone = waiting.popleft()
            phone.queued, phone.busy = False, True
            if not phone.started:
                phone.started = True
                self.active += 1
            return phone

    def replied(self, phone: Phone, acknowledged: bool) -> None:
        with self.lock:
            phone.busy = False
            if acknowledged:
                phone.answered += 1
                phone.sid = None
                self.active -= phone.done
            self._check(phone)  # the next question may be here already; a failure goes again

    def _check(self, phone: Phone) -> None:
        if (not phone.done and not phone.busy and not phone.queued
                and len(phone.texts) >= TEXTS_BEFORE_FIRST_REPLY + phone.answered):
            phone.queued = True
            if phone.started and not phone.answered:
                self.ready[0].appendleft(phone)  # its first reply failed: goes again first
            else:
                self.ready[phone.answered].append(phone)

    def under_way(self) -> int:
        """Conversations started and not finished: answered to the end after the timed load."""
        with self.lock:
            return self.active

    def waiting_for_first_question(self) -> int:
        with self.lock:
            return sum(len(p.texts) < TEXTS_BEFORE_FIRST_REPLY for p in self.by_number.values())

    def round_trips(self) -> list[float]:
        """Seconds from posting a reply to the service's next text reaching the phone."""
        with self.lock:
            return [p.texts[TEXTS_BEFORE_FIRST_REPLY + k] - p.sent[k]
                    for p in self.by_number.values() for k in range(p.answered)
                    if len(p.texts) > TEXTS_BEFORE_FIRST_REPLY + k]


def _run_standin(port: int, arrivals, public_base: str) -> None:
    """In a child process: the Twilio stand-in, telling the parent of every text it takes."""

    class ReportingStandIn(TwilioStandIn):
        def _create(self, authorization, account, form):
            resource = super()._create(authorization, account, form)
            arrivals.put((resource["to"], time.time()))
            return resource

    ReportingStandIn(port=port, callback_delay=CALLBACK_DELAY,
                     inbound_url=f"{public_base}/sms/inbound").start()
    threading.Event().wait()  # until the parent terminates it


def _listen(arrivals, phones: Phones) -> None:
    while (item := arrivals.get()) is not None:
        phones.arrived(*item)


# --- memory ---------------------------------------------------------------------------------


def _process_group(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


class Memory:
    """Samples the peak RSS (VmHWM) of every web and worker process, by pid and role."""

    def __init__(self, gunicorn_pid: int, workers: list):
        self.gunicorn_pid = gunicorn_pid
        self.workers = workers
        self.peaks: dict[int, list] = {}  # pid -> [role, peak KiB]
        self.seen: dict[int, list[float]] = {}  # a worker's child -> [first, last] seen
        self.horses: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _roles(self) -> dict[int, str]:
        roles = {self.gunicorn_pid: "gunicorn master"}
        roles.update(dict.fromkeys(child_pids(self.gunicorn_pid), "gunicorn worker"))
        now = time.monotonic()
        for number, worker in enumerate(self.workers, start=1):
            roles[worker.pid] = f"rq worker {number}"
            for pid in child_pids(worker.pid):
                roles[pid] = f"child of rq worker {number}"
                self.seen.setdefault(pid, [now, now])[1] = now
                # RQ puts each work horse in a process group of its own, straight after the
                # fork; the cron process and RQ's scheduler stay in the worker's.
                if _process_group(pid) == pid:
                    self.horses.add(pid)
        return roles

    def sample(self) -> None:
        for pid, role in self._roles().items():
            kb = peak_rss_kb(pid)
            if kb:
                peak = self.peaks.setdefault(pid, [role, 0])
                peak[1] = max(peak[1], kb)

    def role(self, pid: int, schedulers: set[int]) -> str:
        role = self.peaks[pid][0]
        if not role.startswith("child of"):
            return role
        number = role.rsplit(" ", 1)[1]
        first, last = self.seen[pid]
        if pid in self.horses or last - first < 10:
            return f"work horses of rq worker {number}"
        return f"{'RQ scheduler' if pid in schedulers else 'cron'} of rq worker {number}"

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            self.sample()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join()
        self.sample()


# --- the clients ----------------------------------------------------------------------------


_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


def _csrf(html: str) -> str:
    tag = _CSRF.search(html)
    value = tag and _VALUE.search(tag.group(0))
    if not value:
        raise Failed("no csrf_token on the page")
    return value.group(1)


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address. Each web respondent gets an address of their
    own, as people on their own phones do: the survey's rate limit counts posts per address,
    and one address for every respondent would measure the limit, not the service."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _addresses():
    for second, third, fourth in itertools.product(range(2, 255), range(256), range(1, 255)):
        yield f"127.{second}.{third}.{fourth}"


@dataclass
class Survey:
    version_id: int
    questions: list[dict]  # {"kind": ..., "values": [...], "exclusive": {...}}, in order


class Load:
    def __init__(self, *, base: str, public_base: str, survey: Survey, report_path: str,
                 lead_cookies, phones: Phones, session_serializer, mix: dict[str, int],
                 seed: int):
        self.base, self.public_base = base, public_base
        self.survey, self.report_path = survey, report_path
        self.lead_cookies, self.phones = lead_cookies, phones
        self.sessions = session_serializer
        self.mix = mix
        self.seed = seed
        self.tally = Tally()
        self.addresses = _addresses()
        self.address_lock = threading.Lock()
        self.web_acknowledged: list[str] = []  # draft tokens of submissions that reached "done"
        self.sms_repeats = 0
        self.sms_none_ready = 0
        self.threads_started = 0

    # --- one web submission, page by page as a browser does --------------------------------

    def _get(self, session, path: str) -> requests.Response:
        started = time.perf_counter()
        try:
            page = session.get(self.base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            raise Failed(f"GET {_page(path)}: {type(error).__name__}") from error
        if page.status_code != 200:
            raise Failed(f"GET {_page(path)}: {page.status_code}")
        self.tally.ok("web GET", time.perf_counter() - started)
        return page

    def _post(self, session, path: str, data: dict, then: str, name: str = "web POST"):
        started = time.perf_counter()
        try:
            answer = session.post(self.base + path, data=data, allow_redirects=False,
                                  timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            raise Failed(f"POST {_page(path)}: {type(error).__name__}") from error
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or not location.split("?")[0].endswith(then):
            raise Failed(f"POST {_page(path)}: {answer.status_code} to {_page(location)}")
        self.tally.ok(name, time.perf_counter() - started)
        return self._get(session, then)

    def web(self, rng: random.Random) -> None:
        with self.address_lock:
            address = next(self.addresses)
        session = requests.Session()
        session.mount("http://", SourceAddress(address))
        start = f"/s/{SURVEY_SLUG}"
        with session:
            page = self._get(session, start)
            page = self._post(session, start, {"csrf_token": _csrf(page.text)},
                              f"{start}/who-is-answering")
            role = rng.choices(list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values()))[0]
            page = self._post(session, f"{start}/who-is-answering",
                              {"csrf_token": _csrf(page.text), "role": role},
                              f"{start}/questions/1")
            count = len(self.survey.questions)
            for position, question in enumerate(self.survey.questions, start=1):
                then = (f"{start}/questions/{position + 1}" if position < count
                        else f"{start}/check-your-answers")
                page = self._post(session, f"{start}/questions/{position}",
                                  {"csrf_token": _csrf(page.text),
                                   "answer": _web_answer(question, rng)}, then)
            self._post(session, f"{start}/check-your-answers", {"csrf_token": _csrf(page.text)},
                       f"{start}/done", name="web POST send")
            token = self.sessions.loads(session.cookies["session"])[f"draft:{SURVEY_SLUG}"]
        self.web_acknowledged.append(token)

    # --- one SMS reply ---------------------------------------------------------------------

    def sms(self, rng: random.Random, session: requests.Session, *,
            under_way_only: bool = False) -> bool:
        """Post the next reply of a conversation whose question has arrived; False if none has."""
        phone = self.phones.take(under_way_only=under_way_only)
        if phone is None:
            return False
        if phone.sid is None:
            phone.sid = "SM" + secrets.token_hex(16)
            phone.sent.append(time.time())
        form = {"MessageSid": phone.sid, "SmsMessageSid": phone.sid, "SmsSid": phone.sid,
                "AccountSid": DEV_ACCOUNT_SID, "From": phone.number, "To": DEV_PHONE_NUMBER,
                "Body": phone.replies[phone.answered], "NumMedia": "0", "NumSegments": "1",
                "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        acknowledged = self._post_reply(session, form)
        self.phones.replied(phone, acknowledged)
        if acknowledged and rng.random() < REPEAT_SHARE:
            with self.tally.lock:
                self.sms_repeats += 1  # Twilio delivering the same message again
            self._post_reply(session, form)
        return True

    def _post_reply(self, session, form: dict) -> bool:
        signature = sign(DEV_AUTH_TOKEN, f"{self.public_base}/sms/inbound", form)
        started = time.perf_counter()
        try:
            answer = session.post(f"{self.base}/sms/inbound", data=form, timeout=REQUEST_TIMEOUT,
                                  headers={SIGNATURE_HEADER: signature})
        except requests.RequestException as error:
            self.tally.failed("sms", type(error).__name__)
            return False
        if answer.status_code != 200:
            self.tally.failed("sms", str(answer.status_code))
            return False
        self.tally.ok("sms", time.perf_counter() - started)
        return True

    # --- the rest --------------------------------------------------------------------------

    def simple(self, kind: str, session: requests.Session, path: str) -> None:
        started = time.perf_counter()
        try:
            answer = session.get(self.base + path, allow_redirects=False,
                                 timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            raise Failed(type(error).__name__) from error
        if answer.status_code != 200:
            raise Failed(str(answer.status_code))
        self.tally.ok(kind, time.perf_counter() - started)

    def client(self, number: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + number)
        kinds, weights = list(self.mix), list(self.mix.values())
        others = [k for k in kinds if k != "sms"]
        health, replies, viewer = requests.Session(), requests.Session(), requests.Session()
        viewer.cookies.update(self.lead_cookies)
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind == "sms":
                if self.sms(rng, replies):
                    continue
                with self.tally.lock:
                    self.sms_none_ready += 1  # every conversation waits for its next text
                if not others:
                    time.sleep(0.05)
                    continue
                kind = rng.choices(others, [self.mix[k] for k in others])[0]
            started = time.perf_counter()
            try:
                if kind == "web":
                    self.web(rng)
                elif kind == "report":
                    self.simple(kind, viewer, self.report_path)
                    continue
                else:
                    self.simple(kind, health, "/health")
                    continue
            except Failed as failure:
                self.tally.failed(kind, str(failure))
                continue
            except Exception as error:  # the bench's own mistake: shown, and the client goes on
                self.tally.failed(kind, f"bench: {type(error).__name__}: {error}")
                continue
            self.tally.ok(kind, time.perf_counter() - started)

    def finish(self, number: int, deadline: float) -> None:
        """Answer the conversations under way to the end, as their people would."""
        rng = random.Random(self.seed * 1000 + number)
        session = requests.Session()
        while self.phones.under_way() and time.monotonic() < deadline:
            if not self.sms(rng, session, under_way_only=True):
                time.sleep(0.05)

    def run(self, clients: int, seconds: float, target=None) -> float:
        deadline = time.monotonic() + seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=target or self.client,
                                    args=(self.threads_started + n, deadline))
                   for n in range(clients)]
        self.threads_started += clients
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def _page(path: str) -> str:
    """A path without ids or slugs, so failures group by page."""
    path = path.split("?")[0].replace(f"/s/{SURVEY_SLUG}", "")
    return re.sub(r"/\d+", "/N", path) or "start"


def _comment(question: dict, rng: random.Random) -> str:
    """One of the demo's English comments for this question; some pairs leave one out."""
    return rng.choice([pair[question["comment"]] for pair in COMMENTS["en"]
                       if pair[question["comment"]]])


def _web_answer(question: dict, rng: random.Random):
    if question["kind"] == "free_text":
        return _comment(question, rng) if rng.random() < 0.6 else ""
    if question["kind"] == "multiple_choice":
        ordinary = [v for v in question["values"] if v not in question["exclusive"]]
        if rng.random() < 0.15 or not ordinary:
            return [rng.choice(question["values"])]
        return rng.sample(ordinary, rng.randint(1, min(2, len(ordinary))))
    return rng.choice(question["values"])


def _sms_replies(survey: Survey, rng: random.Random) -> list[str]:
    replies = []
    for question in survey.questions:
        # Every reply answers its question: one the service cannot read gets the question
        # again, and this bench, which counts texts rather than reading them, would be a
        # reply out of step from then on.
        if question["kind"] == "free_text":
            replies.append(_comment(question, rng) if rng.random() < 0.6 else "skip")
        else:
            replies.append(str(rng.randint(1, len(question["values"]))))
    return replies


# --- set-up -----------------------------------------------------------------------------------


def _survey(app) -> Survey:
    with app.app_context():
        service = surveys.get_service_by_slug(SURVEY_SLUG)
        version = db.session.get(SurveyVersion, surveys.get_open_survey(service).version.id)
        questions = []
        for survey_question in version.questions:
            question = survey_question.question
            questions.append({
                "kind": question.kind, "values": [o["value"] for o in question.options],
                "exclusive": {o["value"] for o in question.options if o.get("exclusive")},
                # The demo's comments are (what was good, what could improve) pairs.
                "comment": 1 if "improve" in question.key else 0,
            })
        return Survey(version.id, questions)


def _numbers(count: int) -> list[str]:
    """Ofcom's drama numbers first (999 besides ours), then numbers from an unused range; the
    texts go only to the stand-in either way."""
    drama = [f"+447700900{i:03d}" for i in range(1, 1000)]
    return (drama + [f"+447400{i:06d}" for i in range(100000, 100000 + count)])[:count]


def open_conversations(app, survey: Survey, count: int, seed: int) -> list[Phone]:
    """Invite `count` numbers to the SMS survey now, as a campaign does: each gets a
    conversation, an invitation and the first question, sent by the workers."""
    rng = random.Random(seed)
    with app.app_context():
        service = surveys.get_service_by_slug(SURVEY_SLUG)
        campaign, report = campaigns.start_campaign(
            service=service, name="Load bench", created_by=None,
            rows=[campaigns.RecipientInput(phone=n) for n in _numbers(count)])
        if report.skipped:
            raise RuntimeError(f"recipients skipped: {report.skipped[:5]}")
        texts = campaigns.invite_due(limit=count, quiet_hours=False)
        opened = db.session.execute(
            db.select(CampaignRecipient.phone_number, CampaignRecipient.conversation_id)
            .where(CampaignRecipient.campaign_id == campaign.id)).all()
        db.session.remove()

    # Sent here, through the same service function the deliver_text job calls, rather than by
    # the workers: they would take minutes over it (a horse forked per text), none of it timed.
    def deliver(text_ids: list[int]) -> None:
        with app.app_context():
            for text_id in text_ids:
                sms.deliver(text_id)
            db.session.remove()

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        list(pool.map(deliver, [texts[n::SETUP_THREADS] for n in range(SETUP_THREADS)]))
    return [Phone(number, conversation_id, _sms_replies(survey, rng))
            for number, conversation_id in opened]


def sign_in(base: str, secret: str) -> requests.Session:
    """The lead signs in over HTTP: password, then the authenticator's code."""
    session = requests.Session()
    page = session.get(f"{base}/sign-in", timeout=REQUEST_TIMEOUT)
    answer = session.post(f"{base}/sign-in", data={
        "email": LEAD_EMAIL, "password": LEAD_PASSWORD, "csrf_token": _csrf(page.text)},
        allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    page = session.get(f"{base}/sign-in/code", timeout=REQUEST_TIMEOUT)
    answer = session.post(f"{base}/sign-in/code", data={
        "code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(page.text)},
        allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if answer.status_code != 302:
        raise RuntimeError(f"the code page answered {answer.status_code}")
    return session


# --- after the load -------------------------------------------------------------------------


def drain(redis: Redis, timeout: float) -> tuple[float, int]:
    """Wait for the SMS and default queues to empty, retries included; (seconds, jobs left)."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    queues = [Queue(name, connection=redis) for name in (QueueNames.SMS, QueueNames.DEFAULT)]
    started = time.perf_counter()
    quiet = 0
    while True:
        left = sum(q.count + StartedJobRegistry(queue=q).count + ScheduledJobRegistry(queue=q).count
                   for q in queues)
        quiet = quiet + 1 if left == 0 else 0
        if quiet >= 3 or time.perf_counter() - started > timeout:
            return time.perf_counter() - started, left
        time.sleep(0.5)


def failed_jobs(redis: Redis) -> list[str]:
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    found = []
    for name in QueueNames.all():
        for job_id in FailedJobRegistry(queue=Queue(name, connection=redis)).get_job_ids():
            job = Job.fetch(job_id, connection=redis)
            last = (job.latest_result().exc_string if job.latest_result() else "") or ""
            found.append(f"{name}: {job.func_name}{job.args}: "
                         f"{last.strip().splitlines()[-1] if last.strip() else '?'}")
    return found


@dataclass
class Stored:
    web: set[str]
    sms: set[str]
    duplicates: int
    unanalysed: int
    live: int
    inbound: int
    inbound_unprocessed: int


def stored(database_url: str) -> Stored:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT channel, idempotency_key FROM responses"
                            " WHERE idempotency_key IS NOT NULL").fetchall()
        duplicates = conn.execute(
            "SELECT count(*) - count(DISTINCT idempotency_key) FROM responses"
            " WHERE idempotency_key IS NOT NULL").fetchone()[0]
        duplicates += conn.execute(  # a conversation answered twice over, under two keys
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM conversations c"
            " JOIN responses r ON r.idempotency_key = 'sms-conversation-' || c.id"
            "   OR r.id = c.response_id GROUP BY c.id) AS per").fetchone()[0]
        unanalysed = conn.execute(
            "SELECT count(*) FROM responses r LEFT JOIN response_analyses a"
            " ON a.response_id = r.id WHERE a.id IS NULL").fetchone()[0]
        inbound, unprocessed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL) FROM sms_messages"
            " WHERE direction = 'in'").fetchone()
    return Stored(web={k for c, k in rows if c == "web"}, sms={k for c, k in rows if c == "sms"},
                  duplicates=int(duplicates), unanalysed=unanalysed, live=len(rows),
                  inbound=inbound, inbound_unprocessed=unprocessed)


def explain_lost_sms(database_url: str, keys: set[str], limit: int = 3) -> list[str]:
    """What the service holds for conversations answered to the end but with no response."""
    lines = []
    with psycopg.connect(database_url) as conn:
        for key in sorted(keys)[:limit]:
            conversation_id = int(key.rsplit("-", 1)[1])
            status, position, reprompts, answers = conn.execute(
                "SELECT status, position, reprompts, answers FROM conversations WHERE id = %s",
                (conversation_id,)).fetchone()
            texts = conn.execute(
                "SELECT direction, coalesce(kind, ''), left(body, 24), status, created_at,"
                " processed_at FROM sms_messages WHERE conversation_id = %s"
                " OR (direction = 'in' AND phone_hash = (SELECT phone_hash FROM conversations"
                " WHERE id = %s)) ORDER BY created_at, id", (conversation_id, conversation_id))
            lines.append(f"conversation {conversation_id}: {status}, at question {position}, "
                         f"{reprompts} reprompts, {len(answers or {})} answers stored")
            lines += [f"      {d:3} {k:10} {b!r:28} {st:10} {c:%H:%M:%S.%f} "
                      f"{'' if p is None else f'processed {p:%H:%M:%S.%f}'}"
                      for d, k, b, st, c, p in texts]
    return lines


_JOB_DONE = re.compile(r"Successfully completed feedback\.jobs\.(\w+)\(.* job in "
                       r"(\d+):(\d+):([\d.]+)s")


def scan_logs(sizes: dict[Path, int]) -> tuple[Counter, dict[str, list[float]]]:
    """Tracebacks, errors and worker timeouts in the logs, and the seconds each job took."""
    found: Counter = Counter()
    jobs: dict[str, list[float]] = defaultdict(list)
    for path, size in sizes.items():
        with path.open("rb") as log:
            text = log.read(size).decode(errors="replace")
        for line in text.splitlines():
            for marker in ("Traceback", "WORKER TIMEOUT", " ERROR ", " CRITICAL "):
                if marker in line:
                    found[marker.strip()] += 1
            if done := _JOB_DONE.search(line):
                hours, minutes, seconds = done.group(2, 3, 4)
                jobs[done.group(1)].append(int(hours) * 3600 + int(minutes) * 60
                                           + float(seconds))
    return found, jobs


# --- printing --------------------------------------------------------------------------------


LABELS = {
    "web": "web submission", "web GET": "  each page (GET)", "web POST": "  each answer (POST)",
    "web POST send": "  send (POST)", "sms": "SMS reply (webhook)", "report": "report view",
    "health": "/health",
}


def print_figures(tally: Tally, elapsed: float, load_: Load, requests_per_web: int) -> None:
    print(f"\n{'':28}{'count':>7}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}  failed")
    for name in ("web", "web GET", "web POST", "web POST send", "sms", "report", "health"):
        seconds = [s * 1000 for s in tally.seconds[name]]
        errors = tally.errors.get(name, Counter())
        print(f"{LABELS[name]:28}{len(seconds):7}{len(seconds) / elapsed:8.1f}"
              f"{_percentile(seconds, .5):9.0f}{_percentile(seconds, .99):9.0f}  "
              f"{sum(errors.values())}{' ' + dict(errors).__repr__() if errors else ''}")
        if name == "web":
            print(f"  ({requests_per_web} requests each: the start page, then a POST and the"
                  " page it leads to for start, role, each question and send)")
    trips = [s * 1000 for s in load_.phones.round_trips()]
    print(f"{'  reply -> next text at phone':28}{len(trips):7}{'':8}"
          f"{_percentile(trips, .5):9.0f}{_percentile(trips, .99):9.0f}  "
          "(webhook, RQ job, send job, the stand-in; whole run)")
    print(f"  SMS replies include {load_.sms_repeats} posted twice with the same MessageSid; an "
          f"SMS turn found no conversation ready {load_.sms_none_ready} times and did "
          "another kind instead")


def print_memory(memory: Memory, workers: list, logs: Path) -> bool:
    schedulers = {int(pid) for path in logs.glob("worker-*.log")
                  for pid in re.findall(r"Scheduler for .* started with PID (\d+)",
                                        path.read_text(errors="replace"))}
    print(f"\npeak RSS (VmHWM) of each process, goal under {GOAL_MB} MB:")
    ok = True
    horses: dict[str, list[int]] = defaultdict(list)
    for pid in sorted(memory.peaks, key=lambda pid: (memory.role(pid, schedulers), pid)):
        role, kb = memory.role(pid, schedulers), memory.peaks[pid][1]
        ok &= kb < GOAL_MB * 1024
        if role.startswith("work horses"):
            horses[role].append(kb)
        else:
            print(f"  {role:28} pid {pid:>7}: {kb / 1024:4.0f} MB")
    for role, peaks in sorted(horses.items()):
        print(f"  {role:28} {len(peaks):>4} seen: {max(peaks) / 1024:4.0f} MB at most, median "
              f"{statistics.median(peaks) / 1024:.0f} MB")
    for number, worker in enumerate(workers, start=1):
        ok &= 0 < worker.tree_peak_kb < GOAL_MB * 1024
        print(f"  rq worker {number} and every process it forked and reaped (wait4 at exit, "
              f"each horse included): {worker.tree_peak_kb / 1024:.0f} MB at most")
    return ok


def _machine() -> str:
    """The load on the machine: other work on it slows every figure here."""
    text = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    try:
        pressure = Path("/proc/pressure/cpu").read_text().split()[1]  # some avg10=...
        text += f", CPU pressure {pressure.split('=')[1]}% (time something waited for a CPU)"
    except (OSError, IndexError):
        pass
    return text


def _mix(text: str) -> dict[str, int]:
    mix = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r}: {', '.join(KINDS)}")
        mix[kind.strip()] = int(weight)
    return {k: w for k, w in mix.items() if w > 0}


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--mix", type=_mix, default=_mix(DEFAULT_MIX),
                        help=f"weights of each kind (default {DEFAULT_MIX})")
    parser.add_argument("--warm-up", type=float, default=5, help="seconds not timed (default 5)")
    parser.add_argument("--conversations", type=int, default=400,
                        help="SMS conversations opened before the load (default 400)")
    parser.add_argument("--texters", type=int, default=30,
                        help="people in the middle of an SMS survey at once (default 30)")
    parser.add_argument("--history", type=int, default=10_000,
                        help="responses loaded before, for the reports (default 10,000)")
    parser.add_argument("--drain-timeout", type=float, default=600,
                        help="seconds to finish conversations under way, and again for the "
                             "queues to drain, at most (default 600)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bench-load-"))
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    web_port, standin_port = free_port(), free_port()
    public_base = f"http://127.0.0.1:{web_port}"  # where Twilio's callbacks come
    with fresh_database() as database_url:
        env = {**os.environ, "FLASK_APP": "wsgi", "FEEDBACK_ENV": "development",
               "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
               "SECRET_KEY": secrets.token_urlsafe(32), "PUBLIC_BASE_URL": public_base,
               "TWILIO_API_BASE_URL": f"http://127.0.0.1:{standin_port}"}
        env.pop("TWILIO_ACCOUNT_SID", None)  # the stand-in's credentials, never real ones
        flask(env, "db", "upgrade")
        # Started before anything else here, so the fork copies no connection or thread.
        arrivals = multiprocessing.get_context("fork").Queue()
        standin = multiprocessing.get_context("fork").Process(
            target=_run_standin, args=(standin_port, arrivals, public_base), daemon=True)
        standin.start()
        try:
            run(args, env, database_url, redis, arrivals, logs)
        finally:
            standin.terminate()
    redis.flushdb()


def run(args, env: dict, database_url: str, redis: Redis, arrivals, logs: Path) -> None:
    started = time.perf_counter()
    os.environ.update(env)
    app = create_app()
    # Read when feedback.config was imported, before the environment above was set.
    app.config["PUBLIC_BASE_URL"] = env["PUBLIC_BASE_URL"]
    services, questions, secret = set_up(app)
    with app.app_context():
        generator = Generator(services, questions, args.seed)
        load(app, database_url, generator, args.history)
        db.engine.dispose()
    survey = _survey(app)
    print(f"set-up: question bank, {len(services)} services, {args.history:,} responses of "
          f"history for the reports: {time.perf_counter() - started:.0f} s")
    report_id = next(s["id"] for s in services if s["slug"] == REPORT_SLUG)
    period = current_period("month", uk_date(utcnow())).previous()
    report_path = f"/reports/services/{report_id}?period={period.slug}"
    with gunicorn_process(env, port=int(env["PUBLIC_BASE_URL"].rsplit(":", 1)[1]),
                          log=logs / "gunicorn.log") as (base, master), \
            flask_worker(env, log=logs / "worker-1.log", redis_url=REDIS_URL) as first, \
            flask_worker(env, "--no-cron", log=logs / "worker-2.log",
                         redis_url=REDIS_URL) as second:
        workers = [first, second]
        with Memory(master.pid, workers) as memory:
            started = time.perf_counter()
            phone_list = open_conversations(app, survey, args.conversations, args.seed)
            phones = Phones(phone_list, args.texters)
            listener = threading.Thread(target=_listen, args=(arrivals, phones), daemon=True)
            listener.start()
            deadline = time.monotonic() + 300
            while phones.waiting_for_first_question() and time.monotonic() < deadline:
                time.sleep(0.5)
            print(f"SMS: {len(phone_list)} conversations opened, their invitation and first "
                  f"question at the phones in {time.perf_counter() - started:.0f} s "
                  f"({phones.waiting_for_first_question()} still waiting)")
            lead = sign_in(base, secret)
            serializer = SecureCookieSessionInterface().get_signing_serializer(app)
            bench = Load(base=base, public_base=env["PUBLIC_BASE_URL"], survey=survey,
                         report_path=report_path, lead_cookies=lead.cookies, phones=phones,
                         session_serializer=serializer, mix=args.mix, seed=args.seed)
            print(f"before the load: {_machine()}")
            bench.run(args.clients, args.warm_up)
            bench.tally.recording = True
            elapsed = bench.run(args.clients, args.duration)
            bench.tally.recording = False
            print(f"\nload: {elapsed:.1f} s, {args.clients} clients, mix "
                  f"{' '.join(f'{k}={w}' for k, w in args.mix.items())} (after {args.warm_up:.0f} s"
                  f" of warm-up, not timed); at the end {_machine()}")
            print_figures(bench.tally, elapsed, bench, 1 + 2 * (len(survey.questions) + 3))
            under_way = phones.under_way()
            finished = bench.run(args.clients, args.drain_timeout, target=bench.finish)
            print(f"\n{under_way - phones.under_way()} SMS conversations under way were answered "
                  f"to the end in {finished:.0f} s more (not timed); {phones.under_way()} were not")
            drained, left = drain(redis, args.drain_timeout)
            # What the processes wrote up to here; stopping them adds its own noise.
            log_sizes = {path: path.stat().st_size for path in logs.glob("*.log")}
    arrivals.put(None)
    memory_ok = print_memory(memory, workers, logs)
    verdict(bench, phone_list, database_url, stored(database_url), failed_jobs(redis), drained,
            left, memory_ok, logs, log_sizes)


def verdict(bench: Load, phone_list: list[Phone], database_url: str, found: Stored,
            failures: list[str], drained: float, left: int, memory_ok: bool, logs: Path,
            log_sizes: dict[Path, int]) -> None:
    acknowledged = set(bench.web_acknowledged)
    completed = {f"sms-conversation-{p.conversation_id}" for p in phone_list if p.done}
    stuck = sum(p.started and not p.done for p in phone_list)  # next text never came
    web_lost = acknowledged - found.web
    sms_lost = completed - found.sms
    sent_replies = sum(p.answered for p in phone_list)
    print(f"\nqueues drained {drained:.0f} s after the last reply" + (
        f" ({left} jobs still queued, started or waiting to retry)" if left else ""))
    print(f"  web: {len(acknowledged)} submissions reached the confirmation page, "
          f"{len(found.web)} web responses stored, {len(web_lost)} of them lost, "
          f"{len(found.web - acknowledged)} stored that the client never saw confirmed")
    print(f"  SMS: {len(completed)} conversations answered to the end, {len(found.sms)} SMS "
          f"responses stored, {len(sms_lost)} of them lost, "
          f"{len(found.sms - completed)} stored for conversations not finished, "
          f"{stuck} conversations waiting for the service's next text when the bench gave up")
    for line in explain_lost_sms(database_url, sms_lost):
        print(f"    {line}")
    print(f"  SMS replies acknowledged: {sent_replies} (plus {bench.sms_repeats} repeats); "
          f"inbound texts stored: {found.inbound}, left unprocessed: {found.inbound_unprocessed}")
    print(f"  duplicated responses: {found.duplicates}; responses with no analysis: "
          f"{found.unanalysed} (of {found.live} from this run, and the history)")
    server_errors = sum(n for errors in bench.tally.errors.values()
                        for reason, n in errors.items() if re.search(r"\b5\d\d\b", reason))
    others = sum(sum(errors.values()) for errors in bench.tally.errors.values()) - server_errors
    print(f"  failed jobs: {len(failures)}; 5xx answers: {server_errors}; other failed "
          f"operations: {others}")
    for failure in failures[:10]:
        print(f"    {failure}")
    marks, jobs = scan_logs(log_sizes)
    print(f"  logs in {logs}, up to the workers' shutdown: "
          + (", ".join(f"{n} {m}" for m, n in marks.items())
             or "no tracebacks, errors or worker timeouts"))
    print("  jobs the two workers did, from set-up to drained (mean seconds in the horse): "
          + ", ".join(f"{name} {len(seconds)} ({statistics.mean(seconds):.2f} s)"
                      for name, seconds in sorted(jobs.items(), key=lambda j: -len(j[1]))))
    lost = len(web_lost) + len(sms_lost) + found.inbound_unprocessed + stuck
    checks = [
        (memory_ok, f"every web and worker process under {GOAL_MB} MB"),
        (lost == 0 and not left, f"responses lost: {lost} (goal 0; with replies never "
                                 "processed and conversations left waiting)"),
        (found.duplicates == 0, f"responses duplicated: {found.duplicates} (goal 0)"),
        (found.unanalysed == 0, f"responses not analysed: {found.unanalysed} (goal 0)"),
        (not failures and not server_errors and not others,
         f"no failed jobs, 5xx answers or other failed operations: {len(failures)}, "
         f"{server_errors} and {others}"),
    ]
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {text}")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a bench reports; it never fails the shell that ran it
        traceback.print_exc()
        print("FAIL: the bench could not finish")
