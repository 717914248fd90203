"""Jobs run on a real Redis by a real RQ worker, or in-process without Redis."""

import os
import time
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select

from feedback import jobs
from feedback.extensions import db as _db
from feedback.models import SurveyDraft, utcnow
from feedback.services import responses
from tests.factories import create_survey

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis(app, monkeypatch):
    """The machine's Redis (a database of its own, emptied), as the app's job connection."""
    connection = Redis.from_url(TEST_REDIS_URL)
    connection.ping()  # no skip: without Redis this test must fail
    connection.flushdb()
    monkeypatch.setitem(app.extensions, "feedback.redis", connection)
    yield connection
    connection.flushdb()


def stale_draft(survey) -> str:
    token = responses.start_draft(survey_version_id=survey.versions[0].id)
    _db.session.get(SurveyDraft, token).updated_at = utcnow() - timedelta(days=2)
    _db.session.commit()
    return token


def drafts() -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(SurveyDraft))


def test_enqueued_job_is_run_by_a_real_worker_when_redis_is_configured(db, redis):
    stale_draft(create_survey())
    jobs.enqueue(jobs.purge_stale_drafts)
    assert jobs.get_queue(jobs.QueueNames.PERIODIC).count == 1
    assert drafts() == 1  # nothing ran in this process

    _db.session.remove()  # the worker forks: hand it no open connection
    worker = jobs.make_worker(jobs.QueueNames.all())
    assert worker.work(burst=True)
    assert drafts() == 0
    assert jobs.get_queue(jobs.QueueNames.PERIODIC).finished_job_registry.count == 1


def test_a_response_is_committed_then_analysed_by_a_real_worker(db, redis):
    from feedback.models import ResponseAnalysis
    from tests.factories import question_ids

    survey = create_survey()
    ids = question_ids(survey)
    response = responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", answers={ids["fft_rating"]: {"choice": "good"},
                              ids["fft_what_was_good"]: {"text": "Lovely nurse."}},
        enforce_required=False)
    assert jobs.get_queue(jobs.QueueNames.DEFAULT).count == 1
    assert _db.session.scalar(select(func.count()).select_from(ResponseAnalysis)) == 0

    _db.session.remove()
    assert jobs.make_worker(jobs.QueueNames.all()).work(burst=True)
    analysed = _db.session.scalar(
        select(ResponseAnalysis).where(ResponseAnalysis.response_id == response.id))
    assert analysed is not None and analysed.comments[0].sentiment_label == "positive"


def test_a_response_survives_redis_being_down_and_the_sweep_analyses_it(db, app, monkeypatch,
                                                                         caplog):
    from redis import Redis as _Redis

    from feedback.models import ResponseAnalysis
    from tests.factories import question_ids

    # Nothing listens on port 9: every enqueue fails as it would with Redis stopped.
    monkeypatch.setitem(app.extensions, "feedback.redis",
                        _Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2))
    survey = create_survey()
    ids = question_ids(survey)
    response = responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", answers={ids["fft_rating"]: {"choice": "good"}}, enforce_required=False,
        submitted_at=utcnow() - timedelta(minutes=5))
    assert "Could not enqueue analyse_response" in caplog.text
    assert _db.session.get(type(response), response.id) is not None  # saved all the same
    monkeypatch.delitem(app.extensions, "feedback.redis")
    assert jobs.analysis_sweep() == 1
    assert _db.session.scalar(select(func.count()).select_from(ResponseAnalysis)) == 1


def test_job_runs_in_process_straight_away_when_there_is_no_redis(db):
    stale_draft(create_survey())
    jobs.enqueue(jobs.purge_stale_drafts)
    assert drafts() == 0


def test_in_process_job_failure_is_logged_not_raised(db, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(responses, "purge_stale_drafts", broken)
    jobs.enqueue(jobs.purge_stale_drafts)
    assert "In-process job purge_stale_drafts failed" in caplog.text


def test_worker_listens_on_every_queue(app, redis):
    with app.app_context():
        worker = jobs.make_worker(jobs.QueueNames.all())
    assert sorted(worker.queue_names()) == sorted(jobs.QueueNames.all())
    used = {options.queue for options in jobs.JOB_OPTIONS.values()}
    assert used <= set(jobs.QueueNames.all())


def test_every_periodic_job_is_scheduled_by_the_cron_scheduler(app, redis):
    with app.app_context():
        scheduler = jobs.make_cron_scheduler()
    scheduled = {job.func_name: job.interval for job in scheduler.get_jobs()}
    for job, interval_key in jobs.PERIODIC_JOBS:
        assert scheduled[f"{job.__module__}.{job.__name__}"] == app.config[interval_key]


def test_every_job_has_its_options_declared():
    for job, _ in jobs.PERIODIC_JOBS:
        assert job in jobs.JOB_OPTIONS


def test_in_process_scheduler_runs_periodic_jobs_on_a_timer(app, db):
    stale_draft(create_survey())
    _db.session.remove()
    stop = jobs.start_in_process_scheduler(app)
    try:
        deadline = time.monotonic() + 10
        while drafts() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert drafts() == 0
    finally:
        stop.set()


def test_worker_command_explains_when_redis_is_not_configured(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


def test_flask_worker_listens_on_every_queue_and_schedules_every_periodic_job(
        runner, redis, app, monkeypatch):
    """The command itself, not only the helpers it calls: a queue it left out, or a periodic
    job it did not schedule, would leave that work waiting for ever."""
    started = {}

    class Worker:
        def __init__(self, queue_names):
            started["queues"] = queue_names

        def work(self, burst, with_scheduler):
            started["work"] = {"burst": burst, "with_scheduler": with_scheduler}

    class Process:  # where the command runs the cron scheduler
        def __init__(self, target, args, name, daemon):
            started["cron"] = args[1]

        def start(self):
            pass

        def is_alive(self):
            return False

    monkeypatch.setattr(jobs, "make_worker", Worker)
    monkeypatch.setattr("multiprocessing.Process", Process)
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert sorted(started["queues"]) == sorted(jobs.QueueNames.all())
    # The worker's own scheduler moves jobs waiting for a retry back onto their queues.
    assert started["work"] == {"burst": False, "with_scheduler": True}
    scheduled = {job.func_name: job for job in started["cron"].get_jobs()}
    assert len(scheduled) == len(jobs.PERIODIC_JOBS)
    for job, interval_key in jobs.PERIODIC_JOBS:
        cron = scheduled[f"{job.__module__}.{job.__name__}"]
        options = jobs.JOB_OPTIONS[job]
        assert (cron.queue_name, cron.interval, cron.job_options["job_timeout"]) == (
            options.queue, app.config[interval_key], options.timeout)

    started.clear()
    assert runner.invoke(args=["worker", "--no-cron"]).exit_code == 0
    assert "cron" not in started and sorted(started["queues"]) == sorted(jobs.QueueNames.all())


def test_every_job_can_be_found_by_the_name_rq_stores():
    from rq.utils import import_attribute

    # A worker imports the job by its dotted name: a job defined anywhere but at the top of
    # its module would be queued and then fail in every worker.
    for job in jobs.JOB_OPTIONS:
        assert import_attribute(f"{job.__module__}.{job.__qualname__}") is job
