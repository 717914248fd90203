"""The per-service report's numbers, checked against fixtures computed by hand.

Every response goes in through `responses.submit` (or the paper service), is analysed in-process
after its commit, and reaches the report through the rollups, as in production. The expected
figures are worked out in the comments beside each test.

`figures()` prints a published line as a reader sees it: the count, or "*" where it is hidden.
Several tests set SUPPRESS_BELOW to 1 (nothing is then small enough to hide) so that the
figure under test shows whatever the size of the fixture; the suppression tests keep 5.
"""

from datetime import datetime

import pytest
from sqlalchemy import select

from feedback.analysis.periods import parse_period, period_containing, uk_date
from feedback.analysis.suppression import TOTAL, derivable
from feedback.extensions import db as _db
from feedback.models import (
    BarrierRollup,
    CampaignRecipient,
    CommentRollup,
    Conversation,
    Response,
    ResponseRollup,
    SmsMessage,
    utcnow,
)
from feedback.services import analysis, campaigns, paper, reports, responses, rollups
from tests.factories import create_service, create_survey, create_user, question_ids

QUESTIONS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet",
    "needs_help_online", "english_confidence", "who_helped",
]
SKIPPED = {"status": "skipped"}  # SMS: the texter sent SKIP
BLANK = {"status": "blank"}  # paper: the box was left empty

OCTOBER = parse_period("2026-10")
MID_OCTOBER = datetime(2026, 10, 14, 10, 0)  # naive UTC, as the database keeps it


@pytest.fixture
def survey(db):
    return create_survey(question_keys=QUESTIONS)


@pytest.fixture
def no_suppression(app, monkeypatch):
    """Nothing is 1 to SUPPRESS_BELOW - 1, so every figure shows: for tests of the counting."""
    monkeypatch.setitem(app.config, "SUPPRESS_BELOW", 1)


def respond(survey, *, rating="good", good=None, improve=None, channel="web", role="patient",
            locale="en", at=MID_OCTOBER, internet=None, needs_help=None, english=None,
            helped_by=None):
    """Submit one response; rating is an FFT value, or SKIPPED / BLANK for no rating."""
    ids = question_ids(survey)
    answers = {ids["fft_rating"]: rating if isinstance(rating, dict) else {"choice": rating}}
    for key, text in (("fft_what_was_good", good), ("fft_what_could_improve", improve)):
        if text is not None:
            answers[ids[key]] = {"text": text}
    for key, choice in (("home_internet", internet), ("needs_help_online", needs_help),
                        ("english_confidence", english), ("who_helped", helped_by)):
        if choice is not None:
            answers[ids[key]] = {"choice": choice}
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel=channel, respondent_role=role,
        locale=locale, answers=answers, enforce_required=False, submitted_at=at,
        assistance_mode="in_person" if channel == "assisted" else None)


def many(count, survey, **kwargs):
    return [respond(survey, **kwargs) for _ in range(count)]


def figures(line: dict) -> dict:
    """A line of Cells as a reader sees it: counts, and "*" where hidden."""
    return {name: "*" if cell.hidden else cell.value for name, cell in line.items()}


def table_figures(table) -> dict:
    """A table's cells and totals as a reader sees them; None in a key names a total."""
    keys = [(r, c) for r in table.rows for c in table.columns]
    keys += [(r, None) for r in table.rows] + [(None, c) for c in table.columns]
    keys.append((None, None))
    return {key: "*" if table.cell(*key).hidden else table.cell(*key).value for key in keys}


def build(survey, period=OCTOBER, **quote_filter):
    _db.session.expire_all()
    return reports.build(survey.service, period, reports.QuoteFilter(**quote_filter))


# --- FFT ----------------------------------------------------------------------------------------


