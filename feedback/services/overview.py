"""A service lead's overview: this month so far against last month, for each of their services.

Everything is summed in SQL from the report rollups (services/rollups.py) and the SMS tables,
never from responses, and passes through feedback.analysis.suppression before it is shown.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import case, func, select

from ..analysis.periods import Period, current_period
from ..analysis.statistics import Share
from ..analysis.suppression import TOTAL, Cell, suppress_counts, suppress_value, suppressed_share
from ..extensions import db
from ..models import Campaign, CampaignRecipient, CommentRollup, ResponseRollup, Service, SmsMessage
from . import reports
from .reports import CHANNELS
from .rollups import NONE

ASSESSED = ("high", "medium", "low")  # "unknown": too few answers to tell
# A rise in the share of negative comments this big, in percentage points, needs attention.
NEGATIVE_RISE_POINTS = 10
# More than this share of the month's delivered-or-failed invitations failing needs attention.
SMS_FAILING_SHARE = 0.5

THIS, LAST = 1, 0  # the month flag in the grouped queries


@dataclass(frozen=True)
class Attention:
    """Something a lead should look at. kind: negative_comments, channel_stopped, sms_failing.

    Figures are suppressed like any other; a share is None when it would expose a hidden count.
    """

    kind: str
    channel: str | None = None
    before: Cell | Share | None = None  # last month's figure
    now: Cell | Share | None = None  # this month's figure
    out_of: Cell | None = None  # sms_failing: invitations delivered or failed this month


@dataclass(frozen=True)
class ServiceOverview:
    service: Service
    responses: Cell  # this month so far
    positive: Share | None  # FFT % positive this month so far
    positive_last_month: Share | None
    high_risk: Share | None  # of respondents this month whose risk could be assessed
    attention: list = field(default_factory=list)

    @property
    def change(self) -> float | None:
        """% positive this month less last month's, in percentage points; None if either is
        blank or hidden."""
        if self.positive is None or self.positive_last_month is None:
            return None
        return 100 * (self.positive.proportion - self.positive_last_month.proportion)


def _threshold() -> int:
    return current_app.config["SUPPRESS_BELOW"]


def _month_flag(column, this_month: Period):
    return case((column >= this_month.start, THIS), else_=LAST)


def _response_counts(ids: list[int], this_month: Period, today: date) -> dict:
    """{(service id, month flag): {(channel, role, rating, risk level): responses}}"""
    last_month = this_month.previous()
    month = _month_flag(ResponseRollup.day, this_month)
    columns = (ResponseRollup.channel, ResponseRollup.respondent_role, ResponseRollup.fft_rating,
               ResponseRollup.risk_level)
    rows = db.session.execute(
        select(ResponseRollup.service_id, month, *columns, func.sum(ResponseRollup.responses))
        .where(ResponseRollup.service_id.in_(ids), ResponseRollup.day >= last_month.start,
               ResponseRollup.day <= today)
        .group_by(ResponseRollup.service_id, month, *columns))
    found: dict = {}
    for service_id, flag, *key, count in rows:
        found.setdefault((service_id, flag), {})[tuple(key)] = int(count)
    return found


def _comment_counts(ids: list[int], this_month: Period, today: date) -> dict:
    """{(service id, month flag): {sentiment label: comments}}, every comment counted once."""
    last_month = this_month.previous()
    month = _month_flag(CommentRollup.day, this_month)
    rows = db.session.execute(
        select(CommentRollup.service_id, month, CommentRollup.sentiment_label,
               func.sum(CommentRollup.comments))
        .where(CommentRollup.service_id.in_(ids), CommentRollup.theme == NONE,
               CommentRollup.day >= last_month.start, CommentRollup.day <= today)
        .group_by(CommentRollup.service_id, month, CommentRollup.sentiment_label))
    found: dict = {}
    for service_id, flag, label, count in rows:
        found.setdefault((service_id, flag), {})[label] = int(count)
    return found


def _invitation_counts(ids: list[int], since: datetime) -> dict:
    """{service id: (failed, delivered)} for SMS invitations sent since the month began."""
    failed = func.sum(case((SmsMessage.status.in_(("failed", "undelivered")), 1), else_=0))
    delivered = func.sum(case((SmsMessage.status == "delivered", 1), else_=0))
    rows = db.session.execute(
        select(Campaign.service_id, failed, delivered)
        .join(CampaignRecipient, CampaignRecipient.id == SmsMessage.recipient_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(Campaign.service_id.in_(ids), SmsMessage.kind == "invitation",
               SmsMessage.created_at >= since)
        .group_by(Campaign.service_id))
    return {service_id: (int(f or 0), int(d or 0)) for service_id, f, d in rows}


def _sum(counts: dict, test) -> int:
    return sum(n for key, n in counts.items() if test(*key))


def _fft_positive(counts: dict) -> Share | None:
    """% positive, suppressed exactly as the service's report suppresses it (by calling the
    report's own FFT figures): last month's share follows from this month's and the change,
    so it must hide wherever the report hides it, or the two pages together would give a
    hidden count back."""
    ratings: dict = {}
    for (_channel, role, rating, _risk), count in counts.items():
        key = (role, reports._column(rating))
        ratings[key] = ratings.get(key, 0) + count
    return reports._fft(ratings).positive


def _high_risk(counts: dict) -> Share | None:
    line = suppress_counts(
        {level: _sum(counts, lambda _c, _p, _f, risk, level=level: risk == level)
         for level in ASSESSED}, threshold=_threshold())
    return suppressed_share(line["high"], line[TOTAL])


def _negative_share(sentiments: dict) -> tuple[int, int, Share | None]:
    """(negative, scored, the share) for a month's comments. The share is shown only where the
    report's sentiment line (suppressed the same way) shows every figure it is built from."""
    line = suppress_counts({label: sentiments.get(label, 0) for label in reports.SENTIMENTS},
                           threshold=_threshold())
    scored = [label for label in reports.SENTIMENTS if label != NONE]
    negative = sentiments.get("negative", 0)
    total = sum(sentiments.get(label, 0) for label in scored)
    if any(line[label].hidden for label in scored):
        return negative, total, None
    return negative, total, suppressed_share(line["negative"], suppress_value(total, 0))


