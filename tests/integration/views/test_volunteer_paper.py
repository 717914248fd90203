"""Volunteer pages: batches, the keyed entry screen, blind checks, disagreements, corrections,
assisted surveys, and the administrators' view of checking."""

import pytest
from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.models import Disagreement, PaperEntry, Response, utcnow
from feedback.services import paper, surveys
from feedback.services.audit import Actions
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user, question_ids


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def form_data(form) -> dict:
    """What a browser would send for this form as it stands: hidden fields, checked boxes..."""
    data: dict = {}
    for field in form.select("input, textarea, select"):
        name = field.get("name")
        if not name:
            continue
        if field.name == "input" and field.get("type") in ("radio", "checkbox"):
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field["value"])
        elif field.name == "textarea":
            data[name] = field.get_text()
        elif field.name == "select":
            option = field.select_one("option[selected]") or field.select_one("option")
            data[name] = option["value"] if option else ""
        else:
            data[name] = field.get("value", "")
    return data


def submit(client, url, changes=None, *, status=302, form="main form[method=post]", index=0):
    """GET the page, fill its form as a browser would, change some fields, and POST it."""
    page = parse(client.get(url))
    chosen = page.select(form)[index]
    response = client.post(chosen.get("action") or url, data={**form_data(chosen),
                                                             **(changes or {})})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


@pytest.fixture
def admin(db):
    return create_user(email="admin@nhs.test", name="Ada Admin", role="admin")




@pytest.fixture
def survey(db):
    return create_survey()


@pytest.fixture
def ids(survey):
    return question_ids(survey)


@pytest.fixture
def refs(survey, admin):
    run = paper.create_print_run(service=survey.service, locale="en", large_print=False,
                                 sheet_count=20, site="Riverside clinic", created_by=admin)
    return paper.sheet_references(run)


@pytest.fixture
def batch(survey, volunteers):
    return paper.open_batch(service=survey.service, site="Riverside clinic",
                            received_on=utcnow().date(), expected_sheets=5, check_share=1.0,
                            opened_by=volunteers[0])


def answers(ids, **by_key) -> dict:
    """Entry-screen fields for a whole sheet; keyword arguments change answers by bank key."""
    fields = {
        f"q{ids['fft_rating']}": "good",
        f"q{ids['fft_what_was_good']}": "The nurse was kind",
        f"q{ids['fft_what_could_improve']}": "",
        f"q{ids['own_device']}": ["smartphone", "tablet"],
        f"q{ids['age_band']}": "65_74",
    }
    fields.update({f"q{ids[key]}": value for key, value in by_key.items()})
    return fields


def key_sheet(client, batch, reference, ids, status=302, **changes):
    return submit(client, f"/volunteer/batches/{batch.id}/sheets/new",
                  {"reference": reference, **answers(ids), **changes}, status=status)


def summary_links(page) -> list[tuple[str, str]]:
    return [(a.get_text(" ", strip=True), a["href"])
            for a in page.select(".nhsuk-error-summary__list a")]


# --- who may do what ---------------------------------------------------------------------------


def test_a_service_lead_cannot_key_entries(client, survey, batch):
    lead = create_user(email="lead@nhs.test", role="service_lead", services=[survey.service])
    sign_in_as(client, lead)
    assert client.get(f"/volunteer/batches/{batch.id}/sheets/new").status_code == 403
    # With a good CSRF token (from the sign-out form), so that the role is what decides.
    token = parse(client.get("/reports/")).select_one("input[name=csrf_token]")["value"]
    response = client.post(f"/volunteer/batches/{batch.id}/sheets/new",
                           data={"csrf_token": token, "reference": "00001-1"})
    assert response.status_code == 403
    assert count(Response) == 0
    assert client.get("/volunteer/assisted").status_code == 403


def test_a_volunteer_cannot_see_reports_or_the_checking_figures(client, volunteers):
    sign_in_as(client, volunteers[0])
    assert client.get("/reports/").status_code == 403
    assert client.get("/admin/volunteer-checking").status_code == 403


# --- batches -----------------------------------------------------------------------------------


