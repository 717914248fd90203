"""Exports for service leads: ask for one, watch it being made, download it."""

import io

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from flask_login import current_user

from ..analysis.periods import parse_period
from ..forms.exports import KIND_LABELS, STATUS_LABELS, ExportForm
from ..i18n import current_language
from ..models import ExportStatus, Role
from ..security import require_roles
from ..services import exports, reports

bp = Blueprint("exports", __name__, url_prefix="/exports")
# As for reports: service leads, each for their own services, and administrators.
bp.before_request(require_roles(Role.SERVICE_LEAD))


def _service_or_abort(service_id: int):
    """The service, if it is one of the user's; 403 if it is someone else's, 404 if unknown."""
    services = {s.id: s for s in reports.services_for(current_user)}
    if service_id not in services:
        abort(403 if reports.service_exists(service_id) else 404)
    return services[service_id]


def _export_or_abort(export_id: int):
    export = exports.get_export(export_id)
    if export is None:
        abort(404)
    _service_or_abort(export.service_id)
    return export


@bp.post("/services/<int:service_id>")
def start(service_id: int):
    service = _service_or_abort(service_id)
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("exports/problem.html", service=service, form=form), 400
    export = exports.start_export(service=service, period=form.chosen_period,
                                  kind=form.export_kind, requested_by=current_user,
                                  locale=current_language())
    return redirect(url_for(".status", export_id=export.id), 303)


@bp.get("/<int:export_id>")
def status(export_id: int):
    export = _export_or_abort(export_id)
    return render_template(
        "exports/status.html", export=export, expired=exports.is_expired(export),
        period=parse_period(export.period), kind_label=KIND_LABELS[export.kind],
        status_label=STATUS_LABELS[export.status], statuses=ExportStatus,
        locale=current_language())


@bp.get("/<int:export_id>/download")
def download(export_id: int):
    export = _export_or_abort(export_id)
    if exports.is_expired(export):
        return render_template("exports/expired.html", export=export), 410
    if export.status != ExportStatus.DONE:
        abort(404)
    mimetype, filename = export.mimetype, export.filename
    content = exports.download(export, user=current_user)
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=filename, max_age=0)
