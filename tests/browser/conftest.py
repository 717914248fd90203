"""Browser journeys: the real app on a live server, driven in headless Chromium.

Every document a test's page loads is checked with axe-core: `Site.goto` and `Site.navigates`
do it, and the `site` fixture fails the test at teardown if a loaded document escaped the check,
if the page asked any host other than the live server for anything, if the server answered
5xx, or if anything was logged as an error in the browser console (such as a CSP refusal).
"""

import functools
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import flask_migrate
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright
from werkzeug.serving import make_server

from feedback import create_app
from feedback.config import PROJECT_ROOT, TestConfig
from feedback.extensions import db
from feedback.models import Response
from feedback.services.question_bank import sync_question_bank
from feedback.services.surveys import create_service, create_survey

AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Content a page carries itself; never a request to another host.
LOCAL_SCHEMES = {"data", "blob", "about"}
LANGUAGES = ("en", "cy", "pl", "ro", "ur")
RTL_LANGUAGES = {"ur"}
SURVEY_SLUG = "video-appointments"
CLOSED_SLUG = "repeat-prescriptions"
# Radios (the FFT rating, single choices), free text and checkboxes.
QUESTION_KEYS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve",
    "own_device", "needs_help_online", "age_band",
]


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --- the app on a live server ----------------------------------------------------------------


