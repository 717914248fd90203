"""The public web survey: home page, one question a page, check answers, confirmation."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..extensions import limiter
from ..forms.survey import (
    ROLE_LABELS,
    RoleForm,
    StartForm,
    SubmitForm,
    error_message,
    question_form,
)
from ..i18n import current_language, localise
from ..models import AnswerStatus, QuestionKind
from ..services import responses, surveys
from . import allow_anonymous

bp = Blueprint("survey", __name__)
bp.before_request(allow_anonymous)


def _post_limit() -> str:
    return current_app.config["SURVEY_POST_RATE_LIMIT"]


# Anonymous posts are throttled per address; the counters expire with their window.
limiter.limit(_post_limit, methods=["POST"])(bp)


@bp.get("/")
def home():
    return render_template("survey/home.html", open_surveys=surveys.list_open_surveys())


@bp.get("/privacy")
def privacy():
    from ..services.retention import rules_in_force

    return render_template(
        "survey/privacy.html",
        draft_hours=int(current_app.config["SURVEY_DRAFT_LIFETIME"].total_seconds() // 3600),
        retention=rules_in_force(current_app.config["RETENTION_DAYS"]),
    )


@bp.get("/accessibility")
def accessibility():
    return render_template("survey/accessibility.html")


# --- one survey ------------------------------------------------------------------------------


def _open_survey_or_404(slug: str):
    service = surveys.get_service_by_slug(slug)
    if service is None:
        abort(404)
    open_survey = surveys.get_open_survey(service)
    if open_survey is None:
        abort(_closed_page(service))
    return open_survey


def _closed_page(service):
    return current_app.make_response(
        (render_template("survey/closed.html", service=service), 410)
    )


def _draft_key(slug: str) -> str:
    return f"draft:{slug}"


def _current_draft(slug: str, open_survey):
    draft = responses.get_draft(
        session.get(_draft_key(slug)), max_age=current_app.config["SURVEY_DRAFT_LIFETIME"]
    )
    if draft is None or draft.survey_version_id != open_survey.version.id:
        return None
    return draft


def _draft_or_restart(slug: str, open_survey):
    """The visitor's draft, or a response to send them on: done if sent, else the start."""
    draft = _current_draft(slug, open_survey)
    if draft is not None:
        return draft, None
    token = session.get(_draft_key(slug))
    if token and responses.get_response_by_idempotency_key(token):
        return None, redirect(url_for(".done", slug=slug))
    return None, redirect(url_for(".start", slug=slug, expired=1 if token else None))


def _next_url(slug: str, position: int, total: int, changing: bool) -> str:
    if changing or position >= total:
        return url_for(".check", slug=slug)
    return url_for(".question", slug=slug, position=position + 1)


@bp.get("/s/<slug>")
def start(slug: str):
    open_survey = _open_survey_or_404(slug)
    return render_template(
        "survey/start.html",
        open_survey=open_survey,
        form=StartForm(),
        expired=request.args.get("expired") == "1",
        question_count=len(open_survey.version.questions),
    )


@bp.post("/s/<slug>")
def begin(slug: str):
    open_survey = _open_survey_or_404(slug)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    # A second click on Start continues the same draft rather than opening another.
    if _current_draft(slug, open_survey) is None:
        session[_draft_key(slug)] = responses.start_draft(survey_version_id=open_survey.version.id)
    session.permanent = True
    return redirect(url_for(".role", slug=slug))


@bp.route("/s/<slug>/who-is-answering", methods=["GET", "POST"])
def role(slug: str):
    open_survey = _open_survey_or_404(slug)
    draft, elsewhere = _draft_or_restart(slug, open_survey)
    if elsewhere:
        return elsewhere
    form = RoleForm(data={"role": draft.respondent_role} if request.method == "GET" else None)
    if form.validate_on_submit():
        responses.save_draft_role(draft, form.role.data)
        total = len(open_survey.version.questions)
        return redirect(_next_url(slug, 0, total, request.args.get("change") == "1"))
    status = 400 if form.errors else 200
    return render_template(
        "survey/role.html", open_survey=open_survey, form=form,
        total=len(open_survey.version.questions),
    ), status


def _raw_answer(kind: str, form) -> dict:
    data = form.answer.data
    if kind == QuestionKind.FREE_TEXT:
        return {"text": data or ""}
    if kind == QuestionKind.MULTIPLE_CHOICE:
        return {"choices": list(data or [])}
    return {"choice": data}


def _choices(question) -> list[tuple[str, str]]:
    return [(o["value"], localise(o["label"])) for o in question.options]


