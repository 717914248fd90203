"""Submitting responses from every channel, web survey drafts, and corrections."""

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..extensions import db
from ..models import (
    Answer,
    AnswerStatus,
    AssistanceMode,
    Channel,
    QuestionKind,
    RespondentRole,
    Response,
    ResponseVersion,
    SurveyDraft,
    SurveyQuestion,
    SurveyVersion,
    User,
    utcnow,
)
from ..text import clean_free_text
from . import _AFTER_COMMIT, after_commit, audit
from . import commit as commit_session
from .audit import Actions

log = logging.getLogger(__name__)

DEFAULT_MAX_TEXT_LENGTH = 5000


class InvalidResponse(ValueError):
    """The answers do not fit the survey version; `errors` maps question ids to error codes."""

    def __init__(self, errors: Mapping[int | str, str]):
        super().__init__(f"invalid response: {dict(errors)}")
        self.errors = dict(errors)


@dataclass(frozen=True)
class CleanAnswer:
    question_id: int
    status: str
    choice: str | None = None
    choices: list[str] | None = None
    text: str | None = None


def _option_values(question) -> list[str]:
    return [option["value"] for option in question.options]


def _skipped_or_required(survey_question: SurveyQuestion, enforce_required: bool = True):
    if survey_question.required and enforce_required:
        return "required"
    return CleanAnswer(survey_question.question_id, AnswerStatus.SKIPPED)


def _clean_text(survey_question: SurveyQuestion, raw: Mapping, max_length: int):
    text = raw.get("text", "")
    if not isinstance(text, str):
        return "invalid"
    text = clean_free_text(text)
    if not text:
        return _skipped_or_required(survey_question)
    if len(text) > min(survey_question.question.max_length or max_length, max_length):
        return "too_long"
    return CleanAnswer(survey_question.question_id, AnswerStatus.ANSWERED, text=text)


def _clean_choices(survey_question: SurveyQuestion, raw: Mapping):
    question = survey_question.question
    choices = raw.get("choices")
    if not isinstance(choices, list) or not choices:
        return _skipped_or_required(survey_question)
    values = _option_values(question)
    if any(not isinstance(c, str) or c not in values for c in choices):
        return "unknown_choice"
    exclusive = {o["value"] for o in question.options if o.get("exclusive")}
    if len(choices) > 1 and exclusive.intersection(choices):
        return "exclusive_choice"
    # Stored in the question's order, once each.
    ordered = [v for v in values if v in choices]
    return CleanAnswer(question.id, AnswerStatus.ANSWERED, choices=ordered)


def _clean_choice(survey_question: SurveyQuestion, raw: Mapping):
    choice = raw.get("choice")
    if choice in (None, ""):
        return _skipped_or_required(survey_question)
    if not isinstance(choice, str) or choice not in _option_values(survey_question.question):
        return "unknown_choice"
    return CleanAnswer(survey_question.question_id, AnswerStatus.ANSWERED, choice=choice)


def clean_answer(survey_question: SurveyQuestion, raw: Mapping | None, *, max_length: int,
                 enforce_required: bool = True):
    """Check one raw answer against its question.

    :param raw: ``{"status": ..., "choice": ..., "choices": [...], "text": ...}`` or None.
    :return: a CleanAnswer, or an error code string.
    """
    if not raw:  # never reached or left out altogether
        raw = {"status": AnswerStatus.SKIPPED}
    status = raw.get("status", AnswerStatus.ANSWERED)
    if status not in AnswerStatus.__members__.values():
        return "unknown_status"
    if status != AnswerStatus.ANSWERED:
        # Paper's blank and unreadable are facts about the sheet, so allowed even when required.
        if status == AnswerStatus.SKIPPED:
            return _skipped_or_required(survey_question, enforce_required)
        return CleanAnswer(survey_question.question_id, status)
    kind = survey_question.question.kind
    if kind == QuestionKind.FREE_TEXT:
        return _clean_text(survey_question, raw, max_length)
    if kind == QuestionKind.MULTIPLE_CHOICE:
        return _clean_choices(survey_question, raw)
    return _clean_choice(survey_question, raw)


