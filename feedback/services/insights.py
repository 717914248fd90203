"""What the analysers found for a service: exclusion risk, barriers, channels, sentiment, themes.

All of it is aggregated in SQL over the stored analysis results. Counts are returned as they
are; pages suppress small numbers when they show them (SUPPRESS_BELOW), and no share or
interval is computed from a total below it.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import case, func, select

from ..analysis.statistics import Share, share_with_interval
from ..extensions import db
from ..models import (
    Channel,
    CommentAnalysis,
    CommentTheme,
    Response,
    ResponseAnalysis,
    RiskLevel,
    RiskReason,
)
from . import campaigns

LEVELS = (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)


@dataclass(frozen=True)
class LevelShare:
    level: str
    count: int
    share: Share | None  # None when too few respondents to show a share


@dataclass(frozen=True)
class ChannelRisk:
    channel: str
    assessed: int  # respondents with a known level
    high: int
    high_share: Share | None


@dataclass(frozen=True)
class ThemeCount:
    theme: str
    comments: int
    positive: int
    negative: int


@dataclass(frozen=True)
class AnalysisSummary:
    responses: int
    analysed: int
    assessed: int  # respondents whose risk level is known
    unknown: int  # too few inclusion answers to tell
    levels: list[LevelShare]
    barriers: list[tuple[str, str, int]]  # (reason code, domain, respondents), most first
    channels: list[ChannelRisk]
    reach: dict[str, int]  # SMS invitations: sent, failed, answered, expired, opted out...
    sentiment: dict[str, int]  # label → comments
    not_scored: int  # comments not in English
    themes: list[ThemeCount] = field(default_factory=list)


def _share(count: int, total: int) -> Share | None:
    if total < current_app.config["SUPPRESS_BELOW"]:
        return None
    return share_with_interval(count, total)


def summarise(service_id: int, *, barrier_limit: int = 8) -> AnalysisSummary:
    counted = (Response.service_id == service_id, Response.held_back.is_(False))
    responses = db.session.scalar(select(func.count()).select_from(Response).where(*counted))
    by_level = dict(db.session.execute(
        select(ResponseAnalysis.risk_level, func.count())
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(*counted).group_by(ResponseAnalysis.risk_level)).all())
    assessed = sum(by_level.get(level, 0) for level in LEVELS)
    levels = [LevelShare(level, by_level.get(level, 0), _share(by_level.get(level, 0), assessed))
              for level in LEVELS]

    barriers = [tuple(row) for row in db.session.execute(
        select(RiskReason.code, RiskReason.domain, func.count(RiskReason.id.distinct()))
        .join(ResponseAnalysis, ResponseAnalysis.id == RiskReason.response_analysis_id)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(*counted)
        .group_by(RiskReason.code, RiskReason.domain)
        .order_by(func.count(RiskReason.id.distinct()).desc(), RiskReason.code)
        .limit(barrier_limit))]

    known = ResponseAnalysis.risk_level.in_(LEVELS)
    per_channel = {
        channel: (assessed_count, int(high or 0))
        for channel, assessed_count, high in db.session.execute(
            select(Response.channel, func.count(),
                   func.sum(case((ResponseAnalysis.risk_level == RiskLevel.HIGH, 1), else_=0)))
            .join(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
            .where(*counted, known).group_by(Response.channel))
    }
    channels = []
    for channel in Channel:
        assessed_in_channel, high = per_channel.get(channel, (0, 0))
        channels.append(ChannelRisk(channel, assessed_in_channel, high,
                                    _share(high, assessed_in_channel)))

    comment_base = (
        select(CommentAnalysis)
        .join(ResponseAnalysis, ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(*counted)
    ).subquery()
    sentiment = dict(db.session.execute(
        select(comment_base.c.sentiment_label, func.count())
        .where(comment_base.c.scored.is_(True), comment_base.c.sentiment_label.is_not(None))
        .group_by(comment_base.c.sentiment_label)).all())
    not_scored = db.session.scalar(
        select(func.count()).select_from(comment_base).where(comment_base.c.scored.is_(False)))
    themes = [
        ThemeCount(theme, count, int(positive or 0), int(negative or 0))
        for theme, count, positive, negative in db.session.execute(
            select(CommentTheme.theme, func.count(),
                   func.sum(case((CommentTheme.sentiment_label == "positive", 1), else_=0)),
                   func.sum(case((CommentTheme.sentiment_label == "negative", 1), else_=0)))
            .join(comment_base, comment_base.c.id == CommentTheme.comment_id)
            .group_by(CommentTheme.theme)
            .order_by(func.count().desc(), CommentTheme.theme))
    ]
    return AnalysisSummary(
        responses=responses,
        analysed=sum(by_level.values()),
        assessed=assessed,
        unknown=by_level.get(RiskLevel.UNKNOWN, 0),
        levels=levels,
        barriers=barriers,
        channels=channels,
        reach=campaigns.service_counts(service_id),
        sentiment=sentiment,
        not_scored=not_scored or 0,
        themes=themes,
    )
