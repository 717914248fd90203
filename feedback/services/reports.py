"""Figures for service leads, aggregated in SQL, with small numbers suppressed."""

from dataclasses import dataclass, replace
from datetime import timedelta
from types import MappingProxyType

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..analysis.periods import Period, trailing_months
from ..analysis.statistics import Share
from ..analysis.suppression import (
    HIDDEN,
    TOTAL,
    Cell,
    SuppressedTable,
    derivable,
    may_quote,
    suppress_counts,
    suppress_table,
    suppress_value,
    suppressed_share,
)
from ..extensions import db
from ..models import (
    Answer,
    BarrierRollup,
    CommentAnalysis,
    CommentRollup,
    CommentTheme,
    Question,
    Response,
    ResponseAnalysis,
    ResponseRollup,
    ResponseVersion,
    Role,
    SafeguardingFlag,
    Service,
    User,
)
from .rollups import NONE

POSITIVE = ("very_good", "good")
NEGATIVE = ("poor", "very_poor")


@dataclass(frozen=True)
class ServiceSummary:
    service: Service
    responses: int
    rated: int  # responses with an FFT rating (Don't know included): the FFT denominator
    positive: int
    negative: int

    def percent(self, count: int) -> float | None:
        # No ratings: blank, not 0. Too few: hidden, so no one respondent can be recognised.
        if self.rated < current_app.config["SUPPRESS_BELOW"]:
            return None
        return 100 * count / self.rated


def services_for(user: User) -> list[Service]:
    if user.role == Role.ADMIN:
        return list(db.session.scalars(select(Service).order_by(Service.name)))
    return list(user.services)


def service_exists(service_id: int) -> bool:
    return db.session.get(Service, service_id) is not None


def summaries(services: list[Service]) -> list[ServiceSummary]:
    if not services:
        return []
    ids = [s.id for s in services]
    # Paper sheets held back until their batch is final do not count yet.
    counted = (Response.service_id.in_(ids), Response.held_back.is_(False))
    totals = dict(db.session.execute(
        select(Response.service_id, func.count()).where(*counted).group_by(Response.service_id)
    ).all())
    # Each response's current version is its highest-numbered one.
    latest = (
        select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version_id"))
        .group_by(ResponseVersion.response_id).subquery()
    )
    ratings = {
        service_id: (rated, positive or 0, negative or 0)
        for service_id, rated, positive, negative in db.session.execute(
            select(
                Response.service_id,
                func.count(),
                func.sum(case((Answer.choice.in_(POSITIVE), 1), else_=0)),
                func.sum(case((Answer.choice.in_(NEGATIVE), 1), else_=0)),
            )
            .join(latest, latest.c.response_id == Response.id)
            .join(Answer, Answer.response_version_id == latest.c.version_id)
            .join(Question, Question.id == Answer.question_id)
            .where(*counted, Question.kind == "fft_rating", Answer.status == "answered")
            .group_by(Response.service_id)
        )
    }
    return [
        ServiceSummary(s, totals.get(s.id, 0), *ratings.get(s.id, (0, 0, 0)))
        for s in services
    ]


# --- the per-service report ---------------------------------------------------------------------
# Every figure comes from the rollups (services/rollups.py) and passes through
# feedback.analysis.suppression before anything shows it: pages, charts and exports alike.

RATINGS = ("very_good", "good", "neither", "poor", "very_poor", "dont_know")
FFT_LINE = ("positive", "neither", "negative", "dont_know")
NO_RATING = "no_rating"  # responses with no rating at all: apart from the FFT denominator
_RATINGS_COLUMNS = (*FFT_LINE, NO_RATING)
_FFT_GROUP = {"very_good": "positive", "good": "positive", "neither": "neither",
              "poor": "negative", "very_poor": "negative", "dont_know": "dont_know"}
CHANNELS = ("web", "sms", "paper", "assisted")
ROLES = ("patient", "carer", "staff")
LANGUAGES = ("en", "cy", "pl", "ro", "ur")
RISK_LEVELS = ("high", "medium", "low", "unknown")
SENTIMENTS = ("positive", "mixed", "neutral", "negative", "")  # "" not scored
HELPED = "signals.helped"