def test_fft_shares_count_dont_know_in_the_denominator_and_leave_no_rating_out(survey):
    many(6, survey, rating="very_good")
    many(4, survey, rating="good")
    many(5, survey, rating="neither")
    many(3, survey, rating="poor")
    many(2, survey, rating="very_poor")
    many(5, survey, rating="dont_know")
    many(2, survey, rating=SKIPPED, channel="sms")
    many(3, survey, rating=BLANK, channel="paper")

    report = build(survey)

    # positive = very good 6 + good 4 = 10; negative = poor 3 + very poor 2 = 5.
    # rated (the denominator) = 6 + 4 + 5 + 3 + 2 + 5 = 25, Don't know's 5 included.
    # No rating: 2 SMS SKIPs + 3 paper blanks = 5, outside the denominator.
    # Responses: 25 + 5 = 30. Every figure is 0 or 5 and over, so none is hidden.
    assert figures(report.fft.line) == {"positive": 10, "neither": 5, "negative": 5,
                                        "dont_know": 5, TOTAL: 25}
    assert report.fft.rated.value == 25
    assert report.fft.no_rating.value == 5
    assert report.responses.value == 30
    assert report.fft.positive.proportion == 10 / 25 == 0.4  # not 10/30, not 10/20
    assert report.fft.negative.proportion == 5 / 25 == 0.2
    assert (report.fft.positive.count, report.fft.positive.total) == (10, 25)

    # Wilson 95% interval for 10/25, z = 1.959964, z² = 3.841459, n = 25, p = 0.4:
    #   denominator = 1 + z²/n = 1 + 0.153658 = 1.153658
    #   centre = (p + z²/2n) / denominator = (0.4 + 0.076829) / 1.153658 = 0.413319
    #   half   = z/denominator · √(p(1-p)/n + z²/4n²)
    #          = 1.698915 · √(0.0096 + 0.00153658) = 1.698915 · 0.105530 = 0.179286
    #   interval = 0.413319 ∓ 0.179286 = [0.234033, 0.592605]
    assert report.fft.positive.low == pytest.approx(0.234033, abs=1e-6)
    assert report.fft.positive.high == pytest.approx(0.592605, abs=1e-6)
    assert figures(report.by_channel) == {"web": 25, "sms": "*", "paper": "*", "assisted": 0,
                                          TOTAL: 30}


def test_an_empty_period_shows_blank_shares_and_zero_counts_not_zero_percent(survey):
    respond(survey, rating="very_good", improve="The video kept freezing.")  # October only

    report = build(survey, parse_period("2026-09"))

    assert report.responses.value == 0 and not report.responses.hidden
    assert report.fft.rated.value == 0 and report.fft.no_rating.value == 0
    assert report.fft.positive is None and report.fft.negative is None  # blank, not 0%
    assert figures(report.by_channel) == {"web": 0, "sms": 0, "paper": 0, "assisted": 0,
                                          TOTAL: 0}
    assert report.quotes == [] and report.quote_group.value == 0
    assert report.themes.rows == () and report.barriers == []
    assert report.helped.value == 0
    assert all(fft.positive is None for _month, fft in report.trend)


# --- periods in UK time ------------------------------------------------------------------------


def test_responses_land_in_the_uk_month_and_week_they_were_given_in(survey, no_suppression):
    # 23:30 UTC on Saturday 31 October 2026: British Summer Time ended on Sunday 25 October, so
    # the UK is on GMT and it is still 31 October there: October, ISO week 2026-W44.
    respond(survey, at=datetime(2026, 10, 31, 23, 30))
    # 23:30 UTC on Tuesday 30 June 2026 is 00:30 BST on Wednesday 1 July: July, not June.
    respond(survey, at=datetime(2026, 6, 30, 23, 30))
    # 23:30 UTC on Sunday 5 April 2026 is 00:30 BST on Monday 6 April: week 15, not week 14.
    respond(survey, at=datetime(2026, 4, 5, 23, 30))

    def responses_in(slug):
        return build(survey, parse_period(slug)).responses.value

    assert [responses_in(s) for s in ("2026-10", "2026-11")] == [1, 0]
    assert [responses_in(s) for s in ("2026-06", "2026-07")] == [0, 1]
    assert [responses_in(s) for s in ("2026-W44", "2026-W45")] == [1, 0]
    assert [responses_in(s) for s in ("2026-W14", "2026-W15")] == [0, 1]
    # Q2 is April to June: the April response only. Q3 (July to September): the 1 July one.
    assert [responses_in(s) for s in ("2026-Q2", "2026-Q3", "2026-Q4")] == [1, 1, 1]

    # The monthly trend runs November 2025 to October 2026, with each response in its month.
    trend = build(survey).trend
    assert [month.slug for month, _fft in trend][::11] == ["2025-11", "2026-10"]
    by_month = {month.slug: fft.rated.value for month, fft in trend}
    assert {slug: n for slug, n in by_month.items() if n} == {
        "2026-04": 1, "2026-07": 1, "2026-10": 1}