def test_index_lists_batches_and_links_to_assisted_surveys(client, survey, batch, volunteers,
                                                         page):
    sign_in_as(client, volunteers[0])
    soup = page(client.get("/volunteer/"))
    row = soup.select_one("tbody tr")
    cells = [c.get_text(" ", strip=True) for c in row.select("th, td")]
    assert cells == [f"Batch {batch.id}", "Video appointments", "Riverside clinic",
                     cells[3], "0 of 5", "0", "0", "No"]
    hrefs = [a["href"] for a in soup.select("a")]
    assert f"/volunteer/assisted?service={survey.service.id}" in hrefs
    assert "/volunteer/batches/new" in hrefs


def test_new_batch_shows_every_problem_linked_to_its_field(client, survey, volunteers, page):
    sign_in_as(client, volunteers[0])
    response = submit(client, "/volunteer/batches/new", {
        "service": "", "site": "", "received_on": "", "expected_sheets": "lots",
        "check_share": "5"}, status=400)
    soup = page(response, 400)
    assert summary_links(soup) == [
        ("Select the service the sheets are about", "#service"),
        ("Enter the site or clinic the sheets came from", "#site"),
        ("Enter the date the sheets were received", "#received_on"),
        ("Enter a number of sheets from 1 to 2000", "#expected_sheets"),
        ("Enter a share of sheets to check from 10 to 100", "#check_share"),
    ]
    assert soup.select_one("#received_on")["type"] == "date"
    assert count(paper.PaperBatch) == 0


def test_new_batch_opens_the_batch_and_goes_to_the_entry_screen(client, survey, volunteers,
                                                               new_audit_events):
    sign_in_as(client, volunteers[0])
    response = submit(client, "/volunteer/batches/new", {
        "service": str(survey.service.id), "site": "Riverside clinic",
        "received_on": utcnow().date().isoformat(), "expected_sheets": "40"})
    [batch] = paper.list_batches()
    assert response.headers["Location"] == f"/volunteer/batches/{batch.id}/sheets/new"
    assert (batch.expected_sheets, batch.check_share, batch.site) == (40, 0.1, "Riverside clinic")
    assert len(new_audit_events(Actions.BATCH_OPENED)) == 1


# --- the entry screen --------------------------------------------------------------------------


def test_entry_screen_follows_the_sheet_with_numbered_answers_blank_and_unreadable(
        client, batch, refs, ids, volunteers, page):
    sign_in_as(client, volunteers[0])
    soup = page(client.get(f"/volunteer/batches/{batch.id}/sheets/new"))
    form = soup.select_one("form[data-keyed-entry]")
    reference = form.select_one("input[name=reference]")
    assert reference.has_attr("autofocus") and reference.has_attr("data-entry-reference")
    names = [el["name"] for el in form.select("[data-entry-question] [name]")]
    order = list(dict.fromkeys(names))
    assert order == ["role", f"q{ids['fft_rating']}", f"q{ids['fft_what_was_good']}",
                     f"q{ids['fft_what_was_good']}_status", f"q{ids['fft_what_could_improve']}",
                     f"q{ids['fft_what_could_improve']}_status", f"q{ids['own_device']}",
                     f"q{ids['age_band']}"]
    rating = form.select(f"input[name=q{ids['fft_rating']}]")
    labels = [soup.select_one(f"label[for={r['id']}]").get_text(strip=True) for r in rating]
    assert labels[:2] == ["1 Very good", "2 Good"]
    assert labels[-2:] == ["0 Blank: nothing marked", "Unreadable"]
    assert [r.get("data-key") for r in rating] == ["1", "2", "3", "4", "5", "6", "0", "u"]
    assert form.select_one(f"input[type=checkbox][name=q{ids['own_device']}][value=_blank]")
    assert form.select_one("[aria-live=polite][data-entry-announce]") is not None
    assert form.select_one("input[name=role][value=patient]").has_attr("checked")


def test_saving_a_sheet_opens_the_next_with_focus_on_the_reference(
        client, batch, refs, ids, volunteers, page, new_audit_events):
    sign_in_as(client, volunteers[0])
    response = key_sheet(client, batch, refs[0].lower(), ids)
    assert response.headers["Location"] == f"/volunteer/batches/{batch.id}/sheets/new"
    soup = page(client.get(response.headers["Location"]))
    assert f"Sheet {refs[0]} saved" in soup.select_one(".app-flash").get_text()
    assert soup.select_one("input[name=reference]").has_attr("autofocus")
    assert soup.select_one("input[name=reference]").get("value") is None

    stored = _db.session.scalars(select(Response)).one()
    assert (stored.channel, stored.sheet_reference, stored.held_back) == ("paper", refs[0], True)
    by_key = {a.question.key: a for a in stored.current_version.answers}
    assert by_key["fft_rating"].choice == "good"
    assert by_key["fft_what_was_good"].text == "The nurse was kind"
    assert by_key["fft_what_could_improve"].status == "blank"  # an empty box
    assert by_key["own_device"].choices == ["smartphone", "tablet"]
    assert [e.details["reference"] for e in new_audit_events(Actions.SHEET_KEYED)] == [refs[0]]


