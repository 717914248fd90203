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
    SMS = "sms"  # first: a person is waiting for the reply
    DEFAULT = "default"
    PERIODIC = "periodic"

    @classmethod
    def all(cls) -> list[str]:
        return [cls.SMS, cls.DEFAULT, cls.PERIODIC]


@dataclass(frozen=True)
class JobOptions:
    queue: str
    timeout: int  # seconds a run may take before RQ kills it
    retries: int  # further attempts after a failure
    retry_intervals: tuple[int, ...] = (10, 60, 300)  # seconds before each retry
    # Without Redis, run in a thread rather than in the request that asked for it: for jobs
    # that take a while, such as sending a campaign at a throttled rate.
    slow: bool = False


# --- the jobs ------------------------------------------------------------------------------
# Each takes only primitive arguments, calls one service function, and is safe to run twice.


def purge_stale_drafts() -> int:
    from .services.responses import purge_stale_drafts as purge

    return purge(max_age=current_app.config["SURVEY_DRAFT_LIFETIME"])


def apply_retention() -> dict:
    from .services.retention import apply_retention as apply

    return apply(days=current_app.config["RETENTION_DAYS"])


def handle_inbound_text(message_id: int) -> None:
    from .services import sms

    for text_id in sms.process_inbound(message_id):
        enqueue(deliver_text, text_id)


def deliver_text(message_id: int) -> None:
    from .services import sms

    sms.deliver(message_id)  # SmsSendError on a Twilio outage: RQ retries with backoff


def analyse_response(response_id: int) -> None:
    from .services import analysis

    analysis.analyse_response(response_id)


def analysis_sweep() -> int:
    """Analyse responses whose job was lost (Redis down, a worker killed) or failed for good."""
    from datetime import timedelta

    from .models import utcnow
    from .services import analysis

    # Only those old enough that their own job has had its chance.
    waiting = analysis.unanalysed(submitted_before=utcnow() - timedelta(minutes=2))
    for response_id in waiting:
        _run_in_process(analyse_response, response_id)
    return len(waiting)


_pause = time.sleep  # the throttle's wait; a test replaces it


def send_invitations() -> int:
    """Send the invitations that are due, no faster than SMS_SEND_RATE texts a second."""
    from sms.client import SmsSendError

    from .services import campaigns, sms

    rate = current_app.config["SMS_SEND_RATE"]
    limit = max(1, int(rate * current_app.config["SMS_SWEEP_INTERVAL"] / 2))
    sent = 0
    for text_id in campaigns.invite_due(limit=limit):
        try:
            sms.deliver(text_id)
        except SmsSendError:
            # Twilio busy or down: a job of its own retries this text with backoff.
            enqueue(deliver_text, text_id)
        except Exception:
            log.exception("Invitation text %s failed; the sweep retries it", text_id)
        sent += 1
        _pause(1 / rate)
    return sent


def sms_sweep() -> None:
    """Expire quiet conversations, send due invitations, and pick up anything left behind."""
    from datetime import timedelta

    from .models import utcnow
    from .services import sms

    if not sms.is_enabled():
        return
    sms.expire_conversations()
    send_invitations()
    now = utcnow()
    for message_id in sms.unprocessed_inbound(now - timedelta(minutes=2)):
        enqueue(handle_inbound_text, message_id)
    # Past RQ's own retries: a text still pending after this long was lost or kept failing.
    for message_id in sms.pending_messages(now - timedelta(minutes=30)):
        enqueue(deliver_text, message_id)


def run_export(export_id: int) -> None:
    from .services import exports

    exports.run_export(export_id)


def export_sweep() -> int:
    """Delete expired exports' files, fail stuck ones, and run again those whose job was lost."""
    from .services import exports

    for export_id in exports.sweep_exports(stuck_after=JOB_OPTIONS[run_export].timeout):
        enqueue(run_export, export_id)
    return exports.purge_expired()


