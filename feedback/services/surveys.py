"""Services and their surveys: which are open, and composing surveys from the question bank."""

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Question,
    QuestionKind,
    Service,
    ServiceKind,
    Survey,
    SurveyQuestion,
    SurveyVersion,
    User,
    utcnow,
)
from . import audit
from .audit import Actions
from .question_bank import read_bank

# The web address of a survey is /s/<slug>: lower-case letters, digits and hyphens,
# starting and ending with a letter or digit so that it reads as one word in a link.
SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
SLUG_MIN_LENGTH, SLUG_MAX_LENGTH = 3, 64
NAME_MAX_LENGTH = 200  # the column's length
DESCRIPTION_MAX_LENGTH = 1000  # characters; a sentence or two on the survey's start page
# Asked by every survey, and required: NHS England's FFT rules.
REQUIRED_KEYS = frozenset({"fft_rating"})


@dataclass(frozen=True)
class OpenSurvey:
    service: Service
    survey: Survey
    version: SurveyVersion


class SurveyError(ValueError):
    """A service or survey that cannot be saved; `code` says why, for the view to explain."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class SurveyStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class SurveySummary:
    survey: Survey
    status: SurveyStatus
    version: SurveyVersion | None


@dataclass(frozen=True)
class ServiceSummary:
    service: Service
    surveys: list[SurveySummary]  # the latest to open first


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


def get_service(service_id: int) -> Service | None:
    return db.session.get(Service, service_id)


def get_survey(survey_id: int) -> Survey | None:
    return db.session.get(Survey, survey_id)


def get_service_by_slug(slug: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.slug == slug))


def get_open_survey(service: Service, now: datetime | None = None) -> OpenSurvey | None:
    query = _open_surveys_query(now or utcnow()).where(Survey.service_id == service.id)
    for survey in db.session.scalars(query):
        version = _latest_published(survey)
        if version is not None:
            return OpenSurvey(service, survey, version)
    return None


def survey_status(survey: Survey, now: datetime | None = None) -> SurveyStatus:
    """Whether people can answer now, by the same rule as the open-survey query."""
    now = now or utcnow()
    if survey.opens_at > now:
        return SurveyStatus.SCHEDULED
    if survey.closes_at is not None and survey.closes_at <= now:
        return SurveyStatus.CLOSED
    return SurveyStatus.OPEN


def summarise_service(service: Service, now: datetime | None = None) -> ServiceSummary:
    """A service with its surveys, the latest to open first, and whether each is open now."""
    now = now or utcnow()
    return ServiceSummary(service, [
        SurveySummary(survey, survey_status(survey, now), _latest_published(survey))
        for survey in sorted(service.surveys, key=lambda s: (s.opens_at, s.id), reverse=True)
    ])


def list_service_summaries(now: datetime | None = None) -> list[ServiceSummary]:
    """Every service by name, with its surveys."""
    services = db.session.scalars(
        select(Service)
        .options(selectinload(Service.surveys).selectinload(Survey.versions))
        .order_by(Service.name)
    )
    return [summarise_service(service, now) for service in services]


# --- checks shared with the forms ----------------------------------------------------------


def slug_problem(slug: str) -> str | None:
    """Why a slug cannot be a survey's web address, as an error code; None if it can."""
    if not SLUG_MIN_LENGTH <= len(slug) <= SLUG_MAX_LENGTH:
        return "slug_length"
    if not SLUG_PATTERN.fullmatch(slug):
        return "slug_format"
    return None


def question_set_problem(questions: list[Question]) -> str | None:
    """Why these questions cannot make a survey, as an error code; None if they can.

    NHS England's Friends and Family Test: the rating question, and at least one
    free-text follow-up with it (docs/domain.md).
    """
    if not any(q.kind == QuestionKind.FFT_RATING for q in questions):
        return "fft_required"
    if not any(q.module == "fft" and q.kind == QuestionKind.FREE_TEXT for q in questions):
        return "fft_follow_up_required"
    return None


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise SurveyError("name_required")
    if len(name) > NAME_MAX_LENGTH:
        raise SurveyError("name_too_long")
    return name


