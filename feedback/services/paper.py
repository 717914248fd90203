"""Paper forms: printed runs of numbered sheets, batches keyed by volunteers, blind checks.

A sheet's answers become a response (channel "paper") as soon as it is keyed, held back
from reports until its batch is final. A share of sheets is keyed again, blind, by a second
volunteer; where the two differ, a third person decides against the paper. A batch is final
only when every disagreement is resolved.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import references
from ..extensions import db
from ..models import (
    AssistanceMode,
    Channel,
    Disagreement,
    PaperBatch,
    PaperEntry,
    PrintRun,
    RespondentRole,
    Response,
    ResponseAnalysis,
    Service,
    SurveyVersion,
    User,
    utcnow,
)
from . import audit, commit, responses, rollups, surveys
from .audit import Actions

MAX_SHEETS_PER_RUN = 2000
ROLE_FIELD = "role"  # the key of "who is answering" in compared answers


class PaperError(ValueError):
    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code = code
        self.details = details


# --- printing --------------------------------------------------------------------------------


def create_print_run(*, service: Service, locale: str, large_print: bool, sheet_count: int,
                     site: str, created_by: User) -> PrintRun:
    """Reserve a numbered run of sheet references for the service's open survey."""
    if not 1 <= sheet_count <= MAX_SHEETS_PER_RUN:
        raise PaperError("sheet_count")
    open_survey = surveys.get_open_survey(service)
    if open_survey is None:
        raise PaperError("no_open_survey")
    last = db.session.scalar(select(func.max(PrintRun.first_number + PrintRun.sheet_count)))
    run = PrintRun(service_id=service.id, survey_version_id=open_survey.version.id,
                   locale=locale, large_print=large_print, site=site.strip()[:200],
                   first_number=max(last or 0, 1), sheet_count=sheet_count,
                   created_by_id=created_by.id)
    db.session.add(run)
    db.session.flush()
    audit.record(Actions.FORMS_PRINTED, actor=created_by, target=run,
                 details={"service": service.slug, "sheets": sheet_count, "locale": locale,
                          "first": references.encode(run.first_number)})
    commit()
    return run


def sheet_references(run: PrintRun) -> list[str]:
    return [references.encode(n) for n in range(run.first_number,
                                                run.first_number + run.sheet_count)]


def find_print_run(reference: str) -> PrintRun | None:
    """The run a reference was printed in. :raise references.InvalidReference:"""
    number = references.decode(reference)
    return db.session.scalar(select(PrintRun).where(
        PrintRun.first_number <= number, PrintRun.first_number + PrintRun.sheet_count > number))


def list_print_runs(service_id: int | None = None) -> list[PrintRun]:
    query = select(PrintRun).order_by(PrintRun.created_at.desc())
    if service_id is not None:
        query = query.where(PrintRun.service_id == service_id)
    return list(db.session.scalars(query))


# --- batches ---------------------------------------------------------------------------------


def open_batch(*, service: Service, site: str, received_on: date, expected_sheets: int,
               check_share: float, opened_by: User) -> PaperBatch:
    if not 1 <= expected_sheets <= MAX_SHEETS_PER_RUN:
        raise PaperError("expected_sheets")
    if not 0.1 <= check_share <= 1:
        raise PaperError("check_share")
    # Volunteers give the date as the UK calendar has it, which runs ahead of UTC in summer.
    if received_on > datetime.now(ZoneInfo("Europe/London")).date():
        raise PaperError("received_in_future")
    batch = PaperBatch(service_id=service.id, site=site.strip()[:200], received_on=received_on,
                       expected_sheets=expected_sheets, check_share=check_share,
                       created_by_id=opened_by.id)
    db.session.add(batch)
    db.session.flush()
    audit.record(Actions.BATCH_OPENED, actor=opened_by, target=batch,
                 details={"service": service.slug, "sheets": expected_sheets})
    commit()
    return batch


def get_batch(batch_id: int) -> PaperBatch | None:
    return db.session.get(PaperBatch, batch_id)


def list_batches(service_ids: list[int] | None = None) -> list[PaperBatch]:
    query = select(PaperBatch).order_by(PaperBatch.created_at.desc())
    if service_ids is not None:
        query = query.where(PaperBatch.service_id.in_(service_ids))
    return list(db.session.scalars(query))


