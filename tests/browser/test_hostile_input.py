"""Script, HTML, javascript: URLs and SQL typed into every free-text field stay text.

Each is typed through the app's own forms in Chromium wherever a person types it: the web
survey's answers, a service's name and descriptions, a new colleague's name, an API token's
name, a print run's and a paper batch's site, a paper sheet's written answer, an assisted
survey, a campaign's name, and a safeguarding review's note; an SMS reply comes through the
Twilio stand-in's signed webhook. Report comments and the comments to review are stored
through the responses service, as every channel stores them. Then every page that shows
them is opened: each must show the text as typed, run none of it (`window.__pwned` stays
undefined), and grow no element or attribute from it; the exports must carry it as typed;
and the SQL-like text must be stored exactly, with every table still there.

Pages are handed to the browser without their Content-Security-Policy, which would block an
injected script anyway: escaping alone must keep it from running. The module runs a live
server of its own, so that the names typed here never appear on other tests' pages.
"""

import csv
import io
import itertools
import subprocess
import threading
from datetime import date, datetime, time, timedelta

import flask_migrate
import pyotp
import pytest
from playwright.sync_api import Route
from sqlalchemy import inspect
from werkzeug.serving import make_server

from feedback import create_app
from feedback.analysis.periods import current_period, uk_date
from feedback.config import TestConfig
from feedback.extensions import db
from feedback.models import (
    Answer,
    Campaign,
    PaperBatch,
    Response,
    Role,
    SafeguardingFlag,
    Service,
    User,
    utcnow,
)
from feedback.services import exports, paper, responses
from feedback.services.question_bank import sync_question_bank
from feedback.services.surveys import create_service, create_survey
from sms.standin import TwilioStandIn
from tests.factories import create_user, question_ids

from .conftest import LANGUAGES, QUESTION_KEYS, SURVEY_SLUG, HoldBack, LiveServer, Site
from .test_staff_pages import sign_in_with_code

SCRIPT = "<script>window.__pwned=1</script>"
ATTRIBUTE = '"><img src=x onerror="window.__pwned=1">'
TEXTAREA = "</textarea><script>window.__pwned=1</script>"
JAVASCRIPT_URL = "javascript:window.__pwned=1"
SQL = "'); DROP TABLE responses;--"
PHONE = "+447700900111"
# What reads a comment as a risk to someone, so that it goes to the safeguarding review.
RISK = "I want to end my life."
_numbers = itertools.count(1)


def hostile(where: str) -> str:
    """Every attack in one line, after a few words saying where it was typed."""
    return f"{where} {SCRIPT} {ATTRIBUTE} {TEXTAREA} {JAVASCRIPT_URL} {SQL}"


