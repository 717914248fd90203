"""Reports for service leads: the services assigned to them (administrators see all)."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..models import Role
from ..security import require_roles
from ..services import reports

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(require_roles(Role.SERVICE_LEAD))


def _visible_services():
    return reports.services_for(current_user)


@bp.get("/")
def index():
    return render_template("reports/index.html", summaries=reports.summaries(_visible_services()))


@bp.get("/services/<int:service_id>")
def service(service_id: int):
    services = {s.id: s for s in _visible_services()}
    if service_id not in services:
        abort(403 if reports.service_exists(service_id) else 404)
    summary = reports.summaries([services[service_id]])[0]
    return render_template("reports/service.html", summary=summary)