@dataclass(frozen=True)
class Fft:
    """The FFT figures for a group, as NHS England computes them, suppressed.

    The denominator is every response with a rating, "Don't know" included; responses with no
    rating at all are counted apart. No ratings at all: the shares are blank, not 0.
    """

    line: dict  # positive/neither/negative/dont_know and TOTAL → Cell
    no_rating: Cell

    @property
    def rated(self) -> Cell:
        return self.line[TOTAL]

    @property
    def positive(self) -> Share | None:
        return suppressed_share(self.line["positive"], self.rated)

    @property
    def negative(self) -> Share | None:
        return suppressed_share(self.line["negative"], self.rated)


@dataclass(frozen=True)
class Quote:
    text: str  # redacted
    channel: str
    fft_rating: str | None
    themes: tuple[str, ...]


@dataclass(frozen=True)
class QuoteFilter:
    theme: str | None = None
    channel: str | None = None
    rating: str | None = None


@dataclass(frozen=True)
class Report:
    service: Service
    period: Period
    previous: Period
    responses: Cell
    fft: Fft
    fft_previous: Fft
    fft_all_services: Fft
    by_channel: dict  # name → Cell, with TOTAL
    by_role: dict
    by_language: dict
    roles: SuppressedTable  # role × FFT line, side by side; row totals are rated responses
    trend: list  # [(month Period, Fft)] oldest first
    sentiment_trend: list  # [(month Period, {label: Cell, TOTAL: Cell})]
    themes: SuppressedTable  # theme × sentiment, filtered by theme, channel and rating
    risk: SuppressedTable  # channel × risk level
    barriers: list  # [(code, domain, Cell)] most reported first, signals left out
    barriers_by_channel: SuppressedTable  # code × channel; its row totals are the barriers'
    helped: Cell
    reach: dict  # SMS invitations in the period: name → Cell
    quotes: list  # [Quote], empty when the group is under QUOTE_MIN_GROUP
    # How many people wrote the comments the quotes were chosen from. Not for pages: it leaves
    # out comments held for safeguarding review, so beside the comment counts it would show them.
    quote_group: Cell
    high_risk_quotes: list
    quote_filter: QuoteFilter


def _threshold() -> int:
    return current_app.config["SUPPRESS_BELOW"]


def _in(table, period: Period, service_id: int | None):
    conditions = [table.day >= period.start, table.day < period.end]
    if service_id is not None:
        conditions.append(table.service_id == service_id)
    return conditions


def _column(rating: str) -> str:
    return NO_RATING if rating == NONE else _FFT_GROUP.get(rating, "dont_know")


def _ratings(period: Period, service_id: int | None) -> dict[tuple[str, str], int]:
    """(role, FFT line group or NO_RATING) → responses."""
    counts: dict = {}
    for role, rating, count in db.session.execute(
            select(ResponseRollup.respondent_role, ResponseRollup.fft_rating,
                   func.sum(ResponseRollup.responses))
            .where(*_in(ResponseRollup, period, service_id))
            .group_by(ResponseRollup.respondent_role, ResponseRollup.fft_rating)):
        key = (role, _column(rating))
        counts[key] = counts.get(key, 0) + int(count)
    return counts


def _ratings_table(counts: dict) -> SuppressedTable:
    """Role × (FFT line, no rating), suppressed as one table.

    The FFT line, the roles table, the responses by role and the count with no rating all
    share figures (responses = rated + no rating, on every row and in total), so they are
    suppressed together: hidden in one place, a figure can't be worked out from another.
    """
    return _responses_table(counts, ROLES, _RATINGS_COLUMNS)


def _responses_table(counts: dict, rows, columns) -> SuppressedTable:
    """A table of every response, suppressed with its grand total shown wherever that is not
    1-4 itself.

    The grand total is the period's responses, which the report shows in several places (the
    FFT line, responses by language...). suppress_table may hide it to protect a column
    total; then any of those places would give it back, and the column total with it. So
    keep it shown, and hide further figures instead, the smallest first along the lines of
    whatever can then be worked out, until nothing can.
    """
    table = suppress_table(counts, rows, columns, threshold=_threshold())
    total = sum(counts.values())
    if not table.grand_total.hidden or 0 < total < _threshold():
        return table
    values = {(r, c): counts.get((r, c), 0) for r in rows for c in columns}
    for r in rows:
        values[(r, None)] = sum(values[(r, c)] for c in columns)
    for c in columns:
        values[(None, c)] = sum(values[(r, c)] for r in rows)
    published = {key: table.cell(*key) for key in values}
    order = {key: i for i, key in enumerate(values)}  # cells before totals on ties

    def built():
        return SuppressedTable(
            rows=table.rows, columns=table.columns,
            cells=MappingProxyType({(r, c): published[(r, c)] for r in rows for c in columns}),
            row_totals=MappingProxyType({r: published[(r, None)] for r in rows}),
            column_totals=MappingProxyType({c: published[(None, c)] for c in columns}),
            grand_total=Cell(total, hidden=False, primary=False))

    result = built()
    while found := derivable(result):
        row, column = found[0]
        shown = sorted((key for key, cell in published.items()
                        if not cell.hidden and values[key] > 0),
                       key=lambda key: (key[0] != row and key[1] != column, values[key],
                                        order[key]))
        if not shown:
            return table  # nothing left to hide: keep suppress_table's own answer
        published[shown[0]] = Cell(HIDDEN, hidden=True, primary=False)
        result = built()
    return result