# --- a live server of this module's own, with the Twilio stand-in -----------------------------


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Overrides the session's live server for this module's tests (see the docstring)."""
    database = tmp_path_factory.mktemp("hostile") / "feedback.sqlite3"
    app = create_app(TestConfig(database_url=f"sqlite:///{database}"))
    with app.app_context():
        flask_migrate.upgrade()
        sync_question_bank()
        service = create_service(slug=SURVEY_SLUG, name="Video appointments",
                                 kind="video_consultation",
                                 description={"en": "Seeing a doctor by video call."})
        create_survey(service_id=service.id, name="Video appointments 2026",
                      languages=list(LANGUAGES), question_keys=QUESTION_KEYS,
                      opens_at=utcnow() - timedelta(days=400))
    hold_back = HoldBack(app)
    server = make_server("127.0.0.1", 0, hold_back, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="hostile-server", daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_port}"
    try:
        yield LiveServer(app=app, url=f"http://{host}", host=host, hold_back=hold_back)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def twilio(live_server):
    """The Twilio stand-in: the app texts it, and it posts signed replies to the app."""
    app = live_server.app
    standin = TwilioStandIn(account_sid=app.config["TWILIO_ACCOUNT_SID"],
                            auth_token=app.config["TWILIO_AUTH_TOKEN"],
                            phone_number=app.config["TWILIO_FROM_NUMBER"],
                            inbound_url=f"{live_server.url}/sms/inbound")
    standin.start()
    app.config.update(TWILIO_API_BASE_URL=standin.base_url, PUBLIC_BASE_URL=live_server.url,
                      SMS_QUIET_HOURS=(24, 0))
    app.extensions.pop("feedback.twilio", None)
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def service_id(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(db.select(Service.id).where(Service.slug == SURVEY_SLUG))


def _serve_without_csp(route: Route) -> None:
    if route.request.resource_type != "document":
        route.continue_()
        return
    answer = route.fetch(max_redirects=0)
    headers = {name: value for name, value in answer.headers.items()
               if name.lower() != "content-security-policy"}
    route.fulfill(response=answer, headers=headers)


@pytest.fixture
def unguarded(site) -> Site:
    """`site`, with every page handed over without its Content-Security-Policy."""
    site.page.route("**/*", _serve_without_csp)
    return site


# --- checks -----------------------------------------------------------------------------------

_INJECTED = """() => {
    const found = [];
    for (const script of document.scripts) {
        if (!script.src) found.push("inline <script>: " + script.textContent.slice(0, 80));
    }
    for (const el of document.querySelectorAll("*")) {
        for (const attr of el.attributes) {
            if (attr.name.startsWith("on")) found.push(`<${el.localName} ${attr.name}>`);
            if (/^\\s*javascript:/i.test(attr.value)) {
                found.push(`<${el.localName} ${attr.name}="${attr.value}">`);
            }
        }
    }
    return found;
}"""
_SHOWN = """() => [document.title, document.body.innerText,
    ...[...document.querySelectorAll("textarea, input:not([type=hidden])")].map(e => e.value)
].join("\\n")"""


def assert_shown_as_text(site: Site, *texts: str) -> None:
    """Nothing typed ran or became markup on the page, and each text shows as typed."""
    page = site.page
    where = site.page.url
    assert page.evaluate("() => typeof window.__pwned") == "undefined", where
    assert page.evaluate(_INJECTED) == [], where
    shown = page.evaluate(_SHOWN)
    for text in texts:
        assert text in shown, f"{text!r} is not shown as typed on {where}"


def click(site: Site, button: str) -> None:
    site.navigates(lambda: site.page.get_by_role("button", name=button).click())


def new_person(site: Site, role: str, *, name: str = "Test person",
               safeguarding: bool = False) -> None:
    """Sign a new member of staff in, in place of whoever was signed in."""
    site.page.context.clear_cookies()
    server = site.server
    email = f"hostile-{role.replace('_', '-')}-{next(_numbers)}@nhs.test"
    secret = None if role == Role.VOLUNTEER else pyotp.random_base32()
    with server.app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.slug == SURVEY_SLUG))
        user = create_user(email=email, name=name, role=role, totp_secret=secret,
                           services=[service] if role == Role.SERVICE_LEAD else [])
        user.can_review_safeguarding = safeguarding
        db.session.commit()
    sign_in_with_code(site, email, secret)


def stored_texts(server: LiveServer, **where) -> list[str]:
    """The written answers of responses matching `where` (Response columns), newest last."""
    with server.app.app_context():
        query = db.select(Answer.text).join(Answer.response_version).join(Response)
        for column, value in where.items():
            query = query.where(getattr(Response, column) == value)
        return [text for text in db.session.scalars(query.order_by(Answer.id)) if text]


# --- the web survey ---------------------------------------------------------------------------


def test_web_survey_answers_show_as_text_and_are_stored_as_typed(unguarded, live_server):
    site, page = unguarded, unguarded.page
    good, improve = hostile("Good"), hostile("Improve")
    site.goto(f"/s/{SURVEY_SLUG}")
    click(site, "Start now")
    page.check("input[name=role][value=patient]")
    click(site, "Continue")
    answers = {"fft_rating": "good", "fft_what_was_good": good, "fft_what_could_improve": improve}
    for key in QUESTION_KEYS:
        if page.locator("textarea[name=answer]").count():
            page.fill("textarea[name=answer]", answers[key])
        elif key in answers:
            page.check(f"input[name=answer][value={answers[key]}]")
        click(site, "Continue")
        assert_shown_as_text(site)
    assert site.path.endswith("/check-your-answers")
    assert_shown_as_text(site, good, improve)

    # Back to a written answer, to change it: the box holds the text as typed.
    site.navigates(lambda: page.locator("a[href*='/questions/2']").first.click())
    assert page.locator("textarea[name=answer]").input_value() == good
    assert_shown_as_text(site, good)
    click(site, "Continue")
    click(site, "Send feedback")
    assert site.path.endswith("/done")
    assert stored_texts(live_server, channel="web")[-2:] == [good, improve]


# --- administration ---------------------------------------------------------------------------


def test_what_an_administrator_types_shows_as_text_on_every_page_that_shows_it(
    unguarded, live_server, service_id
):
    site, page = unguarded, unguarded.page
    new_person(site, Role.ADMIN)
    name = hostile("Service")
    descriptions = {"en": hostile("About"), "cy": hostile("Ynghylch")}

    site.goto(f"/admin/services/{service_id}")
    page.fill("#name", name)
    for code, text in descriptions.items():
        page.fill(f"#description_{code}", text)
    click(site, "Save changes")
    assert_shown_as_text(site, name)  # the services list, and its flash message
    site.goto(f"/admin/services/{service_id}")
    assert_shown_as_text(site, name, *descriptions.values())
    for path in ("/", f"/s/{SURVEY_SLUG}", f"/s/{SURVEY_SLUG}?lang=cy", "/?lang=en"):
        site.goto(path)
        assert_shown_as_text(site, name)
        if path.startswith("/s/"):
            assert_shown_as_text(site, descriptions["cy" if "cy" in path else "en"])

    colleague = hostile("Colleague")
    site.goto("/admin/staff/invite")
    page.fill("#name", colleague)
    page.fill("#email", f"colleague-{next(_numbers)}@nhs.test")
    page.check("input[name=role][value=volunteer]")
    click(site, "Create invitation")
    assert_shown_as_text(site, colleague)
    site.goto("/admin/staff")
    assert_shown_as_text(site, colleague)
    with live_server.app.app_context():
        person = db.session.scalar(db.select(User.id).where(User.name == colleague))
    site.goto(f"/admin/staff/{person}")
    assert_shown_as_text(site, colleague)

    token = hostile("Token")
    site.goto(f"/admin/services/{service_id}/api-tokens")
    page.fill("#name", token)
    click(site, "Create token")
    assert_shown_as_text(site, token)
    site.goto(f"/admin/services/{service_id}/api-tokens")
    assert_shown_as_text(site, token)

    survey_name = hostile("Survey")
    with live_server.app.app_context():
        survey_id = db.session.get(Service, service_id).surveys[0].id
    site.goto(f"/admin/surveys/{survey_id}")
    page.fill("#name", survey_name)
    click(site, "Save changes")
    assert_shown_as_text(site, survey_name)  # the service's page, listing its surveys
    site.goto(f"/admin/surveys/{survey_id}")
    assert_shown_as_text(site, survey_name, name)  # with the SMS texts, which name the service

    clinic = hostile("Clinic")
    site.goto(f"/admin/services/{service_id}/print")
    page.fill("#sheet_count", "2")
    page.fill("#site", clinic)
    click(site, "Create forms")
    assert site.path.startswith("/admin/print-runs/")
    assert_shown_as_text(site, clinic, name, survey_name)
    forms = page.request.get(f"{site.server.url}{site.path}/pdf")
    assert forms.status == 200
    assert SCRIPT in pdf_text(forms.body())  # the service's name, printed as typed

    site.goto("/admin/audit-log")
    assert_shown_as_text(site)
    with live_server.app.app_context():
        service = db.session.get(Service, service_id)
        assert (service.name, service.description) == (name, descriptions)


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as poppler reads it, lines joined with spaces."""
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return " ".join(text.split())