def test_the_report_compares_with_the_previous_period_and_all_services(survey, no_suppression):
    other = create_survey(service=create_service(slug="patient-portal", name="Patient portal"),
                          question_keys=QUESTIONS)
    many(3, survey, rating="good")
    respond(survey, rating="poor")
    september = datetime(2026, 9, 20, 9, 0)
    respond(survey, rating="very_good", at=september)
    respond(survey, rating="neither", at=september)
    many(2, other, rating="very_poor")
    many(2, other, rating="dont_know")

    report = build(survey)

    # This service in October: 3 good of 4 rated = 75% positive, 1 poor of 4 = 25% negative.
    assert (report.fft.positive.proportion, report.fft.negative.proportion) == (0.75, 0.25)
    # September: 1 very good of 2 rated = 50%; 0 negative of 2 = 0%, a real 0 (2 ratings).
    assert report.previous == parse_period("2026-09")
    assert report.fft_previous.positive.proportion == 0.5
    assert report.fft_previous.negative.proportion == 0.0
    # All services in October: positive 3 of (4 + 4) = 37.5%; negative (1 + 2) of 8 = 37.5%.
    assert figures(report.fft_all_services.line) == {
        "positive": 3, "neither": 0, "negative": 3, "dont_know": 2, TOTAL: 8}
    assert report.fft_all_services.positive.proportion == 3 / 8
    # The previous month is the trend's last but one.
    assert report.trend[-2] == (report.previous, report.fft_previous)
    # The other service's own report knows nothing of this one.
    assert figures(build(other).fft.line)[TOTAL] == 4


# --- small numbers ------------------------------------------------------------------------------


def test_a_channel_of_three_is_hidden_with_another_so_it_cannot_be_worked_out(survey):
    # web 12 (8 patients and 4 staff, all very good); SMS 3 (carers, poor); assisted 6
    # (patients: 2 good, 4 neither). Inclusion answers vary so that risk levels vary.
    many(8, survey, rating="very_good", internet="broadband", needs_help="never",
         english="very_well")
    many(4, survey, rating="very_good", role="staff")
    many(3, survey, rating="poor", channel="sms", role="carer", internet="no",
         needs_help="always", english="well")
    many(2, survey, rating="good", channel="assisted")
    many(4, survey, rating="neither", channel="assisted", internet="no", needs_help="sometimes",
         english="well")

    report = build(survey)

    # Channels: web 12, SMS 3, paper 0, assisted 6, total 21. SMS is 1-4, so "*", and another
    # channel must hide with it or 21 - 12 - 0 - 6 would give the 3 back. The channel line is
    # the row totals of the channel x risk table, so that table decides which:
    #              high  medium  low  unknown | total
    #   web          0     0      8     4*    |  12     (4 staff answered no inclusion questions)
    #   SMS          3*    0      0     0     |   3*    (no internet, always needs help)
    #   paper        0     0      0     0     |   0
    #   assisted     4*    0      0     2*    |   6
    #   total        7     0      8     6     |  21
    # Hiding web's 4 and assisted's 4 and 2 keeps each column safe, and web's total (12) must
    # go too, or 12 - 8 would give its 4 back. Check by hand: with a = assisted unknown,
    # assisted high = 6 - a, SMS = 7 - (6 - a) = 1 + a, web unknown = 6 - a, web = 14 - a;
    # a = 1, 2, 3 or 4 all fit, so no hidden figure can be pinned down.
    assert figures(report.by_channel) == {"web": "*", "sms": "*", "paper": 0, "assisted": 6,
                                          TOTAL: 21}
    assert report.by_channel["sms"].primary and not report.by_channel["web"].primary
    assert derivable(report.by_channel) == []
    assert table_figures(report.risk) == {
        **{(c, level): 0 for c in reports.CHANNELS for level in reports.RISK_LEVELS},
        ("web", "low"): 8, ("web", "unknown"): "*", ("sms", "high"): "*",
        ("assisted", "high"): "*", ("assisted", "unknown"): "*",
        ("web", None): "*", ("sms", None): "*", ("paper", None): 0, ("assisted", None): 6,
        (None, "high"): 7, (None, "medium"): 0, (None, "low"): 8, (None, "unknown"): 6,
        (None, None): 21}

    # FFT: positive 8 + 4 + 2 = 14, neither 4, negative 3, Don't know 0; rated 21. Neither and
    # negative are both 1-4 and hide each other (their sum, 7, is all a reader can know).
    assert figures(report.fft.line) == {"positive": 14, "neither": "*", "negative": "*",
                                        "dont_know": 0, TOTAL: 21}
    assert report.fft.negative is None  # a share of a hidden count would give it back
    assert report.fft.positive.proportion == 14 / 21
    assert derivable(report.fft.line) == []

    # Roles × FFT: patient 10/4/0/0, carer 0/0/3/0, staff 4/0/0/0. Whatever is hidden, no
    # hidden cell or total may follow from the shown ones.
    roles = table_figures(report.roles)
    assert roles[("carer", "negative")] == "*" and roles[("staff", "positive")] == "*"
    assert roles[("patient", "neither")] == "*"
    assert derivable(report.roles) == []
    assert derivable(report.risk) == []
    assert derivable(report.by_role) == [] and derivable(report.by_language) == []


