"""Every staff page, signed in through the browser as each role, checked with axe-core.

The pages come from the live app's URL map, so a new staff page is visited (and checked)
as soon as it exists. Who may open a page is read from its blueprint's access guard.
Sign-in is done with the keyboard, through the real password and authenticator-code pages.
A route that answers with a file (DOWNLOADS) is fetched rather than opened, and must be it.
"""

import itertools
import re
from datetime import date, timedelta

import pyotp
import pytest
from playwright.sync_api import APIResponse
from werkzeug.routing import Rule

from feedback.analysis.periods import period_containing
from feedback.extensions import db
from feedback.models import Role, SafeguardingFlag, Service, Survey, User
from feedback.services import api_tokens, campaigns, exports, paper, responses, users
from tests.factories import PASSWORD, create_user

from .conftest import SURVEY_SLUG, LiveServer, Site, format_violations, run_axe

ALL_ROLES = frozenset(Role)
# Public or machine-facing blueprints: no staff page in them.
NOT_STAFF = {"static", "health", "survey", "sms_webhook", "api", "phone"}
HOME = {Role.ADMIN: "/admin/", Role.SERVICE_LEAD: "/reports/", Role.VOLUNTEER: "/volunteer/"}
# Staff routes that answer with a file to save, not a page to show: endpoint -> media type.
# The sweep fetches them without the page (a browser would download them, not load them).
DOWNLOADS = {
    "admin.print_run_pdf": "application/pdf",
    "exports.download": "text/csv",
}
# App bugs axe-core finds on staff pages and awaiting a fix: endpoint -> (reason, {(axe rule,
# node)}). The sweep forgives exactly those nodes on that page and nothing else. Keep it empty:
# an entry is only for a bug reported and being fixed.
KNOWN_APP_BUGS: dict[str, tuple[str, frozenset[tuple[str, str]]]] = {}

_numbers = itertools.count(1)


# --- data in the live app's database ---------------------------------------------------------


def new_staff(server: LiveServer, role: str, *, enrolled: bool = True) -> tuple[str, str | None]:
    """A new member of staff (so no code is ever replayed): their email and TOTP secret.

    Administrators and service leads get a confirmed authenticator unless `enrolled` is false;
    a service lead leads the seeded service.
    """
    email = f"{role.replace('_', '-')}-{next(_numbers)}@nhs.test"
    secret = pyotp.random_base32() if enrolled and role != Role.VOLUNTEER else None
    with server.app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.slug == SURVEY_SLUG))
        user = create_user(email=email, name=f"Test {role}", role=role, totp_secret=secret,
                           services=[service] if role == Role.SERVICE_LEAD else [])
        # So the sweep visits the safeguarding queue too, as the named reviewers would.
        user.can_review_safeguarding = role in (Role.ADMIN, Role.SERVICE_LEAD)
        db.session.commit()
    return email, secret


def _answers(survey: Survey, **chosen) -> dict[str, dict]:
    """A keyed sheet's answers, {str(question id): answer}: every question Blank but those
    `chosen` (bank key -> answer)."""
    return {str(sq.question_id): chosen.get(sq.question.key, {"status": "blank"})
            for sq in survey.versions[-1].questions}


