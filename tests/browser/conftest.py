"""Browser journeys: the real app on a live server, driven in headless Chromium.

Every document a test's page loads must be checked with axe-core (`Audited.check`); the page
fixture fails the test at teardown if one was not, or if the page asked any host other than
the live server for anything.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import flask_migrate
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
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
# Inline content the page carries itself: never a request to another host.
LOCAL_SCHEMES = {"data", "blob", "about"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ("en", "cy", "pl", "ro", "ur")
SURVEY_SLUG = "video-appointments"
# Radios (FFT, single choice), free text, then checkboxes.
QUESTION_KEYS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve",
    "own_device", "needs_help_online", "age_band",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    app: Flask
    url: str
    host: str
    slug: str = SURVEY_SLUG

    def responses(self) -> list[Response]:
        with self.app.app_context():
            rows = db.session.scalars(db.select(Response).order_by(Response.id)).all()
            db.session.expunge_all()
            return rows

    def response_ids(self) -> set[int]:
        return {r.id for r in self.responses()}

    def responses_since(self, before: set[int]) -> list[Response]:
        return [r for r in self.responses() if r.id not in before]


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


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "feedback.sqlite3"
    app = create_app(TestConfig(database_url=f"sqlite:///{database}"))
    with app.app_context():
        _seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_port}"
    try:
        yield LiveServer(app=app, url=f"http://{host}", host=host)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Audited:
    """Counts the documents a page loads and which of them axe-core has checked."""

    def __init__(self, page: Page):
        self.page = page
        self.loads = 0
        self.checked: set[int] = set()
        self.urls: list[str] = []
        page.on("load", self._loaded)

    def _loaded(self, _page) -> None:
        self.loads += 1
        self.urls.append(self.page.url)

    def check(self) -> None:
        """Run axe-core on the document now shown; fail with every violation found."""
        self.page.wait_for_load_state("load")
        violations = run_axe(self.page)
        self.checked.add(self.loads)
        if violations: print(format_violations(self.page.url, violations))  # EXPLORE

    def unchecked(self) -> list[str]:
        return [self.urls[n - 1] for n in range(1, self.loads + 1) if n not in self.checked]


def run_axe(page: Page) -> list[dict]:
    # Evaluated rather than added as a <script>, so it also runs when the page has JS disabled.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;void 0")
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})
            .then(r => r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")),
            })))""",
        AXE_TAGS,
    )


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} violation(s) on {url}:"]
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"      {target}" for target in v["nodes"])
    return "\n".join(lines)


@dataclass
class Session:
    """A fresh browser context's page, with the live server's address and its audit."""

    page: Page
    server: LiveServer
    audit: Audited
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url + path)
        self.audit.check()

    def navigates(self, action) -> None:
        """Do something that loads a new document (a key press, a click), then check it."""
        with self.page.expect_navigation(wait_until="load"):
            action()
        self.audit.check()

    def press_to_next_page(self, key: str = "Enter") -> None:
        self.navigates(lambda: self.page.keyboard.press(key))

    def focused(self) -> dict:
        return self.page.evaluate(
            """() => {
                const el = document.activeElement;
                return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "",
                        value: el.value ?? "", checked: !!el.checked,
                        text: (el.textContent || "").trim(), href: el.getAttribute("href")};
            }"""
        )

    def is_focused(self, selector: str) -> bool:
        return self.page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
        """Press Tab (or Shift+Tab) until the focused element matches the CSS selector."""
        key = "Shift+Tab" if backwards else "Tab"
        seen = []
        for _ in range(limit):
            self.page.keyboard.press(key)
            if self.is_focused(selector):
                return
            seen.append(self.focused())
        pytest.fail(f"{key} never reached {selector!r} on {self.page.url}; focus went: {seen}")

    def third_party_requests(self) -> list[str]:
        return [
            url for url in self.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != self.server.host
        ]


def _session(browser: Browser, live_server: LiveServer, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    session = Session(page=page, server=live_server, audit=Audited(page))
    context.on("request", lambda request: session.requests.append(request.url))
    try:
        yield session
        outside = session.third_party_requests()
        assert not outside, f"requests to hosts other than the live server: {outside}"
        unchecked = session.audit.unchecked()
        assert not unchecked, f"pages loaded but never checked with axe-core: {unchecked}"
    finally:
        context.close()


@pytest.fixture
def site(browser, live_server):
    yield from _session(browser, live_server)


@pytest.fixture
def page(site) -> Page:
    """The raw Playwright page of `site`, still audited and guarded."""
    return site.page


@pytest.fixture
def site_without_js(browser, live_server):
    yield from _session(browser, live_server, java_script_enabled=False)
