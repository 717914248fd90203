"""Staff sign-in (password, then an authenticator code), sign-out and invitations."""

import hashlib
import io

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from ..extensions import limiter
from ..forms.auth import CodeForm, SetPasswordForm, SignInForm, SignOutForm
from ..models import Role
from ..services import users
from . import allow_anonymous

bp = Blueprint("auth", __name__)
bp.before_request(allow_anonymous)  # these pages are how people get in

PENDING = "auth_pending_user"
RECOVERY_CODES = "auth_new_recovery_codes"
HOME_BY_ROLE = {
    Role.ADMIN: "admin.index",
    Role.SERVICE_LEAD: "reports.index",
    Role.VOLUNTEER: "volunteer.index",
}


def _account_key() -> str:
    # The typed address, hashed: the counter says nothing about who, and expires with its window.
    email = users.normalise_email(request.form.get("email", ""))
    return "sign-in:" + hashlib.sha256(email.encode()).hexdigest()


def _pending_key() -> str:
    return "second-factor:" + str(session.get(PENDING, ""))


def _failed(response) -> bool:
    return response.status_code != 302


@bp.errorhandler(429)
def too_many_attempts(error):
    return render_template("auth/too_many_attempts.html"), 429


@bp.get("/staff")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for(".sign_in"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_ADDRESS_LIMIT"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["SIGN_IN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for(".home"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.pop(RECOVERY_CODES, None)
            session[PENDING] = user.get_id()
            if not user.needs_second_factor:
                return _complete_sign_in(user)
            if user.totp_confirmed_at is None:
                return redirect(url_for(".set_up_authenticator"))
            return redirect(url_for(".enter_code"))
        failed = True
    status = 400 if (failed or form.errors) else 200
    return render_template(
        "auth/sign_in.html", form=form, failed=failed,
        expired=request.args.get("expired") == "1",
    ), status


def _pending_user():
    pending = session.get(PENDING)
    if not pending:
        return None
    from ..security import _load_user

    return _load_user(pending)


def _complete_sign_in(user):
    session.pop(PENDING, None)
    # A fresh session for the signed-in person: nothing carried over from before sign-in.
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session.permanent = True
    login_user(user)
    users.record_sign_in(user)
    from ..security import _now

    session["staff_last_seen"] = _now()
    return redirect(url_for(".home"))


def _qr_svg(uri: str) -> Markup:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False,
                                   svgns=True, title=str(_l("QR code for your authenticator app")))
    return Markup(buffer.getvalue().decode())


@bp.route("/sign-in/set-up-authenticator", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=_pending_key, deduct_when=_failed)
def set_up_authenticator():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is not None:
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    wrong = False
    if form.validate_on_submit():
        try:
            session[RECOVERY_CODES] = users.confirm_totp_enrolment(user, form.code.data)
            return redirect(url_for(".recovery_codes"))
        except users.UserError:
            wrong = True
    uri = users.start_totp_enrolment(user)
    secret = user.totp_secret
    return render_template(
        "auth/set_up_authenticator.html", form=form, wrong=wrong,
        qr_svg=_qr_svg(uri), secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    ), 400 if (wrong or form.errors) else 200


@bp.route("/sign-in/recovery-codes", methods=["GET", "POST"])
def recovery_codes():
    user = _pending_user()
    codes = session.get(RECOVERY_CODES)
    if user is None or not codes:
        return redirect(url_for(".sign_in"))
    form = SignOutForm()  # a CSRF-only form: "I have saved these codes"
    if form.validate_on_submit():
        session.pop(RECOVERY_CODES, None)
        return _complete_sign_in(user)
    return render_template("auth/recovery_codes.html", codes=codes, form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=_pending_key, deduct_when=_failed)
def enter_code():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is None:
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    wrong = False
    if form.validate_on_submit():
        if users.verify_second_factor(user, form.code.data):
            remaining = users.running_low_on_recovery_codes(user)
            response = _complete_sign_in(user)
            if remaining is not None:
                flash(_("You have %(num)d recovery codes left. Ask an administrator to reset "
                         "your authenticator before they run out.", num=remaining), "warning")
            return response
        wrong = True
    return render_template("auth/enter_code.html", form=form, wrong=wrong), (
        400 if (wrong or form.errors) else 200
    )


@bp.post("/sign-out")
def sign_out():
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        logout_user()
        users.record_sign_out(user)
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for(".sign_in"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_ADDRESS_LIMIT"], methods=["POST"])
def accept_invitation(token: str):
    invitation = users.get_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_expired.html"), 410
    user = invitation.user
    form = SetPasswordForm(user_inputs=[user.email, user.name])
    if form.validate_on_submit():
        users.accept_invitation(token, form.password.data)
        flash(_("Your password is set. Sign in to continue."), "success")
        return redirect(url_for(".sign_in"))
    return render_template("auth/accept_invitation.html", form=form, user=user), (
        400 if form.errors else 200
    )
