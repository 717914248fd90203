"""Keying paper forms in the browser: the keyboard-first entry screen, blind checks, and
resolving a disagreement; and the same screen with JavaScript off.

With JavaScript (app.js, `[data-keyed-entry]`) a volunteer types the reference and presses
Enter, then one number per answer: it picks that numbered answer and moves on. 0 or B is
Blank, U is Unreadable; a written answer is typed and left with Tab. Without JavaScript the
same form works with Tab, the arrow keys and Space.
"""

import itertools
import time
from dataclasses import dataclass, field
from datetime import date

from feedback.extensions import db
from feedback.models import Disagreement, PaperBatch, Response, Role, Service, User
from feedback.services import paper
from tests.factories import create_user

from .conftest import QUESTION_KEYS, SURVEY_SLUG, LiveServer, Site
from .test_staff_pages import new_staff, sign_in, type_into

_numbers = itertools.count(1)
FREE_TEXT = {"fft_what_was_good", "fft_what_could_improve"}
MULTIPLE = {"own_device"}
# The numbers printed beside each answer on the sheet (and on the entry screen).
ROLE_KEY = {"patient": "1", "carer": "2", "staff": "3"}
OPTION_KEYS = {
    "fft_rating": ["very_good", "good", "neither", "poor", "very_poor", "dont_know"],
    "own_device": ["smartphone", "tablet", "computer", "basic_phone", "none"],
    "needs_help_online": ["never", "sometimes", "always", "do_not_use"],
    "age_band": ["under_16", "16_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus",
                 "prefer_not_to_say"],
}
SPECIAL_KEYS = {"blank": "0", "unreadable": "u"}


@dataclass
class Sheet:
    """A paper sheet as marked: {bank key: value}, a list for ticks, "" for an empty box,
    "blank"/"unreadable" for a choice question left blank or marked illegibly. `keys` says
    which key picks a special answer (B works as well as 0 for Blank)."""

    role: str
    answers: dict
    keys: dict = field(default_factory=dict)

    def stored(self) -> dict:
        """The answers as the database should hold them (the conftest's flattened form)."""
        out = {}
        for key, value in self.answers.items():
            out[key] = "blank" if value == "" else value
        return out


# --- data ----------------------------------------------------------------------------------


def print_run(server: LiveServer, sheets: int) -> list[str]:
    """A fresh print run for the seeded service: its sheet references."""
    with server.app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.slug == SURVEY_SLUG))
        printer = create_user(email=f"printer-{next(_numbers)}@nhs.test", name="Pat Printer",
                              role=Role.ADMIN)
        run = paper.create_print_run(service=service, locale="en", large_print=False,
                                     sheet_count=sheets, site="Keyboard Surgery",
                                     created_by=printer)
        return paper.sheet_references(run)


def open_batch_in_db(server: LiveServer, sheets: int) -> int:
    with server.app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.slug == SURVEY_SLUG))
        opener = create_user(email=f"opener-{next(_numbers)}@nhs.test", name="Opal Opener",
                             role=Role.VOLUNTEER)
        return paper.open_batch(service=service, site="Keyboard Surgery",
                                received_on=date.today(), expected_sheets=sheets,
                                check_share=0.1, opened_by=opener).id


def stored_sheets(server: LiveServer, references: list[str]) -> dict[str, dict]:
    """reference -> what the database holds for that sheet's response."""
    with server.app.app_context():
        rows = db.session.scalars(db.select(Response).where(
            Response.sheet_reference.in_(references))).all()
        return {
            r.sheet_reference: {
                "channel": r.channel, "role": r.respondent_role, "held_back": r.held_back,
                "batch_id": r.paper_batch_id, "versions": len(r.versions),
                "answers": {a.question.key: a.text or a.choices or a.choice or a.status
                            for a in r.current_version.answers},
                "first_answers": {a.question.key: a.text or a.choices or a.choice or a.status
                                  for a in r.versions[0].answers},
            }
            for r in rows
        }


# --- in the browser ------------------------------------------------------------------------


def sign_in_volunteer(site: Site) -> str:
    """A new volunteer (no authenticator), signed in with the keyboard; their email."""
    site.page.context.clear_cookies()  # whoever was signed in before is gone
    email, _ = new_staff(site.server, Role.VOLUNTEER)
    sign_in(site, email)
    assert site.path == "/volunteer/"
    return email