JOB_OPTIONS: dict[Callable, JobOptions] = {
    handle_inbound_text: JobOptions(queue=QueueNames.SMS, timeout=60, retries=3),
    deliver_text: JobOptions(queue=QueueNames.SMS, timeout=60, retries=5,
                             retry_intervals=(10, 30, 60, 300, 600)),
    send_invitations: JobOptions(queue=QueueNames.SMS, timeout=600, retries=0, slow=True),
    sms_sweep: JobOptions(queue=QueueNames.PERIODIC, timeout=600, retries=0),
    purge_stale_drafts: JobOptions(queue=QueueNames.PERIODIC, timeout=300, retries=0),
    apply_retention: JobOptions(queue=QueueNames.PERIODIC, timeout=1800, retries=2),
    analyse_response: JobOptions(queue=QueueNames.DEFAULT, timeout=120, retries=3),
    analysis_sweep: JobOptions(queue=QueueNames.PERIODIC, timeout=1800, retries=0),
    # No retries: an export that failed on this data fails again; the person can start another.
    # Slow: without Redis it runs in a thread, so the request that asked for it returns at once.
    run_export: JobOptions(queue=QueueNames.DEFAULT, timeout=1800, retries=0, slow=True),
    export_sweep: JobOptions(queue=QueueNames.PERIODIC, timeout=300, retries=0),
}

# (job, config key holding its interval in seconds)
PERIODIC_JOBS: list[tuple[Callable, str]] = [
    (purge_stale_drafts, "PURGE_DRAFTS_INTERVAL"),
    (apply_retention, "RETENTION_INTERVAL"),
    (sms_sweep, "SMS_SWEEP_INTERVAL"),
    (analysis_sweep, "ANALYSIS_SWEEP_INTERVAL"),
    (export_sweep, "EXPORT_SWEEP_INTERVAL"),
]


# --- running them --------------------------------------------------------------------------


def get_redis():
    """The app's Redis connection, or None in the embedded default."""
    return current_app.extensions.get("feedback.redis")


def get_queue(name: str):
    from rq import Queue

    return Queue(name, connection=get_redis())


# A failed job's record (with its traceback, which may quote data) is kept this long, in
# seconds, to investigate it; RQ's default is a year.
FAILED_JOB_TTL = 7 * 24 * 3600


def enqueue(func: Callable, *args) -> None:
    """Run `func(*args)` in the background. Call only after the commit it depends on."""
    options = JOB_OPTIONS[func]
    if get_redis() is None:
        if options.slow and not current_app.testing:
            _run_in_thread(func, *args)
        else:
            _run_in_process(func, *args)
        return
    from redis.exceptions import RedisError
    from rq import Retry

    retry = None
    if options.retries:
        intervals = list(options.retry_intervals[: options.retries])
        retry = Retry(max=options.retries, interval=intervals)
    try:
        get_queue(options.queue).enqueue(func, *args, job_timeout=options.timeout, retry=retry,
                                         failure_ttl=FAILED_JOB_TTL)
    except RedisError:
        # What asked for the job is committed already; the periodic sweep finds it later.
        log.exception("Could not enqueue %s%r; the sweep will pick it up", func.__name__, args)


def _run_in_process(func: Callable, *args) -> None:
    # A failed in-process job must not fail the request that caused it; the sweep retries.
    try:
        func(*args)
    except Exception:
        log.exception("In-process job %s failed", func.__name__, extra={"job": func.__name__})


def _run_in_thread(func: Callable, *args) -> None:
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            _run_in_process(func, *args)

    threading.Thread(target=run, name=f"job-{func.__name__}", daemon=True).start()


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

    # Load the analysers' word lists and patterns once here: each job runs in a fork of this
    # process, which would otherwise load them again for every job.
    # Twilio's message API is imported the same way, once: importing it in each job's fork
    # made sending a text cost several times its own work (bench/load.py).
    import twilio.rest.api.v2010.account.message  # noqa: F401

    from .analysis import analyse

    analyse("warm up", rating="good")
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