def test_no_rating_count_cannot_be_worked_out_from_responses_less_rated(survey):
    many(6, survey, rating="good")
    many(2, survey, rating=SKIPPED, channel="sms")

    report = build(survey)

    # No rating: 2, so "*". Responses, 6 + 2 = 8, are the total of every line (channels, roles,
    # languages), and responses = rated + no rating; so showing rated (6) beside them would
    # give the 2 back. Within that line rated is the smaller figure to hide, and with it go
    # the shares computed from it.
    assert report.fft.no_rating.hidden and report.fft.no_rating.primary
    assert report.responses.value == 8
    assert report.fft.rated.hidden and not report.fft.rated.primary
    assert report.fft.positive is None and report.fft.negative is None
    assert report.roles.grand_total.hidden
    assert derivable(report.roles) == []


def test_a_figure_in_two_places_is_hidden_in_both_or_shown_in_both(survey):
    # web 7 (patients, good), SMS 3 (patients, poor, all at high risk), assisted 6 (carers:
    # 5 very good, 1 Don't know).
    many(7, survey, rating="good", internet="broadband", needs_help="never", english="well")
    many(3, survey, rating="poor", channel="sms", internet="no", needs_help="always",
         english="not_well")
    many(5, survey, rating="very_good", channel="assisted", role="carer")
    respond(survey, rating="dont_know", channel="assisted", role="carer")

    report = build(survey)

    # The channel line and the channel x risk table's row totals are the same figures: if one
    # hid SMS's 3 with assisted and the other with web, the two together would give it back.
    assert {c: report.by_channel[c] for c in reports.CHANNELS} == dict(report.risk.row_totals)
    assert report.by_channel[TOTAL] == report.risk.grand_total == report.responses
    # Likewise the FFT line and the roles table's column totals and grand total.
    assert {g: report.fft.line[g] for g in reports.FFT_LINE} == dict(report.roles.column_totals)
    assert report.fft.rated == report.roles.grand_total
    # positive 7 + 5 = 12, negative 3 (hidden), Don't know 1 (hidden); rated 16.
    assert figures(report.fft.line) == {"positive": 12, "neither": 0, "negative": "*",
                                        "dont_know": "*", TOTAL: 16}
    assert derivable(report.risk) == [] and derivable(report.roles) == []


