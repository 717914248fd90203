"""Reports for service leads: their services (administrators see all) and SMS campaigns."""

from datetime import date

from babel.dates import format_skeleton
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_number, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..analysis import exclusion, themes
from ..analysis.periods import Period, current_period, recent_periods, uk_date
from ..analysis.suppression import TOTAL, Cell, suppressed_share
from ..charts import ChartText, Series, line_chart, stacked_bar_chart
from ..forms.admin import LANGUAGE_LABELS
from ..forms.reports import (
    ATTENTION_LABELS,
    CAMPAIGN_ERROR_FIELDS,
    CAMPAIGN_MESSAGES,
    CHANNEL_LABELS,
    COUNT_LABELS,
    DOMAIN_LABELS,
    FFT_LINE_LABELS,
    NOT_SCORED_LABEL,
    PERIOD_KIND_LABELS,
    RATING_LABELS,
    RECENT_PERIODS,
    RESPONDENT_ROLE_LABELS,
    RISK_LEVEL_LABELS,
    SENTIMENT_LABELS,
    UNKNOWN_CAMPAIGN_ERROR,
    CampaignForm,
    ReportForm,
    skip_reason_label,
)
from ..i18n import current_language
from ..models import Role, utcnow
from ..security import require_roles
from ..services import campaigns, overview, reports, sms

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(require_roles(Role.SERVICE_LEAD))

# The last upload's report, kept in the session so the campaign page can show it after the
# redirect and on every refresh. Skipped rows are not stored anywhere else.
UPLOAD_KEY = "campaign_upload"
# The session is a cookie, and browsers drop cookies over 4 KB: this many rows fit easily.
UPLOAD_ROWS_KEPT = 100


# The rollups' "" sentiment is a comment the scorer could not read.
_SENTIMENT_LABELS = {**SENTIMENT_LABELS, "": NOT_SCORED_LABEL}


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


def _uk_today() -> date:
    return uk_date(utcnow())


@bp.get("/")
def index():
    today = _uk_today()
    return render_template(
        "reports/index.html", rows=overview.overview(_visible_services(), today=today),
        month=current_period("month", today), attention_labels=ATTENTION_LABELS,
        channel_labels=CHANNEL_LABELS, rise_points=overview.NEGATIVE_RISE_POINTS,
    )


def _complete_periods(kind: str, today: date) -> list[Period]:
    """The most recent whole periods of a kind that have ended, newest first: one still under
    way grows from day to day, and two views of it could be subtracted."""
    return recent_periods(kind, today, RECENT_PERIODS[kind] + 1)[1:]


@bp.get("/services/<int:service_id>")
def service(service_id: int):
    service = _service_or_abort(service_id)
    locale = current_language()
    today = _uk_today()
    form = ReportForm(request.args, themes=[(t.key, t.label(locale)) for t in themes.taxonomy()])
    kind = form.kind.data if form.kind.data in PERIOD_KIND_LABELS else "month"
    period = form.chosen_period(_complete_periods(kind, today)[0])
    if period is None or period.end > today:
        return render_template("reports/period_not_found.html", service=service,
                               asked=form.period.data or form.kind.data), 404
    bad_filters = form.filter_errors()
    quote_filter = reports.QuoteFilter() if bad_filters else reports.QuoteFilter(
        theme=form.theme.data or None, channel=form.channel.data or None,
        rating=form.rating.data or None)
    report = reports.build(service, period, quote_filter)
    offered = _complete_periods(period.kind, today)
    if period not in offered:  # an older one, named in the address
        offered.insert(0, period)
    form.kind.data = period.kind
    form.period.data = period.slug
    form.period.choices = [SelectChoice(p.slug, p.label(locale)) for p in offered]
    return render_template(
        "reports/service.html", report=report, form=form, bad_filters=bad_filters,
        kinds=PERIOD_KIND_LABELS, figures=_figures(report, locale),
        theme_labels={theme.key: theme.label(locale) for theme in themes.taxonomy()},
        reason_text=lambda code: exclusion.reason_text(code, locale),
        channel_labels=CHANNEL_LABELS, count_labels=COUNT_LABELS, domain_labels=DOMAIN_LABELS,
        fft_line_labels=FFT_LINE_LABELS, rating_labels=RATING_LABELS,
        risk_labels=RISK_LEVEL_LABELS, role_labels=RESPONDENT_ROLE_LABELS,
        sentiment_labels=_SENTIMENT_LABELS,
        language_labels=LANGUAGE_LABELS,
    ), 400 if bad_filters else 200


# --- the report's charts and derived figures -------------------------------------------------
# The report's figures are already suppressed; these only arrange and word them.


def _chart_options() -> dict:
    rtl = current_language() in current_app.config["RTL_LANGUAGES"]
    return {"direction": "rtl" if rtl else "ltr",
            "text": ChartText(no_data=_("No responses in this period"), not_shown=_("not shown"))}