@pytest.fixture(scope="module")
def ids(live_server) -> dict[str, int]:
    """Real values for every path parameter of a staff page, and pages with something on
    them: a print run, and a batch with a sheet waiting for its blind check and a sheet whose
    check disagreed with its first keying."""
    with live_server.app.app_context():
        service = db.session.scalar(db.select(Service).where(Service.slug == SURVEY_SLUG))
        survey = db.session.scalar(db.select(Survey).where(Survey.service_id == service.id))
        other = create_user(email="someone-else@nhs.test", name="Someone Else",
                            role=Role.VOLUNTEER)
        checker = create_user(email="checker@nhs.test", name="Chris Checker",
                              role=Role.VOLUNTEER)
        campaign, _ = campaigns.start_campaign(
            service=service, name="Browser test campaign", created_by=None,
            rows=[campaigns.RecipientInput(phone="07700 900123")])
        token, _ = api_tokens.create_token(service, name="Browser test token", created_by=None)
        run = paper.create_print_run(service=service, locale="en", large_print=False,
                                     sheet_count=5, site="Sweep Surgery", created_by=other)
        batch = paper.open_batch(service=service, site="Sweep Surgery", received_on=date.today(),
                                 expected_sheets=5, check_share=1.0, opened_by=other)
        waiting, disputed = paper.sheet_references(run)[:2]
        paper.key_sheet(batch=batch, reference=waiting, respondent_role="patient",
                        keyed_by=other, answers=_answers(
                            survey, fft_rating={"choice": "good"},
                            fft_what_was_good={"text": "The nurse rang back."}))
        paper.key_sheet(batch=batch, reference=disputed, respondent_role="carer",
                        keyed_by=other, answers=_answers(
                            survey, fft_rating={"choice": "poor"},
                            fft_what_could_improve={"text": "Louder sound"},
                            own_device={"choices": ["smartphone"]}))
        # Its check differs on a choice and on a written answer: a resolve form of each kind.
        # (Not on ticks: the page fails on those, test_paper_entry.py's strict xfail.)
        paper.key_check(batch=batch, reference=disputed, respondent_role="carer",
                        keyed_by=checker, answers=_answers(
                            survey, fft_rating={"choice": "very_poor"},
                            fft_what_could_improve={"text": "Lower sound"},
                            own_device={"choices": ["smartphone"]}))
        # A comment that may disclose risk, for the safeguarding review page.
        questions = {sq.question.key: sq.question_id for sq in survey.versions[-1].questions}
        flagged = responses.submit(
            survey_version_id=survey.versions[-1].id, channel="web", respondent_role="patient",
            locale="en", enforce_required=False,
            answers={questions["fft_what_could_improve"]: {"text": "I want to end my life."}})
        flag = db.session.scalar(db.select(SafeguardingFlag).where(
            SafeguardingFlag.response_id == flagged.id))
        # A finished export of last month's responses (made in-process), for its pages.
        lead = create_user(email="exporter@nhs.test", name="Ellis Exporter",
                           role=Role.SERVICE_LEAD, services=[service])
        last_month = period_containing("month", date.today()).previous()
        export = exports.start_export(service=service, period=last_month, kind="csv",
                                      requested_by=lead, locale="en")
        return {"service_id": service.id, "survey_id": survey.id, "user_id": other.id,
                "campaign_id": campaign.id, "token_id": token.id, "run_id": run.id,
                "batch_id": batch.id, "flag_id": flag.id, "export_id": export.id}


# --- the URL map -------------------------------------------------------------------------------


def roles_allowed(app, blueprint: str) -> frozenset[str]:
    """Who the blueprint's access guard lets in: every role when it lets anyone in."""
    guards = [f for f in app.before_request_funcs.get(blueprint, [])
              if getattr(f, "is_access_guard", False)]
    assert len(guards) == 1, f"blueprint {blueprint!r} has {len(guards)} access guards"
    return getattr(guards[0], "allowed_roles", ALL_ROLES)


def staff_pages(app) -> list[Rule]:
    """Every GET route of a staff blueprint, but invitation links (they need a real token)."""
    return sorted(
        (rule for rule in app.url_map.iter_rules()
         if rule.endpoint.split(".")[0] not in NOT_STAFF and "GET" in (rule.methods or ())
         and "token" not in rule.arguments),
        key=lambda rule: rule.rule,
    )


def concrete_path(rule: Rule, ids: dict[str, int]) -> str:
    missing = rule.arguments - ids.keys()
    assert not missing, f"{rule.rule}: make a {sorted(missing)} in the `ids` fixture"
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)


# --- in the browser ----------------------------------------------------------------------------


def type_into(site: Site, selector: str, text: str) -> None:
    site.tab_to(selector)
    site.page.keyboard.type(text)


def sign_in(site: Site, email: str, password: str = PASSWORD) -> None:
    """The email address and password, typed, then Enter."""
    site.goto("/sign-in")
    type_into(site, "#email", email)
    type_into(site, "#password", password)
    site.press_to_next_page("Enter")


def sign_in_with_code(site: Site, email: str, secret: str | None) -> None:
    sign_in(site, email)
    if secret is not None:
        assert site.path == "/sign-in/code"
        type_into(site, "#code", pyotp.TOTP(secret).now())
        site.press_to_next_page("Enter")


def visit(site: Site, path: str, forgiven: frozenset[tuple[str, str]] = frozenset()
          ) -> tuple[int, str | None]:
    """Open a page as a person would; its final status and axe-core's complaint, if any,
    leaving out the (rule, node) violations `forgiven`."""
    response = site.page.goto(site.server.url + path)
    try:
        site.audit.check()
    except AssertionError as error:
        if not forgiven:
            return response.status, str(error)
        remaining = []
        for v in run_axe(site.page):
            nodes = [n for n in v["nodes"] if (v["id"], n) not in forgiven]
            if nodes:
                remaining.append({**v, "nodes": nodes})
        if remaining:
            return response.status, format_violations(site.page.url, remaining)
    return response.status, None


def is_download(answer: APIResponse) -> bool:
    return answer.headers.get("content-disposition", "").startswith("attachment")


def download_problem(rule: Rule, path: str, answer: APIResponse) -> str | None:
    """What is wrong with a route's answer as a file download, if anything."""
    media_type = answer.headers.get("content-type", "").split(";")[0]
    if rule.endpoint not in DOWNLOADS:
        return f"GET {path} is a download: add {rule.endpoint} to DOWNLOADS"
    if (answer.status, media_type, is_download(answer)) != (200, DOWNLOADS[rule.endpoint], True):
        return (f"GET {path} (a download) answered {answer.status} {media_type}, "
                f"Content-Disposition {answer.headers.get('content-disposition')!r}")
    if media_type == "application/pdf" and not answer.body().startswith(b"%PDF-"):
        return f"GET {path} is not a PDF: {answer.body()[:20]!r}"
    return None