def test_responses_are_shown_alike_everywhere_unless_they_are_small(survey):
    # web 5 (low risk), SMS 2 and assisted 2 (too few answers to tell: unknown risk).
    many(5, survey, rating="very_good", internet="broadband", needs_help="never", english="well")
    many(2, survey, rating="poor", channel="sms", internet="no", needs_help="always")
    many(2, survey, rating="good", channel="assisted", role="staff", locale="cy")

    report = build(survey)

    # Channel x risk:     low  unknown | total
    #   web                5      0    |   5
    #   SMS                0      2*   |   2*
    #   assisted           0      2*   |   2*
    #   total              5      4*   |   9
    # The unknown column's 4 is 1-4. Hiding the grand total 9 would protect it within this
    # table, but 9 is also the total of the FFT line, the languages and the roles, and 9 - 5
    # would give the 4 back. So 9 stays shown and web's 5 hides instead (its cell, its row and
    # its column, which are all the same 5). Check by hand: web 4 and SMS 3 (low 4, unknown
    # 5) agrees with every shown figure as well as the truth does.
    assert report.responses.value == 9
    for line in (report.by_channel, report.by_role, report.by_language, report.fft.line):
        assert line[TOTAL].value == 9
    assert report.risk.grand_total.value == 9
    assert figures(report.by_channel) == {"web": "*", "sms": "*", "paper": 0, "assisted": "*",
                                          TOTAL: 9}
    assert report.risk.cell(None, "low").hidden and report.risk.cell(None, "unknown").hidden
    assert derivable(report.risk) == [] and derivable(report.by_channel) == []


def test_a_rated_total_that_the_table_gives_anyway_is_shown(survey):
    many(4, survey, rating=SKIPPED, channel="sms")
    many(3, survey, rating="poor", role="staff")
    many(2, survey, rating="dont_know", role="staff")
    respond(survey, rating=SKIPPED, channel="sms", role="staff")

    report = build(survey)

    # Ratings by role, with no rating beside them (what the report suppresses as one table):
    #             positive neither negative dont_know | no rating | responses
    #   patient      0       0        0        0      |    4*     |    4*
    #   carer        0       0        0        0      |    0      |    0
    #   staff        0       0        3*       2*     |    1*     |    6*
    #   total        0       0        3*       2*     |    5      |   10
    # Rated in all: 10 - 5 = 5, so shown. Staff's rated total (5) is hidden by the first rule
    # (its cells, its responses and its no rating are all "*"), yet patients and carers rated
    # 0, so it is 5 - 0 - 0: a "*" there would hide nothing, and it is shown.
    assert figures(report.fft.line) == {"positive": 0, "neither": 0, "negative": "*",
                                        "dont_know": "*", TOTAL: 5}
    assert report.fft.no_rating.value == 5
    assert report.fft.positive.proportion == 0.0  # 0 of 5, a real 0
    assert figures(dict(report.roles.row_totals)) == {"patient": 0, "carer": 0, "staff": 5}
    assert figures(report.by_role) == {"patient": "*", "carer": 0, "staff": "*", TOTAL: 10}
    assert derivable(report.roles) == [] and derivable(report.by_role) == []


def test_a_barrier_hidden_in_one_channel_cannot_be_worked_out_from_its_total(survey):
    many(6, survey, internet="no")
    many(3, survey, internet="no", channel="sms")

    report = build(survey)

    # No home internet: web 6, SMS 3, total 9. The list of barriers shows the total, so the
    # table by channel must not show web's 6 beside SMS's "*": 9 - 6 = 3.
    codes = {code: cell for code, _domain, cell in report.barriers}
    table = report.barriers_by_channel
    assert table.cell("access.no_home_internet", "sms").hidden
    assert codes["access.no_home_internet"] == table.cell("access.no_home_internet", None)
    assert derivable(table) == []


# --- what counts, and when ---------------------------------------------------------------------


