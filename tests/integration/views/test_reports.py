"""Service leads' pages: the overview of their services and each service's report.

Responses go in through `responses.submit`, are analysed in-process after their commit and reach
the pages through the rollups, as in production. The numbers themselves are checked against
hand-computed fixtures in tests/integration/services/test_reports.py; these tests check what
the pages show of them: who may see what, periods, filters, quotes, suppression and direction.
"""

from datetime import datetime, time, timedelta

import pytest

from feedback.analysis.periods import current_period, parse_period, uk_date
from feedback.extensions import db as _db
from feedback.models import Campaign, CampaignRecipient, SmsMessage, utcnow
from feedback.services import responses
from tests.conftest import sign_in_as
from tests.factories import create_service, create_survey, create_user, question_ids

QUESTIONS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet",
    "needs_help_online", "english_confidence", "who_helped",
]
OCTOBER = "2026-10"
MID_OCTOBER = datetime(2026, 10, 14, 10, 0)  # naive UTC, as the database keeps it
GOOD = "The nurse was lovely and kind."
BAD = "Waited two hours and nobody called back."
FREEZING = "The video kept freezing and I couldn't log in to the app."


@pytest.fixture
def survey(db):
    return create_survey(question_keys=QUESTIONS)


@pytest.fixture
def lead(client, survey):
    user = create_user(email="lead@nhs.test", services=[survey.service])
    sign_in_as(client, user)
    return user


def respond(survey, *, rating="good", good=None, improve=None, channel="web", role="patient",
            locale="en", at=MID_OCTOBER, internet=None):
    ids = question_ids(survey)
    answers = {ids["fft_rating"]: {"choice": rating}}
    for key, text in (("fft_what_was_good", good), ("fft_what_could_improve", improve)):
        if text is not None:
            answers[ids[key]] = {"text": text}
    if internet is not None:
        answers[ids["home_internet"]] = {"choice": internet}
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel=channel, respondent_role=role,
        locale=locale, answers=answers, enforce_required=False, submitted_at=at,
        assistance_mode="in_person" if channel == "assisted" else None)


def many(count, survey, **kwargs):
    for _ in range(count):
        respond(survey, **kwargs)


def report(client, page, survey, status=200, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return page(client.get(f"/reports/services/{survey.service.id}?{query}"), status)


def row(table, header: str) -> list[str]:
    """The cells of the row whose heading is header, as a reader sees them."""
    for tr in table.select("tbody tr"):
        if tr.th.get_text(strip=True) == header:
            return [td.get_text(" ", strip=True) for td in tr.select("td")]
    raise AssertionError(f"no row {header!r} in {table.get('id')}")


def shown(td) -> str:
    """A cell's figure as the eye sees it: visually hidden explanations left out."""
    seen = [text.strip() for text in td.find_all(string=True)
            if "nhsuk-u-visually-hidden" not in (text.parent.get("class") or [])]
    return " ".join(text for text in seen if text)


def this_month_noon() -> datetime:
    """Now, or noon today UTC if that is earlier: a moment in this UK month, never the future."""
    return min(utcnow(), datetime.combine(uk_date(utcnow()), time(12)))


def last_month_noon() -> datetime:
    last = current_period("month", uk_date(utcnow())).previous()
    return datetime.combine(last.start + timedelta(days=9), time(12))


# --- who may see what ---------------------------------------------------------------------------


def test_a_lead_sees_only_their_services_and_an_admin_sees_all(client, page, db):
    mine = create_service(slug="mine", name="Mine")
    create_service(slug="theirs", name="Theirs")
    sign_in_as(client, create_user(email="lead@nhs.test", services=[mine]))
    overview = page(client.get("/reports/"))
    names = [th.get_text(strip=True) for th in overview.select("tbody th")]
    assert names == ["Mine"]
    assert overview.select_one(f"a[href='/reports/services/{mine.id}']")

    sign_in_as(client, create_user(email="admin@nhs.test", role="admin"))
    names = [th.get_text(strip=True) for th in page(client.get("/reports/")).select("tbody th")]
    assert names == ["Mine", "Theirs"]


def test_a_report_on_another_leads_service_is_forbidden_and_an_unknown_one_missing(
        client, db):
    mine = create_service(slug="mine", name="Mine")
    theirs = create_service(slug="theirs", name="Theirs")
    sign_in_as(client, create_user(email="lead@nhs.test", services=[mine]))
    assert client.get(f"/reports/services/{mine.id}?period={OCTOBER}").status_code == 200
    assert client.get(f"/reports/services/{theirs.id}?period={OCTOBER}").status_code == 403
    assert client.get(f"/reports/services/{theirs.id}?period=nonsense").status_code == 403
    assert client.get("/reports/services/999999").status_code == 404


def test_a_lead_with_no_services_is_told_to_ask_an_administrator(client, page, db):
    sign_in_as(client, create_user(email="lead@nhs.test"))
    assert "No services have been assigned to you yet" in page(client.get("/reports/")).text


# --- periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    {"period": "2026-13"}, {"period": "2026-W54"}, {"period": "last-month"},
    {"period": "2026-Q5"}, {"kind": "year"},
])
def test_a_period_that_does_not_exist_is_a_page_not_found_that_says_so(
        client, page, survey, lead, args):
    found = report(client, page, survey, 404, **args)
    assert found.h1.get_text(strip=True) == "There is no report for that period"
    assert "whole weeks, months and quarters" in found.text
    assert found.select_one(f"a[href='/reports/services/{survey.service.id}']")


