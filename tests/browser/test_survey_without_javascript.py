"""The web survey works with JavaScript turned off."""

import pytest

from .conftest import CLICKED_ANSWERS, answer_survey_by_clicking


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_survey_is_sent_when_javascript_is_off(site_without_js, live_server, lang):
    site = site_without_js
    before = live_server.response_ids()

    answer_survey_by_clicking(site, lang)
    assert site.page.locator("html.js-enabled").count() == 0
    assert site.page.locator(".nhsuk-summary-list__row").count() == 1 + len(CLICKED_ANSWERS)
    site.navigates(lambda: site.page.click("form button[type=submit]"))
    assert site.path == f"/s/{live_server.slug}/done"

    stored = live_server.responses_since(before)
    assert len(stored) == 1
    assert (stored[0]["channel"], stored[0]["locale"]) == ("web", lang)
    assert stored[0]["answers"] == CLICKED_ANSWERS


def test_error_summary_shows_when_javascript_is_off(site_without_js, live_server):
    site = site_without_js
    site.goto(f"/s/{live_server.slug}?lang=cy")
    site.navigates(lambda: site.page.click("form button[type=submit]"))
    site.page.click('label[for="role"]')
    site.navigates(lambda: site.page.click("form button[type=submit]"))
    site.navigates(lambda: site.page.click("form button[type=submit]"))
    assert site.page.locator(".nhsuk-error-summary a[href='#answer']").is_visible()
