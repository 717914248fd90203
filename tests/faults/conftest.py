"""Fault tests: PostgreSQL and Redis of their own on spare ports, the app on them, and workers
and web servers in processes of their own that the tests can kill.

They stop and start those servers, so they never touch the machine's own. They take a minute
or two and run only when asked for with `-m faults` (as `make test` does).
"""

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade
from redis import Redis
from werkzeug.serving import make_server

from feedback import create_app
from feedback.analysis import analyse
from feedback.extensions import db as _db
from feedback.services.question_bank import sync_question_bank
from sms.standin import TwilioStandIn
from tests.factories import create_service, create_survey
from tests.faults.apps import QUESTIONS, FaultConfig
from tests.faults.servers import PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    if "faults" in (config.getoption("markexpr") or ""):
        return
    # A plain `pytest` leaves these out (deselected, not skipped); `-m faults` runs them.
    chosen, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("faults") else chosen).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = chosen


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().init()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server):
    """Our Redis, running and empty at the start of each test."""
    if redis_server.process is None:
        redis_server.start()
    connection = Redis.from_url(redis_server.url)
    connection.flushall()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def database_url(postgres):
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "feedback"')
    return postgres.url("feedback")


@pytest.fixture(scope="session")
def app(database_url, redis_server):
    """The app on our servers; the root conftest's `db` and `client` fixtures use this one."""
    app = create_app(FaultConfig(database_url, redis_server.url))
    with app.app_context():
        upgrade()  # the schema from the migrations, as in production
        sync_question_bank()
        _db.session.remove()
    # Load the analysers' word lists here, once: the tests' burst workers fork their work
    # horses from this process, and each would otherwise load them again (a second a job).
    analyse("Warm up.", question="fft_what_could_improve", rating="good", language="en")
    return app


@pytest.fixture(autouse=True)
def postgres_running_again(postgres):
    """Whatever a test did to PostgreSQL, the next test (and `db`'s clean-up) finds it up."""
    yield
    if not postgres.running():
        postgres.start()


@pytest.fixture
def survey(db):
    return create_survey(service=create_service(), question_keys=QUESTIONS, languages=("en",))


@pytest.fixture
def live(app, db, monkeypatch):
    """The app over HTTP, and a Twilio stand-in that signs webhooks to it and takes its texts."""
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
    app.extensions.pop("feedback.twilio", None)
    yield standin
    standin.wait_idle()
    standin.stop()
    server.shutdown()
    app.extensions.pop("feedback.twilio", None)


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: state, parent, ..., start time (field 22)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> list[tuple[int, str]]:
    """Every process `pid` started, and theirs, as (pid, start time) so that a pid the system
    has since given to another process is never signalled. RQ's work horse has a session of
    its own, so killing the worker's process group would miss it."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields:
            children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found, waiting = [], [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child[0])
    return found


def _signal(processes: list[tuple[int, str]], signum: int) -> None:
    for pid, started in processes:
        fields = _stat(pid)
        if fields and fields[19] == started:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass


@dataclass
class Process:
    """A process a test started, which it can kill along with every process it started."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL it and all its processes at once: the worker, its work horse, its schedulers."""
        # Only while it is unreaped is its pid surely still its own.
        others = descendants(self.pid) if self.alive() else []
        self.popen.kill()
        _signal(others, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture
def processes(tmp_path):
    """`start(name, argv, env)` runs a process in the repository; all are stopped at the end."""
    started: list[Process] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> Process:
        log = tmp_path / f"{name}.log"
        popen = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env},
                                 stdout=log.open("wb"), stderr=subprocess.STDOUT)
        process = Process(name, popen, log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()  # nothing to learn from a graceful stop, and it takes seconds


@pytest.fixture
def start_worker(processes, database_url, redis_server):
    """Start `flask worker` (with FaultConfig) in a process of its own, as a trust runs it."""

    def start(*options: str, name: str = "worker", **env: str) -> Process:
        return processes(name, [sys.executable, "-m", "tests.faults.worker_process", *options],
                         {"FAULTS_DATABASE_URL": database_url,
                          "FAULTS_REDIS_URL": redis_server.url, **env})

    return start