def test_held_back_paper_sheets_count_only_once_their_batch_is_final(survey, no_suppression):
    admin = create_user(email="admin@nhs.test", name="Ada Admin", role="admin")
    volunteer = create_user(email="v1@nhs.test", name="Volunteer 1", role="volunteer")
    run = paper.create_print_run(service=survey.service, locale="en", large_print=False,
                                 sheet_count=20, site="Riverside clinic", created_by=admin)
    batch = paper.open_batch(service=survey.service, site="Riverside clinic",
                             received_on=uk_date(utcnow()), expected_sheets=3,
                             check_share=0.1, opened_by=volunteer)
    # Sheets the blind check would not pick, so the batch can be finalised without a second
    # volunteer.
    sheets = [r for r in paper.sheet_references(run) if not paper.needs_check(r, 0.1)][:3]
    ids = question_ids(survey)
    keyed = [paper.key_sheet(batch=batch, reference=reference, respondent_role="patient",
                             answers={str(ids["fft_rating"]): rating}, keyed_by=volunteer)
             for reference, rating in zip(
                 sheets, ({"choice": "good"}, {"choice": "poor"}, BLANK), strict=True)]
    # Keyed sheets are stored now (at the time of keying), but their month's report does not
    # count them yet.
    this_month = period_containing("month", uk_date(keyed[0].submitted_at))
    assert build(survey, this_month).responses.value == 0

    paper.finalise(batch, finalised_by=volunteer)

    # Now: 3 paper responses, 2 rated (1 good, 1 poor) and 1 left blank. 1 of 2 = 50%.
    report = build(survey, this_month)
    assert figures(report.by_channel) == {"web": 0, "sms": 0, "paper": 3, "assisted": 0,
                                          TOTAL: 3}
    assert figures(report.fft.line) == {"positive": 1, "neither": 0, "negative": 1,
                                        "dont_know": 0, TOTAL: 2}
    assert report.fft.no_rating.value == 1
    assert report.fft.positive.proportion == 0.5


def test_a_corrected_rating_moves_the_count(survey, no_suppression):
    response = respond(survey, rating="good")
    respond(survey, rating="very_good")
    assert figures(build(survey).fft.line) == {"positive": 2, "neither": 0, "negative": 0,
                                               "dont_know": 0, TOTAL: 2}
    ids = question_ids(survey)
    responses.correct_response(
        response_id=response.id, reason="Keyed wrongly: the sheet says poor",
        answers={ids["fft_rating"]: {"choice": "poor"}},
        corrected_by=create_user(role="admin", email="admin@nhs.test"), enforce_required=False)

    # Re-analysis rebuilt the day: 1 very good, 1 poor. Positive 1 of 2, negative 1 of 2.
    report = build(survey)
    assert figures(report.fft.line) == {"positive": 1, "neither": 0, "negative": 1,
                                        "dont_know": 0, TOTAL: 2}
    assert report.responses.value == 2  # moved, not added


# --- quotes and themes -------------------------------------------------------------------------


def test_quotes_need_ten_comments_in_the_group_and_never_include_safeguarding(survey):
    many(9, survey, good="Dr Patel was lovely and kind.")
    # The group is 9 comments, under QUOTE_MIN_GROUP (10): no quotes, but the count shows.
    report = build(survey)
    assert report.quotes == [] and report.quote_group.value == 9

    # A comment that may disclose risk goes to its reviewers: it is not quoted and not in
    # the group, which stays at 9.
    respond(survey, improve="Some days I want to end my life.")
    report = build(survey)
    assert report.quotes == [] and report.quote_group.value == 9

    respond(survey, good="Dr Patel was lovely and kind.")
    # Now 10: quotes appear, 6 at most, each redacted.
    report = build(survey)
    assert report.quote_group.value == 10
    assert [q.text for q in report.quotes] == ["Dr [NAME] was lovely and kind."] * 6
    assert all(q.themes == ("staff_attitude",) for q in report.quotes)
    assert report.high_risk_quotes == []  # nobody answered enough to be at high risk