def test_a_period_that_has_not_ended_is_not_found_either(client, page, survey, lead):
    today = uk_date(utcnow())
    for kind in ("week", "month", "quarter"):
        found = report(client, page, survey, 404, period=current_period(kind, today).slug)
        assert "is not a week, month or quarter that has ended" in found.text
    assert client.get(f"/reports/services/{survey.service.id}?period=2999-01").status_code == 404


def test_the_missing_period_page_is_in_the_readers_language(client, page, survey, lead):
    found = report(client, page, survey, 404, period="2026-13", lang="ur")
    assert (found.html["lang"], found.html["dir"]) == ("ur", "rtl")


def test_the_report_opens_on_the_last_whole_month(client, page, survey, lead):
    last_month = current_period("month", uk_date(utcnow())).previous()
    shown_page = report(client, page, survey)
    assert last_month.label("en") in shown_page.h1.get_text()
    chosen = shown_page.select_one("select#period option[selected]")
    assert chosen["value"] == last_month.slug
    options = [o["value"] for o in shown_page.select("select#period option")]
    assert len(options) == 12 and options[0] == last_month.slug


@pytest.mark.parametrize("kind, count", [("week", 12), ("month", 12), ("quarter", 8)])
def test_each_kind_of_period_offers_its_recent_whole_periods(
        client, page, survey, lead, kind, count):
    today = uk_date(utcnow())
    latest = current_period(kind, today).previous()
    shown_page = report(client, page, survey, kind=kind)
    options = [o["value"] for o in shown_page.select("select#period option")]
    assert len(options) == count
    assert options[0] == latest.slug
    assert shown_page.select_one("select#period option[selected]")["value"] == latest.slug
    assert latest.label("en") in shown_page.h1.get_text()
    # The kind shown is marked; the others are links that keep nothing but the kind.
    current = shown_page.select_one(".app-period-picker [aria-current]")
    assert current.get_text(strip=True) == {"week": "Weeks", "month": "Months",
                                            "quarter": "Quarters"}[kind]


def test_an_older_period_named_in_the_address_is_shown_and_offered(client, page, survey, lead):
    shown_page = report(client, page, survey, period="2024-Q1")
    assert parse_period("2024-Q1").label("en") in shown_page.h1.get_text()  # January–March
    assert shown_page.select_one("select#period option[selected]")["value"] == "2024-Q1"


def test_a_week_report_counts_only_that_weeks_responses(client, page, survey, lead):
    many(6, survey, at=datetime(2026, 10, 14, 10, 0))  # Wednesday of ISO week 42
    many(7, survey, at=datetime(2026, 10, 21, 10, 0))  # week 43
    week = report(client, page, survey, period="2026-W42")
    assert row(week.select_one("#by-channel"), "Total") == ["6"]
    month = report(client, page, survey, period=OCTOBER)
    assert row(month.select_one("#by-channel"), "Total") == ["13"]


