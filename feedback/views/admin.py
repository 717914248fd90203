"""Administration: staff accounts, services and surveys, paper forms, and the audit log."""

from datetime import date, datetime, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user

from ..extensions import db
from ..forms.admin import (
    API_TOKEN_MESSAGES,
    KIND_LABELS,
    LANGUAGE_LABELS,
    MODULE_LABELS,
    PRINT_MESSAGES,
    ROLE_HINTS,
    ROLE_LABELS,
    SURVEY_MESSAGES,
    ApiTokenForm,
    AuditFilterForm,
    ConfirmForm,
    ErasePhoneForm,
    InviteForm,
    NewServiceForm,
    PersonAccessForm,
    PrintRunForm,
    ServiceForm,
    SurveyForm,
)
from ..models import PrintRun, Role, utcnow
from ..security import require_roles
from ..services import api_tokens, audit, paper, paper_forms, sms, sms_texts, surveys, users

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_roles(Role.ADMIN))

USER_ERRORS = {
    "invalid_email": (_l("Enter an email address in the right format, like name@nhs.net"), "email"),
    "email_taken": (_l("There is already an account with this email address"), "email"),
    "invalid_role": (_l("Choose a role"), "role"),
    "unknown_service": (_l("Choose services from the list"), "services"),
    "own_role": (_l("You cannot change your own role. Ask another administrator"), "role"),
    "own_account": (_l("You cannot deactivate your own account"), None),
    "already_accepted": (_l("This person has already set their password"), None),
}


def _service_choices(form) -> None:
    form.services.choices = [(s.id, s.name) for s in surveys.list_services()]


def _invitation_url(token: str) -> str:
    return url_for("auth.accept_invitation", token=token, _external=True)


def _show_user_error(form, error: users.UserError) -> None:
    message, field = USER_ERRORS[error.code]
    if field and form is not None:
        getattr(form, field).errors = [str(message)]
    else:
        flash(str(message), "error")


@bp.get("/")
def index():
    return render_template("admin/index.html")


@bp.get("/staff")
def staff():
    return render_template("admin/staff.html", people=users.list_users(), role_labels=ROLE_LABELS)


