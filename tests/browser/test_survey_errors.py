"""Errors in the web survey: the summary, where focus goes, and getting back on track."""

import pytest

from .conftest import LANGUAGES

IN_ERROR_SUMMARY = "() => !!document.activeElement.closest('.nhsuk-error-summary')"


def _continue_without_answering_the_fft_question(site, lang: str) -> None:
    slug = site.server.slug
    site.goto(f"/s/{slug}?lang={lang}")
    site.tab_to("form button[type=submit]")
    site.press_to_next_page("Enter")
    site.tab_to("input[name=role]")
    site.page.keyboard.press("Space")
    site.tab_to("form button[type=submit]")
    site.press_to_next_page("Enter")
    assert site.path == f"/s/{slug}/questions/1"
    # Straight past the radios to Continue.
    site.tab_to("form button[type=submit]")
    with site.page.expect_response(lambda r: r.request.method == "POST") as posted:
        site.press_to_next_page("Enter")
    assert posted.value.status == 400
    assert site.path == f"/s/{slug}/questions/1"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_summary_link_moves_focus_to_the_field_when_fft_question_is_not_answered(
    site, live_server, lang
):
    before = live_server.response_ids()
    _continue_without_answering_the_fft_question(site, lang)  # axe has checked the error page

    summary = site.page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    links = summary.locator("a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "#answer"
    assert site.page.locator(".nhsuk-form-group--error #answer-error").is_visible()
    assert site.page.title() != ""

    site.tab_to(".nhsuk-error-summary a")
    site.page.keyboard.press("Enter")
    assert site.is_focused("input#answer[name=answer][type=radio]"), site.focused()

    # From there the keyboard user can answer and carry on.
    site.page.keyboard.press("Space")
    site.tab_to("form button[type=submit]")
    site.press_to_next_page("Enter")
    assert site.path == f"/s/{live_server.slug}/questions/2"
    assert site.page.locator(".nhsuk-error-summary").count() == 0
    assert live_server.response_ids() == before


def test_error_summary_takes_focus_when_fft_question_is_not_answered(site):
    _continue_without_answering_the_fft_question(site, "en")
    assert site.page.evaluate(IN_ERROR_SUMMARY), site.focused()