# --- volunteers -------------------------------------------------------------------------------


def _blank_other_questions(page, survey_version, written: dict[str, str]) -> None:
    """On a paper entry screen: the written answers given, and every other question Blank."""
    for sq in survey_version.questions:
        question = sq.question
        if question.key in written:
            page.fill(f"textarea[name=q{question.id}]", written[question.key])
        elif question.kind != "free_text":
            page.check(f"input[name=q{question.id}][value=_blank]")


def test_what_volunteers_type_shows_as_text_on_the_batch_correction_and_disagreement_pages(
    unguarded, live_server, service_id
):
    site, page = unguarded, unguarded.page
    server = live_server
    with server.app.app_context():
        service = db.session.get(Service, service_id)
        printer = create_user(email=f"printer-{next(_numbers)}@nhs.test", role=Role.ADMIN)
        run = paper.create_print_run(service=service, locale="en", large_print=False,
                                     sheet_count=4, site="Hostile Surgery", created_by=printer)
        references = paper.sheet_references(run)
        version = run.survey_version
    new_person(site, Role.VOLUNTEER)

    clinic, written = hostile("Batch site"), hostile("Written")
    site.goto("/volunteer/batches/new")
    page.select_option("#service", str(service_id))
    page.fill("#site", clinic)
    page.fill("#received_on", date.today().isoformat())
    page.fill("#expected_sheets", "4")
    page.fill("#check_share", "100")
    click(site, "Start the batch")
    assert site.path.endswith("/sheets/new")
    assert_shown_as_text(site, clinic)
    batch_id = int(site.path.split("/")[3])

    page.fill("#reference", references[0])
    page.check("input[name=role][value=patient]")
    with server.app.app_context():
        _blank_other_questions(page, db.session.merge(version),
                               {"fft_what_was_good": written})
    click(site, "Save sheet")
    assert_shown_as_text(site, clinic)
    assert stored_texts(server, sheet_reference=references[0]) == [written]

    site.goto(f"/volunteer/batches/{batch_id}")
    assert_shown_as_text(site, clinic)
    site.goto(f"/volunteer/corrections?reference={references[0]}")
    assert_shown_as_text(site, written)

    # Two keyings of one sheet that differ: the disagreement shows both, as typed.
    first, check = hostile("First keying"), hostile("Second keying")
    with server.app.app_context():
        batch = db.session.get(PaperBatch, batch_id)
        version = db.session.merge(version)
        ids = {sq.question.key: sq.question_id for sq in version.questions}
        blank = {str(qid): {"status": "blank"} for qid in ids.values()}
        for text, who in ((first, "one"), (check, "two")):
            keyer = create_user(email=f"keyer-{who}-{next(_numbers)}@nhs.test",
                                role=Role.VOLUNTEER)
            keyed = {**blank, str(ids["fft_what_could_improve"]): {"text": text}}
            keying = paper.key_sheet if text == first else paper.key_check
            keying(batch=batch, reference=references[1], respondent_role="patient",
                   keyed_by=keyer, answers=keyed)
    site.goto(f"/volunteer/batches/{batch_id}/disagreements")
    assert_shown_as_text(site, first, check)

    helped = hostile("Assisted")
    site.goto(f"/volunteer/assisted?service={service_id}")
    page.locator("input[name=mode]").first.check()
    page.check("input[name=role][value=patient]")
    page.check(f"input[name=q{ids['fft_rating']}][value=good]")
    page.fill(f"textarea[name=q{ids['fft_what_could_improve']}]", helped)
    click(site, "Save their answers")
    assert site.path == "/volunteer/assisted/saved"
    assert_shown_as_text(site)
    assert stored_texts(server, channel="assisted")[-1] == helped


