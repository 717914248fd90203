"""Services and their surveys: which are open, and composing surveys from the question bank."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Question, Service, Survey, SurveyQuestion, SurveyVersion, utcnow


@dataclass(frozen=True)
class OpenSurvey:
    service: Service
    survey: Survey
    version: SurveyVersion


class SurveyError(ValueError):
    pass


def _open_surveys_query(now: datetime):
    return (
        select(Survey)
        .join(Survey.service)
        .where(Survey.opens_at <= now, or_(Survey.closes_at.is_(None), Survey.closes_at > now))
        .order_by(Service.name, Survey.opens_at.desc())
    )


def _latest_published(survey: Survey) -> SurveyVersion | None:
    published = [v for v in survey.versions if v.published_at is not None]
    return published[-1] if published else None


def list_open_surveys(now: datetime | None = None) -> list[OpenSurvey]:
    """One open survey per service (the most recently opened), by service name."""
    seen: set[int] = set()
    result = []
    for survey in db.session.scalars(_open_surveys_query(now or utcnow())):
        version = _latest_published(survey)
        if version is None or survey.service_id in seen:
            continue
        seen.add(survey.service_id)
        result.append(OpenSurvey(survey.service, survey, version))
    return result


def list_services() -> list[Service]:
    return list(db.session.scalars(select(Service).order_by(Service.name)))


def get_service_by_slug(slug: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.slug == slug))


def get_open_survey(service: Service, now: datetime | None = None) -> OpenSurvey | None:
    query = _open_surveys_query(now or utcnow()).where(Survey.service_id == service.id)
    for survey in db.session.scalars(query):
        version = _latest_published(survey)
        if version is not None:
            return OpenSurvey(service, survey, version)
    return None


def create_service(*, slug: str, name: str, kind: str, description: dict) -> Service:
    service = Service(slug=slug, name=name, kind=kind, description=description)
    db.session.add(service)
    db.session.commit()
    return service


def latest_questions(keys: list[str]) -> list[Question]:
    """The newest revision of each named bank question, in the order given."""
    rows = db.session.scalars(select(Question).where(Question.key.in_(keys))).all()
    newest: dict[str, Question] = {}
    for question in rows:
        if question.key not in newest or question.revision > newest[question.key].revision:
            newest[question.key] = question
    missing = [k for k in keys if k not in newest]
    if missing:
        raise SurveyError(f"unknown questions: {', '.join(missing)}")
    return [newest[k] for k in keys]


def create_survey(
    *,
    service_id: int,
    name: str,
    languages: list[str],
    question_keys: list[str],
    required_keys: frozenset[str] = frozenset({"fft_rating"}),
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Survey:
    """Compose a survey from bank questions and publish its first version."""
    questions = latest_questions(question_keys)
    if not any(q.kind == "fft_rating" for q in questions):
        raise SurveyError("a survey must ask the FFT question")
    survey = Survey(
        service_id=service_id, name=name, languages=languages,
        opens_at=opens_at or utcnow(), closes_at=closes_at,
    )
    version = SurveyVersion(survey=survey, number=1, published_at=utcnow())
    version.questions = [
        SurveyQuestion(question=q, position=i, required=q.key in required_keys)
        for i, q in enumerate(questions, start=1)
    ]
    db.session.add(survey)
    db.session.commit()
    return survey