def test_filters_narrow_both_the_themes_table_and_the_quotes(survey, app, monkeypatch,
                                                            no_suppression):
    # The size a group needs for quotes is a setting; 3 keeps this fixture small.
    monkeypatch.setitem(app.config, "QUOTE_MIN_GROUP", 3)
    # 3 web, rated poor: "The video kept freezing." → technical, negative.
    # 3 SMS, rated very good: "The nurse was lovely and kind." → staff attitude, positive.
    many(3, survey, rating="poor", improve="The video kept freezing.")
    many(3, survey, rating="very_good", good="The nurse was lovely and kind.", channel="sms")

    everything = build(survey)
    assert set(everything.themes.rows) == {"technical", "staff_attitude"}
    assert everything.themes.cell("technical", "negative").value == 3
    assert everything.themes.cell("staff_attitude", "positive").value == 3
    assert everything.quote_group.value == 6 and len(everything.quotes) == 6

    for quote_filter, theme, channel, rating in (
            ({"channel": "sms"}, "staff_attitude", "sms", "very_good"),
            ({"rating": "poor"}, "technical", "web", "poor"),
            ({"theme": "technical"}, "technical", "web", "poor")):
        report = build(survey, **quote_filter)
        assert report.themes.rows == (theme,), quote_filter
        assert report.themes.grand_total.value == 3
        assert report.quote_group.value == 3 and len(report.quotes) == 3
        assert all(q.channel == channel and q.fft_rating == rating and theme in q.themes
                   for q in report.quotes), quote_filter

    nothing = build(survey, channel="paper")
    assert nothing.themes.rows == () and nothing.quotes == []
    assert nothing.quote_group.value == 0


def test_themes_are_listed_by_shown_total_with_hidden_ones_last(survey):
    many(5, survey, improve="The app crashed every time.")  # access and technical, negative
    respond(survey, improve="I could not log in to the app.")  # access, neutral
    respond(survey, good="The nurse was lovely and kind.")  # staff attitude, positive

    report = build(survey)

    #                 positive  neutral  negative | total
    #   access            0        1*       5*    |   6*
    #   staff             1*       0        0     |   1*
    #   technical         0        0        5     |   5
    #   total             1*       1*      10*    |  12
    # Access's neutral 1 and staff's positive 1 are 1-4; protecting them hides access's 5,
    # its total 6 and the negative column's 10 as well. By true totals access (6) would come
    # first, above technical's shown 5, telling a reader it is at least 5: hidden rows go
    # last, in name order.
    assert report.themes.rows == ("technical", "access_login", "staff_attitude")
    assert {r: figures({"": report.themes.cell(r, None)})[""] for r in report.themes.rows} == {
        "technical": 5, "access_login": "*", "staff_attitude": "*"}
    assert derivable(report.themes) == []


# --- exclusion ---------------------------------------------------------------------------------


def test_barriers_leave_signals_out_and_helped_counts_who_needed_help(survey, no_suppression):
    # 2 web: no internet at home, a friend helped → no home internet; helped.
    many(2, survey, internet="no", helped_by="family_or_friend")
    # 1 assisted: no internet, always needs help online → both barriers; helped (assisted).
    respond(survey, channel="assisted", internet="no", needs_help="always")
    # 1 SMS: broadband, answered alone → only the SMS channel signal; not helped.
    respond(survey, channel="sms", internet="broadband", helped_by="no_one")

    report = build(survey)

    # Barriers: no home internet 2 + 1 = 3, always needs help 1. The signals (channel used,
    # being helped) are not barriers.
    assert [(code, domain, cell.value) for code, domain, cell in report.barriers] == [
        ("access.no_home_internet", "access", 3), ("skills.always_needs_help", "skills", 1)]
    assert figures({c: report.barriers_by_channel.cell("access.no_home_internet", c)
                    for c in reports.CHANNELS}) == {"web": 2, "sms": 0, "paper": 0,
                                                    "assisted": 1}
    # Helped: the 2 helped by a friend and the 1 entered with a volunteer; not the SMS one.
    assert report.helped.value == 3


def _recipients(survey, statuses, *, at=MID_OCTOBER):
    """A campaign with one recipient per status, all added at `at`."""
    rows = [campaigns.RecipientInput(phone=f"07700 900{n:03d}") for n in range(len(statuses))]
    campaign, added = campaigns.start_campaign(service=survey.service, name="October clinic",
                                               rows=rows, created_by=None)
    assert added.added == len(statuses)
    recipients = _db.session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id).order_by(CampaignRecipient.id)).all()
    for recipient, (status, skip_reason) in zip(recipients, statuses, strict=True):
        recipient.status, recipient.skip_reason, recipient.created_at = status, skip_reason, at
    _db.session.commit()
    return recipients


def _invitation(recipient, status):
    _db.session.add(SmsMessage(direction="out", recipient_id=recipient.id, kind="invitation",
                               phone_hash=recipient.phone_hash, status=status))