# --- SMS --------------------------------------------------------------------------------------


def test_a_campaign_name_and_an_sms_reply_show_as_text_and_are_stored_as_typed(
    unguarded, live_server, service_id, twilio
):
    site, page = unguarded, unguarded.page
    new_person(site, Role.SERVICE_LEAD, safeguarding=True)
    campaign = hostile("Campaign")
    site.goto(f"/reports/services/{service_id}/campaigns/new")
    page.fill("#name", campaign)
    page.set_input_files("#recipients", files=[{
        "name": "clinic.csv", "mimeType": "text/csv", "buffer": b"phone\n07700 900111\n"}])
    click(site, "Send invitations")
    assert site.path.startswith("/reports/campaigns/")
    assert_shown_as_text(site, campaign)
    site.goto(f"/reports/services/{service_id}/campaigns")
    assert_shown_as_text(site, campaign)
    with live_server.app.app_context():
        assert db.session.scalar(db.select(Campaign.name).order_by(Campaign.id.desc())) == campaign

    assert [m.body for m in twilio.messages(to=PHONE)], "no invitation was texted"
    reply = f"{RISK} {hostile('Text')}"
    for body in ("1", reply, *["SKIP"] * (len(QUESTION_KEYS) - 2)):
        status, _ = twilio.send_inbound(from_number=PHONE, body=body)
        assert status == 200
    twilio.wait_idle()
    assert stored_texts(live_server, channel="sms") == [reply]

    with live_server.app.app_context():
        flag = db.session.scalar(db.select(SafeguardingFlag.id).join(Response).where(
            Response.channel == "sms"))
    site.goto(f"/safeguarding/{flag}")
    assert_shown_as_text(site, reply)


# --- safeguarding -----------------------------------------------------------------------------