def _subtotal(value: int, parts: list[Cell], whole: Cell, rest: Cell) -> Cell:
    """A figure the table does not hold, value = sum of parts = whole - rest.

    Shown only where the table's shown figures give it already, so it can tell a reader
    nothing the table does not; hidden otherwise. This is why a period with 1-4 responses
    with no rating hides the rated total and the shares: responses are shown everywhere, and
    responses less rated would give the 1-4 back.
    """
    if not any(part.hidden for part in parts) or not (whole.hidden or rest.hidden):
        return Cell(value, hidden=False, primary=False)
    return Cell(HIDDEN, hidden=True, primary=0 < value < _threshold())


def _fft_and_roles(counts: dict) -> tuple[Fft, SuppressedTable, SuppressedTable]:
    """The FFT figures and the role × FFT line table, both from one suppressed ratings table
    (returned too: its row totals are the responses by role)."""
    table = _ratings_table(counts)
    rated = {role: sum(counts.get((role, group), 0) for group in FFT_LINE) for role in ROLES}
    cells = {(role, group): table.cells[(role, group)] for role in ROLES for group in FFT_LINE}
    row_totals = {
        role: _subtotal(rated[role], [cells[(role, group)] for group in FFT_LINE],
                        table.row_totals[role], table.cells[(role, NO_RATING)])
        for role in ROLES}
    column_totals = {group: table.column_totals[group] for group in FFT_LINE}
    grand_total = _subtotal(sum(rated.values()), list(column_totals.values()),
                            table.grand_total, table.column_totals[NO_RATING])
    roles = SuppressedTable(
        rows=ROLES, columns=FFT_LINE, cells=MappingProxyType(cells),
        row_totals=MappingProxyType(row_totals),
        column_totals=MappingProxyType(column_totals), grand_total=grand_total)
    # _subtotal can hide a rated total that the rest of the table still gives (through the
    # columns, say). Its "*" would protect nothing, so show it, unless it is 1-4 itself.
    for role, column in derivable(roles):
        if column is not None:
            continue  # cells are the suppressed table's own, and so cannot be worked out
        value = rated[role] if role is not None else sum(rated.values())
        if not 0 < value < _threshold():
            if role is None:
                grand_total = Cell(value, hidden=False, primary=False)
            else:
                row_totals[role] = Cell(value, hidden=False, primary=False)
    roles = replace(roles, row_totals=MappingProxyType(row_totals), grand_total=grand_total)
    fft = Fft({**column_totals, TOTAL: grand_total}, table.column_totals[NO_RATING])
    return fft, roles, table


def _fft(counts: dict) -> Fft:
    return _fft_and_roles(counts)[0]


def _counts_by(column, period: Period, service_id: int, names) -> dict:
    found = dict(db.session.execute(
        select(column, func.sum(ResponseRollup.responses))
        .where(*_in(ResponseRollup, period, service_id)).group_by(column)).all())
    return suppress_counts({name: int(found.get(name, 0)) for name in names},
                           threshold=_threshold())


def _margins(table: SuppressedTable) -> dict:
    """A table's row totals as a line with its grand total: the same figures, hidden alike."""
    return {**table.row_totals, TOTAL: table.grand_total}


def _largest_first(table: SuppressedTable) -> SuppressedTable:
    """The rows in order of their shown totals, hidden ones last in name order.

    Ordering by the true totals would place a hidden row between the shown totals around it,
    and so say within a few how big it is.
    """
    def key(row):
        total = table.row_totals[row]
        return (1, 0, row) if total.hidden else (0, -total.value, row)

    return replace(table, rows=tuple(sorted(table.rows, key=key)))