def _conversation(survey, recipient, status, position):
    conversation = Conversation(phone_hash=recipient.phone_hash, service_id=survey.service_id,
                                survey_version_id=survey.versions[0].id, locale="en",
                                status=status, position=position, expires_at=MID_OCTOBER)
    _db.session.add(conversation)
    _db.session.flush()
    recipient.conversation_id = conversation.id


def test_sms_reach_counts_where_each_invitation_got_to(survey, no_suppression):
    pending, sent_done, sent_stop, sent_lost, skipped, refused = _recipients(survey, [
        ("pending", None), ("sent", None), ("sent", None), ("sent", None),
        ("skipped", "opted_out"), ("failed", None)])
    _recipients(survey, [("sent", None)], at=datetime(2026, 9, 30, 12, 0))  # September's
    _invitation(sent_done, "delivered")
    _invitation(sent_stop, "delivered")
    _invitation(sent_lost, "undelivered")
    _invitation(refused, "failed")
    _conversation(survey, sent_done, "completed", 4)
    _conversation(survey, sent_stop, "stopped", 0)
    _db.session.commit()

    report = build(survey)

    # 6 added in October (September's is another period). Waiting 1; sent 3; skipped 1.
    # Delivered 2; failed = 1 undelivered + 1 failed = 2. Answered (got past the first
    # question) 1, completed 1; opted out = 1 STOP in a conversation + 1 skipped as opted out.
    assert figures(report.reach) == {
        "recipients": 6, "waiting": 1, "sent": 3, "delivered": 2, "failed": 2, "answered": 1,
        "completed": 1, "expired": 0, "opted_out": 2, "skipped": 1}


def test_a_hidden_reach_count_cannot_be_worked_out_from_the_recipients(survey):
    _recipients(survey, [("pending", None)] * 3 + [("sent", None)] * 5)

    report = build(survey)

    # Recipients 8 = waiting 3 + sent 5 + skipped 0 (+ refused 0). Waiting is 1-4; shown
    # beside 8 and 5 it would be 8 - 5 - 0 = 3, so sent hides with it.
    assert {name: figures(report.reach)[name] for name in (
        "recipients", "waiting", "sent", "skipped")} == {
        "recipients": 8, "waiting": "*", "sent": "*", "skipped": 0}


# --- rollups -----------------------------------------------------------------------------------


def _rollup_rows():
    return {model.__tablename__: sorted(
        tuple(getattr(row, c.key) for c in model.__table__.columns)
        for row in _db.session.scalars(select(model)))
        for model in (ResponseRollup, BarrierRollup, CommentRollup)}


def test_rebuilding_the_rollups_gives_the_report_the_incremental_refreshes_gave(survey):
    other = create_survey(service=create_service(slug="patient-portal", name="Patient portal"),
                          question_keys=QUESTIONS)
    many(5, survey, rating="very_good", good="The nurse was lovely and kind.",
         internet="broadband", needs_help="never", english="well")
    many(2, survey, rating="poor", improve="The video kept freezing.", channel="sms",
         internet="no", needs_help="always", at=datetime(2026, 10, 2, 8, 0))
    respond(survey, rating=SKIPPED, channel="sms", role="carer", at=datetime(2026, 9, 12, 8, 0))
    many(2, survey, rating="good", channel="assisted", role="staff", locale="cy",
         at=datetime(2026, 10, 31, 23, 30))
    respond(other, rating="neither")
    before, rows = build(survey), _rollup_rows()
    assert before.responses.value == 9  # 5 + 2 + 2 in October

    rollups.rebuild()
    assert _rollup_rows() == rows
    assert build(survey) == before

    # Analysing every response again, forced or not, replaces its results and rebuilds its
    # day: nothing is counted twice.
    for response_id in _db.session.scalars(select(Response.id)):
        analysis.analyse_response(response_id, force=True)
        analysis.analyse_response(response_id)
    assert _rollup_rows() == rows
    assert build(survey) == before

    rollups.refresh_day(survey.service_id, datetime(2026, 10, 14).date())
    rollups.refresh_day(survey.service_id, datetime(2026, 10, 14).date())
    _db.session.commit()
    assert build(survey) == before