def type_date(site: Site, day: date) -> None:
    """Type a date into the focused <input type=date>, in the order the browser shows it."""
    order = site.page.evaluate(
        """() => new Intl.DateTimeFormat(navigator.language).formatToParts(new Date())
                 .filter(p => ["day", "month", "year"].includes(p.type)).map(p => p.type)""")
    parts = {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": f"{day.year}"}
    for part in order:
        site.page.keyboard.type(parts[part])


def open_batch_by_keyboard(site: Site, sheets: int, check_percent: int | None = None) -> int:
    """From the volunteer home page, start a batch with the keyboard; its id. The entry
    screen for its first sheet is open afterwards."""
    site.tab_to('a[href="/volunteer/batches/new"]')
    site.press_to_next_page("Enter")
    assert site.path == "/volunteer/batches/new"
    site.tab_to("#service")
    site.page.keyboard.type("Video")  # a closed list picks the option typed
    assert site.page.locator("#service option:checked").inner_text() == "Video appointments"
    type_into(site, "#site", "Keyboard Surgery")
    site.tab_to("#received_on")
    type_date(site, date.today())
    type_into(site, "#expected_sheets", str(sheets))
    if check_percent is not None:
        site.tab_to("#check_share")
        site.page.keyboard.press("ControlOrMeta+A")
        site.page.keyboard.type(str(check_percent))
    site.press_to_next_page("Enter")
    parts = site.path.split("/")
    assert parts[1:3] == ["volunteer", "batches"] and parts[4:] == ["sheets", "new"], site.path
    return int(parts[3])


def focused_id(site: Site) -> str:
    return site.page.evaluate("() => document.activeElement.id")


def key_answers(site: Site, sheet: Sheet) -> None:
    """Who is answering and every question, with the entry screen's keys, from the
    first answer of "who is answering" to the Save button."""
    keyboard = site.page.keyboard
    assert site.is_focused("input[name=role]"), site.focused()
    keyboard.press(ROLE_KEY[sheet.role])
    for key in QUESTION_KEYS:
        value = sheet.answers[key]
        if key in FREE_TEXT:
            assert site.is_focused("textarea"), (key, site.focused())
            if value in ("blank", "unreadable"):
                keyboard.press("Tab")  # to "What is in the box?"
                keyboard.press(sheet.keys.get(key, SPECIAL_KEYS[value]))
            else:
                keyboard.type(value)  # an empty box is saved as Blank
                keyboard.press("Tab")  # words typed: straight on to the next question
                if not value:
                    keyboard.press("Tab")  # an empty box: on past its Blank/Unreadable choice
        elif isinstance(value, str) and value in SPECIAL_KEYS:
            assert site.is_focused("[data-entry-question] input:is([type=radio], "
                                   "[type=checkbox])"), (key, site.focused())
            keyboard.press(sheet.keys.get(key, SPECIAL_KEYS[value]))
        elif key in MULTIPLE:
            assert site.is_focused("input[type=checkbox]"), (key, site.focused())
            for choice in value:
                keyboard.press(str(OPTION_KEYS[key].index(choice) + 1))
            keyboard.press("Enter")  # ticking is done
        else:
            assert site.is_focused("input[type=radio]"), (key, site.focused())
            keyboard.press(str(OPTION_KEYS[key].index(value) + 1))
    assert site.is_focused("[data-entry-save]"), site.focused()


def key_sheet_by_keyboard(site: Site, reference: str, sheet: Sheet) -> None:
    """On the entry screen, with focus in the reference box: key the sheet and save it."""
    assert focused_id(site) == "reference"
    site.page.keyboard.type(reference)
    site.page.keyboard.press("Enter")  # on to "who is answering", not a save
    key_answers(site, sheet)
    site.press_to_next_page("Enter")


# --- the tests -------------------------------------------------------------------------------

SHEETS = [
    Sheet("patient", {
        "fft_rating": "very_good", "fft_what_was_good": "The nurse rang back the same day.",
        "fft_what_could_improve": "", "own_device": ["smartphone", "computer"],
        "needs_help_online": "never", "age_band": "prefer_not_to_say",
    }),
    Sheet("carer", {
        "fft_rating": "poor", "fft_what_was_good": "blank",
        "fft_what_could_improve": "Tell us 0 and U are   typed as written, B too.",
        "own_device": "blank", "needs_help_online": "always", "age_band": "unreadable",
    }, keys={"fft_what_was_good": "b", "own_device": "B"}),
    Sheet("staff", {
        "fft_rating": "dont_know", "fft_what_was_good": "unreadable",
        "fft_what_could_improve": "Wi-fi kept dropping", "own_device": ["none"],
        "needs_help_online": "blank", "age_band": "16_24",
    }, keys={"fft_what_was_good": "U"}),
]


def test_a_volunteer_keys_three_sheets_with_the_keyboard_alone(site, live_server):
    references = print_run(live_server, 3)
    sign_in_volunteer(site)
    batch_id = open_batch_by_keyboard(site, sheets=3)
    assert focused_id(site) == "reference"

    for reference, sheet in zip(references, SHEETS, strict=True):
        key_sheet_by_keyboard(site, reference, sheet)
        assert site.path == f"/volunteer/batches/{batch_id}/sheets/new"
        assert f"Sheet {reference} saved" in site.page.locator(".app-flash").inner_text()
        assert focused_id(site) == "reference", site.focused()

    stored = stored_sheets(live_server, references)
    assert sorted(stored) == sorted(references)
    for reference, sheet in zip(references, SHEETS, strict=True):
        row = stored[reference]
        assert (row["channel"], row["role"], row["batch_id"]) == ("paper", sheet.role, batch_id)
        assert row["held_back"] is True
        assert row["answers"] == sheet.stored(), reference
    assert "3 of 3 sheets keyed." in site.page.locator("main").inner_text()


def test_a_blind_check_disagrees_and_a_third_volunteer_resolves_it(site, live_server):
    [reference] = print_run(live_server, 1)
    as_marked = Sheet("patient", {
        "fft_rating": "good", "fft_what_was_good": "Quick", "fft_what_could_improve": "",
        "own_device": ["tablet"], "needs_help_online": "sometimes", "age_band": "65_74",
    })
    # The first volunteer's slip: 4 (Poor) for 2 (Good) on the rating.
    slipped = Sheet(as_marked.role, {**as_marked.answers, "fft_rating": "poor"})

    sign_in_volunteer(site)  # A: opens the batch, checking every sheet, and keys the sheet
    batch_id = open_batch_by_keyboard(site, sheets=1, check_percent=100)
    with live_server.app.app_context():
        assert db.session.get(PaperBatch, batch_id).check_share == 1.0
    key_sheet_by_keyboard(site, reference, slipped)

    sign_in_volunteer(site)  # B: checks it blind
    site.goto(f"/volunteer/batches/{batch_id}")
    site.tab_to(f'a[href="/volunteer/batches/{batch_id}/check/new?reference={reference}"]')
    site.press_to_next_page("Enter")
    assert site.page.locator("h1").inner_text() == f"Check sheet {reference}"
    assert site.page.locator("input:checked:not([value=patient]):not([value=_written])"
                             ).count() == 0  # blind: nothing of the first keying shows
    site.tab_to("input[name=role]")
    key_answers(site, as_marked)
    site.press_to_next_page("Enter")
    assert site.path == f"/volunteer/batches/{batch_id}/check"
    assert "1 answer differs" in site.page.locator(".app-flash").inner_text()

    sign_in_volunteer(site)  # C: decides against the paper, which says Good
    site.goto(f"/volunteer/batches/{batch_id}")
    site.navigates(lambda: site.page.get_by_role(
        "link", name="Resolve 1 disagreement against the paper").click())
    section = site.page.locator("section.app-disagreement")
    assert section.count() == 1
    assert "4 Poor" not in section.inner_text()  # answers in words, not as keyed numbers
    section.get_by_label("As checked: Good").check()
    site.navigates(lambda: section.get_by_role("button", name="Resolve").click())
    assert "No disagreements are waiting" in site.page.locator("main").inner_text()
    site.goto(f"/volunteer/batches/{batch_id}")
    site.navigates(lambda: site.page.get_by_role("button", name="Make final").click())
    assert "is final" in site.page.locator(".app-flash").inner_text()

    row = stored_sheets(live_server, [reference])[reference]
    assert row["versions"] == 2
    assert row["first_answers"] == slipped.stored()
    assert row["answers"] == as_marked.stored()
    assert row["held_back"] is False
    with live_server.app.app_context():
        [disagreement] = db.session.scalars(db.select(Disagreement).where(
            Disagreement.reference == reference)).all()
        assert disagreement.resolved_at is not None
        assert disagreement.resolved_answer == {"choice": "good"}
        resolver = db.session.get(User, disagreement.resolved_by_id)
        assert resolver.role == Role.VOLUNTEER
        assert db.session.get(PaperBatch, batch_id).finalised_at is not None


def test_without_javascript_a_sheet_is_keyed_with_tab_space_and_arrows(site_without_js,
                                                                         live_server):
    site = site_without_js
    [reference] = print_run(live_server, 1)
    batch_id = open_batch_in_db(live_server, sheets=1)
    sign_in_volunteer(site)
    site.goto(f"/volunteer/batches/{batch_id}/sheets/new")
    keyboard = site.page.keyboard

    assert focused_id(site) == "reference"  # autofocus needs no script
    keyboard.type(reference)
    site.tab_to("input[name=role]")
    keyboard.press("ArrowDown")  # from A patient (chosen already) to a carer
    site.tab_to("input[value=very_good]")
    keyboard.press("Space")
    site.tab_to("textarea")
    keyboard.type("Easy to join from home.")
    keyboard.press("Tab")  # "What is in the box?": As typed
    keyboard.press("Tab")  # the second box, left empty: Blank
    assert site.is_focused("textarea"), site.focused()
    site.tab_to("input[value=tablet]")
    keyboard.press("Space")
    site.tab_to("input[value=computer]")
    keyboard.press("Space")
    site.tab_to("input[name][value=never]")
    keyboard.press("ArrowDown")  # Never is only focused; down chooses Sometimes
    site.tab_to("input[value=under_16]")
    keyboard.press("ArrowRight")  # 16 to 24
    site.tab_to("[data-entry-save]")
    site.press_to_next_page("Space")

    assert site.path == f"/volunteer/batches/{batch_id}/sheets/new"
    assert f"Sheet {reference} saved" in site.page.locator(".app-flash").inner_text()
    row = stored_sheets(live_server, [reference])[reference]
    assert row["role"] == "carer" and row["held_back"] is True
    assert row["answers"] == {
        "fft_rating": "very_good", "fft_what_was_good": "Easy to join from home.",
        "fft_what_could_improve": "blank", "own_device": ["tablet", "computer"],
        "needs_help_online": "sometimes", "age_band": "16_24",
    }


# --- disagreements on a question with several answers ---------------------------------------


def test_the_disagreements_page_shows_a_disagreement_on_ticks(live_server, caplog):
    app = live_server.app
    references = print_run(live_server, 1)
    with app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.slug == SURVEY_SLUG))
        first, second, resolver = (
            create_user(email=f"ticks-{next(_numbers)}@nhs.test", name="Tick Tester",
                        role=Role.VOLUNTEER) for _ in range(3))
        batch = paper.open_batch(service=service, site="Ticks", received_on=date.today(),
                                 expected_sheets=1, check_share=1.0, opened_by=first)
        questions = {sq.question.key: str(sq.question_id)
                     for sq in paper.find_print_run(references[0]).survey_version.questions}
        blank = {qid: {"status": "blank"} for qid in questions.values()}
        paper.key_sheet(batch=batch, reference=references[0], respondent_role="patient",
                        keyed_by=first, answers={**blank, questions["own_device"]: {
                            "choices": ["tablet"]}})
        paper.key_check(batch=batch, reference=references[0], respondent_role="patient",
                        keyed_by=second, answers={**blank, questions["own_device"]: {
                            "choices": ["computer"]}})
        batch_id, resolver_id = batch.id, resolver.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": resolver_id, "_fresh": True, "staff_last_seen": time.time()})
    caplog.clear()
    answer = client.get(f"/volunteer/batches/{batch_id}/disagreements")
    # The app's catch-all error handler logs the exception and answers 500: raise it here.
    for record in caplog.records:
        if record.exc_info:
            raise record.exc_info[1]
    assert answer.status_code == 200
    assert 'name="d' in answer.get_data(as_text=True)  # its resolve form, with ticks
