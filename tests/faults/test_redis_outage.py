"""Redis stops while people answer on the web and by text: nothing is lost, nothing doubled.

Our Redis keeps nothing on disk, so when it comes back it has forgotten every queued job, as a
Redis that crashed or was replaced would. What was sent is in PostgreSQL already; the sweeps
find the work whose job was lost and finish it.
"""

import secrets
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from redis import Redis
from rq import Worker
from rq.cron import CronScheduler
from sqlalchemy import select

from feedback import jobs
from feedback.extensions import db as _db
from feedback.models import Conversation, Response, SmsMessage, utcnow
from feedback.services import campaigns, responses
from tests.conftest import FreshRequestClient
from tests.factories import question_ids
from tests.faults.apps import (
    QUESTIONS,
    SLUG,
    analysed_responses,
    clock_moved_on,
    count,
    half_saved_responses,
    inbound_texts,
    rolled_up_responses,
    stored_web_keys,
    survey_posts,
    unanalysed_responses,
    wait_until,
    web_answers,
)

pytestmark = pytest.mark.faults

PEOPLE = [f"+4477009002{n:02d}" for n in range(6)]


def submit_on_the_web(app, n: int) -> bool:
    """One person's whole web survey in a browser of their own; True when told it was sent."""
    browser = app.test_client()
    start = browser.get(f"/s/{SLUG}")
    token = BeautifulSoup(start.text, "html.parser").select_one("input[name=csrf_token]")["value"]
    for path, form in survey_posts(token, web_answers(n)):
        response = browser.post(path, data=form)
        assert response.status_code == 302, (path, response.status_code, response.text[:500])
    return response.headers["Location"].endswith(f"/s/{SLUG}/done")


def drain_queues(standin) -> None:
    """A real RQ worker runs everything queued, then stops."""
    _db.session.remove()  # the work horse is a fork: hand it no open connection
    jobs.make_worker(jobs.QueueNames.all()).work(burst=True)
    standin.wait_idle()


def comment(number: str) -> str:
    return f"Text comment from {number[-4:]}: the link would not open."


def test_web_and_sms_submissions_are_stored_once_and_finished_when_redis_stops(
        app, db, redis, redis_server, live, survey, monkeypatch):
    monkeypatch.setattr(app, "test_client_class", FreshRequestClient)
    improve = question_ids(survey)["fft_what_could_improve"]
    web_sent = web_acknowledged = 0

    def web(n_people: int) -> None:
        nonlocal web_sent, web_acknowledged
        for _ in range(n_people):
            web_sent += 1
            web_acknowledged += submit_on_the_web(app, web_sent)

    sms_posts, sids = 0, []

    def text(number: str, body: str, sid: str | None = None) -> str:
        nonlocal sms_posts
        sid = sid or "SM" + secrets.token_hex(16)
        status, _ = live.send_inbound(from_number=number, body=body, message_sid=sid)
        assert status == 200  # acknowledged to Twilio, which will not send it again
        sms_posts += 1
        sids.append(sid)
        return sid

    campaigns.start_campaign(
        service=survey.service, name="Clinic 12 May", created_by=None,
        rows=[campaigns.RecipientInput(phone=number, language="en") for number in PEOPLE])
    jobs.send_invitations()  # an invitation and the first question to each person

    # Redis up: the first answers are queued and worked through.
    for number in PEOPLE:
        text(number, "1")
    web(3)
    drain_queues(live)
    assert analysed_responses() == 3
    # Jobs queued that no worker runs before Redis goes: they go with it.
    for number in PEOPLE[:3]:
        text(number, comment(number))
    web(2)
    assert Redis.from_url(redis_server.url).llen("rq:queue:default") == 2

    redis_server.stop()
    during = [text(number, comment(number)) for number in PEOPLE[3:]]  # no job queued
    text(PEOPLE[3], comment(PEOPLE[3]), sid=during[0])  # Twilio sends one again
    web(4)
    health = app.test_client().get("/health")
    assert health.status_code == 503
    assert health.json["checks"]["redis"]["status"] == "unavailable"
    assert health.json["checks"]["database"]["status"] == "ok"
    assert count(Response, Response.channel == "web") == 9  # every one saved all the same
    assert analysed_responses() == 3

    redis_server.start()  # empty: every job queued before the outage is gone
    assert Redis.from_url(redis_server.url).dbsize() == 0
    with clock_moved_on(monkeypatch):
        # What the scheduler would enqueue on its next round, once the grace period is over.
        jobs.enqueue(jobs.sms_sweep)
        jobs.enqueue(jobs.analysis_sweep)
        drain_queues(live)
    for number in PEOPLE:  # the third question reached everyone: they answer it
        text(number, "no")
    drain_queues(live)

    # Web: every survey sent was acknowledged, and stored once.
    keys = stored_web_keys()
    assert (web_sent, web_acknowledged, len(keys), len(set(keys))) == (9, 9, 9, 9)
    # SMS: every text stored once, Twilio's repeat included, and each acted on once.
    texts = inbound_texts()
    assert (sms_posts, len(set(sids)), len(texts)) == (19, 18, 18)
    assert sorted(t.message_sid for t in texts) == sorted(set(sids))
    assert all(t.processed_at is not None for t in texts)
    for number in PEOPLE:
        # Invitation, three questions, thanks: each once, none lost and none sent twice.
        assert len(live.messages(to=number)) == len(QUESTIONS) + 2, live.messages(to=number)
        assert live.messages(to=number)[-1].body.startswith("Thank you")
    assert count(SmsMessage, SmsMessage.direction == "out", SmsMessage.status == "pending") == 0
    sms_responses = list(_db.session.scalars(
        select(Response).where(Response.channel == "sms").order_by(Response.id)))
    assert len(sms_responses) == len(PEOPLE) == count(Conversation)
    comments = sorted(a.text for r in sms_responses for a in r.current_version.answers
                      if a.question_id == improve)
    assert comments == sorted(comment(number) for number in PEOPLE)
    # Every response analysed once, and counted once in the reports.
    assert half_saved_responses() == 0
    assert unanalysed_responses() == []
    assert analysed_responses() == rolled_up_responses() == 9 + len(PEOPLE)


