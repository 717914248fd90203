"""Volunteers: helping people give feedback, and keying and checking paper forms."""

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from .. import references
from ..forms.survey import ROLE_LABELS
from ..forms.volunteer import (
    ANSWER_STATUS_LABELS,
    CHECK,
    FIRST,
    BatchForm,
    ConfirmForm,
    ResolveForm,
    assisted_form,
    check_form,
    correction_form,
    paper_message,
    sheet_form,
    stored_form_data,
)
from ..i18n import current_language, localise
from ..models import AnswerStatus, Role
from ..security import require_roles
from ..services import paper, responses, surveys

bp = Blueprint("volunteer", __name__, url_prefix="/volunteer")
bp.before_request(require_roles(Role.VOLUNTEER))

MISSING_SHOWN = 100  # references listed on the batch page; the rest are counted


@bp.get("/")
def index():
    batches = [(batch, paper.progress(batch)) for batch in paper.list_batches()]
    return render_template("volunteer/index.html", open_surveys=surveys.list_open_surveys(),
                           batches=batches)


# --- batches -----------------------------------------------------------------------------------


def _batch_or_404(batch_id: int):
    batch = paper.get_batch(batch_id)
    if batch is None:
        abort(404)
    return batch


def _batch_name(batch) -> str:
    return _("batch %(number)d (%(site)s, received %(date)s)", number=batch.id, site=batch.site,
             date=format_date(batch.received_on))


def _has_errors(form) -> bool:
    return any(field.errors for field in form)


@bp.route("/batches/new", methods=["GET", "POST"])
def new_batch():
    form = BatchForm()
    form.use_services(surveys.list_services())
    if form.validate_on_submit():
        fields = {"expected_sheets": form.expected_sheets, "check_share": form.check_share,
                  "received_in_future": form.received_on}
        try:
            batch = paper.open_batch(
                service=surveys.get_service(int(form.service.data)), site=form.site.data,
                received_on=form.received_on.data, expected_sheets=form.expected_sheets.data,
                check_share=form.check_share.data / 100, opened_by=current_user,
            )
            flash(_("Batch %(number)d is open. Key its first sheet.", number=batch.id), "success")
            return redirect(url_for(".new_sheet", batch_id=batch.id))
        except paper.PaperError as error:
            fields.get(error.code, form.site).errors = [paper_message(error.code)]
    return render_template("volunteer/new_batch.html", form=form), (
        400 if form.is_submitted() else 200)


def _blockers(state: paper.BatchProgress) -> list[str]:
    """Why the batch cannot be made final yet, in the words the page shows."""
    blockers = []
    if state.open_disagreements:
        blockers.append(ngettext("%(num)d disagreement is waiting to be resolved",
                                 "%(num)d disagreements are waiting to be resolved",
                                 state.open_disagreements))
    if state.to_check:
        blockers.append(ngettext("%(num)d sheet is waiting for its blind check",
                                 "%(num)d sheets are waiting for their blind check",
                                 len(state.to_check)))
    if not state.keyed:
        blockers.append(paper_message("empty_batch"))
    return blockers


@bp.get("/batches/<int:batch_id>")
def batch(batch_id: int):
    batch = _batch_or_404(batch_id)
    state = paper.progress(batch)
    return render_template(
        "volunteer/batch.html", batch=batch, state=state, form=ConfirmForm(),
        blockers=_blockers(state), missing_shown=MISSING_SHOWN,
        to_check=[ref for ref in state.to_check if current_user.id not in state.keyed_by[ref]],
    )


