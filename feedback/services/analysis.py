"""Running the analysers over stored responses, and keeping their results.

Each response's current version is analysed as a whole: every free-text answer through
`feedback.analysis.analyse`, the inclusion answers through `exclusion.assess`. The result
replaces any earlier one in the same transaction, so running it twice changes nothing, and a
comment that may disclose risk is queued for review once, however often it is analysed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..analysis import analyse, analyser_version, exclusion
from ..analysis.periods import uk_date
from ..analysis.redaction import redact
from ..extensions import db
from ..models import (
    Answer,
    AnswerStatus,
    CommentAnalysis,
    CommentTheme,
    QuestionKind,
    Response,
    ResponseAnalysis,
    ResponseVersion,
    RiskReason,
    SafeguardingFlag,
    utcnow,
)
from . import rollups

if TYPE_CHECKING:
    from ..analysis.training import TrainedClassifier

log = logging.getLogger(__name__)

_classifier_cache: dict[str, tuple[float, TrainedClassifier | None]] = {}


def model_path() -> Path:
    configured = current_app.config.get("SENTIMENT_MODEL_PATH")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "sentiment-model.skops"


def current_classifier() -> TrainedClassifier | None:
    """The trust's trained sentiment model, if `flask analysis train` has made one.

    Reloaded when the file changes, so a new model is picked up without a restart. A file that
    cannot be loaded is logged and the built-in analyser used instead.
    """
    path = model_path()
    try:
        modified = path.stat().st_mtime
    except OSError:
        return None
    key = str(path)
    cached = _classifier_cache.get(key)
    if cached and cached[0] == modified:
        return cached[1]
    # scikit-learn is imported only when a trust has trained a model: it costs a web process
    # and every worker about 100 MB of memory.
    from ..analysis.training import load_classifier

    try:
        classifier = load_classifier(path)
    except Exception:
        log.exception("Could not load the sentiment model at %s; using the built-in analyser",
                      path)
        classifier = None
    _classifier_cache[key] = (modified, classifier)
    return classifier


def current_version() -> str:
    return analyser_version(current_classifier())


def _current_version_of(response_id: int) -> ResponseVersion | None:
    return db.session.scalar(
        select(ResponseVersion)
        .where(ResponseVersion.response_id == response_id)
        .order_by(ResponseVersion.number.desc())
        .options(selectinload(ResponseVersion.answers).selectinload(Answer.question))
        .limit(1)
    )


def _inclusion_answers(answers: list[Answer]) -> dict:
    given = {}
    for answer in answers:
        if answer.status != AnswerStatus.ANSWERED:
            continue
        given[answer.question.key] = answer.choices if answer.choices is not None else answer.choice
    return given


def _rating(answers: list[Answer]) -> str | None:
    for answer in answers:
        if (answer.question.kind == QuestionKind.FFT_RATING
                and answer.status == AnswerStatus.ANSWERED):
            return answer.choice
    return None


def _comment_row(answer: Answer, rating: str | None, locale: str, classifier):
    result = analyse(answer.text, question=answer.question.key, rating=rating, language=locale,
                     classifier=classifier)
    sentiment = result.sentiment
    comment = CommentAnalysis(
        question_id=answer.question_id,
        language=result.language,
        scored=result.scored,
        sentiment_label=sentiment.label if sentiment else None,
        sentiment_score=round(sentiment.score, 3) if sentiment else None,
        sentiment_level=sentiment.level if sentiment else None,
        redacted_text=result.redacted.text,
        # Each sentence redacted on its own, so a quote of one sentence is safe too.
        sentences=[{"text": redact(s.text).text, "score": round(s.score, 3), "label": s.label}
                   for s in result.sentences],
        personal_data=sorted({label for label, _start, _end in result.redacted.found}),
    )
    comment.themes = [
        CommentTheme(theme=theme.key, sentiment_label=theme.sentiment_label,
                     sentiment_score=theme.sentiment_score)
        for theme in result.themes
    ]
    return comment, result.safeguarding


def analyse_response(response_id: int, *, force: bool = False) -> ResponseAnalysis | None:
    """Analyse a response's current version and store the result; safe to run again.

    Does nothing when the stored result is for the same version of the response and the same
    analysers, unless `force`.
    """
    response = db.session.get(Response, response_id)
    if response is None:
        log.warning("Response %s to analyse no longer exists", response_id)
        return None
    version = _current_version_of(response_id)
    classifier = current_classifier()
    analysed_with = analyser_version(classifier)
    existing = db.session.scalar(
        select(ResponseAnalysis).where(ResponseAnalysis.response_id == response_id))
    if (existing is not None and not force
            and existing.response_version_id == version.id
            and existing.analyser_version == analysed_with):
        return existing

    answers = list(version.answers)
    rating = _rating(answers)
    helped = response.channel == "assisted" or response.assisted_by_id is not None
    risk = exclusion.assess(_inclusion_answers(answers), channel=response.channel,
                            helped=helped or None)

    analysis = existing or ResponseAnalysis(response_id=response_id)
    # Comments whose text retention has already blanked keep the analysis they had.
    blanked = {a.question_id for a in answers if not a.text}
    kept = [c for c in analysis.comments if c.question_id in blanked]
    if existing is not None:
        # Old rows go before new ones come: they share unique keys, and a flush otherwise
        # inserts before it deletes.
        analysis.comments = kept
        analysis.risk_reasons = []
        db.session.flush()
    analysis.response_version_id = version.id
    analysis.service_id = response.service_id
    analysis.submitted_on = uk_date(response.submitted_at)
    analysis.fft_rating = rating
    analysis.analyser_version = analysed_with
    analysis.analysed_at = utcnow()
    analysis.risk_level = risk.level
    analysis.risk_score = round(risk.score, 3)
    analysis.weights_version = exclusion.default_weights().version
    analysis.risk_reasons = [RiskReason(code=r.code, domain=r.domain, points=r.points)
                             for r in risk.reasons]

    comments, flags = list(kept), []
    for answer in answers:
        if (answer.question.kind != QuestionKind.FREE_TEXT
                or answer.status != AnswerStatus.ANSWERED or not answer.text):
            continue
        comment, safeguarding = _comment_row(answer, rating, response.locale, classifier)
        comments.append(comment)
        if safeguarding.flagged:
            flags.append((answer.question_id, safeguarding))
    analysis.comments = comments
    db.session.add(analysis)
    _queue_for_review(response, flags)
    db.session.flush()
    rollups.refresh_day(response.service_id, analysis.submitted_on)
    try:
        db.session.commit()
    except IntegrityError:
        # Another worker analysed the same response at the same moment: theirs stands.
        db.session.rollback()
        log.info("Response %s was analysed concurrently", response_id)
        return db.session.scalar(
            select(ResponseAnalysis).where(ResponseAnalysis.response_id == response_id))
    except Exception:
        db.session.rollback()
        raise
    return analysis


def _queue_for_review(response: Response, flags) -> None:
    if not flags:
        return
    already = set(db.session.scalars(
        select(SafeguardingFlag.question_id).where(SafeguardingFlag.response_id == response.id)))
    for question_id, result in flags:
        if question_id in already:
            continue
        db.session.add(SafeguardingFlag(
            response_id=response.id,
            question_id=question_id,
            service_id=response.service_id,
            categories=list(result.categories),
            detector_version=result.version,
        ))
        log.warning("Response %s queued for safeguarding review", response.id,
                    extra={"response_id": response.id, "categories": list(result.categories)})


def _latest_versions():
    return (
        select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
        .group_by(ResponseVersion.response_id).subquery()
    )


def unanalysed(*, submitted_before: datetime | None = None, limit: int = 500) -> list[int]:
    """Responses with no result for their current version: their job was lost or failed."""
    latest = _latest_versions()
    query = (
        select(Response.id)
        .join(latest, latest.c.response_id == Response.id)
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where((ResponseAnalysis.id.is_(None))
               | (ResponseAnalysis.response_version_id != latest.c.version_id))
        .order_by(Response.id)
        .limit(limit)
    )
    if submitted_before is not None:
        query = query.where(Response.submitted_at < submitted_before)
    return list(db.session.scalars(query))


def to_rerun(*, service_id: int | None = None, everything: bool = False) -> list[int]:
    """Responses whose stored result came from other analysers (or none), for `rerun`."""
    query = (
        select(Response.id)
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .order_by(Response.id)
    )
    if not everything:
        query = query.where((ResponseAnalysis.id.is_(None))
                            | (ResponseAnalysis.analyser_version != current_version()))
    if service_id is not None:
        query = query.where(Response.service_id == service_id)
    return list(db.session.scalars(query))


def rerun(response_ids: list[int]) -> Iterator[int | None]:
    """Analyse each response again, yielding its id as each is done (None for one that failed)
    so a caller can show progress."""
    for response_id in response_ids:
        try:
            analyse_response(response_id, force=True)
        except Exception:
            db.session.rollback()
            log.exception("Could not analyse response %s", response_id)
            yield None
            continue
        yield response_id