@bp.route("/staff/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    _service_choices(form)
    if form.validate_on_submit():
        try:
            user, token = users.invite_user(
                email=form.email.data, name=form.name.data, role=form.role.data,
                service_ids=form.services.data or [], invited_by=current_user,
                lifetime=current_app.config["INVITATION_LIFETIME"],
            )
            return render_template("admin/invited.html", user=user, link=_invitation_url(token))
        except users.UserError as error:
            _show_user_error(form, error)
    return render_template(
        "admin/invite.html", form=form, role_hints=ROLE_HINTS,
    ), 400 if form.errors or form.is_submitted() else 200


def _user_or_404(user_id: int):
    user = users.get_user(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
def person(user_id: int):
    user = _user_or_404(user_id)
    form = PersonAccessForm(data={
        "role": user.role, "services": [s.id for s in user.services],
        "safeguarding": ["yes"] if user.can_review_safeguarding else [],
    } if request.method == "GET" else None)
    _service_choices(form)
    if form.validate_on_submit():
        try:
            users.update_access(user, role=form.role.data, service_ids=form.services.data or [],
                                can_review_safeguarding=form.can_review_safeguarding,
                                changed_by=current_user)
            flash(_("Access for %(name)s has been updated.", name=user.name), "success")
            return redirect(url_for(".staff"))
        except users.UserError as error:
            _show_user_error(form, error)
    return render_template(
        "admin/person.html", person=user, form=form, confirm=ConfirmForm(),
        role_hints=ROLE_HINTS, role_labels=ROLE_LABELS,
    ), 400 if form.is_submitted() else 200


@bp.post("/staff/<int:user_id>/active")
def set_active(user_id: int):
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        users.set_active(user, active=active, changed_by=current_user)
        flash(_("%(name)s can sign in again.", name=user.name) if active
              else _("%(name)s has been deactivated and signed out.", name=user.name), "success")
    except users.UserError as error:
        _show_user_error(None, error)
    return redirect(url_for(".person", user_id=user.id))


@bp.post("/staff/<int:user_id>/invitation")
def reissue_invitation(user_id: int):
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = users.reissue_invitation(user, invited_by=current_user,
                                         lifetime=current_app.config["INVITATION_LIFETIME"])
    except users.UserError as error:
        _show_user_error(None, error)
        return redirect(url_for(".person", user_id=user.id))
    return render_template("admin/invited.html", user=user, link=_invitation_url(token))


# --- services and surveys ----------------------------------------------------------------------

# The form field each surveys-service error belongs to; None shows it at the top of the page.
SURVEY_ERROR_FIELDS = {
    "slug_length": "slug", "slug_format": "slug", "slug_taken": "slug",
    "name_required": "name", "name_too_long": "name", "invalid_kind": "kind",
    "description_required": "description_en", "description_too_long": "description_en",
    "unknown_language": "languages", "unknown_question": "questions",
    "fft_required": "questions", "fft_follow_up_required": "questions",
    "closes_before_opens": "closes_on", "edit_conflict": None,
}


def _show_survey_error(form, error: surveys.SurveyError) -> None:
    message = str(SURVEY_MESSAGES.get(error.code, _l("The change could not be saved")))
    field = getattr(form, SURVEY_ERROR_FIELDS.get(error.code) or "", None)
    if field is not None:
        field.errors = [message]
    else:
        flash(str(message), "error")


def _service_or_404(service_id: int):
    service = surveys.get_service(service_id)
    if service is None:
        abort(404)
    return service


def _survey_or_404(survey_id: int):
    survey = surveys.get_survey(survey_id)
    if survey is None:
        abort(404)
    return survey


def _local_date(moment: datetime | None) -> date | None:
    return to_user_timezone(moment).date() if moment else None


def _start_of(day: date | None, current: datetime | None = None) -> datetime | None:
    """Midnight at the start of `day`, UK time, in stored UTC. An unchanged date keeps its time."""
    if day is None:
        return None
    if current is not None and _local_date(current) == day:
        return current
    return to_utc(datetime.combine(day, time()))


@bp.get("/services")
def services():
    return render_template("admin/services.html", summaries=surveys.list_service_summaries(),
                           kind_labels=KIND_LABELS)


def _render_service(form, service):
    return render_template(
        "admin/service.html", form=form, service=service, language_labels=LANGUAGE_LABELS,
        summary=surveys.summarise_service(service) if service else None,
    ), 400 if form.is_submitted() else 200


@bp.route("/services/new", methods=["GET", "POST"])
def new_service():
    form = NewServiceForm()
    if form.validate_on_submit():
        try:
            service = surveys.create_service(
                slug=form.slug.data, name=form.name.data, kind=form.kind.data,
                description=form.descriptions(), created_by=current_user,
            )
            flash(_("%(name)s has been added. Now add its survey.", name=service.name), "success")
            return redirect(url_for(".service", service_id=service.id))
        except surveys.SurveyError as error:
            _show_survey_error(form, error)
    return _render_service(form, None)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
def service(service_id: int):
    service = _service_or_404(service_id)
    form = ServiceForm(data={
        "name": service.name, "kind": service.kind,
        **{f"description_{code}": text for code, text in (service.description or {}).items()},
    } if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = surveys.update_service(
                service, name=form.name.data, kind=form.kind.data,
                description=form.descriptions(), updated_by=current_user,
            )
            flash(_("%(name)s has been updated.", name=service.name) if changed
                  else _("Nothing was changed."), "success")
            return redirect(url_for(".services"))
        except surveys.SurveyError as error:
            _show_survey_error(form, error)
    return _render_service(form, service)


def _render_survey(form, service, survey):
    version = survey.versions[-1] if survey and survey.versions else None
    sms_preview = sms_texts.preview(
        service_name=service.name, questions=[sq.question for sq in version.questions],
        locales=survey.languages or ["en"],
    ) if version else []
    return render_template(
        "admin/survey.html", form=form, service=service, survey=survey,
        modules=MODULE_LABELS, language_labels=LANGUAGE_LABELS,
        required_keys=surveys.REQUIRED_KEYS,
        status=surveys.survey_status(survey) if survey else None,
        version=version, sms_preview=sms_preview,
    ), 400 if form.is_submitted() else 200


@bp.route("/services/<int:service_id>/surveys/new", methods=["GET", "POST"])
def new_survey(service_id: int):
    service = _service_or_404(service_id)
    bank = surveys.list_bank_questions()
    form = SurveyForm(data={
        # A sensible start: the FFT with both follow-ups, in every language, from today.
        "questions": [q.key for q in bank if q.module == "fft"],
        "languages": list(LANGUAGE_LABELS),
        "opens_on": _local_date(utcnow()),
    } if request.method == "GET" else None)
    form.use_bank(bank)
    if form.validate_on_submit():
        try:
            survey = surveys.create_survey(
                service_id=service.id, name=form.name.data, languages=form.language_codes(),
                question_keys=form.question_keys(), opens_at=_start_of(form.opens_on.data),
                closes_at=_start_of(form.closes_on.data), created_by=current_user,
            )
            flash(_("The survey %(name)s has been published.", name=survey.name), "success")
            return redirect(url_for(".service", service_id=service.id))
        except surveys.SurveyError as error:
            _show_survey_error(form, error)
    return _render_survey(form, service, None)


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
def survey(survey_id: int):
    survey = _survey_or_404(survey_id)
    version = survey.versions[-1] if survey.versions else None
    form = SurveyForm(data={
        "name": survey.name,
        "questions": [sq.question.key for sq in version.questions] if version else [],
        "languages": survey.languages,
        "opens_on": _local_date(survey.opens_at),
        "closes_on": _local_date(survey.closes_at),
    } if request.method == "GET" else None)
    form.use_bank(surveys.list_bank_questions())
    if form.validate_on_submit():
        try:
            changed = surveys.update_survey(
                survey, name=form.name.data, languages=form.language_codes(),
                question_keys=form.question_keys(),
                opens_at=_start_of(form.opens_on.data, survey.opens_at),
                closes_at=_start_of(form.closes_on.data, survey.closes_at),
                updated_by=current_user,
            )
            if "questions" in changed:
                message = _("The survey %(name)s has been updated. Its new questions are "
                            "version %(number)d.", name=survey.name,
                            number=survey.versions[-1].number)
            elif changed:
                message = _("The survey %(name)s has been updated.", name=survey.name)
            else:
                message = _("Nothing was changed.")
            flash(message, "success")
            return redirect(url_for(".service", service_id=survey.service_id))
        except surveys.SurveyError as error:
            _show_survey_error(form, error)
    return _render_survey(form, survey.service, survey)


# --- integration API tokens --------------------------------------------------------------------


def _api_token_or_404(service, token_id: int):
    token = api_tokens.get_token(token_id)
    if token is None or token.service_id != service.id:
        abort(404)
    return token


def _render_api_tokens(form, service):
    return render_template(
        "admin/api_tokens.html", form=form, service=service,
        tokens=api_tokens.list_tokens(service.id),
        api_url=url_for("api.add_recipients", _external=True),
    ), 400 if form.is_submitted() else 200


def _render_api_token_created(service, token, plaintext: str, *, rotated: bool):
    # Shown once, on the POST's own response: a redirect would need the token kept somewhere.
    return render_template(
        "admin/api_token_created.html", service=service, token=token, plaintext=plaintext,
        rotated=rotated, api_url=url_for("api.add_recipients", _external=True),
    )


@bp.route("/services/<int:service_id>/api-tokens", methods=["GET", "POST"])
def service_api_tokens(service_id: int):
    service = _service_or_404(service_id)
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            token, plaintext = api_tokens.create_token(service, name=form.name.data,
                                                       created_by=current_user)
            return _render_api_token_created(service, token, plaintext, rotated=False)
        except api_tokens.ApiTokenError as error:
            form.name.errors = [str(API_TOKEN_MESSAGES[error.code])]
    return _render_api_tokens(form, service)


@bp.post("/services/<int:service_id>/api-tokens/<int:token_id>/rotate")
def rotate_api_token(service_id: int, token_id: int):
    service = _service_or_404(service_id)
    token = _api_token_or_404(service, token_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        new, plaintext = api_tokens.rotate_token(token, by=current_user)
    except api_tokens.ApiTokenError as error:
        flash(str(API_TOKEN_MESSAGES[error.code]), "error")
        return redirect(url_for(".service_api_tokens", service_id=service.id))
    return _render_api_token_created(service, new, plaintext, rotated=True)


@bp.post("/services/<int:service_id>/api-tokens/<int:token_id>/revoke")
def revoke_api_token(service_id: int, token_id: int):
    service = _service_or_404(service_id)
    token = _api_token_or_404(service, token_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        api_tokens.revoke_token(token, by=current_user)
        flash(_("The token %(name)s has been revoked. Calls that use it are refused from now on.",
                name=token.name), "success")
    except api_tokens.ApiTokenError as error:
        flash(str(API_TOKEN_MESSAGES[error.code]), "error")
    return redirect(url_for(".service_api_tokens", service_id=service.id))


@bp.get("/retention")
def retention():
    from ..services.retention import rules_in_force

    return render_template(
        "admin/retention.html",
        rules=rules_in_force(current_app.config["RETENTION_DAYS"]),
        last_runs=audit.list_events(audit.AuditFilter(action=audit.Actions.RETENTION_APPLIED),
                                    per_page=10)[0],
    )


@bp.get("/audit-log")
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", str(_l("Any action")))] + [(a, a) for a in audit.Actions.all()]
    page = request.args.get("page", 1, type=int)
    events, has_more = [], False
    if form.validate():
        until = form.until.data and datetime.combine(form.until.data + timedelta(days=1), time())
        since = form.since.data and datetime.combine(form.since.data, time())
        events, has_more = audit.list_events(
            audit.AuditFilter(action=form.action.data or None, actor_email=form.actor.data or None,
                              since=since or None, until=until or None),
            page=max(page, 1),
        )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "admin/audit_log.html", form=form, events=events, page=page,
        previous_url=url_for(".audit_log", page=page - 1, **args) if page > 1 else None,
        next_url=url_for(".audit_log", page=page + 1, **args) if has_more else None,
    ), 200 if not form.errors else 400


# --- erasing a phone number on request ---------------------------------------------------------


@bp.route("/erase-phone-number", methods=["GET", "POST"])
def erase_phone_number():
    from sms.phone import InvalidPhoneNumber, normalise_phone

    form = ErasePhoneForm()
    erased = None
    if form.validate_on_submit():
        try:
            number = normalise_phone(form.phone.data)
        except InvalidPhoneNumber:
            form.phone.errors = [_("Enter a UK mobile number, like 07700 900123")]
        else:
            erased = sms.erase_number(number, erased_by=current_user)
    return render_template("admin/erase_phone_number.html", form=form, erased=erased), (
        400 if form.errors else 200)


# --- paper forms -------------------------------------------------------------------------------


def _print_run_or_404(run_id: int) -> PrintRun:
    return db.get_or_404(PrintRun, run_id)


@bp.route("/services/<int:service_id>/print", methods=["GET", "POST"])
def print_forms(service_id: int):
    service = _service_or_404(service_id)
    open_survey = surveys.get_open_survey(service)
    languages = open_survey.survey.languages if open_survey else []
    form = PrintRunForm(data={"language": "en" if "en" in languages else None,
                              "large_print": "no"} if request.method == "GET" else None)
    form.use_languages(languages)
    problems = []
    if open_survey is not None and form.validate_on_submit():
        try:
            run = paper.create_print_run(
                service=service, locale=form.language.data,
                large_print=form.large_print.data == "yes", sheet_count=form.sheet_count.data,
                site=form.site.data, created_by=current_user,
            )
            return redirect(url_for(".print_run", run_id=run.id))
        except paper.PaperError as error:
            message = str(PRINT_MESSAGES.get(error.code, PRINT_MESSAGES["no_open_survey"]))
            if error.code == "sheet_count":
                form.sheet_count.errors = [message]
            else:
                problems.append({"text": message})
    elif open_survey is None and request.method == "POST":
        problems.append({"text": str(PRINT_MESSAGES["no_open_survey"])})
    return render_template(
        "admin/print_forms.html", form=form, service=service, open_survey=open_survey,
        problems=problems, max_sheets=paper.MAX_SHEETS_PER_RUN,
    ), 400 if form.is_submitted() else 200


@bp.get("/print-runs/<int:run_id>")
def print_run(run_id: int):
    run = _print_run_or_404(run_id)
    references = paper.sheet_references(run)
    return render_template("admin/print_run.html", run=run, first=references[0],
                           last=references[-1], language_labels=LANGUAGE_LABELS)


@bp.get("/print-runs/<int:run_id>/pdf")
def print_run_pdf(run_id: int):
    run = _print_run_or_404(run_id)
    references = paper.sheet_references(run)
    response = make_response(paper_forms.render_print_run_pdf(run))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="forms-{references[0]}-{references[-1]}.pdf"')
    return response


# --- paper forms: how often each volunteer's keying agrees with a blind check ------------------


@bp.get("/volunteer-checking")
def volunteer_checking():
    from ..services.paper import disagreement_rates

    rows = []
    for row in disagreement_rates():
        year, month = (int(part) for part in row["month"].split("-"))
        rows.append({**row, "month": date(year, month, 1),
                     "rate": row["disagreed"] / row["checked"] if row["checked"] else None})
    rows.sort(key=lambda r: (r["volunteer"].casefold(), r["month"]))
    return render_template("admin/volunteer_checking.html", rows=rows)
