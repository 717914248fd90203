"""Printable paper forms: an administrator makes a numbered run, then downloads it as a PDF.

The PDFs are read back with poppler's pdftoppm and pdftotext, as a person would print and
read them. `make test` installs poppler-utils: without it these tests fail, never skip.
"""

import re
import subprocess

import pytest
from bs4 import BeautifulSoup

from feedback.extensions import db as _db
from feedback.models import PrintRun
from feedback.services import paper_forms
from feedback.services.audit import Actions
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user

FFT_ONLY = ["fft_rating", "fft_what_was_good", "fft_what_could_improve"]
FFT_QUESTION = {"en": "Overall, how was your experience of our service?",
                "cy": "Yn gyffredinol, sut oedd eich profiad o'n gwasanaeth?"}




@pytest.fixture
def service(db):
    service = create_service()
    create_survey(service=service, question_keys=FFT_ONLY)
    return service


def post_form(client, url, data, status=302):
    """GET the page for its CSRF token, then POST the form."""
    token = parse(client.get(url)).select_one("input[name=csrf_token]")["value"]
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def print_data(**changes) -> dict:
    return {"language": "en", "large_print": "no", "sheet_count": "3",
            "site": "Riverside Clinic, Outpatients", **changes}


def create_run(client, service, **changes) -> PrintRun:
    response = post_form(client, f"/admin/services/{service.id}/print", print_data(**changes))
    run_id = int(re.fullmatch(r"/admin/print-runs/(\d+)", response.headers["Location"])[1])
    return _db.session.get(PrintRun, run_id)


def download(client, run: PrintRun, tmp_path):
    response = client.get(f"/admin/print-runs/{run.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    path = tmp_path / "forms.pdf"
    path.write_bytes(response.data)
    return response, path


def page_texts(path) -> list[str]:
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout, re.M)[1])
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
                           check=True, capture_output=True, text=True).stdout
            for n in range(1, pages + 1)]


def page_images(path, tmp_path) -> list:
    out = tmp_path / "pages"
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(out / "page")], check=True)
    return sorted(out.glob("page*.png"))


def body_font_size(html: str) -> float:
    style = BeautifulSoup(html, "html.parser").style.string
    return float(re.search(r"(?m)^body\s*\{[^}]*?font-size:\s*([\d.]+)pt", style)[1])


def test_admin_prints_a_run_and_downloads_one_page_per_sheet(
        client, db, admin, service, tmp_path, new_audit_events, page):
    run = create_run(client, service)
    references = ["00001-1", "00002-2", "00003-3"]
    assert (run.locale, run.large_print, run.sheet_count) == ("en", False, 3)
    assert new_audit_events(Actions.FORMS_PRINTED)[0].details["first"] == references[0]

    summary = page(client.get(f"/admin/print-runs/{run.id}"))
    text = summary.select_one("main").get_text(" ", strip=True)
    assert references[0] in text and references[-1] in text and "English" in text
    assert "Standard print" in text
    assert summary.select_one(f"a[href='/admin/print-runs/{run.id}/pdf']")

    response, path = download(client, run, tmp_path)
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="forms-00001-1-00003-3.pdf"')
    assert len(page_images(path, tmp_path)) == 3
    for reference, text in zip(references, page_texts(path), strict=True):
        assert reference in text
        assert FFT_QUESTION["en"] in " ".join(text.split())
        assert not (set(references) - {reference}) & set(text.split())


def test_a_large_print_welsh_run_is_16_point_and_repeats_the_reference_on_every_page(
        client, db, admin, service, tmp_path):
    run = create_run(client, service, language="cy", large_print="yes", sheet_count="2")
    html = paper_forms.render_sheet_html(run)
    assert body_font_size(html) >= 16
    soup = BeautifulSoup(html, "html.parser")
    assert all(float(size) >= 1 for size in re.findall(r"font-size:\s*([\d.]+)em",
                                                       soup.style.string))
    assert soup.html["lang"] == "cy" and FFT_QUESTION["cy"] in soup.text

    _response, path = download(client, run, tmp_path)
    texts = page_texts(path)
    per_sheet = len(texts) // 2
    assert per_sheet > 1 and per_sheet % 2 == 0  # an odd count gets a blank page, for duplex
    for reference, sheet in zip(["00001-1", "00002-2"],
                                [texts[:per_sheet], texts[per_sheet:]], strict=True):
        assert FFT_QUESTION["cy"] in " ".join(" ".join(sheet).split())
        for text in sheet:
            assert reference in text or not text.strip()


def test_a_standard_run_is_12_point(client, db, admin, service):
    run = create_run(client, service)
    assert body_font_size(paper_forms.render_sheet_html(run)) == 12


