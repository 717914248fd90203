"""Administration: staff accounts, services and surveys, and the audit log."""

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..forms.admin import ROLE_HINTS, ROLE_LABELS, AccessForm, AuditFilterForm, ConfirmForm, InviteForm
from ..models import Role
from ..security import require_roles
from ..services import audit, surveys, users

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
        flash(message, "error")


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
    form = AccessForm(data={"role": user.role, "services": [s.id for s in user.services]}
                      if request.method == "GET" else None)
    _service_choices(form)
    if form.validate_on_submit():
        try:
            users.update_access(user, role=form.role.data, service_ids=form.services.data or [],
                                changed_by=current_user)
            flash(_l("Access for %(name)s has been updated.", name=user.name), "success")
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
        flash(_l("%(name)s can sign in again.", name=user.name) if active
              else _l("%(name)s has been deactivated and signed out.", name=user.name), "success")
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


@bp.get("/services")
def services():
    return render_template("admin/services.html", services=surveys.list_services())


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