def test_a_partly_filled_sheet_keeps_blank_and_unreadable_answers(
        client, batch, refs, ids, volunteers):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids, **{
        f"q{ids['fft_rating']}": "_unreadable",
        f"q{ids['fft_what_was_good']}": "", f"q{ids['fft_what_was_good']}_status": "_unreadable",
        f"q{ids['own_device']}": ["_blank"], f"q{ids['age_band']}": "_blank"})
    stored = _db.session.scalars(select(Response)).one()
    statuses = {a.question.key: a.status for a in stored.current_version.answers}
    assert statuses == {"fft_rating": "unreadable", "fft_what_was_good": "unreadable",
                        "fft_what_could_improve": "blank", "own_device": "blank",
                        "age_band": "blank"}


def test_entry_screen_asks_for_every_answer_and_refuses_mixed_ones(
        client, batch, refs, ids, volunteers, page):
    sign_in_as(client, volunteers[0])
    response = key_sheet(client, batch, refs[0], ids, status=400, **{
        f"q{ids['fft_rating']}": "", f"q{ids['fft_what_was_good']}_status": "_blank",
        f"q{ids['own_device']}": ["tablet", "_unreadable"]})
    soup = page(response, 400)
    assert summary_links(soup) == [
        ("Question 1: Select the answer marked on the sheet, or Blank if nothing is marked",
         f"#q{ids['fft_rating']}"),
        ("Question 2: Either type what is written, or choose Blank or Unreadable, not both",
         f"#q{ids['fft_what_was_good']}"),
        ("Question 4: Select Blank or Unreadable on its own, not with other answers",
         f"#q{ids['own_device']}"),
    ]
    assert soup.select_one(f"#q{ids['fft_rating']}") is not None
    assert soup.title.get_text().startswith("Error:")
    assert soup.select_one("input[name=reference]")["value"] == refs[0]
    assert count(Response) == 0


def test_a_duplicate_reference_is_refused_naming_its_batch_with_a_link_to_correct_it(
        client, batch, refs, ids, volunteers, page):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids)
    response = key_sheet(client, batch, refs[0], ids, status=400)
    soup = page(response, 400)
    links = summary_links(soup)
    assert links[0][1] == "#reference"
    assert f"Sheet {refs[0]} has already been keyed, in batch {batch.id} (Riverside clinic" in (
        links[0][0])
    assert links[1] == (f"Correct sheet {refs[0]}", f"/volunteer/corrections?reference={refs[0]}")
    assert count(Response) == 1 and count(PaperEntry) == 1


@pytest.mark.parametrize("typed, message", [
    ("00C1S-Q", "Check the reference on the sheet and type it again"),
    ("00C1S-R", "No form was printed with the reference 00C1S-R"),
])
def test_a_mistyped_or_unknown_reference_is_refused(client, batch, refs, ids, volunteers, page,
                                                    typed, message):
    sign_in_as(client, volunteers[0])
    soup = page(key_sheet(client, batch, typed, ids, status=400), 400)
    [(text, href)] = summary_links(soup)
    assert message in text and href == "#reference"
    assert count(Response) == 0


def test_another_services_sheet_is_refused_naming_that_service(
        client, batch, refs, ids, volunteers, admin, page):
    other = create_survey(service=create_service(slug="portal", name="Patient portal"))
    run = paper.create_print_run(service=other.service, locale="en", large_print=False,
                                 sheet_count=2, site="Clinic", created_by=admin)
    sign_in_as(client, volunteers[0])
    soup = page(key_sheet(client, batch, paper.sheet_references(run)[0], ids, status=400), 400)
    [(text, _)] = summary_links(soup)
    assert "is a form for Patient portal, not for this batch" in text
    assert count(Response) == 0


