"""The pages around the survey, in every language, and the language switcher."""

import pytest

from .conftest import CLOSED_SLUG, LANGUAGES, RTL_LANGUAGES, run_axe


@pytest.mark.parametrize("lang", LANGUAGES)
def test_information_and_error_pages_pass_axe_in_every_language(site, lang):
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    # ?lang= is remembered, so the pages after the first are in it too.
    for path, status in [
        (f"/privacy?lang={lang}", 200),
        ("/accessibility", 200),
        (f"/s/{CLOSED_SLUG}", 410),
        ("/s/no-such-service", 404),
    ]:
        with site.page.expect_response(lambda r: r.request.resource_type == "document") as got:
            site.goto(path)
        assert got.value.status == status, path
        assert site.html_lang_and_dir() == (lang, direction), path
        assert site.page.locator("h1").count() == 1, path


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_language_switcher_changes_language_when_chosen_by_keyboard(site, lang):
    site.goto("/?lang=en")
    site.tab_to(f'nav a[hreflang="{lang}"]')
    site.press_to_next_page("Enter")
    assert site.html_lang_and_dir()[0] == lang
    site.tab_to('nav a[hreflang="en"]')
    site.press_to_next_page("Enter")
    assert site.html_lang_and_dir() == ("en", "ltr")


def test_header_link_name_contains_its_visible_text(site):
    site.goto("/")
    found = [v for v in run_axe(site.page) if v["id"] == "label-content-name-mismatch"]
    assert not found, found