def _monthly(period: Period, service_id: int):
    months = trailing_months(period, 12)
    start, end = months[0].start, months[-1].end
    month_of = {}
    for month in months:
        day = month.start
        while day < month.end:
            month_of[day] = month
            day += timedelta(days=1)
    ratings: dict = {m: {} for m in months}
    for day, role, rating, count in db.session.execute(
            select(ResponseRollup.day, ResponseRollup.respondent_role, ResponseRollup.fft_rating,
                   func.sum(ResponseRollup.responses))
            .where(ResponseRollup.service_id == service_id, ResponseRollup.day >= start,
                   ResponseRollup.day < end)
            .group_by(ResponseRollup.day, ResponseRollup.respondent_role,
                      ResponseRollup.fft_rating)):
        # Suppressed as the period's own FFT figures are, so that a month's figures here and
        # in that month's own report hide the same counts.
        bucket = ratings[month_of[day]]
        key = (role, _column(rating))
        bucket[key] = bucket.get(key, 0) + int(count)
    sentiments: dict = {m: dict.fromkeys(SENTIMENTS, 0) for m in months}
    for day, label, count in db.session.execute(
            select(CommentRollup.day, CommentRollup.sentiment_label,
                   func.sum(CommentRollup.comments))
            .where(CommentRollup.service_id == service_id, CommentRollup.theme == NONE,
                   CommentRollup.day >= start, CommentRollup.day < end)
            .group_by(CommentRollup.day, CommentRollup.sentiment_label)):
        sentiments[month_of[day]][label] += int(count)
    trend = [(m, _fft(ratings[m])) for m in months]
    sentiment_trend = [(m, suppress_counts(sentiments[m], threshold=_threshold()))
                       for m in months]
    return trend, sentiment_trend


def _themes(period: Period, service_id: int, quote_filter: QuoteFilter) -> SuppressedTable:
    query = (select(CommentRollup.theme, CommentRollup.sentiment_label,
                    func.sum(CommentRollup.comments))
             .where(*_in(CommentRollup, period, service_id), CommentRollup.theme != NONE)
             .group_by(CommentRollup.theme, CommentRollup.sentiment_label))
    if quote_filter.channel:
        query = query.where(CommentRollup.channel == quote_filter.channel)
    if quote_filter.rating:
        query = query.where(CommentRollup.fft_rating == quote_filter.rating)
    if quote_filter.theme:
        query = query.where(CommentRollup.theme == quote_filter.theme)
    counts = {(theme, label): int(count) for theme, label, count in db.session.execute(query)}
    found = sorted({theme for theme, _label in counts})
    return _largest_first(suppress_table(counts, found, SENTIMENTS, threshold=_threshold()))


def _risk(period: Period, service_id: int) -> SuppressedTable:
    counts = {(channel, level): int(count) for channel, level, count in db.session.execute(
        select(ResponseRollup.channel, ResponseRollup.risk_level,
               func.sum(ResponseRollup.responses))
        .where(*_in(ResponseRollup, period, service_id))
        .group_by(ResponseRollup.channel, ResponseRollup.risk_level))}
    return _responses_table(counts, CHANNELS, RISK_LEVELS)


def _barriers(period: Period, service_id: int, limit: int = 10):
    rows = db.session.execute(
        select(BarrierRollup.code, BarrierRollup.domain, BarrierRollup.channel,
               func.sum(BarrierRollup.respondents))
        .where(*_in(BarrierRollup, period, service_id))
        .group_by(BarrierRollup.code, BarrierRollup.domain, BarrierRollup.channel)).all()
    totals: dict = {}
    domains: dict = {}
    by_channel: dict = {}
    for code, domain, channel, count in rows:
        totals[code] = totals.get(code, 0) + int(count)
        domains[code] = domain
        by_channel[(code, channel)] = int(count)
    helped = suppress_value(totals.pop(HELPED, 0), _threshold())
    barriers = sorted((c for c in totals if not c.startswith("signals.")),
                      key=lambda c: (-totals[c], c))[:limit]
    # Each barrier's total is published beside its counts by channel, so they are suppressed
    # as one table with totals: a shown total less shown channels must not give one back.
    table = _largest_first(suppress_table(
        {k: v for k, v in by_channel.items() if k[0] in barriers}, barriers, CHANNELS,
        threshold=_threshold()))
    return ([(code, domains[code], table.row_totals[code]) for code in table.rows], table,
            helped)