def submit_with_errors(site: Site, field: str) -> int:
    """Press Enter in a form's field; the status of the page that comes back."""
    site.tab_to(field)
    with site.page.expect_response(
        lambda r: r.request.resource_type == "document" and r.request.method == "POST"
    ) as posted:
        site.press_to_next_page("Enter")
    assert site.is_focused(".nhsuk-error-summary"), site.focused()
    return posted.value.status


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SERVICE_LEAD, Role.ADMIN])
def test_every_staff_page_a_role_may_open_passes_axe(site, live_server, ids, role):
    app = live_server.app
    email, secret = new_staff(live_server, role)
    sign_in_with_code(site, email, secret)
    assert site.path == HOME[role]

    allowed, forbidden, problems = [], [], []
    for rule in staff_pages(app):
        blueprint = rule.endpoint.split(".")[0]
        (allowed if role in roles_allowed(app, blueprint) else forbidden).append(rule)
    assert allowed

    for rule in allowed:
        path = concrete_path(rule, ids)
        # Asked first without the page, as fetch would: JSON is data for a page, not a page.
        answer = site.page.request.get(site.server.url + path)
        if rule.endpoint in DOWNLOADS or is_download(answer):
            problem = download_problem(rule, path, answer)
            if problem:
                problems.append(problem)
            continue
        if answer.headers.get("content-type", "").startswith("application/json"):
            if answer.status != 200:
                problems.append(f"GET {path} (JSON) answered {answer.status}")
            else:
                answer.json()
            continue
        _, forgiven = KNOWN_APP_BUGS.get(rule.endpoint, ("", frozenset()))
        status, violations = visit(site, path, forgiven)
        if status != 200:
            problems.append(f"GET {path} answered {status}")
        if violations:
            problems.append(violations)
    assert not problems, "\n".join(problems)

    if forbidden:  # administrators may open everything
        path = concrete_path(forbidden[0], ids)
        status, violations = visit(site, path)
        assert status == 403, path
        assert violations is None, violations


def test_first_sign_in_sets_up_the_authenticator_by_keyboard(site, live_server):
    email, _ = new_staff(live_server, Role.ADMIN, enrolled=False)
    sign_in(site, email)
    assert site.path == "/sign-in/set-up-authenticator"
    assert site.page.locator(".app-qr-code > svg").count() == 1  # inline: no request for it
    secret = site.page.locator(".app-secret").inner_text().replace(" ", "")
    type_into(site, "#code", pyotp.TOTP(secret).now())
    site.press_to_next_page("Enter")

    assert site.path == "/sign-in/recovery-codes"
    assert site.page.locator(".app-recovery-codes li").count() >= 8
    site.tab_to("main form button")
    site.press_to_next_page("Enter")
    assert site.path == HOME[Role.ADMIN]
    with live_server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user.totp_secret == secret and user.totp_confirmed_at is not None


def test_invitation_password_too_short_then_accepted_by_keyboard(site, live_server):
    email = f"invited-{next(_numbers)}@nhs.test"
    with live_server.app.app_context():
        _, token = users.invite_user(email=email, name="Ivy Invited", role=Role.VOLUNTEER,
                                     service_ids=[], invited_by=None, lifetime=timedelta(days=3))
    site.goto(f"/invitations/{token}")
    type_into(site, "#password", "too short")
    type_into(site, "#confirm", "too short")
    with site.page.expect_response(lambda r: r.request.method == "POST") as posted:
        site.press_to_next_page("Enter")
    assert posted.value.status == 400
    assert site.is_focused(".nhsuk-error-summary"), site.focused()
    assert "at least 12 characters" in site.page.locator(".nhsuk-error-summary").inner_text()

    password = "pelican bramble foghorn ledger"
    type_into(site, "#password", password)
    type_into(site, "#confirm", password)
    site.press_to_next_page("Enter")
    assert site.path == "/sign-in"
    sign_in(site, email, password)
    assert site.path == HOME[Role.VOLUNTEER]


def test_admin_forms_with_errors_pass_axe(site, live_server):
    email, secret = new_staff(live_server, Role.ADMIN)
    sign_in_with_code(site, email, secret)

    site.goto("/admin/staff/invite")
    assert submit_with_errors(site, "#name") == 400
    summary = site.page.locator(".nhsuk-error-summary").inner_text()
    assert "Enter their full name" in summary and "Choose a role" in summary

    site.goto("/admin/services/new")
    assert submit_with_errors(site, "#slug") == 400
    assert "Enter a web address" in site.page.locator(".nhsuk-error-summary").inner_text()