def clean_answers(
    version: SurveyVersion, answers: Mapping, *, max_length: int = DEFAULT_MAX_TEXT_LENGTH,
    enforce_required: bool = True,
) -> list[CleanAnswer]:
    """Check every answer against the version; raise InvalidResponse with every problem found."""
    by_id = {sq.question_id: sq for sq in version.questions}
    errors: dict[int | str, str] = {}
    for key in answers:
        try:
            known = int(key) in by_id
        except (TypeError, ValueError):
            known = False
        if not known:
            errors[str(key)] = "unknown_question"
    normalised = {int(k): v for k, v in answers.items() if str(k) not in errors}
    cleaned = []
    for question_id, survey_question in by_id.items():
        result = clean_answer(survey_question, normalised.get(question_id), max_length=max_length,
                              enforce_required=enforce_required)
        if isinstance(result, str):
            errors[question_id] = result
        else:
            cleaned.append(result)
    if errors:
        raise InvalidResponse(errors)
    return cleaned


def _check_header(channel: str, respondent_role: str, assistance_mode: str | None) -> None:
    errors = {}
    if channel not in Channel.__members__.values():
        errors["channel"] = "invalid"
    if respondent_role not in RespondentRole.__members__.values():
        errors["respondent_role"] = "required"
    if assistance_mode is not None and assistance_mode not in AssistanceMode.__members__.values():
        errors["assistance_mode"] = "invalid"
    if channel == Channel.ASSISTED and assistance_mode is None:
        errors["assistance_mode"] = "required"
    if errors:
        raise InvalidResponse(errors)


def get_response_by_idempotency_key(key: str) -> Response | None:
    return db.session.scalar(select(Response).where(Response.idempotency_key == key))


def submit(
    *,
    survey_version_id: int,
    channel: str,
    respondent_role: str,
    locale: str,
    answers: Mapping,
    idempotency_key: str | None = None,
    assisted_by_id: int | None = None,
    assistance_mode: str | None = None,
    submitted_at: datetime | None = None,
    max_length: int = DEFAULT_MAX_TEXT_LENGTH,
    enforce_required: bool = True,
    is_complete: bool = True,
    commit: bool = True,
    _before_commit=None,
) -> Response:
    """Store one response from any channel, all or nothing.

    A repeat with the same idempotency key returns the first response and stores nothing.
    Channels where a person may leave out even a required question (SMS's SKIP, a blank on
    paper) pass ``enforce_required=False``. With ``commit=False`` the caller's transaction
    takes the response, for a caller that must store more with it.
    :raise InvalidResponse: the answers do not fit the survey version.
    """
    if idempotency_key:
        existing = get_response_by_idempotency_key(idempotency_key)
        if existing is not None:
            return existing
    _check_header(channel, respondent_role, assistance_mode)
    version = db.session.get(SurveyVersion, survey_version_id)
    if version is None or version.published_at is None:
        raise InvalidResponse({"survey_version": "unknown"})
    cleaned = clean_answers(version, answers, max_length=max_length,
                            enforce_required=enforce_required)

    response = Response(
        service_id=version.survey.service_id,
        survey_version_id=version.id,
        channel=channel,
        respondent_role=respondent_role,
        locale=locale,
        submitted_at=submitted_at or utcnow(),
        assisted_by_id=assisted_by_id,
        assistance_mode=assistance_mode,
        idempotency_key=idempotency_key,
        is_complete=is_complete,
    )
    response_version = ResponseVersion(response=response, number=1, created_by_id=assisted_by_id)
    response_version.answers = [_answer_row(a) for a in cleaned]
    db.session.add(response)
    if not commit:
        db.session.flush()
        after_commit(jobs.analyse_response, response.id)
        return response
    try:
        db.session.flush()
        after_commit(jobs.analyse_response, response.id)
        if _before_commit:
            _before_commit()
        commit_session()
    except IntegrityError:
        db.session.rollback()
        db.session.info.pop(_AFTER_COMMIT, None)
        existing = idempotency_key and get_response_by_idempotency_key(idempotency_key)
        if existing:
            # Another request with the same key won the race: that response is ours.
            return existing
        raise
    except Exception:
        db.session.rollback()
        db.session.info.pop(_AFTER_COMMIT, None)
        raise
    log.debug(
        "Response %s stored", response.id,
        extra={"response_id": response.id, "channel": channel, "service_id": response.service_id},
    )
    return response


