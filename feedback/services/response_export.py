"""Responses as the integration API exports them: redacted, a page at a time, by response id.

Only what cannot name anyone leaves: choices, the analysers' findings and each comment's
redacted text. The free text as written (Answer.text) and phone numbers are never read here,
and a comment waiting for, or given, a safeguarding review is withheld, as from reports.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..analysis.periods import Period, uk_date
from ..extensions import db
from ..models import (
    Answer,
    AnswerStatus,
    CommentAnalysis,
    QuestionKind,
    Response,
    ResponseAnalysis,
    ResponseVersion,
    SafeguardingFlag,
)

MAX_PAGE = 500  # responses a page; a page of the largest is a few hundred kilobytes
INCLUSION = "inclusion"  # the question bank module whose answers are exported


@dataclass(frozen=True)
class ExportedAnswer:
    status: str  # AnswerStatus
    value: str | list[str] | None  # the choice, or choices; None unless answered


@dataclass(frozen=True)
class ExportedComment:
    question: str  # question bank key
    redacted_text: str | None  # None when withheld, or erased on schedule
    withheld: bool  # True while a safeguarding flag stands on the comment
    language: str | None
    sentiment: str | None  # None when not scored
    themes: tuple[str, ...]


@dataclass(frozen=True)
class ExportedResponse:
    id: int
    submitted_on: date  # in the UK
    channel: str
    role: str
    language: str
    complete: bool
    fft_rating: str | None
    inclusion: dict[str, ExportedAnswer]
    analysed: bool
    risk_level: str | None
    comments: tuple[ExportedComment, ...]


@dataclass(frozen=True)
class Page:
    responses: list[ExportedResponse]
    next_cursor: int | None  # the id to pass as cursor for the next page; None at the end


def list_page(service_id: int, *, period: Period | None = None, after_id: int = 0,
              limit: int = 100) -> Page:
    """The service's responses with ids above after_id, oldest first, at most limit of them.

    Paging by id rather than by offset keeps pages stable: a response that arrives while a
    client pages through lands after every page it has seen, never shifting one.
    The number of queries is the same for a page of one and a page of MAX_PAGE.

    :raise ValueError: for a limit outside 1 to MAX_PAGE or a negative after_id.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}, not {limit}")
    if after_id < 0:
        raise ValueError(f"after_id must not be negative, not {after_id}")
    conditions = [Response.service_id == service_id, Response.held_back.is_(False),
                  Response.id > after_id]
    if period is not None:
        start, end = period.utc_bounds()
        conditions += [Response.submitted_at >= start, Response.submitted_at < end]
    rows = db.session.execute(
        select(Response, ResponseAnalysis)
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where(*conditions)
        .order_by(Response.id)
        .limit(limit + 1)  # one more, to know whether another page follows
        .options(
            selectinload(Response.versions).selectinload(ResponseVersion.answers)
            .selectinload(Answer.question),
            selectinload(ResponseAnalysis.comments).selectinload(CommentAnalysis.themes),
            selectinload(ResponseAnalysis.comments).selectinload(CommentAnalysis.question),
        )).all()
    more = len(rows) > limit
    rows = rows[:limit]
    flagged = _flagged([response.id for response, _analysis in rows])
    exported = [_export(response, analysis, flagged) for response, analysis in rows]
    return Page(exported, exported[-1].id if more else None)


def _flagged(response_ids: list[int]) -> set[tuple[int, int]]:
    if not response_ids:
        return set()
    return set(db.session.execute(
        select(SafeguardingFlag.response_id, SafeguardingFlag.question_id)
        .where(SafeguardingFlag.response_id.in_(response_ids))).all())


def _export(response: Response, analysis: ResponseAnalysis | None,
            flagged: set[tuple[int, int]]) -> ExportedResponse:
    answers = response.current_version.answers
    rating = next((a.choice for a in answers if a.question.kind == QuestionKind.FFT_RATING
                   and a.status == AnswerStatus.ANSWERED), None)
    inclusion = {a.question.key: _answer(a) for a in answers
                 if a.question.module == INCLUSION and a.question.kind != QuestionKind.FREE_TEXT}
    comments = () if analysis is None else tuple(
        _comment(comment, withheld=(response.id, comment.question_id) in flagged)
        for comment in analysis.comments)
    return ExportedResponse(
        id=response.id, submitted_on=uk_date(response.submitted_at), channel=response.channel,
        role=response.respondent_role, language=response.locale,
        complete=response.is_complete, fft_rating=rating, inclusion=inclusion,
        analysed=analysis is not None,
        risk_level=analysis.risk_level if analysis is not None else None, comments=comments)


def _answer(answer: Answer) -> ExportedAnswer:
    if answer.status != AnswerStatus.ANSWERED:
        return ExportedAnswer(answer.status, None)
    if answer.question.kind == QuestionKind.MULTIPLE_CHOICE:
        return ExportedAnswer(answer.status, list(answer.choices or []))
    return ExportedAnswer(answer.status, answer.choice)


def _comment(comment: CommentAnalysis, *, withheld: bool) -> ExportedComment:
    return ExportedComment(
        question=comment.question.key,
        redacted_text=None if withheld else comment.redacted_text,
        withheld=withheld, language=comment.language, sentiment=comment.sentiment_label,
        themes=tuple(theme.theme for theme in comment.themes))