# --- figures ------------------------------------------------------------------------------------


def test_the_fft_figures_show_shares_with_intervals_and_the_number_beside_them(
        client, page, survey, lead):
    many(15, survey, rating="very_good")
    many(3, survey, rating="poor")
    many(2, survey, rating="dont_know")
    respond(survey, rating="good", at=datetime(2026, 9, 10, 10, 0))

    fft = report(client, page, survey, period=OCTOBER).select_one("#fft-table")
    # 15 positive of 20 rated (Don't know counted) = 75%; Wilson 95%: 53.1% to 88.8%.
    # Negative 3 is hidden, so its share is too; rated 20 and no rating 0 beside them.
    cells = fft.select("tbody tr")[0].select("td")
    assert shown(cells[0]) == "75% (53% to 89%)"
    assert shown(cells[1]) == "–"
    assert [shown(td) for td in cells[2:]] == ["20", "0"]
    # September: 1 rating, hidden; so is its share. All services: this service alone.
    assert "September 2026" in fft.select("tbody th")[1].text
    assert [shown(td) for td in fft.select("tbody tr")[1].select("td")] == ["–", "–", "*", "0"]
    assert [shown(td) for td in fft.select("tbody tr")[2].select("td")][0] == \
        "75% (53% to 89%)"


def test_a_count_of_three_is_a_star_that_says_what_it_means(client, page, survey, lead):
    many(12, survey)
    many(3, survey, channel="sms")

    shown_page = report(client, page, survey, period=OCTOBER)

    channels = shown_page.select_one("#by-channel")
    sms = channels.find("th", string="Text message").find_next_sibling("td")
    assert shown(sms) == "*"
    assert sms.select_one("[aria-hidden=true]").text == "*"
    assert sms.select_one(".nhsuk-u-visually-hidden").text == "not shown: fewer than 5"
    # Shown alone, 15 - 12 - 0 - 0 would give it back: another figure is hidden with it.
    hidden = [td for td in channels.select("td") if shown(td) == "*"]
    assert len(hidden) >= 2
    secondary = [td.select_one(".nhsuk-u-visually-hidden").text for td in hidden]
    assert "not shown, so that a hidden number cannot be worked out" in secondary
    assert "3" not in [shown(td) for td in channels.select("td")]
    assert "* means a number from 1 to 4" in shown_page.select_one(".app-report-key").text


def test_every_star_on_the_report_has_an_explanation(client, page, survey, lead):
    many(7, survey, good=GOOD, internet="no")
    many(3, survey, rating="poor", channel="sms", improve=BAD, internet="no")
    many(2, survey, rating="neither", channel="paper", role="carer", locale="cy")

    shown_page = report(client, page, survey, period=OCTOBER)

    stars = [mark for mark in shown_page.select("main [aria-hidden=true]") if mark.text == "*"]
    assert stars
    for mark in stars:
        explanation = mark.find_next_sibling("span", class_="nhsuk-u-visually-hidden")
        assert explanation is not None and explanation.text.startswith("not shown")


def test_a_barrier_hidden_in_one_channel_is_not_given_away_by_its_total(
        client, page, survey, lead):
    many(6, survey, internet="no")
    many(3, survey, internet="no", channel="sms")

    barriers = report(client, page, survey, period=OCTOBER).select_one("#barriers-table")
    cells = row(barriers, "No internet at home")
    total, by_channel = cells[1], cells[2:]
    # Total 9 beside web 6 and SMS "*" would give the 3 back.
    if total != "*":
        assert "6" not in by_channel and by_channel[1].startswith("*")


def test_the_report_keeps_its_links_to_the_survey_and_text_message_campaigns(
        client, page, survey, lead):
    shown_page = report(client, page, survey, period=OCTOBER)
    assert shown_page.select_one(f"a[href='/s/{survey.service.slug}']")
    assert shown_page.select_one(f"a[href='/reports/services/{survey.service.id}/campaigns']")
    assert "Text message campaigns" in shown_page.text
    # Every section is in the contents, and every contents link goes somewhere.
    for link in shown_page.select(".app-report-contents a"):
        assert shown_page.select_one(link["href"]), link["href"]
    sections = [h2["id"] for h2 in shown_page.select("main section > h2")]
    contents = [a["href"][1:] for a in shown_page.select(".app-report-contents a")]
    assert sections[:len(contents)] == contents