def _check_kind(kind: str) -> str:
    if kind not in ServiceKind.__members__.values():
        raise SurveyError("invalid_kind")
    return kind


def _check_description(description: dict) -> dict:
    """{locale: text}, without empty translations; English is required, as the fallback."""
    texts = {locale: (text or "").strip() for locale, text in description.items()}
    texts = {locale: text for locale, text in texts.items() if text}
    if set(texts) - set(current_app.config["LANGUAGES"]):
        raise SurveyError("unknown_language")
    if "en" not in texts:
        raise SurveyError("description_required")
    if any(len(text) > DESCRIPTION_MAX_LENGTH for text in texts.values()):
        raise SurveyError("description_too_long")
    return texts


def _check_languages(languages: list[str]) -> list[str]:
    """The survey's languages in the configured order; English is always one of them."""
    shipped = current_app.config["LANGUAGES"]
    if set(languages) - set(shipped):
        raise SurveyError("unknown_language")
    return [code for code in shipped if code in languages or code == "en"]


def _check_questions(question_keys: list[str]) -> list[Question]:
    questions = latest_questions(list(dict.fromkeys(question_keys)))
    problem = question_set_problem(questions)
    if problem:
        raise SurveyError(problem)
    return questions


def _commit(conflict: str) -> None:
    """Commit, or roll back; a unique constraint broken by a concurrent edit is `conflict`."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise SurveyError(conflict) from error
    except Exception:
        db.session.rollback()
        raise


def _actor_email(actor: User | None) -> str | None:
    # Services made by code, not by a person (demo data, set-up), are logged as such.
    return None if actor else "command line"


# --- services --------------------------------------------------------------------------------


def create_service(*, slug: str, name: str, kind: str, description: dict,
                   created_by: User | None = None) -> Service:
    """Add a service. Its slug is the survey's web address and never changes afterwards.

    :raise SurveyError: with the code of the first problem found.
    """
    slug = (slug or "").strip()
    problem = slug_problem(slug)
    if problem:
        raise SurveyError(problem)
    service = Service(slug=slug, name=_check_name(name), kind=_check_kind(kind),
                      description=_check_description(description))
    if get_service_by_slug(slug) is not None:
        raise SurveyError("slug_taken")
    try:
        db.session.add(service)
        db.session.flush()
        audit.record(Actions.SERVICE_CREATED, actor=created_by, target=service,
                     actor_email=_actor_email(created_by),
                     details={"slug": slug, "name": service.name, "kind": service.kind,
                              "languages": sorted(service.description)})
    except IntegrityError as error:
        db.session.rollback()
        raise SurveyError("slug_taken") from error
    _commit(conflict="slug_taken")
    return service


def update_service(service: Service, *, name: str, kind: str, description: dict,
                   updated_by: User | None) -> list[str]:
    """Change a service's name, kind or descriptions. Returns what changed (may be nothing)."""
    name, kind, description = _check_name(name), _check_kind(kind), _check_description(description)
    details: dict = {}
    if name != service.name:
        details["name"] = {"from": service.name, "to": name}
    if kind != service.kind:
        details["kind"] = {"from": service.kind, "to": kind}
    changed = sorted(details)
    old = service.description or {}
    changed += [f"description.{locale}" for locale in sorted(set(old) | set(description))
                if old.get(locale) != description.get(locale)]
    if not changed:
        return []
    service.name, service.kind, service.description = name, kind, description
    audit.record(Actions.SERVICE_UPDATED, actor=updated_by, target=service,
                 actor_email=_actor_email(updated_by),
                 details={"slug": service.slug, "changed": changed, **details})
    _commit(conflict="edit_conflict")
    return changed


# --- the question bank and surveys -------------------------------------------------------------


def _newest_revisions(questions) -> dict[str, Question]:
    newest: dict[str, Question] = {}
    for question in questions:
        if question.key not in newest or question.revision > newest[question.key].revision:
            newest[question.key] = question
    return newest