def _answer_row(answer: CleanAnswer) -> Answer:
    return Answer(
        question_id=answer.question_id,
        status=answer.status,
        choice=answer.choice,
        choices=answer.choices,
        text=answer.text,
    )


def correct_response(
    *, response_id: int, answers: Mapping, reason: str, corrected_by: User,
    enforce_required: bool = True,
) -> ResponseVersion:
    """Add a corrected version of a response, audited; the earlier versions stay as they were."""
    reason = clean_free_text(reason or "")
    if not reason:
        raise InvalidResponse({"reason": "required"})
    response = db.session.get(Response, response_id)
    if response is None:
        raise InvalidResponse({"response": "unknown"})
    cleaned = clean_answers(response.survey_version, answers, enforce_required=enforce_required)
    new_version = ResponseVersion(
        response=response,
        number=response.current_version.number + 1,
        reason=reason,
        created_by_id=corrected_by.id,
    )
    new_version.answers = [_answer_row(a) for a in cleaned]
    db.session.add(new_version)
    audit.record(Actions.CORRECTED, actor=corrected_by, target=response,
                 details={"version": new_version.number, "reason": reason})
    after_commit(jobs.analyse_response, response.id)
    commit_session()
    return new_version


# --- web survey drafts -----------------------------------------------------------------------


def start_draft(*, survey_version_id: int) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(SurveyDraft(token=token, survey_version_id=survey_version_id, answers={}))
    db.session.commit()
    return token


def get_draft(token: str | None, *, max_age: timedelta) -> SurveyDraft | None:
    if not token:
        return None
    draft = db.session.get(SurveyDraft, token)
    if draft is None or draft.updated_at < utcnow() - max_age:
        return None
    return draft


def save_draft_role(draft: SurveyDraft, respondent_role: str) -> None:
    if respondent_role not in RespondentRole.__members__.values():
        raise InvalidResponse({"respondent_role": "required"})
    draft.respondent_role = respondent_role
    draft.updated_at = utcnow()
    db.session.commit()


def save_draft_answer(draft: SurveyDraft, survey_question: SurveyQuestion, raw: Mapping,
                      *, max_length: int = DEFAULT_MAX_TEXT_LENGTH) -> None:
    """Check one answer and keep it in the draft. :raise InvalidResponse: if it does not fit."""
    result = clean_answer(survey_question, raw, max_length=max_length)
    if isinstance(result, str):
        raise InvalidResponse({survey_question.question_id: result})
    stored = {"status": result.status}
    for field in ("choice", "choices", "text"):
        if getattr(result, field) is not None:
            stored[field] = getattr(result, field)
    # Reassign, so the JSON column is seen as changed.
    draft.answers = {**draft.answers, str(survey_question.question_id): stored}
    draft.updated_at = utcnow()
    db.session.commit()


def submit_draft(draft: SurveyDraft, *, locale: str,
                 max_length: int = DEFAULT_MAX_TEXT_LENGTH) -> Response:
    """Submit a web draft as a response and delete the draft, in one transaction."""
    if not draft.respondent_role:
        raise InvalidResponse({"respondent_role": "required"})
    token = draft.token

    def delete_draft():
        db.session.execute(delete(SurveyDraft).where(SurveyDraft.token == token))

    return submit(
        survey_version_id=draft.survey_version_id,
        channel=Channel.WEB,
        respondent_role=draft.respondent_role,
        locale=locale,
        answers=_answered_or_skipped(draft),
        idempotency_key=token,
        max_length=max_length,
        _before_commit=delete_draft,
    )


def _answered_or_skipped(draft: SurveyDraft) -> dict:
    # A question never reached on the web counts as skipped; required ones then fail submit.
    answers = dict(draft.answers)
    for survey_question in draft.survey_version.questions:
        answers.setdefault(str(survey_question.question_id), {"status": AnswerStatus.SKIPPED})
    return answers


def purge_stale_drafts(*, max_age: timedelta) -> int:
    """Delete unfinished web surveys untouched for max_age. Safe to run at any time."""
    result = db.session.execute(
        delete(SurveyDraft).where(SurveyDraft.updated_at < utcnow() - max_age)
    )
    db.session.commit()
    if result.rowcount:
        log.info("Purged %d stale survey drafts", result.rowcount)
    return result.rowcount