# --- comments and quotes ------------------------------------------------------------------------


def test_comments_are_quoted_only_from_a_group_of_at_least_ten(client, page, survey, lead):
    many(9, survey, rating="poor", improve=FREEZING)

    nine = report(client, page, survey, period=OCTOBER)
    assert nine.select(".app-quote") == []
    assert "fewer than 10 people wrote comments that match" in nine.select_one("#quote-list").text

    respond(survey, rating="poor", improve=FREEZING)
    ten = report(client, page, survey, period=OCTOBER)
    quotes = ten.select("#quote-list .app-quote")
    assert 1 <= len(quotes) <= 6
    assert FREEZING in quotes[0].text


def test_the_group_for_quotes_counts_people_not_comments(client, page, survey, lead):
    # Five people, two comments each: ten comments, but only five people could be pointed at.
    many(5, survey, rating="poor", good=GOOD, improve=FREEZING)
    five = report(client, page, survey, period=OCTOBER)
    assert five.select(".app-quote") == []
    many(5, survey, rating="poor", good=GOOD, improve=FREEZING)
    assert report(client, page, survey, period=OCTOBER).select(".app-quote")


def test_quote_filters_narrow_the_quotes_and_the_themes(client, page, survey, lead):
    many(10, survey, rating="very_good", good=GOOD)
    many(10, survey, rating="poor", channel="sms", improve=FREEZING)

    every = report(client, page, survey, period=OCTOBER)
    assert every.select_one("#themes-table")

    by_sms = report(client, page, survey, period=OCTOBER, channel="sms")
    quotes = [q.text.strip() for q in by_sms.select("#quote-list .app-quote")]
    assert quotes and set(quotes) == {FREEZING}
    about = by_sms.select_one("#quote-list .app-quote__about").text
    assert "Text message" in about and "Poor" in about
    assert by_sms.select_one("select#channel option[selected]")["value"] == "sms"
    # The period picker keeps the filter when the period changes.
    assert by_sms.select_one(".app-period-picker input[name=channel]")["value"] == "sms"

    themes = [th.text for th in by_sms.select("#themes-table tbody th")]
    assert "Connection and technical problems" in themes

    by_rating = report(client, page, survey, period=OCTOBER, rating="very_good")
    quotes = {q.text.strip() for q in by_rating.select("#quote-list .app-quote")}
    assert quotes == {GOOD}

    by_theme = report(client, page, survey, period=OCTOBER, theme="technical")
    quotes = {q.text.strip() for q in by_theme.select("#quote-list .app-quote")}
    assert quotes == {FREEZING}
    assert by_theme.select_one("select#theme option[selected]")["value"] == "technical"


def test_a_filter_that_is_not_on_the_list_is_an_error_on_that_field(client, page, survey, lead):
    shown_page = report(client, page, survey, 400, period=OCTOBER, channel="pigeon",
                        theme="gossip")
    summary = shown_page.select_one(".nhsuk-error-summary")
    assert [a["href"] for a in summary.select("a")] == ["#theme", "#channel"]
    assert "Choose a way of answering from the list" in summary.text
    # The report itself still shows, unfiltered.
    assert shown_page.select_one("#fft-table")


# --- right to left ------------------------------------------------------------------------------


def test_the_urdu_report_runs_right_to_left_charts_included(client, page, survey, lead):
    many(6, survey, good=GOOD)
    shown_page = report(client, page, survey, period=OCTOBER, lang="ur")
    assert (shown_page.html["lang"], shown_page.html["dir"]) == ("ur", "rtl")
    charts = shown_page.select("svg.app-chart__image")
    assert len(charts) == 3
    assert {svg["direction"] for svg in charts} == {"rtl"}
    assert "app-rtl.css" in shown_page.select_one("link[rel=stylesheet]")["href"]


# --- the overview -------------------------------------------------------------------------------