def _stored_form_data(kind: str, stored: dict | None) -> dict:
    if not stored or stored.get("status") != AnswerStatus.ANSWERED:
        return {}
    field = {"free_text": "text", "multiple_choice": "choices"}.get(kind, "choice")
    return {"answer": stored.get(field)}


@bp.route("/s/<slug>/questions/<int:position>", methods=["GET", "POST"])
def question(slug: str, position: int):
    open_survey = _open_survey_or_404(slug)
    questions = open_survey.version.questions
    if not 1 <= position <= len(questions):
        abort(404)
    draft, elsewhere = _draft_or_restart(slug, open_survey)
    if elsewhere:
        return elsewhere
    if draft.respondent_role is None:
        return redirect(url_for(".role", slug=slug))
    survey_question = questions[position - 1]
    bank_question = survey_question.question
    stored = draft.answers.get(str(bank_question.id))
    form = question_form(
        bank_question.kind,
        _choices(bank_question),
        data=_stored_form_data(bank_question.kind, stored) if request.method == "GET" else None,
    )
    max_length = current_app.config["FREE_TEXT_MAX_LENGTH"]
    changing = request.args.get("change") == "1"
    status = 200
    if request.method == "POST":
        if not form.validate():
            abort(400)  # only the CSRF token can fail here
        try:
            responses.save_draft_answer(
                draft, survey_question, _raw_answer(bank_question.kind, form),
                max_length=max_length,
            )
            return redirect(_next_url(slug, position, len(questions), changing))
        except responses.InvalidResponse as invalid:
            code = next(iter(invalid.errors.values()))
            form.answer.errors = [
                error_message(code, bank_question.kind, bank_question.max_length or max_length)
            ]
            status = 400
    back = (
        url_for(".check", slug=slug) if changing
        else url_for(".question", slug=slug, position=position - 1) if position > 1
        else url_for(".role", slug=slug)
    )
    return render_template(
        "survey/question.html",
        open_survey=open_survey,
        survey_question=survey_question,
        question=bank_question,
        form=form,
        position=position,
        total=len(questions),
        back_url=back,
        max_length=min(bank_question.max_length or max_length, max_length),
    ), status


def _summary_rows(open_survey, draft) -> list[dict]:
    rows = []
    for position, survey_question in enumerate(open_survey.version.questions, start=1):
        q = survey_question.question
        stored = draft.answers.get(str(q.id)) or {}
        labels = {o["value"]: localise(o["label"]) for o in q.options}
        if stored.get("status") != AnswerStatus.ANSWERED:
            value = None
        elif q.kind == QuestionKind.FREE_TEXT:
            value = stored.get("text")
        elif q.kind == QuestionKind.MULTIPLE_CHOICE:
            value = [labels.get(c, c) for c in stored.get("choices", [])]
        else:
            value = labels.get(stored.get("choice"))
        rows.append(
            {
                "question": localise(q.text),
                "value": value,
                "required": survey_question.required,
                "href": url_for(".question", slug=open_survey.service.slug,
                                position=position, change=1),
            }
        )
    return rows


@bp.route("/s/<slug>/check-your-answers", methods=["GET", "POST"])
def check(slug: str):
    open_survey = _open_survey_or_404(slug)
    draft, elsewhere = _draft_or_restart(slug, open_survey)
    if elsewhere:
        return elsewhere
    if draft.respondent_role is None:
        return redirect(url_for(".role", slug=slug))
    form = SubmitForm()
    errors = {}
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            responses.submit_draft(
                draft, locale=current_language(),
                max_length=current_app.config["FREE_TEXT_MAX_LENGTH"],
            )
            return redirect(url_for(".done", slug=slug))
        except responses.InvalidResponse as invalid:
            errors = invalid.errors
    rows = _summary_rows(open_survey, draft)
    missing = [
        row for row, sq in zip(rows, open_survey.version.questions, strict=True)
        if sq.question_id in errors or str(sq.question_id) in errors
    ]
    return render_template(
        "survey/check.html",
        open_survey=open_survey,
        form=form,
        rows=rows,
        role_label=ROLE_LABELS.get(draft.respondent_role),
        missing=missing,
    ), 400 if errors else 200


@bp.get("/s/<slug>/done")
def done(slug: str):
    service = surveys.get_service_by_slug(slug)
    if service is None:
        abort(404)
    token = session.get(_draft_key(slug))
    if not token or responses.get_response_by_idempotency_key(token) is None:
        return redirect(url_for(".start", slug=slug))
    return render_template("survey/done.html", service=service)
