"""Tests for report periods: ISO weeks, months and quarters in UK time."""

from datetime import date, datetime, timedelta, timezone

import pytest

from feedback.analysis.periods import (
    KINDS,
    Period,
    current_period,
    months_between,
    parse_period,
    period_containing,
    recent_periods,
    trailing_months,
    uk_date,
)

# --- slugs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "kind", "start", "end"),
    [
        ("2026-W48", "week", date(2026, 11, 23), date(2026, 11, 30)),
        # 1 January 2026 is a Thursday, so week 1 starts on Monday 29 December 2025 ...
        ("2026-W01", "week", date(2025, 12, 29), date(2026, 1, 5)),
        # ... and 2026 has 53 weeks (a year does when it starts on a Thursday, or is a leap
        # year starting on a Wednesday, as 2020 did).
        ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 4)),
        ("2020-W53", "week", date(2020, 12, 28), date(2021, 1, 4)),
        ("2026-11", "month", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
        ("2028-02", "month", date(2028, 2, 1), date(2028, 3, 1)),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ],
)
def test_parse_period_reads_weeks_months_and_quarters(slug, kind, start, end):
    period = parse_period(slug)
    assert period == Period(kind, start, end)
    assert period.slug == slug


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("2026-13", "no month 13"),
        ("2026-00", "no month 00"),
        ("2026-W54", "1 to 53"),
        ("2027-W53", "1 to 52"),  # 2027 starts on a Friday: only 52 weeks
        ("2025-W53", "1 to 52"),
        ("2026-W00", "1 to 53"),
        ("2026-Q5", "no quarter Q5"),
        ("2026-Q0", "no quarter Q0"),
        ("2026-11-03", "not a report period"),  # a day is not a period
        ("", "not a report period"),
        ("../../etc", "not a report period"),
        ("2026-w48", "not a report period"),
        ("2026-W4", "not a report period"),
        ("26-11", "not a report period"),
        ("2026-11\n", "not a report period"),
        (" 2026-11", "not a report period"),
        ("２０２６-11", "not a report period"),  # digits, but not ASCII ones
        ("0000-01", "outside the years"),
        ("9999-12", "outside the years"),  # would end in the year 10000
        (None, "named by text"),
    ],
)
def test_parse_period_refuses_anything_else_and_says_why(slug, message):
    with pytest.raises(ValueError, match=message):
        parse_period(slug)


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("week", date(2026, 11, 24), date(2026, 12, 1)),  # a Tuesday
        ("week", date(2026, 11, 23), date(2026, 12, 7)),  # two weeks
        ("month", date(2026, 11, 2), date(2026, 12, 2)),
        ("month", date(2026, 11, 1), date(2026, 11, 30)),
        ("quarter", date(2026, 11, 1), date(2027, 2, 1)),
        ("fortnight", date(2026, 11, 23), date(2026, 12, 7)),
    ],
)
def test_a_period_cannot_be_an_arbitrary_range(kind, start, end):
    with pytest.raises(ValueError):
        Period(kind, start, end)


def test_a_period_runs_between_dates_not_moments():
    with pytest.raises(TypeError):
        Period("month", datetime(2026, 11, 1), datetime(2026, 12, 1))
    with pytest.raises(TypeError):
        parse_period("2026-11").contains(datetime(2026, 11, 5, 12))


# --- finding periods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "slug"),
    [
        ("week", date(2026, 11, 23), "2026-W48"),  # Monday
        ("week", date(2026, 11, 29), "2026-W48"),  # Sunday
        ("week", date(2027, 1, 3), "2026-W53"),  # a January Sunday in last year's week
        ("week", date(2025, 12, 29), "2026-W01"),  # a December Monday in next year's week
        ("month", date(2026, 11, 30), "2026-11"),
        ("month", date(2024, 2, 29), "2024-02"),
        ("quarter", date(2026, 3, 31), "2026-Q1"),
        ("quarter", date(2026, 4, 1), "2026-Q2"),
        ("quarter", date(2026, 12, 31), "2026-Q4"),
    ],
)
def test_period_containing_finds_the_aligned_period(kind, day, slug):
    period = period_containing(kind, day)
    assert period.slug == slug
    assert period.contains(day)
    assert not period.contains(period.end)
    assert not period.contains(period.start - timedelta(days=1))


def test_period_containing_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        period_containing("year", date(2026, 1, 1))


def test_current_period_is_the_one_under_way_today():
    assert current_period("month", date(2026, 11, 17)).slug == "2026-11"


@pytest.mark.parametrize("kind", KINDS)
def test_previous_and_next_are_adjacent_and_undo_each_other(kind):
    period = period_containing(kind, date(2025, 12, 20))
    for _ in range(120):  # ten years of months, more than two of weeks
        following = period.next()
        assert following.start == period.end
        assert following.previous() == period
        assert period.next().previous() == period.previous().next() == period
        period = following


@pytest.mark.parametrize(
    ("slug", "previous", "next_"),
    [("2026-W53", "2026-W52", "2027-W01"), ("2026-W01", "2025-W52", "2026-W02"),
     ("2026-01", "2025-12", "2026-02"), ("2026-Q1", "2025-Q4", "2026-Q2")],
)
def test_previous_and_next_cross_year_ends(slug, previous, next_):
    period = parse_period(slug)
    assert (period.previous().slug, period.next().slug) == (previous, next_)


