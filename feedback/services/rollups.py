"""Report rollups: counts per service and UK day, rebuilt from the analysis results.

A service's day is always rebuilt whole, inside the transaction that changed it, so running it
twice gives the same rows and two workers cannot leave a count one short: on PostgreSQL the
rebuild takes a transaction lock on that service and day, and SQLite has one writer anyway.
Responses count once analysed, and paper sheets once their batch is final.
"""

from datetime import date

from sqlalchemy import delete, func, insert, literal, select, text

from ..extensions import db
from ..models import (
    BarrierRollup,
    CommentAnalysis,
    CommentRollup,
    CommentTheme,
    Response,
    ResponseAnalysis,
    ResponseRollup,
    RiskReason,
)

NONE = ""  # the rollups' word for "no rating given", "every theme" and "not scored"


def _counted(service_id: int | None, day: date | None):
    conditions = [Response.held_back.is_(False), ResponseAnalysis.submitted_on.is_not(None)]
    if service_id is not None:
        conditions.append(ResponseAnalysis.service_id == service_id)
    if day is not None:
        conditions.append(ResponseAnalysis.submitted_on == day)
    return conditions


def _response_rows(service_id, day):
    columns = (ResponseAnalysis.service_id, ResponseAnalysis.submitted_on, Response.channel,
               Response.respondent_role, Response.locale,
               func.coalesce(ResponseAnalysis.fft_rating, NONE), ResponseAnalysis.risk_level)
    return (select(*columns, func.count())
            .join(Response, Response.id == ResponseAnalysis.response_id)
            .where(*_counted(service_id, day)).group_by(*columns))


def _barrier_rows(service_id, day):
    columns = (ResponseAnalysis.service_id, ResponseAnalysis.submitted_on, Response.channel,
               RiskReason.code)
    return (select(*columns, func.max(RiskReason.domain), func.count())
            .join(ResponseAnalysis, ResponseAnalysis.id == RiskReason.response_analysis_id)
            .join(Response, Response.id == ResponseAnalysis.response_id)
            .where(*_counted(service_id, day)).group_by(*columns))


def _comment_rows(service_id, day):
    base = (ResponseAnalysis.service_id, ResponseAnalysis.submitted_on, Response.channel,
            Response.respondent_role, func.coalesce(ResponseAnalysis.fft_rating, NONE))
    every = func.coalesce(CommentAnalysis.sentiment_label, NONE)
    all_comments = (
        select(*base, literal(NONE), every, func.count())
        .join(ResponseAnalysis, ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(*_counted(service_id, day)).group_by(*base, every))
    # A theme's rows carry the sentiment of the sentences that carry the theme.
    themed = func.coalesce(CommentTheme.sentiment_label, NONE)
    by_theme = (
        select(*base, CommentTheme.theme, themed, func.count())
        .join(CommentAnalysis, CommentAnalysis.id == CommentTheme.comment_id)
        .join(ResponseAnalysis, ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(*_counted(service_id, day)).group_by(*base, CommentTheme.theme, themed))
    return all_comments, by_theme


_RESPONSE_COLUMNS = ["service_id", "day", "channel", "respondent_role", "locale", "fft_rating",
                     "risk_level", "responses"]
_BARRIER_COLUMNS = ["service_id", "day", "channel", "code", "domain", "respondents"]
_COMMENT_COLUMNS = ["service_id", "day", "channel", "respondent_role", "fft_rating", "theme",
                    "sentiment_label", "comments"]


def _rebuild(service_id: int | None, day: date | None) -> None:
    for table in (ResponseRollup, BarrierRollup, CommentRollup):
        query = delete(table)
        if service_id is not None:
            query = query.where(table.service_id == service_id)
        if day is not None:
            query = query.where(table.day == day)
        db.session.execute(query)
    db.session.execute(insert(ResponseRollup).from_select(
        _RESPONSE_COLUMNS, _response_rows(service_id, day)))
    db.session.execute(insert(BarrierRollup).from_select(
        _BARRIER_COLUMNS, _barrier_rows(service_id, day)))
    for rows in _comment_rows(service_id, day):
        db.session.execute(insert(CommentRollup).from_select(_COMMENT_COLUMNS, rows))


def _lock(service_id: int, day: date) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        # Held to the end of the transaction: the next rebuild of this day sees this one's rows.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                           {"a": service_id, "b": day.toordinal()})


def refresh_day(service_id: int, day: date) -> None:
    """Rebuild one service's rollups for one UK day, in the caller's transaction."""
    _lock(service_id, day)
    _rebuild(service_id, day)


def rebuild(service_id: int | None = None) -> None:
    """Rebuild every rollup (of one service, or all) from the results; commits. For upgrades,
    bulk loads and repairs: `flask reports rebuild-rollups`."""
    _rebuild(service_id, None)
    db.session.commit()