def test_a_sheet_printed_with_other_questions_is_shown_with_them_before_it_is_saved(
        client, survey, batch, refs, ids, volunteers, admin, page):
    surveys.update_survey(survey, name=survey.name, languages=survey.languages,
                          question_keys=["fft_rating", "fft_what_was_good", "home_internet"],
                          opens_at=survey.opens_at, closes_at=None, updated_by=admin)
    new_run = paper.create_print_run(service=survey.service, locale="en", large_print=False,
                                     sheet_count=2, site="Clinic", created_by=admin)
    sign_in_as(client, volunteers[0])
    url = f"/volunteer/batches/{batch.id}/sheets/new"
    newest = page(client.get(url)).select_one("form[data-keyed-entry]")
    assert newest.select_one("input[name=version_id]")["value"] == str(
        new_run.survey_version_id)
    # An old sheet, keyed on the screen for the new questions: shown again with its own.
    response = client.post(url, data={**form_data(newest), "reference": refs[0],
                                      f"q{ids['fft_rating']}": "good"})
    soup = page(response, 400)
    assert "was printed with different questions" in summary_links(soup)[0][0]
    form = soup.select_one("form[data-keyed-entry]")
    assert form.select_one("input[name=version_id]")["value"] == str(survey.versions[0].id)
    assert form.select_one(f"input[name=q{ids['fft_rating']}][value=good]").has_attr("checked")
    assert count(Response) == 0
    data = {**form_data(form), **answers(ids)}
    assert client.post(url, data=data).status_code == 302
    assert _db.session.scalars(select(Response)).one().survey_version_id == survey.versions[0].id


# --- the batch page, checks and disagreements -------------------------------------------------


def test_batch_page_shows_progress_missing_sheets_and_what_blocks_making_it_final(
        client, batch, refs, ids, volunteers, page):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids)
    key_sheet(client, batch, refs[2], ids)
    soup = page(client.get(f"/volunteer/batches/{batch.id}"))
    text = soup.get_text(" ", strip=True)
    assert "2 of 5" in text
    assert [li.get_text(strip=True) for li in soup.select(".app-reference-list li")] == [
        refs[1], refs[3], refs[4]]
    assert "2 sheets are waiting for their blind check" in text
    # Only someone else may check these sheets: no Check links for the volunteer who keyed them.
    assert not soup.select("a[href*='/check/new']")
    assert "2 sheets you keyed are waiting for someone else to check them" in text

    response = submit(client, f"/volunteer/batches/{batch.id}", form="form[action$=finalise]")
    soup = page(client.get(response.headers["Location"]))
    assert "cannot be made final yet" in soup.select_one(".app-flash--error").get_text()
    sign_in_as(client, volunteers[1])
    soup = page(client.get(f"/volunteer/batches/{batch.id}"))
    assert [a["href"] for a in soup.select("a[href*='/check/new']")] == [
        f"/volunteer/batches/{batch.id}/check/new?reference={r}" for r in sorted(refs[0:3:2])]


def test_the_volunteer_who_keyed_a_sheet_cannot_check_it(client, batch, refs, ids, volunteers,
                                                         page):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids)
    url = f"/volunteer/batches/{batch.id}/check/new?reference={refs[0]}"
    soup = page(client.get(url))
    assert soup.select_one("form[data-keyed-entry]") is None
    assert "You keyed sheet" in soup.select_one("main .nhsuk-inset-text").get_text()
    assert client.post(url, data=answers(ids)).status_code == 400
    assert count(PaperEntry) == 1