def test_recent_periods_are_newest_first_starting_with_the_one_under_way():
    assert [p.slug for p in recent_periods("week", date(2027, 1, 2), 3)] == [
        "2026-W53", "2026-W52", "2026-W51"]
    assert [p.slug for p in recent_periods("quarter", date(2026, 2, 1), 3)] == [
        "2026-Q1", "2025-Q4", "2025-Q3"]
    assert recent_periods("month", date(2026, 2, 1), 0) == []
    with pytest.raises(ValueError):
        recent_periods("month", date(2026, 2, 1), -1)


def test_months_between_takes_whole_months_overlapping_the_range():
    assert [p.slug for p in months_between(parse_period("2026-Q4"), parse_period("2026-Q4"))] == [
        "2026-10", "2026-11", "2026-12"]
    # Week 53 runs from 28 December to 3 January, so it overlaps two months.
    assert [p.slug for p in months_between(parse_period("2026-W53"), parse_period("2026-W53"))] == [
        "2026-12", "2027-01"]
    assert [p.slug for p in months_between(date(2026, 1, 31), date(2026, 3, 1))] == [
        "2026-01", "2026-02", "2026-03"]
    assert [p.slug for p in months_between(date(2026, 5, 5), date(2026, 5, 5))] == ["2026-05"]


def test_months_between_refuses_a_range_that_runs_backwards():
    with pytest.raises(ValueError):
        months_between(date(2026, 5, 2), date(2026, 5, 1))


def test_trailing_months_are_the_twelve_to_the_end_of_the_period():
    months = trailing_months(parse_period("2026-W48"))
    assert [p.slug for p in months] == [
        "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
        "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert [p.slug for p in trailing_months(parse_period("2026-Q4"), 3)] == [
        "2026-10", "2026-11", "2026-12"]


# --- UK time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "start", "end"),
    [
        # Winter: UK midnight is UTC midnight.
        ("2026-01", datetime(2026, 1, 1), datetime(2026, 2, 1)),
        # BST began at 01:00 UTC on Sunday 29 March 2026 (the last Sunday of March), so
        # April begins at 23:00 UTC on 31 March.
        ("2026-04", datetime(2026, 3, 31, 23), datetime(2026, 4, 30, 23)),
        # The week of the change begins in GMT and ends in BST: 167 hours long.
        ("2026-W13", datetime(2026, 3, 23), datetime(2026, 3, 29, 23)),
        # BST ended at 01:00 UTC on Sunday 25 October 2026 (the last Sunday of October): 169.
        ("2026-W43", datetime(2026, 10, 18, 23), datetime(2026, 10, 26)),
        ("2026-10", datetime(2026, 9, 30, 23), datetime(2026, 11, 1)),
        ("2026-Q2", datetime(2026, 3, 31, 23), datetime(2026, 6, 30, 23)),
        ("2026-Q4", datetime(2026, 9, 30, 23), datetime(2027, 1, 1)),
    ],
)
def test_utc_bounds_are_uk_midnights_as_naive_utc(slug, start, end):
    assert parse_period(slug).utc_bounds() == (start, end)


def test_weeks_that_change_the_clocks_are_an_hour_short_or_long():
    spring, autumn = parse_period("2026-W13").utc_bounds(), parse_period("2026-W43").utc_bounds()
    assert spring[1] - spring[0] == timedelta(hours=167)
    assert autumn[1] - autumn[0] == timedelta(hours=169)


def test_consecutive_periods_share_their_utc_bound_so_none_is_counted_twice():
    period = parse_period("2025-W01")
    for _ in range(110):
        assert period.utc_bounds()[1] == period.next().utc_bounds()[0]
        period = period.next()


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 6, 30, 23, 30), date(2026, 7, 1)),  # naive UTC, in BST
        (datetime(2026, 12, 31, 23, 30), date(2026, 12, 31)),  # naive UTC, in GMT
        (datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc), date(2026, 7, 1)),
        (datetime(2026, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), date(2026, 6, 30)),
    ],
)
def test_uk_date_reads_naive_moments_as_utc(moment, day):
    assert uk_date(moment) == day


# --- labels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "locale", "label"),
    [
        ("2026-11", "en", "November 2026"),
        ("2026-11", "cy", "Tachwedd 2026"),
        ("2026-11", "pl", "listopad 2026"),
        # Plain "en" reads as British English: day before month.
        ("2026-W48", "en", "23 – 29 Nov 2026"),
        ("2026-W48", "en_GB", "23 – 29 Nov 2026"),
        ("2026-W48", "en-GB", "23 – 29 Nov 2026"),
        ("2026-W48", "en_US", "Nov 23 – 29, 2026"),
        ("2026-W48", "cy", "23–29 Tach 2026"),
        ("2026-W49", "en", "30 Nov – 6 Dec 2026"),
        ("2026-W53", "en", "28 Dec 2026 – 3 Jan 2027"),
        ("2026-Q4", "en", "October – December 2026"),
        ("2026-Q4", "cy", "Hydref – Rhagfyr 2026"),
    ],
)
def test_label_uses_the_locales_own_date_formats(slug, locale, label):
    # Babel separates ranges with thin or ordinary spaces by locale; compare words, not gaps.
    assert " ".join(parse_period(slug).label(locale).split()) == label