def test_an_urdu_run_is_right_to_left_and_carries_its_reference(
        client, db, admin, service, tmp_path):
    run = create_run(client, service, language="ur", sheet_count="1")
    soup = BeautifulSoup(paper_forms.render_sheet_html(run), "html.parser")
    assert soup.html["dir"] == "rtl" and soup.html["lang"] == "ur"
    assert "Nastaliq" in soup.style.string
    _response, path = download(client, run, tmp_path)
    texts = page_texts(path)
    assert "00001-1" in texts[0]
    assert all("00001-1" in text or not text.strip() for text in texts)


def test_each_option_is_numbered_as_it_is_keyed(client, db, admin):
    service = create_service()
    create_survey(service=service)  # FFT, free text, multiple and single choice
    run = create_run(client, service, sheet_count="1")
    soup = BeautifulSoup(paper_forms.render_sheet_html(run), "html.parser")
    blocks = soup.select(".question")
    questions = list(run.survey_version.questions)
    assert len(blocks) == 1 + len(questions)

    role = blocks[0]
    assert [td.text for td in role.select("td.number")] == ["1", "2", "3"]
    assert role.select("td.label")[0].text == "A patient"
    for position, (block, sq) in enumerate(zip(blocks[1:], questions, strict=True), start=1):
        heading = block.h2.get_text(" ", strip=True)
        assert heading.startswith(f"Q{position} {sq.question.text['en']}")
        assert ("(optional)" in heading) is (not sq.required)
        rows = [(td.text, label.text) for td, label in zip(
            block.select("td.number"), block.select("td.label"), strict=True)]
        assert rows == [(str(i), option["label"]["en"])
                        for i, option in enumerate(sq.question.options, start=1)]
        assert len(block.select(".box")) == len(sq.question.options)
        instruction = block.select_one(".instruction")
        if sq.question.kind == "free_text":
            assert block.select(".write-in .rule") and instruction is None
        elif sq.question.kind == "multiple_choice":
            assert instruction.text == "Tick all that apply"
        else:
            assert instruction.text == "Tick one box"
    assert "Feedback is not monitored" in soup.text and "116 123" in soup.text


@pytest.mark.parametrize(("changes", "message"), [
    ({"sheet_count": "0"}, "from 1 to 2000"),
    ({"sheet_count": "2001"}, "from 1 to 2000"),
    ({"sheet_count": "many"}, "from 1 to 2000"),
    ({"sheet_count": ""}, "from 1 to 2000"),
    ({"site": "  "}, "Enter the site or clinic"),
    ({"site": "x" * 201}, "200 characters or fewer"),
    ({"language": "pl"}, "Choose the language"),  # not one of this survey's languages
    ({"language": ""}, "Choose the language"),
    ({"large_print": "huge"}, "large print"),
])
def test_bad_input_is_refused_with_an_error_summary(client, db, admin, changes, message):
    service = create_service()
    create_survey(service=service, question_keys=FFT_ONLY, languages=("en", "cy"))
    response = post_form(client, f"/admin/services/{service.id}/print", print_data(**changes),
                         status=400)
    summary = parse(response, 400).select_one(".nhsuk-error-summary")
    assert message in summary.text
    assert db.session.query(PrintRun).count() == 0


def test_the_print_page_offers_only_the_surveys_languages(client, db, admin):
    service = create_service()
    create_survey(service=service, question_keys=FFT_ONLY, languages=("en", "ur"))
    soup = parse(client.get(f"/admin/services/{service.id}/print"))
    assert [i["value"] for i in soup.select("input[name=language]")] == ["en", "ur"]
    assert soup.select_one("input[name=language][value=en]").has_attr("checked")


def test_a_service_without_an_open_survey_has_nothing_to_print(client, db, admin):
    service = create_service()
    soup = parse(client.get(f"/admin/services/{service.id}/print"))
    assert "no survey open now" in soup.select_one("main").text
    assert not soup.select("input[name=sheet_count]")
    response = client.post(f"/admin/services/{service.id}/print", data=print_data())
    assert response.status_code == 400


def test_the_service_page_links_to_printing(client, db, admin, service, page):
    soup = page(client.get(f"/admin/services/{service.id}"))
    assert soup.select_one(f"a[href='/admin/services/{service.id}/print']")


def test_unknown_runs_are_not_found(client, db, admin):
    assert client.get("/admin/print-runs/999999").status_code == 404
    assert client.get("/admin/print-runs/999999/pdf").status_code == 404


@pytest.mark.parametrize("role", ["volunteer", "service_lead"])
def test_leads_and_volunteers_cannot_print(client, db, admin, service, role):
    run = create_run(client, service, sheet_count="1")
    sign_in_as(client, create_user(email=f"{role}@nhs.test", role=role, services=[service]
                                   if role == "service_lead" else []))
    for url in (f"/admin/services/{service.id}/print", f"/admin/print-runs/{run.id}",
                f"/admin/print-runs/{run.id}/pdf"):
        assert client.get(url).status_code == 403, url
    token = parse(client.get("/")).select_one("input[name=csrf_token]")["value"]
    assert client.post(f"/admin/services/{service.id}/print",
                       data={"csrf_token": token, **print_data()}).status_code == 403
    assert _db.session.query(PrintRun).count() == 1