def overview_row(page, client, service_name: str) -> list[str]:
    table = page(client.get("/reports/")).select_one("table")
    for tr in table.select("tbody tr"):
        if tr.th.get_text(strip=True) == service_name:
            return [shown(td) for td in tr.select("td")]
    raise AssertionError(service_name)


def test_the_overview_shows_this_month_so_far_and_the_change_from_last_month(
        client, page, survey, lead):
    many(15, survey, rating="very_good", at=last_month_noon())
    many(5, survey, rating="poor", at=last_month_noon())
    many(5, survey, rating="good", at=this_month_noon())
    many(5, survey, rating="very_poor", at=this_month_noon())

    cells = overview_row(page, client, survey.service.name)

    # This month: 10 responses, 5 positive of 10 = 50% (Wilson 24% to 76%). Last month 15 of
    # 20 = 75%: down 25 points.
    assert cells[0] == "10"
    assert cells[1] == "50% (24% to 76%)"
    assert cells[2] == "down 25 percentage points"


def test_the_change_is_blank_when_last_months_share_is_hidden(client, page, survey, lead):
    many(3, survey, rating="very_good", at=last_month_noon())
    many(6, survey, rating="good", at=this_month_noon())
    cells = overview_row(page, client, survey.service.name)
    assert cells[0] == "6"
    assert cells[1].startswith("100%")
    assert cells[2] == "–"


def test_small_numbers_are_hidden_on_the_overview(client, page, survey, lead):
    many(3, survey, rating="good", at=this_month_noon(), internet="no")
    cells = overview_row(page, client, survey.service.name)
    assert cells[0] == "*" and cells[1] == "–" and cells[3] == "–"


def test_a_channel_that_stopped_reaching_people_needs_attention(client, page, survey, lead):
    many(5, survey, channel="paper", at=last_month_noon())
    many(5, survey, channel="web", at=last_month_noon())
    many(5, survey, channel="web", at=this_month_noon())

    overview = page(client.get("/reports/"))
    section = overview.select_one(f"#attention-{survey.service.id}")
    items = [li.get_text(" ", strip=True) for li in section.select("li")]
    assert len(items) == 1
    assert "A way of answering stopped reaching people" in items[0]
    assert "Paper: no responses so far this month, after 5 last month" in items[0]
    link = overview.select_one(f"tbody a[href='#attention-{survey.service.id}']")
    assert "1 thing" in link.text


def test_a_rise_in_negative_comments_needs_attention(client, page, survey, lead):
    many(10, survey, rating="very_good", good=GOOD, at=last_month_noon())
    many(5, survey, rating="poor", improve=BAD, at=this_month_noon())
    many(5, survey, rating="good", good=GOOD, at=this_month_noon())

    section = page(client.get("/reports/")).select_one(f"#attention-{survey.service.id}")
    text = section.get_text(" ", strip=True)
    assert "More comments were negative than last month" in text
    # 5 negative of 10 this month; none of 10 last month.
    assert "50% of comments so far this month were negative, against 0% last month" in text


def test_sms_invitations_mostly_failing_need_attention(client, page, survey, lead):
    campaign = Campaign(service_id=survey.service.id, survey_id=survey.id, name="Clinic")
    _db.session.add(campaign)
    for n in range(8):
        recipient = CampaignRecipient(campaign=campaign, phone_hash=f"hash-{n}", locale="en",
                                      status="sent")
        _db.session.add(recipient)
        _db.session.flush()
        _db.session.add(SmsMessage(direction="out", recipient_id=recipient.id,
                                   phone_hash=recipient.phone_hash, kind="invitation",
                                   status="failed" if n < 6 else "delivered"))
    _db.session.commit()

    section = page(client.get("/reports/")).select_one(f"#attention-{survey.service.id}")
    text = section.get_text(" ", strip=True)
    assert "Most text message invitations could not be delivered" in text
    assert "6 of 8 invitations sent this month could not be delivered" in text


def test_nothing_needs_attention_when_all_is_well(client, page, survey, lead):
    many(6, survey, at=this_month_noon())
    overview = page(client.get("/reports/"))
    assert "Nothing needs your attention this month." in overview.text
    assert overview_row(page, client, survey.service.name)[-1] == "Nothing"
