"""The safeguarding review queue, for staff given the safeguarding permission."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import login_manager
from ..forms.safeguarding import CATEGORY_LABELS, OUTCOME_LABELS, ReviewForm, review_error
from ..models import Role
from ..services import safeguarding
from . import access_guard

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")


@bp.before_request
@access_guard
def require_safeguarding_permission():
    """Signed in, an administrator or service lead, and given the safeguarding permission."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not safeguarding.may_review(current_user):
        abort(403)
    return None


# Roles that may be given the permission (read by the staff-page sweep in the browser tests).
require_safeguarding_permission.allowed_roles = frozenset({Role.ADMIN, Role.SERVICE_LEAD})


def _flag_or_abort(flag_id: int):
    flag = safeguarding.get_flag(current_user, flag_id)
    if flag is None:
        abort(403 if safeguarding.flag_exists(flag_id) else 404)
    return flag


@bp.get("/")
def queue():
    return render_template(
        "safeguarding/queue.html",
        waiting=safeguarding.waiting(current_user),
        reviewed=safeguarding.recently_reviewed(current_user),
        waited=safeguarding.waited,
        category_labels=CATEGORY_LABELS, outcome_labels=OUTCOME_LABELS,
    )


@bp.route("/<int:flag_id>", methods=["GET", "POST"])
def review(flag_id: int):
    flag = _flag_or_abort(flag_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            safeguarding.record_review(flag, reviewer=current_user, outcome=form.outcome.data,
                                       note=form.note.data)
            flash(_("Your review has been recorded."), "success")
            return redirect(url_for(".queue"))
        except safeguarding.ReviewError as error:
            if "flag" in error.errors:
                flash(review_error("flag", "already"), "warning")
                return redirect(url_for(".queue"))
            for field, code in error.errors.items():
                getattr(form, field).errors = [review_error(field, code)]
    # Each reading of the comment in full is audited, including after a failed submit.
    comment = safeguarding.read_comment(flag, reader=current_user)
    return render_template(
        "safeguarding/review.html", flag=flag, form=form, comment=comment,
        waited=safeguarding.waited(flag),
        categories="; ".join(str(CATEGORY_LABELS.get(c, c)) for c in flag.categories),
        outcome_labels=OUTCOME_LABELS,
    ), 400 if form.is_submitted() else 200