@cache
def _bank_order() -> dict[str, int]:
    # The bank file changes only with a release, so it is read once per process.
    return {entry["key"]: i for i, entry in enumerate(read_bank())}


def list_bank_questions() -> list[Question]:
    """The newest revision of every bank question, in the bank file's order."""
    newest = _newest_revisions(db.session.scalars(select(Question)))
    order = _bank_order()
    return sorted(newest.values(), key=lambda q: (order.get(q.key, len(order)), q.key))


def latest_questions(keys: list[str]) -> list[Question]:
    """The newest revision of each named bank question, in the order given."""
    newest = _newest_revisions(db.session.scalars(select(Question).where(Question.key.in_(keys))))
    missing = [k for k in keys if k not in newest]
    if missing:
        raise SurveyError("unknown_question", ", ".join(missing))
    return [newest[k] for k in keys]


def _publish_version(survey: Survey, number: int, questions: list[Question],
                     required_keys: frozenset[str]) -> SurveyVersion:
    version = SurveyVersion(survey=survey, number=number, published_at=utcnow())
    version.questions = [
        SurveyQuestion(question=q, position=i, required=q.key in required_keys)
        for i, q in enumerate(questions, start=1)
    ]
    return version


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def create_survey(
    *,
    service_id: int,
    name: str,
    languages: list[str],
    question_keys: list[str],
    required_keys: frozenset[str] = REQUIRED_KEYS,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    created_by: User | None = None,
) -> Survey:
    """Compose a survey from bank questions, in the order given, and publish its first version.

    :raise SurveyError: with the code of the first problem found.
    """
    questions = _check_questions(question_keys)
    survey = Survey(
        service_id=service_id, name=_check_name(name), languages=_check_languages(languages),
        opens_at=opens_at or utcnow(), closes_at=closes_at,
    )
    _publish_version(survey, 1, questions, required_keys)
    db.session.add(survey)
    db.session.flush()
    audit.record(Actions.SURVEY_CREATED, actor=created_by, target=survey,
                 actor_email=_actor_email(created_by),
                 details={"service_id": service_id, "name": survey.name, "version": 1,
                          "questions": [q.key for q in questions], "languages": survey.languages,
                          "opens_at": _moment(survey.opens_at), "closes_at": _moment(closes_at)})
    _commit(conflict="edit_conflict")
    return survey


def update_survey(survey: Survey, *, name: str, languages: list[str], question_keys: list[str],
                  opens_at: datetime, closes_at: datetime | None,
                  updated_by: User | None) -> list[str]:
    """Change a survey. Returns what changed (may be nothing).

    Name, languages and dates change in place. A different set of questions is published
    as a new version: responses point at the version they answered, so a published
    version's questions never change.

    :raise SurveyError: with the code of the first problem found.
    """
    questions = _check_questions(question_keys)
    name, languages = _check_name(name), _check_languages(languages)
    details: dict = {}
    for field, new, old, shown in [
        ("name", name, survey.name, str),
        ("languages", languages, survey.languages, list),
        ("opens_at", opens_at, survey.opens_at, _moment),
        ("closes_at", closes_at, survey.closes_at, _moment),
    ]:
        if new != old:
            details[field] = {"from": shown(old), "to": shown(new)}
            setattr(survey, field, new)
    current = survey.versions[-1] if survey.versions else None
    old_keys = [sq.question.key for sq in current.questions] if current else []
    new_keys = [q.key for q in questions]
    if set(old_keys) != set(new_keys):
        number = (current.number if current else 0) + 1
        db.session.add(_publish_version(survey, number, questions, REQUIRED_KEYS))
        details["questions"] = {"added": [k for k in new_keys if k not in old_keys],
                                "removed": [k for k in old_keys if k not in new_keys]}
        details["version"] = number
    changed = sorted(k for k in details if k != "version")
    if not changed:
        return []
    audit.record(Actions.SURVEY_UPDATED, actor=updated_by, target=survey,
                 actor_email=_actor_email(updated_by), details={"changed": changed, **details})
    _commit(conflict="edit_conflict")
    return changed