def needs_check(reference: str, share: float) -> bool:
    """Whether a sheet is keyed twice: the same answer every time, for any volunteer."""
    digest = hashlib.sha256(reference.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


@dataclass(frozen=True)
class BatchProgress:
    keyed: int
    checked: int
    to_check: list[str]  # references keyed once that need a blind check
    open_disagreements: int
    missing: list[str]  # references printed for this batch's run(s) and not yet keyed
    final: bool
    # reference -> ids of everyone who keyed it (first or check): they may not check or
    # resolve it again themselves.
    keyed_by: dict[str, set[int]]


def _runs_of(reference_list) -> list[PrintRun]:
    """The print runs these references were printed in, one query per run, not per sheet."""
    runs: list[PrintRun] = []
    for reference in sorted(reference_list):
        number = references.decode(reference)
        if any(r.first_number <= number < r.first_number + r.sheet_count for r in runs):
            continue
        run = find_print_run(reference)
        if run is not None:
            runs.append(run)
    return runs


def progress(batch: PaperBatch) -> BatchProgress:
    entries = list(db.session.scalars(select(PaperEntry).where(PaperEntry.batch_id == batch.id)))
    first = {e.reference for e in entries if e.kind == "first"}
    checked = {e.reference for e in entries if e.kind == "check"}
    keyed_by: dict[str, set[int]] = {}
    for entry in entries:
        keyed_by.setdefault(entry.reference, set()).add(entry.keyed_by_id)
    to_check = sorted(r for r in first - checked if needs_check(r, batch.check_share))
    open_count = db.session.scalar(select(func.count()).select_from(Disagreement).where(
        Disagreement.batch_id == batch.id, Disagreement.resolved_at.is_(None)))
    printed = {ref for run in _runs_of(first) for ref in sheet_references(run)}
    # A run's sheets may come back in several batches: those keyed elsewhere are not missing.
    keyed_anywhere = set(db.session.scalars(select(PaperEntry.reference).where(
        PaperEntry.kind == "first", PaperEntry.reference.in_(printed)))) if printed else set()
    missing = sorted(printed - keyed_anywhere)[: max(0, batch.expected_sheets - len(first))]
    return BatchProgress(len(first), len(checked), to_check, open_count, missing,
                         batch.finalised_at is not None, keyed_by)


# --- keying ----------------------------------------------------------------------------------


def _version_for(batch: PaperBatch, reference: str) -> SurveyVersion:
    try:
        run = find_print_run(reference)
    except references.InvalidReference as error:
        raise PaperError("invalid_reference") from error
    if run is None:
        raise PaperError("unknown_reference")
    if run.service_id != batch.service_id:
        raise PaperError("wrong_batch", service=run.service.name)
    return run.survey_version


def check_reference(batch: PaperBatch, reference: str, *,
                    unkeyed: bool = True) -> tuple[str, SurveyVersion]:
    """A typed reference's canonical spelling and the survey version its sheet was printed with.

    Lets the entry screen refuse a sheet before the volunteer keys all its answers.
    :raise PaperError: invalid_reference, unknown_reference, wrong_batch; with ``unkeyed``,
        duplicate too (the sheet has been keyed already, perhaps in another batch).
    """
    reference = references.normalise(reference) if _valid(reference) else reference
    version = _version_for(batch, reference)
    if unkeyed:
        existing = db.session.scalar(select(PaperEntry).where(PaperEntry.reference == reference,
                                                              PaperEntry.kind == "first"))
        if existing is not None:
            raise PaperError("duplicate", batch_id=existing.batch_id)
    return reference, version


def key_sheet(*, batch: PaperBatch, reference: str, respondent_role: str, answers: dict,
              keyed_by: User) -> Response:
    """Store a sheet as keyed the first time. :raise PaperError: duplicate, wrong batch..."""
    if batch.finalised_at is not None:
        raise PaperError("batch_final")
    reference, version = check_reference(batch, reference)
    response = responses.submit(
        survey_version_id=version.id, channel=Channel.PAPER, respondent_role=respondent_role,
        locale=_locale_of(reference), answers=answers, idempotency_key=f"paper:{reference}",
        assisted_by_id=keyed_by.id, enforce_required=False, commit=False,
    )
    response.held_back = True
    response.paper_batch_id = batch.id
    response.sheet_reference = reference
    db.session.add(PaperEntry(batch_id=batch.id, reference=reference, kind="first",
                              respondent_role=respondent_role, answers=dict(answers),
                              keyed_by_id=keyed_by.id))
    audit.record(Actions.SHEET_KEYED, actor=keyed_by, target=response,
                 details={"batch": batch.id, "reference": reference})
    try:
        commit()
    except IntegrityError as error:
        # Someone else saved the same sheet between our check and our commit.
        existing = db.session.scalar(select(PaperEntry).where(
            PaperEntry.reference == reference, PaperEntry.kind == "first"))
        if existing is None:
            raise
        raise PaperError("duplicate", batch_id=existing.batch_id) from error
    return response


def _valid(reference: str) -> bool:
    try:
        references.decode(reference)
        return True
    except references.InvalidReference:
        return False


def _locale_of(reference: str) -> str:
    run = find_print_run(reference)
    return run.locale if run else "en"


def _comparable(answer: dict | None) -> dict:
    answer = dict(answer or {"status": "skipped"})
    answer.setdefault("status", "answered")
    if answer.get("text") is not None:
        answer["text"] = " ".join(answer["text"].split()).casefold()
    if answer.get("choices") is not None:
        answer["choices"] = sorted(answer["choices"])
    answer = {k: v for k, v in answer.items() if v not in (None, [], "")}
    if answer == {"status": "answered"}:
        # An empty text or no choice is stored as skipped (responses.clean_answer): the same.
        return {"status": "skipped"}
    return answer


def _check_role(respondent_role) -> None:
    if respondent_role not in RespondentRole.__members__.values():
        raise responses.InvalidResponse({"respondent_role": "required"})


def key_check(*, batch: PaperBatch, reference: str, respondent_role: str, answers: dict,
              keyed_by: User) -> list[Disagreement]:
    """Key a sheet again, blind, and record where the two keyings differ."""
    if batch.finalised_at is not None:
        raise PaperError("batch_final")
    reference = references.normalise(reference) if _valid(reference) else reference
    first = db.session.scalar(select(PaperEntry).where(PaperEntry.reference == reference,
                                                       PaperEntry.kind == "first"))
    if first is None or first.batch_id != batch.id:
        raise PaperError("not_keyed")
    if first.keyed_by_id == keyed_by.id:
        raise PaperError("same_volunteer")
    if db.session.scalar(select(PaperEntry.id).where(PaperEntry.reference == reference,
                                                     PaperEntry.kind == "check")):
        raise PaperError("already_checked")
    version = _version_for(batch, reference)
    _check_role(respondent_role)
    responses.clean_answers(version, answers, enforce_required=False)  # same rules as first
    db.session.add(PaperEntry(batch_id=batch.id, reference=reference, kind="check",
                              respondent_role=respondent_role, answers=dict(answers),
                              keyed_by_id=keyed_by.id))
    found = []
    pairs = [(None, {"choice": first.respondent_role}, {"choice": respondent_role})]
    pairs += [(sq.question_id, first.answers.get(str(sq.question_id)),
               answers.get(str(sq.question_id), answers.get(sq.question_id)))
              for sq in version.questions]
    for question_id, one, two in pairs:
        if _comparable(one) != _comparable(two):
            found.append(Disagreement(batch_id=batch.id, reference=reference,
                                      question_id=question_id, first_answer=one or {},
                                      check_answer=two or {},
                                      first_keyed_by_id=first.keyed_by_id))
    db.session.add_all(found)
    audit.record(Actions.SHEET_CHECKED, actor=keyed_by,
                 details={"batch": batch.id, "reference": reference,
                          "disagreements": len(found)})
    try:
        commit()
    except IntegrityError as error:
        raise PaperError("already_checked") from error  # a second check saved at the same time
    return found


def _keyers(reference: str) -> set[int]:
    return set(db.session.scalars(select(PaperEntry.keyed_by_id).where(
        PaperEntry.reference == reference)))


def _check_resolution(disagreement: Disagreement, response: Response, answer: dict) -> None:
    """Refuse an answer that does not fit, before anything is changed. :raise InvalidResponse:"""
    if disagreement.question_id is None:
        _check_role(answer.get("choice"))
        return
    survey_question = next((sq for sq in response.survey_version.questions
                            if sq.question_id == disagreement.question_id), None)
    if survey_question is None:
        raise responses.InvalidResponse({disagreement.question_id: "unknown_question"})
    result = responses.clean_answer(survey_question, answer,
                                    max_length=responses.DEFAULT_MAX_TEXT_LENGTH,
                                    enforce_required=False)
    if isinstance(result, str):
        raise responses.InvalidResponse({disagreement.question_id: result})


def resolve(*, disagreement: Disagreement, answer: dict, resolved_by: User) -> None:
    """Decide a disagreement against the paper; a changed answer corrects the response.

    :raise PaperError: already resolved, or the resolver keyed the sheet (a third person
        decides). :raise responses.InvalidResponse: the answer does not fit the question.
    """
    if disagreement.resolved_at is not None:
        raise PaperError("already_resolved")
    if resolved_by.id in _keyers(disagreement.reference):
        raise PaperError("own_sheet")
    response = db.session.scalar(select(Response).where(
        Response.sheet_reference == disagreement.reference))
    _check_resolution(disagreement, response, answer)
    current = {str(a.question_id): _stored(a) for a in response.current_version.answers}
    details = {"reference": disagreement.reference}
    if disagreement.question_id is None:
        changed = answer.get("choice") != response.respondent_role
        details.update(role_from=response.respondent_role, role_to=answer["choice"])
    else:
        key = str(disagreement.question_id)
        changed = _comparable(current.get(key)) != _comparable(answer)
        current[key] = answer
    disagreement.resolved_answer = answer
    disagreement.resolved_by_id = resolved_by.id
    disagreement.resolved_at = utcnow()
    audit.record(Actions.DISAGREEMENT_RESOLVED, actor=resolved_by, target=disagreement,
                 details={**details, "changed": changed})
    if changed and disagreement.question_id is None:
        # Who was answering is on the response itself, not an answer: a new version can't
        # carry it, so the correction is the record's own, with its history in the audit log.
        response.respondent_role = answer["choice"]
        commit()
    elif changed:
        responses.correct_response(response_id=response.id, answers=current,
                                   reason=f"Resolved against paper sheet {disagreement.reference}",
                                   corrected_by=resolved_by, enforce_required=False)
    else:
        commit()


def _stored(answer) -> dict:
    stored = {"status": answer.status}
    for field in ("choice", "choices", "text"):
        if getattr(answer, field) is not None:
            stored[field] = getattr(answer, field)
    return stored


def get_sheet(reference: str) -> Response | None:
    """The response keyed from a sheet. :raise PaperError: the reference is not valid."""
    if not _valid(reference):
        raise PaperError("invalid_reference")
    return db.session.scalar(select(Response).where(
        Response.sheet_reference == references.normalise(reference)))


def correct_sheet(*, reference: str, answers: dict, reason: str, corrected_by: User,
                  respondent_role: str | None = None):
    """An explicit correction of a keyed sheet, with a reason; the history stays.

    Who was answering is on the response itself, not in a version, so a change to it is
    recorded in the audit log beside the new version.
    """
    response = get_sheet(reference)
    if response is None:
        raise PaperError("not_keyed")
    if respondent_role is not None and respondent_role != response.respondent_role:
        _check_role(respondent_role)
        audit.record(Actions.CORRECTED, actor=corrected_by, target=response,
                     details={"reference": response.sheet_reference,
                              "role_from": response.respondent_role, "role_to": respondent_role,
                              "reason": " ".join((reason or "").split())})
        response.respondent_role = respondent_role
    try:
        return responses.correct_response(response_id=response.id, answers=answers,
                                          reason=reason, corrected_by=corrected_by,
                                          enforce_required=False)
    except responses.InvalidResponse:
        db.session.rollback()  # nothing of a refused correction may stay in the session
        raise


def finalise(batch: PaperBatch, *, finalised_by: User) -> None:
    """Let a checked batch count in reports. :raise PaperError: while checks are outstanding."""
    state = progress(batch)
    if state.final:
        return
    if state.open_disagreements:
        raise PaperError("open_disagreements", count=state.open_disagreements)
    if state.to_check:
        raise PaperError("checks_outstanding", count=len(state.to_check))
    if not state.keyed:
        raise PaperError("empty_batch")
    batch.finalised_at = utcnow()
    db.session.execute(update(Response).where(Response.paper_batch_id == batch.id)
                       .values(held_back=False))
    # The sheets now count: bring the reports' rollups for their days up to date with them.
    days = db.session.execute(
        select(ResponseAnalysis.service_id, ResponseAnalysis.submitted_on)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(Response.paper_batch_id == batch.id).distinct()).all()
    for service_id, day in days:
        rollups.refresh_day(service_id, day)
    audit.record(Actions.BATCH_FINALISED, actor=finalised_by, target=batch,
                 details={"sheets": state.keyed, "checked": state.checked})
    commit()


def disagreement_rates() -> list[dict]:
    """Each volunteer's first keyings that were checked, and how many disagreed, by month."""
    checked = (
        select(PaperEntry.keyed_by_id.label("volunteer"), PaperEntry.reference,
               PaperEntry.keyed_at)
        .where(PaperEntry.kind == "first",
               PaperEntry.reference.in_(select(PaperEntry.reference)
                                        .where(PaperEntry.kind == "check")))
        .subquery()
    )
    month = func.substr(func.cast(checked.c.keyed_at, db.String), 1, 7)
    # Distinct references: a sheet with three disagreements is one sheet checked, not three.
    rows = db.session.execute(
        select(checked.c.volunteer, month.label("month"),
               func.count(func.distinct(checked.c.reference)),
               func.count(func.distinct(Disagreement.reference)))
        .select_from(checked)
        .outerjoin(Disagreement, Disagreement.reference == checked.c.reference)
        .group_by(checked.c.volunteer, month).order_by(month, checked.c.volunteer)
    ).all()
    names = dict(db.session.execute(select(User.id, User.name)).all())
    return [{"volunteer": names.get(v, "?"), "month": m, "checked": c, "disagreed": d}
            for v, m, c, d in rows]


def list_disagreements(batch: PaperBatch, *, open_only: bool = True) -> list[Disagreement]:
    """A batch's disagreements by sheet, the "who is answering" one before the questions."""
    query = select(Disagreement).where(Disagreement.batch_id == batch.id)
    if open_only:
        query = query.where(Disagreement.resolved_at.is_(None))
    found = list(db.session.scalars(query.order_by(Disagreement.reference, Disagreement.id)))
    return sorted(found, key=lambda d: (d.reference, d.question_id is not None, d.id))


def get_disagreement(disagreement_id: int) -> Disagreement | None:
    return db.session.get(Disagreement, disagreement_id)


# --- assisted --------------------------------------------------------------------------------


def submit_assisted(*, service: Service, mode: str, respondent_role: str, locale: str,
                    answers: dict, helped_by: User, idempotency_key: str) -> Response:
    """A survey a volunteer took with the person, in person or by phone."""
    if mode not in AssistanceMode.__members__.values():
        raise PaperError("mode")
    # A repeated submit (a double click, a resent form) is the same response, audited once.
    existing = responses.get_response_by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing
    open_survey = surveys.get_open_survey(service)
    if open_survey is None:
        raise PaperError("no_open_survey")
    # The person answers for themselves, as on the web: required questions stay required.
    response = responses.submit(
        survey_version_id=open_survey.version.id, channel=Channel.ASSISTED,
        respondent_role=respondent_role, locale=locale, answers=answers,
        idempotency_key=idempotency_key, assisted_by_id=helped_by.id, assistance_mode=mode,
        commit=False,
    )
    audit.record(Actions.ASSISTED_ENTRY, actor=helped_by, target=response,
                 details={"service": service.slug, "mode": mode})
    try:
        commit()
    except IntegrityError:
        existing = responses.get_response_by_idempotency_key(idempotency_key)
        if existing is None:
            raise
        return existing  # the same form, submitted twice at once: the first one stands
    return response
