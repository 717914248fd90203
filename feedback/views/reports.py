"""Reports for service leads: their services (administrators see all) and SMS campaigns."""

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user

from ..analysis import exclusion, themes
from ..forms.reports import (
    CAMPAIGN_ERROR_FIELDS,
    CAMPAIGN_MESSAGES,
    CHANNEL_LABELS,
    COUNT_LABELS,
    DOMAIN_LABELS,
    RISK_LEVEL_LABELS,
    SENTIMENT_LABELS,
    UNKNOWN_CAMPAIGN_ERROR,
    CampaignForm,
    skip_reason_label,
)
from ..i18n import current_language
from ..models import Role
from ..security import require_roles
from ..services import campaigns, insights, reports, sms

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(require_roles(Role.SERVICE_LEAD))

# The last upload's report, kept in the session so the campaign page can show it after the
# redirect and on every refresh. Skipped rows are not stored anywhere else.
UPLOAD_KEY = "campaign_upload"
# The session is a cookie, and browsers drop cookies over 4 KB: this many rows fit easily.
UPLOAD_ROWS_KEPT = 100


def _visible_services():
    return reports.services_for(current_user)


def _service_or_abort(service_id: int):
    """The service, if it is one of the user's; 403 if it is someone else's, 404 if unknown."""
    services = {s.id: s for s in _visible_services()}
    if service_id not in services:
        abort(403 if reports.service_exists(service_id) else 404)
    return services[service_id]


def _campaign_or_abort(campaign_id: int):
    campaign = campaigns.get_campaign(campaign_id)
    if campaign is None:
        abort(404)
    if campaign.service_id not in {s.id for s in _visible_services()}:
        abort(403)
    return campaign


def _quiet_hours() -> dict[str, str]:
    start, end = current_app.config["SMS_QUIET_HOURS"]
    return {"start": f"{start:02d}:00", "end": f"{end:02d}:00"}


@bp.get("/")
def index():
    return render_template("reports/index.html", summaries=reports.summaries(_visible_services()))


@bp.get("/services/<int:service_id>")
def service(service_id: int):
    summary = reports.summaries([_service_or_abort(service_id)])[0]
    locale = current_language()
    return render_template(
        "reports/service.html", summary=summary, found=insights.summarise(service_id),
        theme_labels={theme.key: theme.label(locale) for theme in themes.taxonomy()},
        reason_text=lambda code: exclusion.reason_text(code, locale),
        risk_labels=RISK_LEVEL_LABELS, channel_labels=CHANNEL_LABELS,
        sentiment_labels=SENTIMENT_LABELS, domain_labels=DOMAIN_LABELS,
        count_labels=COUNT_LABELS,
    )


# --- SMS campaigns -----------------------------------------------------------------------------


@bp.get("/services/<int:service_id>/campaigns")
def service_campaigns(service_id: int):
    service = _service_or_abort(service_id)
    rows = [(campaign, campaigns.counts(campaign.id))
            for campaign in campaigns.list_campaigns(service.id)]
    return render_template("reports/service_campaigns.html", service=service, rows=rows)


def _show_campaign_error(form, error: campaigns.CampaignError) -> list[dict]:
    """Put the message on its field; return it as an error summary item if it has none."""
    message = str(CAMPAIGN_MESSAGES.get(error.code, UNKNOWN_CAMPAIGN_ERROR))
    field = getattr(form, CAMPAIGN_ERROR_FIELDS.get(error.code) or "", None)
    if field is not None:
        field.errors = [message]
        return []
    return [{"text": message}]


def _remember_upload(campaign, report: campaigns.AddReport) -> None:
    session[UPLOAD_KEY] = {
        "campaign": campaign.id, "new": True, "added": report.added,
        "skipped": len(report.skipped),
        "rows": [[number, reason] for number, reason in report.skipped[:UPLOAD_ROWS_KEPT]],
    }


def _upload_report(campaign_id: int) -> dict | None:
    upload = session.get(UPLOAD_KEY)
    if not upload or upload.get("campaign") != campaign_id:
        return None
    if upload["new"]:  # "created" is said once; the rest stays for as long as the session
        session[UPLOAD_KEY] = {**upload, "new": False}
    return {**upload, "rows": [(number, skip_reason_label(reason))
                               for number, reason in upload["rows"]]}


@bp.route("/services/<int:service_id>/campaigns/new", methods=["GET", "POST"])
def new_campaign(service_id: int):
    service = _service_or_abort(service_id)
    form = CampaignForm()
    problems: list[dict] = []
    if form.validate_on_submit():
        try:
            campaign, report = campaigns.start_campaign_from_csv(
                service=service, name=form.name.data, data=form.recipients.data.read(),
                created_by=current_user)
        except campaigns.CampaignError as error:
            problems = _show_campaign_error(form, error)
        else:
            _remember_upload(campaign, report)
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    return render_template(
        "reports/new_campaign.html", form=form, service=service, problems=problems,
        sms_enabled=sms.is_enabled(), quiet_hours=_quiet_hours(),
    ), 400 if form.is_submitted() else 200


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    campaign = _campaign_or_abort(campaign_id)
    return render_template(
        "reports/campaign.html", campaign=campaign, counts=campaigns.counts(campaign.id),
        labels=COUNT_LABELS, upload=_upload_report(campaign.id), quiet_hours=_quiet_hours(),
        sms_enabled=sms.is_enabled(),
    )


@bp.get("/campaigns/<int:campaign_id>/counts")
def campaign_counts(campaign_id: int):
    """The campaign page's figures as JSON, for the page to refresh itself."""
    return jsonify(campaigns.counts(_campaign_or_abort(campaign_id).id))
