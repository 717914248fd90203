"""Background jobs: queue names, the jobs themselves, and enqueue().

With REDIS_URL set, jobs go to RQ and `flask worker` runs them; without it they run in the
web process straight after the commit that asked for them, and the periodic ones on a timer.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

log = logging.getLogger(__name__)


class QueueNames:
    DEFAULT = "default"
    PERIODIC = "periodic"

    @classmethod
    def all(cls) -> list[str]:
        return [cls.DEFAULT, cls.PERIODIC]


@dataclass(frozen=True)
class JobOptions:
    queue: str
    timeout: int  # seconds a run may take before RQ kills it
    retries: int  # further attempts after a failure
    retry_intervals: tuple[int, ...] = (10, 60, 300)  # seconds before each retry


# --- the jobs ------------------------------------------------------------------------------
# Each takes only primitive arguments, calls one service function, and is safe to run twice.


def purge_stale_drafts() -> int:
    from .services.responses import purge_stale_drafts as purge

    return purge(max_age=current_app.config["SURVEY_DRAFT_LIFETIME"])


def apply_retention() -> dict:
    from .services.retention import apply_retention as apply

    return apply(days=current_app.config["RETENTION_DAYS"])


JOB_OPTIONS: dict[Callable, JobOptions] = {
    purge_stale_drafts: JobOptions(queue=QueueNames.PERIODIC, timeout=300, retries=0),
    apply_retention: JobOptions(queue=QueueNames.PERIODIC, timeout=1800, retries=2),
}

# (job, config key holding its interval in seconds)
PERIODIC_JOBS: list[tuple[Callable, str]] = [
    (purge_stale_drafts, "PURGE_DRAFTS_INTERVAL"),
    (apply_retention, "RETENTION_INTERVAL"),
]


# --- running them --------------------------------------------------------------------------


def get_redis():
    """The app's Redis connection, or None in the embedded default."""
    return current_app.extensions.get("feedback.redis")


def get_queue(name: str):
    from rq import Queue

    return Queue(name, connection=get_redis())


def enqueue(func: Callable, *args) -> None:
    """Run `func(*args)` in the background. Call only after the commit it depends on."""
    options = JOB_OPTIONS[func]
    if get_redis() is None:
        _run_in_process(func, *args)
        return
    from rq import Retry

    retry = None
    if options.retries:
        intervals = list(options.retry_intervals[: options.retries])
        retry = Retry(max=options.retries, interval=intervals)
    get_queue(options.queue).enqueue(func, *args, job_timeout=options.timeout, retry=retry)


def _run_in_process(func: Callable, *args) -> None:
    # A failed in-process job must not fail the request that caused it; the sweep retries.
    try:
        func(*args)
    except Exception:
        log.exception("In-process job %s failed", func.__name__, extra={"job": func.__name__})


def run_periodic_jobs_once() -> None:
    for func, _interval_key in PERIODIC_JOBS:
        _run_in_process(func)


def _periodic_loop(app: Flask, stop: threading.Event) -> None:
    next_run = {func: 0.0 for func, _ in PERIODIC_JOBS}
    while not stop.is_set():
        now = time.monotonic()
        for func, interval_key in PERIODIC_JOBS:
            if now >= next_run[func]:
                with app.app_context():
                    _run_in_process(func)
                next_run[func] = now + app.config[interval_key]
        stop.wait(min(next_run.values()) - time.monotonic() if next_run else 60)


def start_in_process_scheduler(app: Flask) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=_periodic_loop, args=(app, stop), name="periodic-jobs", daemon=True
    )
    thread.start()
    return stop


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis

        app.extensions["feedback.redis"] = Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )
        return
    if app.config["PERIODIC_JOBS_IN_PROCESS"]:
        # Started by the first request, so `flask db upgrade` and other commands never start it.
        started = threading.Lock()

        @app.before_request
        def _start_periodic_jobs() -> None:
            if "feedback.periodic" not in app.extensions and started.acquire(blocking=False):
                app.extensions["feedback.periodic"] = start_in_process_scheduler(app)


def make_worker(queue_names: list[str], *, name: str | None = None):
    """An RQ worker on the given queues whose work horses get fresh database connections."""
    from rq import Worker

    from .extensions import db

    class FeedbackWorker(Worker):
        def perform_job(self, job, queue):
            # The work horse is a fork: connections inherited from the parent must not be shared.
            db.engine.dispose(close=False)
            return super().perform_job(job, queue)

    return FeedbackWorker(queue_names, connection=get_redis(), name=name)


def make_cron_scheduler():
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=get_redis(), name=None)
    for func, interval_key in PERIODIC_JOBS:
        options = JOB_OPTIONS[func]
        scheduler.register(
            func,
            queue_name=options.queue,
            interval=current_app.config[interval_key],
            job_timeout=options.timeout,
        )
    return scheduler
