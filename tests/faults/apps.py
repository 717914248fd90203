"""The app as the fault tests run it, and what they count: sent, acknowledged and stored."""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback.config import ProductionConfig, TestConfig
from feedback.extensions import db
from feedback.models import (
    Answer,
    Response,
    ResponseAnalysis,
    ResponseRollup,
    ResponseVersion,
    SmsMessage,
    utcnow,
)
from feedback.services import analysis

SLUG = "video-appointments"
QUESTIONS = ["fft_rating", "fft_what_could_improve", "data_cost"]


class FaultConfig(TestConfig):
    """TestConfig on our own servers, with production's database engine and rate limiter.

    The engine options are production's exactly, since surviving a restart is theirs to do;
    the limiter counts in Redis as in production (with a limit no test reaches), since a
    limiter that fails with Redis would refuse every survey post before it could be saved.
    """

    SQLALCHEMY_ENGINE_OPTIONS = ProductionConfig.SQLALCHEMY_ENGINE_OPTIONS
    RATELIMIT_ENABLED = True
    SURVEY_POST_RATE_LIMIT = "100000 per 10 minutes"
    SMS_QUIET_HOURS = (24, 0)  # never quiet: invitations go whatever the time of the run

    def __init__(self, database_url: str, redis_url: str, **settings):
        super().__init__(database_url=database_url)
        self.REDIS_URL = redis_url
        self.RATELIMIT_STORAGE_URI = redis_url
        for name, value in settings.items():
            setattr(self, name, value)


def count(model, *where) -> int:
    db.session.rollback()  # see what other processes and threads committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def half_saved_responses() -> int:
    """Responses missing their version or an answer: a save that stopped part way."""
    db.session.rollback()
    answers = (select(Answer.response_version_id, func.count().label("n"))
               .group_by(Answer.response_version_id).subquery())
    return db.session.scalar(
        select(func.count()).select_from(Response)
        .outerjoin(ResponseVersion, ResponseVersion.response_id == Response.id)
        .outerjoin(answers, answers.c.response_version_id == ResponseVersion.id)
        .where((ResponseVersion.id.is_(None)) | (func.coalesce(answers.c.n, 0)
                                                  != len(QUESTIONS))))


def stored_web_keys() -> list[str]:
    """The idempotency key of every web response, once per row: a key twice is a duplicate."""
    db.session.rollback()
    return list(db.session.scalars(select(Response.idempotency_key)
                                   .where(Response.channel == "web")))


def rolled_up_responses() -> int:
    """Responses the report rollups count: each analysed response exactly once."""
    db.session.rollback()
    return db.session.scalar(select(func.coalesce(func.sum(ResponseRollup.responses), 0)))


def analysed_responses() -> int:
    return count(ResponseAnalysis)


def unanalysed_responses() -> list[int]:
    db.session.rollback()
    return analysis.unanalysed()


def inbound_texts() -> list[SmsMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(SmsMessage).where(SmsMessage.direction == "in")
                                   .order_by(SmsMessage.id)))


@contextmanager
def clock_moved_on(monkeypatch, minutes: int = 31):
    """Run the sweeps as if `minutes` had passed: they leave recent work to its own job.

    31 minutes is past every grace period the sweeps give (2 for analysis and inbound texts,
    30 for outbound ones).
    """
    with monkeypatch.context() as patch:
        later = utcnow() + timedelta(minutes=minutes)
        patch.setattr("feedback.models.utcnow", lambda: later)
        yield


def survey_posts(csrf_token: str, answers: list[str]) -> list[tuple[str, dict]]:
    """The web survey's posts for one person, in order: (path, form)."""
    posts = [(f"/s/{SLUG}", {}), (f"/s/{SLUG}/who-is-answering", {"role": "patient"})]
    posts += [(f"/s/{SLUG}/questions/{n}", {"answer": answer})
              for n, answer in enumerate(answers, start=1)]
    posts.append((f"/s/{SLUG}/check-your-answers", {}))
    return [(path, {"csrf_token": csrf_token, **form}) for path, form in posts]


def web_answers(n: int) -> list[str]:
    return ["good", f"Web comment number {n}: the video froze.", "no"]


def wait_until(condition, *, timeout: float, interval: float = 0.1, message: str = ""):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {message}")
        time.sleep(interval)