def _negative_rise(now: dict, before: dict) -> Attention | None:
    """The share of negative comments up by NEGATIVE_RISE_POINTS or more, with at least
    SUPPRESS_BELOW comments with a sentiment in both months."""
    neg_now, scored_now, share_now = _negative_share(now)
    neg_before, scored_before, share_before = _negative_share(before)
    if min(scored_now, scored_before) < _threshold():
        return None
    if 100 * (neg_now / scored_now - neg_before / scored_before) < NEGATIVE_RISE_POINTS:
        return None
    return Attention("negative_comments", before=share_before, now=share_now)


def _stopped_channels(now: dict, before: dict) -> list[Attention]:
    """Channels that reached at least SUPPRESS_BELOW people last month and nobody this month."""
    items = []
    for channel in CHANNELS:
        last = _sum(before, lambda c, _p, _f, _r, channel=channel: c == channel)
        if last >= _threshold() and not _sum(now, lambda c, *_rest, channel=channel: c == channel):
            items.append(Attention("channel_stopped", channel=channel,
                                   before=suppress_value(last, _threshold())))
    return items


def _sms_failing(failed: int, delivered: int) -> Attention | None:
    done = failed + delivered
    if done < _threshold() or failed <= SMS_FAILING_SHARE * done:
        return None
    return Attention("sms_failing", now=suppress_value(failed, _threshold()),
                     out_of=suppress_value(done, _threshold()))


def overview(services: list[Service], *, today: date) -> list[ServiceOverview]:
    """Each service's month so far (UK time) beside last month, and what needs attention.

    :param today: the UK date; the month it falls in is "this month".
    """
    if not services:
        return []
    ids = [s.id for s in services]
    this_month = current_period("month", today)
    responses = _response_counts(ids, this_month, today)
    comments = _comment_counts(ids, this_month, today)
    invitations = _invitation_counts(ids, this_month.utc_bounds()[0])
    result = []
    for service in services:
        now_counts = responses.get((service.id, THIS), {})
        before_counts = responses.get((service.id, LAST), {})
        attention = [item for item in (
            _negative_rise(comments.get((service.id, THIS), {}),
                           comments.get((service.id, LAST), {})),
            *_stopped_channels(now_counts, before_counts),
            _sms_failing(*invitations.get(service.id, (0, 0))),
        ) if item is not None]
        result.append(ServiceOverview(
            service=service,
            responses=suppress_value(sum(now_counts.values()), _threshold()),
            positive=_fft_positive(now_counts),
            positive_last_month=_fft_positive(before_counts),
            high_risk=_high_risk(now_counts),
            attention=attention,
        ))
    return result