def _submit(server: LiveServer, service_id: int, texts: dict[str, str], *,
            at: datetime | None = None, rating: str = "poor") -> Response:
    with server.app.app_context():
        service = db.session.get(Service, service_id)
        version = service.surveys[-1].versions[-1]
        ids = question_ids(service.surveys[-1])
        answers = {ids[key]: {"text": text} for key, text in texts.items()}
        answers[ids["fft_rating"]] = {"choice": rating}
        return responses.submit(survey_version_id=version.id, channel="web",
                                respondent_role="patient", locale="en", answers=answers,
                                enforce_required=False, submitted_at=at).id


def test_a_comment_under_review_and_the_reviews_note_show_as_text(
    unguarded, live_server, service_id
):
    site, page = unguarded, unguarded.page
    comment = f"{RISK} {hostile('Comment')}"
    response_id = _submit(live_server, service_id, {"fft_what_could_improve": comment})
    with live_server.app.app_context():
        flag = db.session.scalar(db.select(SafeguardingFlag.id).where(
            SafeguardingFlag.response_id == response_id))
    reviewer, note = hostile("Reviewer"), hostile("Note")
    new_person(site, Role.SERVICE_LEAD, name=reviewer, safeguarding=True)

    site.goto("/safeguarding/")
    assert_shown_as_text(site)
    site.goto(f"/safeguarding/{flag}")
    assert_shown_as_text(site, comment)  # in full: reviewers read it unredacted
    page.locator("input[name=outcome]").first.check()
    page.fill("#note", note)
    click(site, "Record review")
    assert site.path == "/safeguarding/"
    assert_shown_as_text(site)
    site.goto(f"/safeguarding/{flag}")
    assert_shown_as_text(site, comment, note, reviewer)
    with live_server.app.app_context():
        assert db.session.get(SafeguardingFlag, flag).note == note


# --- reports and exports ----------------------------------------------------------------------


def test_report_quotes_and_themes_and_the_exports_show_comments_as_typed(
    unguarded, live_server, service_id
):
    site, page = unguarded, unguarded.page
    last_month = current_period("month", uk_date(utcnow())).previous()
    at = datetime.combine(last_month.start + timedelta(days=3), time(12))
    # Enough comments, about the same theme, for the report to quote them.
    comments = [f"The video kept freezing {n}. {hostile('Quote')}" for n in range(12)]
    for comment in comments:
        _submit(live_server, service_id, {"fft_what_could_improve": comment}, at=at)
    new_person(site, Role.SERVICE_LEAD)

    site.goto("/reports/")
    assert_shown_as_text(site)
    site.goto(f"/reports/services/{service_id}?period={last_month.slug}")
    assert page.locator("#quote-list .app-quote").count() >= 1
    assert_shown_as_text(site, *{q for q in page.locator("#quote-list .app-quote")
                                 .all_inner_texts()})
    assert set(page.locator("#quote-list .app-quote").all_inner_texts()) <= set(comments)
    site.goto(f"/reports/services/{service_id}?period={last_month.slug}&theme=technical")
    assert page.locator("#quote-list .app-quote").count() >= 1
    assert_shown_as_text(site, *page.locator("#quote-list .app-quote").all_inner_texts())

    with live_server.app.app_context():
        service = db.session.get(Service, service_id)
        lead = db.session.scalar(db.select(User).where(User.role == Role.SERVICE_LEAD)
                                 .order_by(User.id.desc()))
        made = {kind: exports.start_export(service=service, period=last_month, kind=kind,
                                           requested_by=lead, locale="en").id
                for kind in ("csv", "pdf")}
    for kind, export_id in made.items():
        site.goto(f"/exports/{export_id}")
        assert_shown_as_text(site)
        download = page.request.get(f"{site.server.url}/exports/{export_id}/download")
        assert download.status == 200, kind
        if kind == "csv":
            cells = {cell for row in csv.reader(io.StringIO(download.text())) for cell in row}
            assert set(comments) <= cells
        else:
            assert SCRIPT in pdf_text(download.body()) and SQL in pdf_text(download.body())


# --- the database -----------------------------------------------------------------------------


def test_sql_like_text_is_stored_as_typed_and_every_table_is_still_there(live_server):
    with live_server.app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables
        stored = list(db.session.scalars(db.select(Answer.text).where(
            Answer.text.contains("DROP TABLE"))))
        assert stored, "the tests above stored no SQL-like text"
        assert all(text.endswith(f"{JAVASCRIPT_URL} {SQL}") for text in stored)
        assert db.session.scalar(db.select(db.func.count()).select_from(Response)) >= 1