def test_check_resolve_and_finalise_make_a_sheet_count_in_reports(
        app, client, survey, batch, refs, ids, volunteers, admin, page, new_audit_events,
        monkeypatch):
    first, checker, third = volunteers
    monkeypatch.setitem(app.config, "SUPPRESS_BELOW", 1)
    sign_in_as(client, first)
    key_sheet(client, batch, refs[0], ids)

    sign_in_as(client, checker)
    check_url = f"/volunteer/batches/{batch.id}/check/new?reference={refs[0]}"
    form = page(client.get(check_url)).select_one("form[data-keyed-entry]")
    assert not form.select(f"input[name=q{ids['fft_rating']}][checked]")  # blind
    response = client.post(check_url, data={**form_data(form), **answers(
        ids, fft_rating="very_good")})
    assert response.status_code == 302
    assert "1 answer differs" in page(client.get(response.headers["Location"])).get_text()

    disagreements_url = f"/volunteer/batches/{batch.id}/disagreements"
    soup = page(client.get(disagreements_url))
    cells = [td.get_text(strip=True) for td in soup.select(".app-side-by-side td")]
    assert cells == ["Good", "Very good"]  # labels, not codes
    assert soup.select("form[action*='/disagreements/']") == []  # the checker keyed it too
    [disagreement] = paper.list_disagreements(batch)
    resolve_url = f"{disagreements_url}/{disagreement.id}"
    token = page(client.get("/volunteer/batches/new")).select_one(
        "input[name=csrf_token]")["value"]
    refused = client.post(resolve_url, data={f"d{disagreement.id}-csrf_token": token,
                                             f"d{disagreement.id}-decision": "first"})
    assert "someone else must decide" in page(refused, 400).get_text()

    sign_in_as(client, admin)
    assert page(client.get("/reports/")).select_one("tbody td").get_text(strip=True) == "0"
    sign_in_as(client, third)
    response = submit(client, disagreements_url, {f"d{disagreement.id}-decision": "check"})
    assert response.headers["Location"] == disagreements_url
    stored = _db.session.scalars(select(Response)).one()
    assert [v.number for v in stored.versions] == [1, 2]
    assert {a.question.key: a.choice for a in stored.current_version.answers}[
        "fft_rating"] == "very_good"

    submit(client, f"/volunteer/batches/{batch.id}", form="form[action$=finalise]")
    _db.session.refresh(stored)
    assert stored.held_back is False
    sign_in_as(client, admin)
    assert page(client.get("/reports/")).select_one("tbody td").get_text(strip=True) == "1"
    actions = [e.action for e in new_audit_events()]
    for action in (Actions.SHEET_KEYED, Actions.SHEET_CHECKED, Actions.DISAGREEMENT_RESOLVED,
                   Actions.CORRECTED, Actions.BATCH_FINALISED):
        assert action in actions


def test_finalising_is_refused_while_a_disagreement_is_open(client, batch, refs, ids,
                                                            volunteers, page):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids)
    sign_in_as(client, volunteers[1])
    submit(client, f"/volunteer/batches/{batch.id}/check/new?reference={refs[0]}",
           answers(ids, age_band="16_24"))
    response = submit(client, f"/volunteer/batches/{batch.id}", form="form[action$=finalise]")
    flash = page(client.get(response.headers["Location"])).select_one(".app-flash--error")
    assert "1 disagreement is waiting to be resolved" in flash.get_text()
    _db.session.refresh(batch)
    assert batch.finalised_at is None
    assert _db.session.scalars(select(Response)).one().held_back is True


def test_resolving_with_something_else_needs_an_answer_and_stores_it(
        client, batch, refs, ids, volunteers, page):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids)
    sign_in_as(client, volunteers[1])
    submit(client, f"/volunteer/batches/{batch.id}/check/new?reference={refs[0]}",
           answers(ids, fft_what_was_good="The nurse was quick"))
    [disagreement] = paper.list_disagreements(batch)
    prefix = f"d{disagreement.id}"
    sign_in_as(client, volunteers[2])
    url = f"/volunteer/batches/{batch.id}/disagreements"
    soup = page(submit(client, url, {f"{prefix}-decision": "other"}, status=400), 400)
    assert summary_links(soup) == [("Type what is written, or select Blank or Unreadable",
                                    f"#{prefix}-other_text")]
    submit(client, url, {f"{prefix}-decision": "other",
                         f"{prefix}-other_text": "The nurse was kind and quick"})
    stored = _db.session.scalars(select(Response)).one()
    assert {a.question.key: a.text for a in stored.current_version.answers}[
        "fft_what_was_good"] == "The nurse was kind and quick"
    assert count(Disagreement) == 1 and paper.list_disagreements(batch) == []


# --- corrections -------------------------------------------------------------------------------


