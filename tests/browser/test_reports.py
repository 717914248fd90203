"""Service leads' report pages in the browser, in English and Urdu, each checked with axe-core.

The reports read a service of their own, seeded with a month of responses from every channel
(some figures small enough to be hidden, comments enough to quote) and a little of this month
and last, so that every section, chart, quote and "needs attention" item has something in it.
"""

import itertools
from datetime import datetime, time, timedelta

import pyotp
import pytest

from feedback.analysis.periods import current_period, uk_date
from feedback.extensions import db
from feedback.models import Role, Service, utcnow
from feedback.services import responses
from feedback.services.surveys import create_service, create_survey
from tests.factories import create_user, question_ids

from .conftest import LANGUAGES, RTL_LANGUAGES, LiveServer, Site
from .test_staff_pages import sign_in_with_code

REPORT_SLUG = "online-booking-reports"
QUESTIONS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet",
    "needs_help_online", "english_confidence", "who_helped",
]
OCTOBER = "2026-10"
GOOD = "The nurse was lovely and kind."
FREEZING = "The video kept freezing and I couldn't log in to the app."
_numbers = itertools.count(1)


def _respond(survey, ids, *, at, rating="good", channel="web", role="patient", locale="en",
             good=None, improve=None, internet=None):
    answers = {ids["fft_rating"]: {"choice": rating}}
    if good:
        answers[ids["fft_what_was_good"]] = {"text": good}
    if improve:
        answers[ids["fft_what_could_improve"]] = {"text": improve}
    if internet:
        answers[ids["home_internet"]] = {"choice": internet}
        answers[ids["needs_help_online"]] = {"choice": "always" if internet == "no" else "never"}
        answers[ids["english_confidence"]] = {"choice": "very_well"}
    responses.submit(
        survey_version_id=survey.versions[0].id, channel=channel, respondent_role=role,
        locale=locale, answers=answers, enforce_required=False, submitted_at=at,
        assistance_mode="in_person" if channel == "assisted" else None)


@pytest.fixture(scope="module")
def report_service(live_server: LiveServer) -> int:
    """A service with October 2026 in full and a little of last month and this one."""
    with live_server.app.app_context():
        service = create_service(slug=REPORT_SLUG, name="Online booking", kind="online_booking",
                                 description={"en": "Booking appointments online."})
        survey = create_survey(service_id=service.id, name="Online booking 2026",
                               languages=list(LANGUAGES), question_keys=QUESTIONS)
        ids = question_ids(survey)
        october = datetime(2026, 10, 14, 10, 0)
        for _n in range(14):
            _respond(survey, ids, at=october, rating="very_good", good=GOOD, internet="broadband")
        for n in range(10):
            _respond(survey, ids, at=october, rating="poor", channel="sms", improve=FREEZING,
                     internet="no", locale="ur" if n < 6 else "en")
        for _n in range(6):
            _respond(survey, ids, at=october, rating="neither", channel="paper", role="carer",
                     improve=FREEZING, internet="no")
        for _n in range(3):  # small enough to be hidden
            _respond(survey, ids, at=october, rating="good", channel="assisted", role="staff")
        last_month = current_period("month", uk_date(utcnow())).previous()
        before = datetime.combine(last_month.start + timedelta(days=9), time(12))
        now = min(utcnow(), datetime.combine(uk_date(utcnow()), time(12)))
        for _n in range(6):
            _respond(survey, ids, at=before, rating="very_good", channel="paper")
            _respond(survey, ids, at=now, rating="good")
        return service.id


def new_lead(server: LiveServer, service_id: int) -> tuple[str, str]:
    email = f"report-lead-{next(_numbers)}@nhs.test"
    secret = pyotp.random_base32()
    with server.app.app_context():
        service = db.session.get(Service, service_id)
        create_user(email=email, name="Rhian Reports", role=Role.SERVICE_LEAD,
                    totp_secret=secret, services=[service])
    return email, secret


def report_path(service_id: int, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/reports/services/{service_id}" + (f"?{query}" if query else "")


def check_direction(site: Site, lang: str) -> None:
    assert site.html_lang_and_dir() == (lang, "rtl" if lang in RTL_LANGUAGES else "ltr")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_every_report_page_passes_axe(site, live_server, report_service, lang):
    sign_in_with_code(site, *new_lead(live_server, report_service))
    page = site.page

    site.goto(f"/reports/?lang={lang}")
    check_direction(site, lang)
    assert page.locator("tbody tr").count() == 1
    # Paper reached people last month and nobody this month (so may others, if last month
    # is October 2026).
    assert page.locator(f"#attention-{report_service} li").count() >= 1

    site.navigates(lambda: page.click(f"tbody a[href='/reports/services/{report_service}']"))
    check_direction(site, lang)
    assert page.locator("svg.app-chart__image").count() == 3

    for kind in ("week", "quarter", "month"):
        site.goto(report_path(report_service, kind=kind))
        check_direction(site, lang)
        selected = page.locator("select#period").input_value()
        assert current_period(kind, uk_date(utcnow())).previous().slug == selected

    site.goto(report_path(report_service, period=OCTOBER))
    assert page.locator("#quote-list .app-quote").count() == 6
    assert page.locator("#high-risk-quote-list .app-quote").count() >= 1
    assert page.locator("#by-channel td").filter(has_text="*").count() >= 1

    # The quote filter, used as a person would: choose, then press the button.
    page.select_option("select#channel", "sms")
    page.select_option("select#rating", "poor")
    site.navigates(lambda: page.click(".app-quote-filter button"))
    assert "channel=sms" in page.url and "period=2026-10" in page.url
    quotes = page.locator("#quote-list .app-quote")
    assert quotes.count() == 6
    assert set(quotes.all_inner_texts()) == {FREEZING}

    site.goto(report_path(report_service, period=OCTOBER, theme="technical"))
    assert page.locator("#quote-list .app-quote").count() >= 1

    site.goto(report_path(report_service, period=OCTOBER, channel="pigeon"))
    assert page.locator(".nhsuk-error-summary").count() == 1

    site.goto(report_path(report_service, period="2026-13"))
    check_direction(site, lang)
    assert page.locator("h1").count() == 1


def test_the_period_picker_works_without_javascript(site_without_js, live_server,
                                                      report_service):
    site = site_without_js
    sign_in_with_code(site, *new_lead(live_server, report_service))
    page = site.page
    site.goto(report_path(report_service, kind="quarter"))
    chosen = page.locator("select#period option").nth(1).get_attribute("value")
    page.select_option("select#period", chosen)
    site.navigates(lambda: page.click(".app-period-picker button"))
    assert f"period={chosen}" in page.url
    assert page.locator("select#period").input_value() == chosen
    # From quarters to weeks by the links above the list.
    site.navigates(lambda: page.click(".app-period-picker__kinds a[href*='kind=week']"))
    assert "-W" in page.locator("select#period").input_value()


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_report_fits_a_phone_screen(site, live_server, report_service, lang):
    """At 320 CSS pixels (WCAG 1.4.10) the page itself never scrolls sideways: wide charts and
    tables scroll inside their own boxes, which the keyboard can reach."""
    site.page.set_viewport_size({"width": 320, "height": 640})
    sign_in_with_code(site, *new_lead(live_server, report_service))
    for path in ("/reports/", report_path(report_service, period=OCTOBER)):
        site.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        overflow = site.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, path
