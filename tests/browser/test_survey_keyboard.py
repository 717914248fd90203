"""The whole web survey, completed with the keyboard alone, in every shipped language."""

import pytest

from .conftest import LANGUAGES, RTL_LANGUAGES

# Something typed into each free-text box, in the language being tested.
TYPED = {
    "en": ("The nurse explained everything clearly.", "The video froze twice."),
    "cy": ("Esboniodd y nyrs bopeth yn glir.", "Rhewodd y fideo ddwywaith."),
    "pl": ("Pielęgniarka wszystko jasno wyjaśniła.", "Obraz zawiesił się dwa razy."),
    "ro": ("Asistenta a explicat totul clar.", "Imaginea s-a blocat de două ori."),
    "ur": ("نرس نے سب کچھ واضح طور پر سمجھایا۔", "ویڈیو دو بار رک گئی۔"),
}

RADIO_GEOMETRY = """
() => [...document.querySelectorAll(".nhsuk-radios__item")].map(item => {
    const input = item.querySelector("input").getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(item.querySelector("label"));
    const text = range.getBoundingClientRect();
    return {input: [input.left, input.right], text: [text.left, text.right]};
})
"""


def _assert_language(site, lang: str) -> None:
    expected_dir = "rtl" if lang in RTL_LANGUAGES else "ltr"
    assert site.html_lang_and_dir() == (lang, expected_dir), site.page.url


def _assert_radios_on_the_reading_side(site, lang: str) -> None:
    """Radio before its label in reading order: left of it in LTR, right of it in RTL."""
    for item in site.page.evaluate(RADIO_GEOMETRY):
        (input_left, input_right), (text_left, text_right) = item["input"], item["text"]
        if lang in RTL_LANGUAGES:
            assert input_left >= text_right, f"radio not mirrored on {site.page.url}: {item}"
        else:
            assert input_right <= text_left, f"radio on the wrong side on {site.page.url}: {item}"


def _heading(site) -> str:
    return site.page.locator("h1").first.inner_text().strip()


def _checked(site) -> list[str]:
    return site.page.eval_on_selector_all(
        "input[name=answer]:checked, input[name=role]:checked", "els => els.map(e => e.value)"
    )


def _continue(site, lang: str) -> None:
    site.tab_to("form button[type=submit]")
    site.press_to_next_page("Enter")
    _assert_language(site, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_survey_keyboard_only(site, live_server, lang):
    keyboard = site.page.keyboard
    before = live_server.response_ids()
    slug = live_server.slug

    site.goto(f"/?lang={lang}")
    _assert_language(site, lang)
    site.tab_to(f'a[href="/s/{slug}"]')
    site.press_to_next_page("Enter")
    assert site.path == f"/s/{slug}"
    _assert_language(site, lang)
    assert _heading(site)

    # Start now
    _continue(site, lang)
    assert site.path == f"/s/{slug}/who-is-answering"

    # Who is answering: the first radio takes focus, Space chooses it.
    site.tab_to("input[name=role]")
    keyboard.press("Space")
    assert _checked(site) == ["patient"]
    _assert_radios_on_the_reading_side(site, lang)
    _continue(site, lang)

    # 1. FFT rating (radios): arrow keys move the choice.
    assert site.path == f"/s/{slug}/questions/1"
    assert _heading(site)
    site.tab_to("input[name=answer]")
    keyboard.press("ArrowDown")
    keyboard.press("ArrowDown")
    keyboard.press("ArrowUp")
    assert _checked(site) == ["good"]
    _assert_radios_on_the_reading_side(site, lang)
    _continue(site, lang)

    # 2. and 3. Free text, the second over two lines.
    good, better = TYPED[lang]
    assert site.path == f"/s/{slug}/questions/2"
    site.tab_to("textarea[name=answer]")
    keyboard.type(good)
    _continue(site, lang)
    assert site.path == f"/s/{slug}/questions/3"
    site.tab_to("textarea[name=answer]")
    keyboard.type(better)
    keyboard.press("Enter")
    keyboard.type("2026")
    _continue(site, lang)

    # 4. Checkboxes: Space on the first and the third.
    assert site.path == f"/s/{slug}/questions/4"
    site.tab_to("input[name=answer]")
    keyboard.press("Space")
    keyboard.press("Tab")
    keyboard.press("Tab")
    keyboard.press("Space")
    assert _checked(site) == ["smartphone", "computer"]
    _continue(site, lang)

    # 5. and 6. Single choices (radios).
    assert site.path == f"/s/{slug}/questions/5"
    site.tab_to("input[name=answer]")
    keyboard.press("Space")
    keyboard.press("ArrowDown")
    assert _checked(site) == ["sometimes"]
    _continue(site, lang)
    assert site.path == f"/s/{slug}/questions/6"
    site.tab_to("input[name=answer]")
    for _ in range(3):
        keyboard.press("ArrowDown")
    keyboard.press("ArrowUp")
    assert _checked(site) == ["25_34"]
    _assert_radios_on_the_reading_side(site, lang)
    _continue(site, lang)

    # Check your answers, then send.
    assert site.path == f"/s/{slug}/check-your-answers"
    assert _heading(site)
    assert site.page.locator(".nhsuk-summary-list__row").count() == 1 + 6
    _continue(site, lang)
    assert site.path == f"/s/{slug}/done"
    assert site.page.locator("h1").count() == 1

    stored = live_server.responses_since(before)
    assert len(stored) == 1
    assert stored[0]["channel"] == "web"
    assert stored[0]["locale"] == lang
    assert stored[0]["role"] == "patient"
    assert stored[0]["answers"] == {
        "fft_rating": "good",
        "fft_what_was_good": good,
        "fft_what_could_improve": f"{better}\n2026",
        "own_device": ["smartphone", "computer"],
        "needs_help_online": "sometimes",
        "age_band": "25_34",
    }
