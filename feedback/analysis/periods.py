"""Report periods: whole ISO weeks, months and quarters in UK time, never arbitrary ranges.

Only aligned periods exist, so two reports cannot be chosen to differ by a day or two and
be subtracted to expose the responses in between. Two gaps remain for whoever publishes:

- Weeks do not nest in months. A month less the whole weeks inside it leaves the days at
  either end (November 2026 less weeks 45 to 48 is 1 and 30 November), so a service that
  offers both kinds should suppress with that in mind, or offer weeks only where months are
  not shown.
- A period still under way grows; two views of this month a day apart differ by one day's
  responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_interval, format_skeleton

KINDS = ("week", "month", "quarter")
UK = ZoneInfo("Europe/London")

_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-Q([0-9])")
_EXAMPLES = "a week like 2026-W48, a month like 2026-11 or a quarter like 2026-Q4"


@dataclass(frozen=True)
class Period:
    """A whole week (Monday to Sunday), month or quarter; end is the day after it."""

    kind: str
    start: date
    end: date

    def __post_init__(self):
        # Refuse anything not aligned, so no code path can build an arbitrary date range.
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        for day in (self.start, self.end):
            # A datetime is a date too, but compares unlike one; refuse it here, not later.
            if type(day) is not date:
                raise TypeError(f"a period runs between dates, not {type(day).__name__}")
        aligned = _start_of(self.kind, self.start) == self.start
        if not aligned or _end(self.kind, self.start) != self.end:
            raise ValueError(f"{self.start} to {self.end} is not a whole {self.kind}")

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.kind, self.end)

    def contains(self, day: date) -> bool:
        """Whether the UK date day falls in the period (convert a moment with uk_date first)."""
        if type(day) is not date:
            raise TypeError(f"contains takes a date, not {type(day).__name__}")
        return self.start <= day < self.end

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Naive UTC datetimes for UK midnight at start and end, for SQL: start <= t < end.

        A month that begins in British Summer Time begins at 23:00 UTC the day before.
        """
        return _utc_midnight(self.start), _utc_midnight(self.end)

    @property
    def slug(self) -> str:
        """The period's name in URLs: 2026-W48, 2026-11 or 2026-Q4."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"

    def label(self, locale: str) -> str:
        """The period in words, from the locale's own date formats (CLDR, through Babel).

        November 2026; 23–29 Nov 2026; October – December 2026. Plain "en" is formatted as
        en_GB, since every reader of these reports is in the UK.
        """
        where = _locale(locale)
        last = self.end - timedelta(days=1)
        if self.kind == "month":
            return format_skeleton("yMMMM", self.start, locale=where)
        if self.kind == "quarter":
            return format_interval(self.start, last, "yMMMM", locale=where)
        return format_interval(self.start, last, "yMMMMd", locale=where)


def _start_of(kind: str, day: date) -> date:
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _end(kind: str, start: date) -> date:
    """The first day after the period of this kind that begins on start."""
    if kind == "week":
        return start + timedelta(days=7)
    months = 1 if kind == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def _utc_midnight(day: date) -> datetime:
    # UK clocks change at 01:00 UTC, so local midnight always exists and is never repeated.
    local = datetime.combine(day, time(0), tzinfo=UK)
    return local.astimezone(UTC).replace(tzinfo=None)


def _locale(locale: str) -> Locale:
    where = Locale.parse(locale.replace("-", "_"))
    if where.language == "en" and where.territory is None:
        return Locale("en", "GB")
    return where


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


def period_containing(kind: str, day: date) -> Period:
    """The week, month or quarter that the UK date day falls in."""
    _check_kind(kind)
    if type(day) is not date:
        raise TypeError(f"period_containing takes a date, not {type(day).__name__}")
    start = _start_of(kind, day)
    return Period(kind, start, _end(kind, start))


def current_period(kind: str, today: date) -> Period:
    """The period under way on today's UK date: it is still growing until it ends."""
    return period_containing(kind, today)


def recent_periods(kind: str, today: date, count: int) -> list[Period]:
    """The period under way and the count - 1 before it, newest first, for a period picker."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    periods, period = [], current_period(kind, today)
    for _ in range(count):
        periods.append(period)
        period = period.previous()
    return periods


def months_between(start: Period | date, end: Period | date) -> list[Period]:
    """The whole months that overlap start to end (both included), oldest first.

    A period given as start counts from its first day, and as end up to its last; so
    ``months_between(quarter, quarter)`` is the quarter's three months.

    :raise ValueError: if end comes before start.
    """
    first = start.start if isinstance(start, Period) else _as_date(start)
    last = end.end - timedelta(days=1) if isinstance(end, Period) else _as_date(end)
    if last < first:
        raise ValueError(f"{last} comes before {first}")
    months, month = [], period_containing("month", first)
    while month.start <= last:
        months.append(month)
        month = month.next()
    return months


def trailing_months(period: Period, count: int = 12) -> list[Period]:
    """The count months up to and including the one that period ends in, oldest first."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    last = period_containing("month", period.end - timedelta(days=1))
    return list(reversed(recent_periods("month", last.start, count)))


def _as_date(day: date) -> date:
    if type(day) is not date:
        raise TypeError(f"expected a date or a Period, not {type(day).__name__}")
    return day


def uk_date(moment: datetime) -> date:
    """The UK calendar date of a moment; a naive one is taken as UTC, as the database keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK).date()


def parse_period(slug: str) -> Period:
    """The period a slug names: 2026-W48, 2026-11 or 2026-Q4, and nothing else.

    :raise ValueError: for anything else, saying what was wrong.
    """
    if not isinstance(slug, str):
        raise ValueError(f"a period is named by text like {_EXAMPLES}, not {slug!r}")
    if match := _WEEK.fullmatch(slug):
        return _week(int(match[1]), int(match[2]))
    if match := _MONTH.fullmatch(slug):
        return _month(int(match[1]), int(match[2]))
    if match := _QUARTER.fullmatch(slug):
        return _quarter(int(match[1]), int(match[2]))
    raise ValueError(f"{slug!r} is not a report period: use {_EXAMPLES}")


def _year(year: int) -> None:
    # The last of these ends within 9999, the last year Python's dates reach.
    if not 1 <= year <= 9998:
        raise ValueError(f"{year:04d} is outside the years 0001 to 9998 that reports can cover")


def _week(year: int, week: int) -> Period:
    _year(year)
    # 28 December is always in the last ISO week of its year: 52, or 53 for a long year.
    weeks = date(year, 12, 28).isocalendar().week
    if not 1 <= week <= weeks:
        raise ValueError(f"{year} has ISO weeks 1 to {weeks}, not {week}")
    return period_containing("week", date.fromisocalendar(year, week, 1))


def _month(year: int, month: int) -> Period:
    _year(year)
    if not 1 <= month <= 12:
        raise ValueError(f"there is no month {month:02d}: months run from 01 to 12")
    return period_containing("month", date(year, month, 1))


def _quarter(year: int, quarter: int) -> Period:
    _year(year)
    if not 1 <= quarter <= 4:
        raise ValueError(f"there is no quarter Q{quarter}: quarters run from Q1 to Q4")
    return period_containing("quarter", date(year, 3 * quarter - 2, 1))