def _percent(fraction: float | None) -> str:
    return "*" if fraction is None else format_percent(fraction)


def _count(cell: Cell) -> str:
    return "*" if cell.hidden else format_number(cell.value)


def _month(period: Period) -> str:
    """Short month names, so that twelve fit along an axis."""
    return format_skeleton("yMMM", period.start, locale=get_locale())


def _percent_tick(value: float) -> str:
    return format_percent(value / 100)


def _from_first(points: list, empty) -> list:
    """The months from the first with anything in it (the last month, if none has): a chart
    cannot tell a month before the service had responses from one whose figure is hidden."""
    for i, (_month, figures) in enumerate(points):
        if not empty(figures):
            return points[i:]
    return points[-1:]


def _trend_points(report) -> list:
    return _from_first(report.trend, lambda fft: fft.rated.value == 0)


def _months_described(months: list[str]) -> dict:
    """The chart's span in words, for its description."""
    if len(months) == 1:
        return {"span": _("in %(month)s", month=months[0])}
    return {"span": _("each month from %(first)s to %(last)s", first=months[0], last=months[-1])}


def _trend_chart(report):
    points = _trend_points(report)
    months = [_month(month) for month, _fft in points]
    series = []
    for name, share in ((_("Positive"), lambda fft: fft.positive),
                        (_("Negative"), lambda fft: fft.negative)):
        values = [share(fft) for _month, fft in points]
        series.append(Series(name, [None if v is None else 100 * v.proportion for v in values],
                             [_percent(v and v.proportion) for v in values]))
    return line_chart(
        id="trend-chart", title=_("Positive and negative ratings each month"),
        description=_("The share of people who rated the service very good or good, and poor "
                      "or very poor, %(span)s. The table below gives every figure with its 95%% "
                      "interval.", **_months_described(months)),
        categories=months, series=series, category_label=_("Month"), unit="%",
        format_tick=_percent_tick, **_chart_options())


def _sentiment_chart(report):
    points = _from_first(report.sentiment_trend, lambda counts: counts[TOTAL].value == 0)
    months = [_month(month) for month, _counts in points]
    series = [Series(str(_SENTIMENT_LABELS[label]),
                     [counts[label].value for _month, counts in points],
                     [_count(counts[label]) for _month, counts in points])
              for label in reports.SENTIMENTS]
    return stacked_bar_chart(
        id="sentiment-chart", title=_("Comments each month, by sentiment"),
        description=_("How many comments were positive, mixed, neutral or negative, %(span)s. "
                      "Comments in languages the scorer does not read are counted as not "
                      "scored.", **_months_described(months)),
        categories=months, series=series, category_label=_("Month"), unit="comments",
        value_label=_("Comments"), format_tick=format_number, **_chart_options())


def _risk_chart(report):
    risk = report.risk
    channels = [c for c in risk.rows if risk.cell(c, None).hidden or risk.cell(c, None).value]
    series = []
    for level in reports.RISK_LEVELS:
        shares = [risk.share(c, level) for c in channels]
        series.append(Series(str(RISK_LEVEL_LABELS[level]),
                             [None if s is None else 100 * s for s in shares],
                             [_percent(s) for s in shares]))
    return stacked_bar_chart(
        id="risk-chart", title=_("Risk of digital exclusion, by how people answered"),
        description=_("For each way of answering, the share of respondents at high, medium "
                      "and low risk of digital exclusion, and those who did not answer enough "
                      "of the questions to tell."),
        categories=[str(CHANNEL_LABELS[c]) for c in channels], series=series,
        category_label=_("How they answered"), unit="%", format_tick=_percent_tick,
        **_chart_options())


def _barrier_rows(report) -> list:
    """Barrier rows: (code, domain, total, {channel: Cell}), suppressed by the data layer as
    one table with each barrier's total, since both are shown."""
    table = report.barriers_by_channel
    return [(code, domain, total, {c: table.cell(code, c) for c in table.columns})
            for code, domain, total in report.barriers]


def _figures(report, locale: str) -> dict:
    risk, roles = report.risk, report.roles
    return {
        "trend": _trend_points(report),
        "trend_chart": _trend_chart(report),
        "sentiment_chart": _sentiment_chart(report),
        "risk_chart": _risk_chart(report),
        "barriers": _barrier_rows(report),
        # At high risk out of everyone who answered that way, with its interval.
        "high_risk": [(c, risk.cell(c, None), suppressed_share(risk.cell(c, "high"),
                                                               risk.cell(c, None)))
                      for c in risk.rows],
        "roles": [(role, suppressed_share(roles.cell(role, "positive"), roles.cell(role, None)),
                   suppressed_share(roles.cell(role, "negative"), roles.cell(role, None)))
                  for role in roles.rows],
        "helped": suppressed_share(report.helped, report.responses),
        "previous_label": report.previous.label(locale),
        "period_label": report.period.label(locale),
    }


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