def test_a_correction_needs_a_reason_and_keeps_the_history(client, batch, refs, ids,
                                                          volunteers, page, new_audit_events):
    sign_in_as(client, volunteers[0])
    key_sheet(client, batch, refs[0], ids)
    url = f"/volunteer/corrections?reference={refs[0].lower()}"
    form = page(client.get(url)).select_one("main form[method=post]")
    assert form.select_one(f"input[name=q{ids['fft_rating']}][value=good]").has_attr("checked")
    assert form.select_one(f"input[name=q{ids['fft_what_could_improve']}_status][value=_blank]"
                           ).has_attr("checked")
    soup = page(submit(client, url, {f"q{ids['fft_rating']}": "poor"}, status=400), 400)
    assert summary_links(soup) == [("Enter why you are correcting the sheet", "#reason")]

    response = submit(client, url, {f"q{ids['fft_rating']}": "poor", "role": "carer",
                                    "reason": "The first keying chose Good"})
    assert response.headers["Location"] == f"/volunteer/batches/{batch.id}"
    stored = _db.session.scalars(select(Response)).one()
    assert [(v.number, v.reason) for v in stored.versions] == [
        (1, None), (2, "The first keying chose Good")]
    assert stored.respondent_role == "carer"
    assert {a.question.key: a.choice for a in stored.versions[0].answers}["fft_rating"] == "good"
    assert new_audit_events(Actions.CORRECTED)[-1].details["version"] == 2
    history = page(client.get(url)).select("ol li")
    assert len(history) == 2


def test_the_correction_page_explains_a_sheet_it_cannot_find(client, volunteers, page):
    sign_in_as(client, volunteers[0])
    assert page(client.get("/volunteer/corrections")).select_one("input[name=reference]")
    soup = page(client.get("/volunteer/corrections?reference=00C1S-R"), 400)
    assert summary_links(soup) == [
        ("No sheet with the reference 00C1S-R has been keyed yet", "#reference")]


# --- assisted surveys --------------------------------------------------------------------------


def test_an_assisted_survey_records_channel_mode_and_helper_once(client, survey, ids,
                                                                volunteers, page,
                                                                new_audit_events):
    sign_in_as(client, volunteers[0])
    url = f"/volunteer/assisted?service={survey.service.id}"
    form = page(client.get(url)).select_one("main form[method=post]")
    assert len(form.select_one("input[name=idempotency_key]")["value"]) >= 16
    assert not form.select("input[value=_blank]")  # no Blank or Unreadable when asked
    data = {**form_data(form), "mode": "phone", "role": "carer",
            f"q{ids['fft_rating']}": "very_good", f"q{ids['fft_what_was_good']}": "Kind staff"}
    first = client.post(url, data=data)
    again = client.post(url, data=data)  # a double click
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == f"/volunteer/assisted/saved?service={survey.service.id}"
    stored = _db.session.scalars(select(Response)).one()
    assert (stored.channel, stored.assistance_mode, stored.assisted_by_id,
            stored.respondent_role) == ("assisted", "phone", volunteers[0].id, "carer")
    statuses = {a.question.key: a.status for a in stored.current_version.answers}
    assert statuses["own_device"] == "skipped"
    assert len(new_audit_events(Actions.ASSISTED_ENTRY)) == 1
    assert "Answers saved" in page(client.get(first.headers["Location"])).get_text()


def test_an_assisted_survey_needs_mode_who_and_the_required_questions(client, survey, ids,
                                                                      volunteers, page):
    sign_in_as(client, volunteers[0])
    url = f"/volunteer/assisted?service={survey.service.id}"
    soup = page(submit(client, url, status=400), 400)
    assert [href for _, href in summary_links(soup)] == ["#mode", "#role"]
    soup = page(submit(client, url, {"mode": "in_person", "role": "patient"}, status=400), 400)
    assert summary_links(soup) == [("Question 1: Select how your experience was",
                                    f"#q{ids['fft_rating']}")]
    assert count(Response) == 0


# --- administrators ----------------------------------------------------------------------------


def test_admins_see_each_volunteers_disagreement_rate_by_month(client, batch, refs, ids,
                                                               volunteers, admin, page):
    for reference in refs[:2]:
        paper.key_sheet(batch=batch, reference=reference, respondent_role="patient",
                        answers={}, keyed_by=volunteers[0])
    paper.key_check(batch=batch, reference=refs[0], respondent_role="staff", answers={},
                    keyed_by=volunteers[1])
    paper.key_check(batch=batch, reference=refs[1], respondent_role="patient", answers={},
                    keyed_by=volunteers[1])
    sign_in_as(client, admin)
    assert "/admin/volunteer-checking" in [a["href"] for a in page(
        client.get("/admin/")).select("a")]
    soup = page(client.get("/admin/volunteer-checking"))
    [row] = soup.select("tbody tr")
    cells = [c.get_text(strip=True) for c in row.select("th, td")]
    assert cells[0] == "Volunteer 1"
    assert cells[2:] == ["2", "1", "50%"]
