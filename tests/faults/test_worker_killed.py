"""A worker killed with SIGKILL in the middle of a job: the work is done later, and once.

The job is a response's analysis, held up (by the test's worker helper, see worker_process.py)
after it has written the results and the report rollups but before it commits them: the worst
moment to die. Its response carries a comment that must go to the safeguarding queue.
"""

import os
import signal
import time
from datetime import timedelta

import pytest
from rq.job import Job
from rq.registry import StartedJobRegistry

from feedback import jobs
from feedback.models import CommentAnalysis, SafeguardingFlag, utcnow
from feedback.services import responses
from tests.factories import question_ids
from tests.faults.apps import (
    analysed_responses,
    count,
    half_saved_responses,
    rolled_up_responses,
    unanalysed_responses,
    wait_until,
)

pytestmark = pytest.mark.faults

COMMENTS = [
    "Some days I want to end my life.",  # the job that is killed; flagged for review
    "The video froze twice.",
    "Could not find the link in the text.",
    "The nurse was kind and clear.",
    "My data ran out half way through.",
]


def submit_all(survey) -> list[int]:
    """Five responses sent a few minutes ago, their analysis jobs queued in Redis."""
    ids = question_ids(survey)
    return [responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", submitted_at=utcnow() - timedelta(minutes=5),
        answers={ids["fft_rating"]: {"choice": "poor"},
                 ids["fft_what_could_improve"]: {"text": text},
                 ids["data_cost"]: {"choice": "no"}}).id for text in COMMENTS]


def hung_job(marker) -> int:
    """The work horse's process id, once it is stuck mid-job."""
    return int(wait_until(lambda: marker.exists() and marker.read_text(), timeout=40,
                          message="the first analysis to reach its commit"))


def assert_done_once(sent: list[int]) -> None:
    assert unanalysed_responses() == []
    assert half_saved_responses() == 0
    # One result per response, one comment per result, counted once in the reports, and the
    # disclosure queued for review once.
    assert (len(sent), analysed_responses(), count(CommentAnalysis), rolled_up_responses(),
            count(SafeguardingFlag)) == (5, 5, 5, 5, 1)


def test_a_worker_killed_mid_job_leaves_work_the_sweep_does_once(
        app, db, redis, survey, start_worker, tmp_path):
    sent = submit_all(survey)
    marker, go = tmp_path / "hung", tmp_path / "go"
    first = start_worker("--no-cron", name="killed", FAULTS_HANG_MARKER=str(marker))
    # The next worker loads now and starts when told, to keep the test short.
    start_worker(name="next", FAULTS_ANALYSIS_SWEEP_SECONDS="1", FAULTS_START_WHEN=str(go))
    hung_job(marker)
    # The worker and its work horse die at once, as when the kernel's OOM killer or a power
    # cut takes the machine: no one is left to tell Redis the job failed.
    first.kill()
    killed = StartedJobRegistry(queue=jobs.get_queue(jobs.QueueNames.DEFAULT))
    [killed_id] = killed.get_job_ids(cleanup=False)
    assert Job.fetch(killed_id, connection=redis).get_status() == "started"
    # PostgreSQL rolled back what the dead job had written: nothing half done.
    assert (analysed_responses(), rolled_up_responses(), count(SafeguardingFlag)) == (0, 0, 0)

    # A new worker runs the queued jobs, and its analysis sweep finds the one that died.
    go.touch()
    wait_until(lambda: not unanalysed_responses(), timeout=60, message="every analysis")
    assert_done_once(sent)

    # Later, RQ's own clean-up finds the dead job (once its time is up) and runs it again, as
    # its retries allow: the job finds the work done and changes nothing.
    killed.cleanup(timestamp=time.time() + 24 * 60 * 60)
    retried = Job.fetch(killed_id, connection=redis)
    assert retried.get_status() == "scheduled"  # to run again after its retry interval
    assert retried.retries_left == jobs.JOB_OPTIONS[jobs.analyse_response].retries - 1
    requeue_now(retried)
    wait_until(lambda: Job.fetch(killed_id, connection=redis).get_status() == "finished",
               timeout=30, message="the retried job")
    assert_done_once(sent)


def requeue_now(job: Job) -> None:
    """Queue a job RQ has scheduled for a retry now, rather than after its interval: the
    interval is not what these tests are about."""
    jobs.get_queue(jobs.QueueNames.DEFAULT).scheduled_job_registry.requeue(job)


def test_a_work_horse_killed_mid_job_is_retried_by_its_worker_and_done_once(
        app, db, redis, survey, start_worker, tmp_path):
    sent = submit_all(survey)
    marker = tmp_path / "hung"
    worker = start_worker("--no-cron", FAULTS_HANG_MARKER=str(marker))
    os.kill(hung_job(marker), signal.SIGKILL)  # only the horse: its worker sees it die

    # The worker marks the job failed and, as its retries allow, schedules it to run again.
    started = StartedJobRegistry(queue=jobs.get_queue(jobs.QueueNames.DEFAULT))
    scheduled = jobs.get_queue(jobs.QueueNames.DEFAULT).scheduled_job_registry
    [retried] = wait_until(lambda: scheduled.get_job_ids(), timeout=30,
                           message="the worker to schedule the retry")
    assert retried not in started.get_job_ids(cleanup=False)
    assert Job.fetch(retried, connection=redis).retries_left == (
        jobs.JOB_OPTIONS[jobs.analyse_response].retries - 1)
    requeue_now(Job.fetch(retried, connection=redis))
    wait_until(lambda: not unanalysed_responses(), timeout=60, message="every analysis")
    assert worker.alive()
    assert_done_once(sent)
