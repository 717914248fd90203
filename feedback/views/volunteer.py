"""Volunteers: helping people give feedback."""

from flask import Blueprint, render_template

from ..models import Role
from ..security import require_roles
from ..services import surveys

bp = Blueprint("volunteer", __name__, url_prefix="/volunteer")
bp.before_request(require_roles(Role.VOLUNTEER))


@bp.get("/")
def index():
    return render_template("volunteer/index.html", open_surveys=surveys.list_open_surveys())