class HoldBack:
    """WSGI middleware that can hold back the answer to a request after the app has made it,
    as a slow network would, so a test can act while the browser waits."""

    def __init__(self, app: Flask):
        self.app = app
        self.seconds: dict[tuple[str, str], float] = {}

    def __call__(self, environ, start_response):
        body = self.app(environ, start_response)
        delay = self.seconds.get((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        if delay:
            time.sleep(delay)
        return body


@dataclass
class LiveServer:
    app: Flask
    url: str
    host: str
    hold_back: HoldBack
    slug: str = SURVEY_SLUG

    @contextmanager
    def answers_held_back(self, method: str, path: str, seconds: float):
        self.hold_back.seconds[(method, path)] = seconds
        try:
            yield
        finally:
            del self.hold_back.seconds[(method, path)]

    def response_ids(self) -> set[int]:
        with self.app.app_context():
            return set(db.session.scalars(db.select(Response.id)))

    def responses_since(self, before: set[int]) -> list[dict]:
        """Responses stored since `before` was taken, as plain dicts with their answers."""
        with self.app.app_context():
            rows = db.session.scalars(
                db.select(Response).where(Response.id.not_in(before)).order_by(Response.id)
            ).all()
            return [
                {
                    "channel": r.channel, "locale": r.locale, "role": r.respondent_role,
                    "answers": {
                        a.question.key: a.text or a.choices or a.choice or a.status
                        for a in r.current_version.answers
                    },
                }
                for r in rows
            ]


def _seed() -> None:
    flask_migrate.upgrade()
    sync_question_bank()
    service = create_service(
        slug=SURVEY_SLUG, name="Video appointments", kind="video_consultation",
        description={
            "en": "Seeing a doctor, nurse or therapist by video call instead of in person.",
            "cy": "Gweld meddyg, nyrs neu therapydd drwy alwad fideo yn lle wyneb yn wyneb.",
            "pl": "Wizyta u lekarza, pielęgniarki lub terapeuty przez rozmowę wideo.",
            "ro": "Consultație cu un medic, o asistentă sau un terapeut prin apel video.",
            "ur": "ذاتی طور پر ملنے کے بجائے ویڈیو کال کے ذریعے ڈاکٹر، نرس یا معالج سے ملاقات۔",
        },
    )
    create_survey(
        service_id=service.id, name="Video appointments 2026",
        languages=list(LANGUAGES), question_keys=QUESTION_KEYS,
    )
    closed = create_service(
        slug=CLOSED_SLUG, name="Repeat prescriptions", kind="app",
        description={"en": "Ordering repeat prescriptions in an app."},
    )
    create_survey(
        service_id=closed.id, name="Repeat prescriptions 2025", languages=list(LANGUAGES),
        question_keys=QUESTION_KEYS, opens_at=datetime(2025, 1, 1), closes_at=datetime(2025, 7, 1),
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "feedback.sqlite3"
    app = create_app(TestConfig(database_url=f"sqlite:///{database}"))
    with app.app_context():
        _seed()
    hold_back = HoldBack(app)
    server = make_server("127.0.0.1", 0, hold_back, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
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


# --- Chromium ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8") + "\n;void 0;"


def run_axe(page: Page) -> list[dict]:
    """axe-core's WCAG 2.x A and AA violations on the page's document."""
    # Evaluated rather than added as a <script> tag, which the app's CSP (rightly) blocks.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})
            .then(r => r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")),
            })))""",
        AXE_TAGS,
    )


# App bugs axe-core finds on every page, reported and awaiting a fix in the app. Each has a
# strict-xfail test (test_pages.py) that still sees it; when the app is fixed that
# test XPASSes and fails, and the entry here must go. Never add an entry without such a test.
KNOWN_APP_BUGS: set[tuple[str, str]] = set()


def without_known_app_bugs(violations: list[dict]) -> list[dict]:
    remaining = []
    for v in violations:
        nodes = [n for n in v["nodes"] if (v["id"], n) not in KNOWN_APP_BUGS]
        if nodes:
            remaining.append({**v, "nodes": nodes})
    return remaining


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} violation(s) on {url}:"]
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"      {target}" for target in v["nodes"])
    return "\n".join(lines)


class Audit:
    """Counts the documents a page loads, and checks each with axe-core.

    With JavaScript off, axe cannot run in the page itself, so the document the browser has
    (exactly the server's HTML, as no script ran) is checked in a twin page that fetches the
    same styles from the live server but runs none of the app's scripts.
    """

    def __init__(self, page: Page, twin: Callable[[], Page] | None):
        self.page = page
        self.twin = twin
        self.loads = 0
        self.checked: set[int] = set()
        self.urls: list[str] = []
        page.on("load", self._loaded)

    def _loaded(self, _page) -> None:
        self.loads += 1
        self.urls.append(self.page.url)

    def check(self) -> None:
        self.page.wait_for_load_state("load")
        loaded = self.loads
        violations = run_axe(self.page) if self.twin is None else self._run_on_twin()
        self.checked.add(loaded)
        violations = without_known_app_bugs(violations)
        assert not violations, format_violations(self.page.url, violations)

    def _run_on_twin(self) -> list[dict]:
        html, url = self.page.content(), self.page.url.split("#")[0]
        twin = self.twin()

        def serve(route: Route) -> None:
            if route.request.url.split("#")[0] == url and route.request.resource_type == "document":
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif route.request.resource_type == "script":
                route.abort()
            else:
                route.continue_()

        twin.route("**/*", serve)
        try:
            twin.goto(url, wait_until="load")
            return run_axe(twin)
        finally:
            twin.unroute("**/*")

    def unchecked(self) -> list[str]:
        return [self.urls[n - 1] for n in range(1, self.loads + 1) if n not in self.checked]


# --- a test's page -----------------------------------------------------------------------------


@dataclass
class Site:
    """A fresh browser context's page on the live server. Navigate through it so every page
    is checked with axe-core, and use the keyboard helpers to move focus."""

    page: Page
    server: LiveServer
    audit: Audit
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url + path)
        self.audit.check()

    def navigates(self, action: Callable[[], object]) -> None:
        """Do something that loads a new document (a key press, a click), then check it."""
        with self.page.expect_navigation(wait_until="load"):
            action()
        self.audit.check()

    def press_to_next_page(self, key: str = "Enter") -> None:
        self.navigates(lambda: self.page.keyboard.press(key))

    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path

    def focused(self) -> dict:
        return self.page.evaluate(
            """() => {
                const el = document.activeElement;
                return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "",
                        value: el.value ?? "", checked: !!el.checked,
                        text: (el.textContent || "").trim().slice(0, 60),
                        href: el.getAttribute("href")};
            }"""
        )

    def is_focused(self, selector: str) -> bool:
        return self.page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 60) -> None:
        """Press Tab (or Shift+Tab) until the focused element matches the CSS selector."""
        key = "Shift+Tab" if backwards else "Tab"
        seen = []
        for _ in range(limit):
            self.page.keyboard.press(key)
            if self.is_focused(selector):
                return
            seen.append(self.focused())
        pytest.fail(f"{key} never reached {selector!r} on {self.page.url}; focus went: {seen}")

    def html_lang_and_dir(self) -> tuple[str | None, str | None]:
        html = self.page.locator("html")
        return html.get_attribute("lang"), html.get_attribute("dir")

    def third_party_requests(self) -> list[str]:
        outside = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme not in LOCAL_SCHEMES and parts.netloc != self.server.host:
                outside.append(url)
        return outside


def _open_site(browser: Browser, live_server: LiveServer, *, javascript: bool):
    contexts: list[BrowserContext] = []
    requests: list[str] = []
    server_errors: list[str] = []
    browser_errors: list[str] = []

    def new_context(**options) -> BrowserContext:
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("request", lambda request: requests.append(request.url))
        context.on("response", lambda r: server_errors.append(r.url) if r.status >= 500 else None)
        context.on("console", console_error)
        context.on("weberror", lambda error: browser_errors.append(str(error.error)))
        contexts.append(context)
        return context

    def console_error(message) -> None:
        # Error statuses are the tests' business (a form with errors is a 400); anything else
        # in the console, such as a Content-Security-Policy refusal, is a fault.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            browser_errors.append(f"{message.text} at {message.location.get('url')}")

    twin_page: list[Page] = []

    def twin() -> Page:
        if not twin_page:
            twin_page.append(new_context().new_page())
        return twin_page[0]

    page = new_context(java_script_enabled=javascript).new_page()
    site = Site(page=page, server=live_server, audit=Audit(page, None if javascript else twin),
                requests=requests)
    try:
        yield site
        outside = site.third_party_requests()
        assert not outside, f"requests to hosts other than the live server: {outside}"
        assert not server_errors, f"the server answered 5xx: {server_errors}"
        assert not browser_errors, f"errors in the browser console: {browser_errors}"
        unchecked = site.audit.unchecked()
        assert not unchecked, f"pages loaded but never checked with axe-core: {unchecked}"
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def site(browser, live_server):
    yield from _open_site(browser, live_server, javascript=True)


@pytest.fixture
def page(site) -> Page:
    """The raw Playwright page of `site`, still audited and guarded."""
    return site.page


@pytest.fixture
def site_without_js(browser, live_server):
    yield from _open_site(browser, live_server, javascript=False)


# --- shared journeys ---------------------------------------------------------------------------

CLICKED_ANSWERS = {
    "fft_rating": "very_good",
    "fft_what_was_good": "Quick to join the call.",
    "fft_what_could_improve": "Send the link earlier.",
    "own_device": ["tablet"],
    "needs_help_online": "never",
    "age_band": "65_74",
}


def answer_survey_by_clicking(site: Site, lang: str) -> None:
    """From the home page to check your answers, with the mouse, giving CLICKED_ANSWERS."""
    page, slug = site.page, site.server.slug
    site.goto(f"/?lang={lang}")
    site.navigates(lambda: page.click(f'a[href="/s/{slug}"]'))
    site.navigates(lambda: page.click("form button[type=submit]"))
    assert site.path == f"/s/{slug}/who-is-answering"
    page.click('label[for="role"]')
    site.navigates(lambda: page.click("form button[type=submit]"))
    for key in QUESTION_KEYS:
        answer = CLICKED_ANSWERS[key]
        if isinstance(answer, list):
            for value in answer:
                page.click(f"input[name=answer][value=\"{value}\"] + label")
        elif page.locator("textarea[name=answer]").count():
            page.fill("textarea[name=answer]", answer)
        else:
            page.click(f"input[name=answer][value=\"{answer}\"] + label")
        site.navigates(lambda: page.click("form button[type=submit]"))
    assert site.path == f"/s/{slug}/check-your-answers"