def submit_lost(survey, minutes_ago: int = 5) -> int:
    ids = question_ids(survey)
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", submitted_at=utcnow() - timedelta(minutes=minutes_ago),
        answers={ids["fft_rating"]: {"choice": "poor"},
                 ids["fft_what_could_improve"]: {"text": "Submitted while Redis was down."},
                 ids["data_cost"]: {"choice": "no"}}).id


def test_a_running_worker_and_its_scheduler_carry_on_when_redis_restarts(
        app, db, redis, redis_server, survey, start_worker):
    """The sweeps must outlive an outage: they are what finds the work it lost.

    The worker runs as deploy.md says, under a supervisor that starts it again if it exits
    (RQ's worker quits when Redis fails under it mid-job), played here by `running()`.
    """
    sweep_often = {"FAULTS_ANALYSIS_SWEEP_SECONDS": "3"}
    workers = [start_worker(**sweep_often)]

    def running():
        if not workers[-1].alive():
            workers.append(start_worker(name=f"worker-{len(workers)}", **sweep_often))
        return workers[-1]

    periodic = {f"{job.__module__}.{job.__name__}" for job, _ in jobs.PERIODIC_JOBS}
    queues = [jobs.get_queue(name) for name in jobs.QueueNames.all()]

    def working():
        registered = Worker.all(connection=redis)
        schedulers = CronScheduler.all(redis)
        # Listening on every queue, every periodic job scheduled, and a sweep done.
        return (registered and schedulers
                and sorted(registered[0].queue_names()) == sorted(jobs.QueueNames.all())
                and {job.func_name for job in schedulers[0].get_jobs()} == periodic
                and jobs.get_queue(jobs.QueueNames.PERIODIC).finished_job_registry.count)

    def idle():
        registered = Worker.all(connection=redis)
        return (registered and registered[0].get_state() == "idle"
                and not any(q.count for q in queues))

    wait_until(working, timeout=30, message="the worker to start")
    # Just after a round of sweeps: the worker waits on Redis for a job, the scheduler sleeps.
    wait_until(lambda: not idle(), timeout=30, interval=0.02, message="a round of sweeps")
    wait_until(idle, timeout=30, interval=0.02, message="the worker to finish a round")
    redis_server.stop()
    lost = submit_lost(survey)  # saved; its job could not be queued
    outage_ends = time.monotonic() + 4  # the scheduler wakes in it, and finds Redis gone
    while time.monotonic() < outage_ends:
        running()
        time.sleep(0.2)
    redis_server.start()

    # Only a periodic sweep can find that response now: the scheduler must be running again.
    wait_until(lambda: running() and not unanalysed_responses(), timeout=30, interval=0.2,
               message=f"the sweep to analyse response {lost}; log:\n{workers[-1].output()}")
    assert analysed_responses() == rolled_up_responses() == 1
