"""Helpers for benchmarks that run the app under gunicorn against PostgreSQL and Redis."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_database(template: str | None = None):
    """A new database, dropped afterwards; a copy of the one at URL `template` if given (no one
    may be connected to that one meanwhile)."""
    name = f"feedback_bench_{secrets.token_hex(4)}"
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def gunicorn(env: dict, workers: int = 2):
    """gunicorn with the shipped settings, on a spare port; yields its base URL."""
    with gunicorn_process(env, workers) as (base, _process):
        yield base


@contextmanager
def gunicorn_process(env: dict, workers: int = 2, *, port: int | None = None,
                     log: Path | None = None):
    """As gunicorn(), but yields (base URL, the master's Popen), for benches that look at the
    processes themselves (worker_pids, peak_rss_kb).

    :param port: the port to listen on, for a bench that must name the URL beforehand (the
        PUBLIC_BASE_URL that Twilio's callbacks go to); a spare one when None.
    :param log: a file for gunicorn's and the app's stderr. Without it stderr is a pipe that
        nobody reads until startup fails: enough for a short bench, but a long one that logs
        fills the pipe and the workers then block on their next log line.
    """
    port = port or free_port()
    stderr = log.open("ab") if log else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError(log.read_text()[-2000:] if log
                               else process.stderr.read().decode()[-2000:])
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        if log:
            stderr.close()


def flask(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def worker_pids(master_pid: int) -> list[int]:
    """The pids whose parent is master_pid (gunicorn's workers), read from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name sits in parentheses and may contain spaces: split after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
            pids.append(int(entry.name))
    return sorted(pids)


def peak_rss_kb(pid: int) -> int:
    """The process's peak resident set size so far (VmHWM), in KiB; 0 if it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# Runs `flask worker` as its child and, when that ends, writes the child's ru_maxrss: the peak
# RSS of the worker and of every process it forked and reaped, its work horses (one per job,
# too short-lived to sample) and its cron process. Linux carries a process's peak across
# exec, and a worker forked straight from a bench that has imported the app would start with
# the bench's peak; forked from this small process, it starts with this one's.
_REAPER = """
import os, signal, sys
out, args = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "flask", "worker", *args])
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as peak:
    peak.write(str(usage.ru_maxrss))
"""


class WorkerProcess:
    """A `flask worker` started by flask_worker(); tree_peak_kb is set once it has stopped."""

    def __init__(self, reaper: subprocess.Popen, pid: int):
        self.reaper = reaper
        self.pid = pid  # the worker itself
        self.tree_peak_kb = 0  # KiB: the worker's and every horse's peak RSS, the largest


@contextmanager
def flask_worker(env: dict, *args: str, log: Path, redis_url: str):
    """`flask worker [args]`, its output appended to `log`; yields a WorkerProcess once the
    worker has registered with RQ. On exit it is stopped as an operator would (SIGTERM: RQ
    finishes the job under way) and its process tree's peak RSS read."""
    from redis import Redis

    peak_file = log.with_suffix(".peak")
    with log.open("ab") as output:
        reaper = subprocess.Popen([sys.executable, "-c", _REAPER, str(peak_file), *args],
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    worker = None
    try:
        redis = Redis.from_url(redis_url)
        for _ in range(150):
            if reaper.poll() is not None:
                raise RuntimeError(f"flask worker ended: {log.read_text()[-2000:]}")
            pids = {str(pid).encode() for pid in worker_pids(reaper.pid)}
            if pids and any(redis.hget(key, "pid") in pids
                            for key in redis.smembers("rq:workers")):
                worker = WorkerProcess(reaper, int(next(iter(pids))))
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"flask worker never registered: {log.read_text()[-2000:]}")
        yield worker
    finally:
        reaper.terminate()  # passed on to the worker
        try:
            reaper.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in worker_pids(reaper.pid):
                os.kill(pid, signal.SIGKILL)
            reaper.wait(timeout=30)
        if worker is not None and peak_file.exists():
            worker.tree_peak_kb = int(peak_file.read_text() or 0)
