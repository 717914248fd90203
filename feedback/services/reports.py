"""Figures for service leads, aggregated in SQL, with small numbers suppressed."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Answer, Question, Response, ResponseVersion, Role, Service, User

POSITIVE = ("very_good", "good")
NEGATIVE = ("poor", "very_poor")


@dataclass(frozen=True)
class ServiceSummary:
    service: Service
    responses: int
    rated: int  # responses with an FFT rating (Don't know included): the FFT denominator
    positive: int
    negative: int

    def percent(self, count: int) -> float | None:
        # No ratings: blank, not 0. Too few: hidden, so no one respondent can be recognised.
        if self.rated < current_app.config["SUPPRESS_BELOW"]:
            return None
        return 100 * count / self.rated


def services_for(user: User) -> list[Service]:
    if user.role == Role.ADMIN:
        return list(db.session.scalars(select(Service).order_by(Service.name)))
    return list(user.services)


def service_exists(service_id: int) -> bool:
    return db.session.get(Service, service_id) is not None


def summaries(services: list[Service]) -> list[ServiceSummary]:
    if not services:
        return []
    ids = [s.id for s in services]
    # Paper sheets held back until their batch is final do not count yet.
    counted = (Response.service_id.in_(ids), Response.held_back.is_(False))
    totals = dict(db.session.execute(
        select(Response.service_id, func.count()).where(*counted).group_by(Response.service_id)
    ).all())
    # Each response's current version is its highest-numbered one.
    latest = (
        select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
        .group_by(ResponseVersion.response_id).subquery()
    )
    ratings = {
        service_id: (rated, positive or 0, negative or 0)
        for service_id, rated, positive, negative in db.session.execute(
            select(
                Response.service_id,
                func.count(),
                func.sum(case((Answer.choice.in_(POSITIVE), 1), else_=0)),
                func.sum(case((Answer.choice.in_(NEGATIVE), 1), else_=0)),
            )
            .join(latest, latest.c.response_id == Response.id)
            .join(Answer, Answer.response_version_id == latest.c.version_id)
            .join(Question, Question.id == Answer.question_id)
            .where(*counted, Question.kind == "fft_rating", Answer.status == "answered")
            .group_by(Response.service_id)
        )
    }
    return [
        ServiceSummary(s, totals.get(s.id, 0), *ratings.get(s.id, (0, 0, 0)))
        for s in services
    ]