def _reach(period: Period, service_id: int) -> dict:
    from . import campaigns

    start, end = period.utc_bounds()
    counts = campaigns.service_counts(service_id, since=start, until=end)
    published = {name: suppress_value(count, _threshold()) for name, count in counts.items()}
    # Every recipient is waiting, sent, skipped or refused for good (not shown): one line, so
    # a hidden one of them can't be had from the total less the others.
    statuses = ("waiting", "sent", "skipped")
    line = {name: counts[name] for name in statuses}
    line["refused"] = counts["recipients"] - sum(line.values())
    line = suppress_counts(line, threshold=_threshold())
    published.update({name: line[name] for name in statuses}, recipients=line[TOTAL])
    return published


def _quotes(period: Period, service_id: int, quote_filter: QuoteFilter, *,
            high_risk: bool = False, limit: int = 6):
    """Redacted comments to quote, newest first, only from a group big enough not to point at
    anyone (QUOTE_MIN_GROUP)."""
    conditions = [ResponseAnalysis.service_id == service_id,
                  ResponseAnalysis.submitted_on >= period.start,
                  ResponseAnalysis.submitted_on < period.end,
                  Response.held_back.is_(False), CommentAnalysis.redacted_text.is_not(None)]
    if quote_filter.channel:
        conditions.append(Response.channel == quote_filter.channel)
    if quote_filter.rating:
        conditions.append(ResponseAnalysis.fft_rating == quote_filter.rating)
    if quote_filter.theme:
        conditions.append(CommentAnalysis.id.in_(
            select(CommentTheme.comment_id).where(CommentTheme.theme == quote_filter.theme)))
    if high_risk:
        conditions.append(ResponseAnalysis.risk_level == "high")
    # A comment that may disclose risk goes to its reviewers, never into a report.
    conditions.append(~select(SafeguardingFlag.id).where(
        SafeguardingFlag.response_id == Response.id,
        SafeguardingFlag.question_id == CommentAnalysis.question_id).exists())
    base = (select(CommentAnalysis)
            .join(ResponseAnalysis, ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
            .join(Response, Response.id == ResponseAnalysis.response_id)
            .where(*conditions))
    # People, not comments: one person's two comments must not make a group look bigger.
    group = db.session.scalar(
        select(func.count(func.distinct(base.subquery().c.response_analysis_id))))
    if not may_quote(group, current_app.config["QUOTE_MIN_GROUP"]):
        return [], suppress_value(group, _threshold())
    rows = db.session.execute(
        base.add_columns(Response.channel, ResponseAnalysis.fft_rating)
        .options(selectinload(CommentAnalysis.themes))
        .order_by(ResponseAnalysis.submitted_on.desc(), CommentAnalysis.id.desc())
        .limit(limit)).all()
    quotes = [Quote(comment.redacted_text, channel, rating,
                    tuple(t.theme for t in comment.themes))
              for comment, channel, rating in rows]
    return quotes, suppress_value(group, _threshold())


def build(service: Service, period: Period, quote_filter: QuoteFilter | None = None) -> Report:
    """The whole report for one service and one whole week, month or quarter."""
    quote_filter = quote_filter or QuoteFilter()
    previous = period.previous()
    fft, roles, ratings = _fft_and_roles(_ratings(period, service.id))
    risk = _risk(period, service.id)
    # The channel line is the risk table's row totals, and responses its grand total: the
    # same figures, so hidden alike.
    by_channel = _margins(risk)
    trend, sentiment_trend = _monthly(period, service.id)
    barriers, barriers_by_channel, helped = _barriers(period, service.id)
    quotes, quote_group = _quotes(period, service.id, quote_filter)
    high_risk_quotes, _group = _quotes(period, service.id, QuoteFilter(), high_risk=True)
    return Report(
        service=service, period=period, previous=previous,
        responses=by_channel[TOTAL],
        fft=fft,
        fft_previous=_fft(_ratings(previous, service.id)),
        fft_all_services=_fft(_ratings(period, None)),
        by_channel=by_channel,
        by_role=_margins(ratings),
        by_language=_counts_by(ResponseRollup.locale, period, service.id, LANGUAGES),
        roles=roles,
        trend=trend, sentiment_trend=sentiment_trend,
        themes=_themes(period, service.id, quote_filter),
        risk=risk,
        barriers=barriers, barriers_by_channel=barriers_by_channel, helped=helped,
        reach=_reach(period, service.id),
        quotes=quotes, quote_group=quote_group, high_risk_quotes=high_risk_quotes,
        quote_filter=quote_filter,
    )