@bp.post("/batches/<int:batch_id>/finalise")
def finalise_batch(batch_id: int):
    batch = _batch_or_404(batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        paper.finalise(batch, finalised_by=current_user)
        flash(_("Batch %(number)d is final. Its sheets now count in reports.",
                number=batch.id), "success")
    except paper.PaperError as error:
        state = paper.progress(batch)
        flash(" ".join([_("The batch cannot be made final yet."), *_blockers(state)])
              if error.code != "empty_batch" else paper_message(error.code), "error")
    return redirect(url_for(".batch", batch_id=batch.id))


# --- keying a sheet ----------------------------------------------------------------------------


def _entry_versions(batch) -> dict:
    """The survey versions this service's sheets were printed with, the newest run's first."""
    versions = {}
    for run in paper.list_print_runs(batch.service_id):
        versions.setdefault(run.survey_version_id, run.survey_version)
    open_survey = surveys.get_open_survey(batch.service)
    if open_survey is not None:
        versions.setdefault(open_survey.version.id, open_survey.version)
    return versions


def _shown(typed: str) -> str:
    try:
        return references.normalise(typed)
    except references.InvalidReference:
        return typed


def _reference_error(form, error: paper.PaperError, typed: str) -> list[dict]:
    """Put a paper error on the reference field; return any extra error-summary links."""
    details = {"reference": _shown(typed), **error.details}
    extra = []
    if error.code == "duplicate":
        elsewhere = paper.get_batch(error.details["batch_id"])
        details["batch"] = _batch_name(elsewhere)
        extra.append({"text": _("Correct sheet %(reference)s", reference=_shown(typed)),
                      "href": url_for(".correction", reference=_shown(typed))})
    form.reference.errors = [paper_message(error.code, **details)]
    return extra


def _render_sheet(batch, form, *, extra_errors=(), status=200):
    return render_template("volunteer/new_sheet.html", batch=batch, form=form,
                           extra_errors=list(extra_errors),
                           progress=paper.progress(batch)), status


def _switch_version(batch, form):
    """The sheet's own questions if its reference says it was printed with other ones."""
    try:
        _, sheet_version = paper.check_reference(batch, form.reference.data, unkeyed=False)
    except paper.PaperError:
        return form
    if str(sheet_version.id) == form.version_id.data:
        return form
    switched = sheet_form(sheet_version)
    switched.reference.errors = [paper_message("other_version",
                                               reference=_shown(form.reference.data))]
    return switched


def _check_sheet_reference(batch, form):
    """Refuse a wrong reference before the answers are looked at: (form, extra summary links)."""
    if form.reference.errors:
        return form, []
    form = _switch_version(batch, form)
    if form.reference.errors:
        return form, []
    try:
        paper.check_reference(batch, form.reference.data)
    except paper.PaperError as error:
        return form, _reference_error(form, error, form.reference.data)
    return form, []


@bp.route("/batches/<int:batch_id>/sheets/new", methods=["GET", "POST"])
def new_sheet(batch_id: int):
    batch = _batch_or_404(batch_id)
    if batch.finalised_at is not None:
        flash(paper_message("batch_final"), "error")
        return redirect(url_for(".batch", batch_id=batch.id))
    versions = _entry_versions(batch)
    if not versions:
        return _render_sheet(batch, None)
    version = versions.get(request.form.get("version_id", type=int)) or next(
        iter(versions.values()))
    form = sheet_form(version)
    if request.method == "GET":
        return _render_sheet(batch, form)
    form.validate()
    if form.csrf_token.errors:
        abort(400)
    form, extra = _check_sheet_reference(batch, form)
    if not _has_errors(form):
        try:
            response = paper.key_sheet(batch=batch, reference=form.reference.data,
                                       respondent_role=form.role.data, answers=form.answers,
                                       keyed_by=current_user)
            flash(_("Sheet %(reference)s saved", reference=response.sheet_reference), "success")
            return redirect(url_for(".new_sheet", batch_id=batch.id))
        except paper.PaperError as error:
            extra = _reference_error(form, error, form.reference.data)
        except responses.InvalidResponse as invalid:
            form.question_errors(invalid.errors)
    return _render_sheet(batch, form, extra_errors=extra, status=400)


# --- blind checks ------------------------------------------------------------------------------


@bp.get("/batches/<int:batch_id>/check")
def checks(batch_id: int):
    batch = _batch_or_404(batch_id)
    state = paper.progress(batch)
    mine = [ref for ref in state.to_check if current_user.id in state.keyed_by[ref]]
    return render_template(
        "volunteer/checks.html", batch=batch, state=state, mine=mine,
        others=[ref for ref in state.to_check if ref not in mine],
    )


@bp.route("/batches/<int:batch_id>/check/new", methods=["GET", "POST"])
def new_check(batch_id: int):
    batch = _batch_or_404(batch_id)
    if not request.args.get("reference"):
        return redirect(url_for(".checks", batch_id=batch.id))
    try:
        reference, version = paper.check_reference(batch, request.args["reference"],
                                                   unkeyed=False)
    except paper.PaperError:
        abort(404)
    state = paper.progress(batch)
    if reference not in state.keyed_by:
        abort(404)
    form = check_form(version)
    problem = None
    if current_user.id in state.keyed_by[reference]:
        problem, form = paper_message("same_volunteer", reference=reference), None
    elif form.validate_on_submit():
        try:
            found = paper.key_check(batch=batch, reference=reference,
                                    respondent_role=form.role.data, answers=form.answers,
                                    keyed_by=current_user)
            flash(ngettext("Sheet %(reference)s checked: %(num)d answer differs from the first "
                           "keying.", "Sheet %(reference)s checked: %(num)d answers differ from "
                           "the first keying.", len(found), reference=reference)
                  if found else _("Sheet %(reference)s checked: both keyings agree.",
                                  reference=reference), "success")
            return redirect(url_for(".checks", batch_id=batch.id))
        except paper.PaperError as error:
            problem = paper_message(error.code, reference=reference)
        except responses.InvalidResponse as invalid:
            form.question_errors(invalid.errors)
    elif form.is_submitted() and form.csrf_token.errors:
        abort(400)
    return render_template(
        "volunteer/new_check.html", batch=batch, reference=reference, form=form,
        problem=problem,
    ), 400 if request.method == "POST" else 200


# --- disagreements -----------------------------------------------------------------------------


def _answer_text(question, answer: dict | None) -> str:
    """A keyed answer in words: option labels, the text as typed, Blank or Unreadable."""
    answer = answer or {}
    status = answer.get("status", AnswerStatus.ANSWERED)
    if status != AnswerStatus.ANSWERED:
        return str(ANSWER_STATUS_LABELS.get(status, status))
    if question is None:
        return str(ROLE_LABELS.get(answer.get("choice"), answer.get("choice") or ""))
    labels = {o["value"]: localise(o["label"]) for o in question.options}
    if (answer.get("text") or "").strip():
        return answer["text"]
    if answer.get("choices"):
        return ", ".join(labels.get(c, c) for c in answer["choices"])
    if answer.get("choice"):
        return labels.get(answer["choice"], answer["choice"])
    return str(ANSWER_STATUS_LABELS[AnswerStatus.SKIPPED])


def _question_title(question) -> str:
    return localise(question.text) if question is not None else _("Who is answering")


def _resolve_form(disagreement, *, submitted: bool = False):
    # Only the form that was posted reads the request: the others on the page start empty.
    kwargs = {} if submitted else {"formdata": None}
    form = ResolveForm(prefix=f"d{disagreement.id}", **kwargs)
    form.use_question(disagreement.question)
    return form


def _render_disagreements(batch, failed=None, status=200):
    state = paper.progress(batch)
    rows = []
    for disagreement in paper.list_disagreements(batch):
        question = disagreement.question
        rows.append({
            "disagreement": disagreement,
            "question": question,
            "title": _question_title(question),
            "first": _answer_text(question, disagreement.first_answer),
            "check": _answer_text(question, disagreement.check_answer),
            "own": current_user.id in state.keyed_by.get(disagreement.reference, set()),
            "form": failed[1] if failed and failed[0] == disagreement.id
            else _resolve_form(disagreement),
        })
    return render_template("volunteer/disagreements.html", batch=batch, rows=rows,
                           state=state), status


@bp.get("/batches/<int:batch_id>/disagreements")
def disagreements(batch_id: int):
    return _render_disagreements(_batch_or_404(batch_id))


@bp.post("/batches/<int:batch_id>/disagreements/<int:disagreement_id>")
def resolve_disagreement(batch_id: int, disagreement_id: int):
    batch = _batch_or_404(batch_id)
    disagreement = paper.get_disagreement(disagreement_id)
    if disagreement is None or disagreement.batch_id != batch.id:
        abort(404)
    form = _resolve_form(disagreement, submitted=True)
    if form.validate():
        if form.decision.data == FIRST:
            answer = disagreement.first_answer
        elif form.decision.data == CHECK:
            answer = disagreement.check_answer
        else:
            answer = form.other_answer(disagreement.question)
        if answer is not None:
            try:
                paper.resolve(disagreement=disagreement, answer=answer,
                              resolved_by=current_user)
                flash(_("Resolved: sheet %(reference)s, %(question)s",
                        reference=disagreement.reference,
                        question=_question_title(disagreement.question)), "success")
                return redirect(url_for(".disagreements", batch_id=batch.id))
            except paper.PaperError as error:
                form.decision.errors = [paper_message(error.code)]
            except responses.InvalidResponse:
                form.other.errors = [_("Select one of the answers shown")]
    elif form.csrf_token.errors:
        abort(400)
    return _render_disagreements(batch, failed=(disagreement.id, form), status=400)


# --- corrections -------------------------------------------------------------------------------


def _stored_answers(response) -> dict:
    stored = {}
    for answer in response.current_version.answers:
        stored[str(answer.question_id)] = {
            "status": answer.status, "choice": answer.choice, "choices": answer.choices,
            "text": answer.text,
        }
    return stored


def _render_lookup(typed: str = "", error: str | None = None):
    return render_template("volunteer/correction_lookup.html", reference=typed,
                           error=error), 400 if error else 200


@bp.route("/corrections", methods=["GET", "POST"])
def correction():
    typed = (request.args.get("reference") or "").strip()
    if not typed:
        if request.method == "POST":
            abort(400)
        return _render_lookup()
    try:
        response = paper.get_sheet(typed)
    except paper.PaperError as error:
        return _render_lookup(typed, paper_message(error.code, reference=typed))
    if response is None:
        return _render_lookup(typed, paper_message("not_found", reference=_shown(typed)))
    reference = response.sheet_reference
    form = correction_form(response.survey_version)
    if request.method == "GET":
        form.process(data=stored_form_data(form.entries, _stored_answers(response),
                                           response.respondent_role))
    elif form.validate():
        try:
            version = paper.correct_sheet(reference=reference, answers=form.answers,
                                          reason=form.reason.data, corrected_by=current_user,
                                          respondent_role=form.role.data)
            flash(_("Sheet %(reference)s corrected. Its answers are now version %(number)d.",
                    reference=reference, number=version.number), "success")
            return redirect(url_for(".batch", batch_id=response.paper_batch_id))
        except responses.InvalidResponse as invalid:
            if "reason" in invalid.errors:
                form.reason.errors = [_("Enter why you are correcting the sheet")]
            form.question_errors(invalid.errors)
    elif form.csrf_token.errors:
        abort(400)
    return render_template("volunteer/correction.html", form=form, response=response,
                           reference=reference), 400 if request.method == "POST" else 200


# --- assisted surveys --------------------------------------------------------------------------


def _open_survey_or_404(service_id: int):
    service = surveys.get_service(service_id)
    open_survey = service and surveys.get_open_survey(service)
    if not open_survey:
        abort(404)
    return open_survey


@bp.route("/assisted", methods=["GET", "POST"])
def assisted():
    service_id = request.args.get("service", type=int)
    if service_id is None:
        if request.method == "POST":
            abort(400)
        return render_template("volunteer/assisted_services.html",
                               open_surveys=surveys.list_open_surveys())
    open_survey = _open_survey_or_404(service_id)
    form = assisted_form(open_survey.version, data={
        "idempotency_key": secrets.token_urlsafe(24)} if request.method == "GET" else None)
    max_length = current_app.config["FREE_TEXT_MAX_LENGTH"]
    if form.validate_on_submit():
        try:
            paper.submit_assisted(
                service=open_survey.service, mode=form.mode.data, respondent_role=form.role.data,
                locale=current_language(), answers=form.answers(), helped_by=current_user,
                idempotency_key=f"assisted:{form.idempotency_key.data}",
            )
            return redirect(url_for(".assisted_done", service=open_survey.service.id))
        except paper.PaperError as error:
            form.mode.errors = [paper_message(error.code)]
        except responses.InvalidResponse as invalid:
            form.question_errors(invalid.errors, max_length)
    elif form.is_submitted() and (form.csrf_token.errors or form.idempotency_key.errors):
        abort(400)
    return render_template(
        "volunteer/assisted.html", open_survey=open_survey, form=form, max_length=max_length,
    ), 400 if form.is_submitted() else 200


@bp.get("/assisted/saved")
def assisted_done():
    service_id = request.args.get("service", type=int)
    if service_id is None:
        return redirect(url_for(".assisted"))
    open_survey = _open_survey_or_404(service_id)
    return render_template("volunteer/assisted_done.html", open_survey=open_survey)
