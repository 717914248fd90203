"""How heavy and how slow the survey start page is on a poor mobile connection.

Starts the app on a temporary SQLite database (migrations, question bank, one service with an
open survey), then opens /s/<slug> in headless Chromium with an empty cache and the network
throttled through the DevTools protocol: 800 ms round trip, 280 kbit/s down, 256 kbit/s up.
For each run it prints every resource with the bytes transferred (compressed, as on the wire,
headers included) and its Content-Encoding, the totals by kind, and the time from navigation
start to the end of the load event. Three runs, then the medians against the goal.

Run: .venv/bin/python bench/start_page.py     (always exits 0; read the PASS/FAIL line)
"""

import logging
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import flask_migrate
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feedback import create_app  # noqa: E402
from feedback.config import TestConfig  # noqa: E402
from feedback.services.question_bank import sync_question_bank  # noqa: E402
from feedback.services.surveys import create_service, create_survey  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SLUG = "video-appointments"
QUESTION_KEYS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve",
    "own_device", "needs_help_online", "age_band",
]
RUNS = 3

# The connection: kbit/s are 1000 bits a second; CDP wants bytes a second.
LATENCY_MS = 800
DOWNLOAD_KBIT = 280
UPLOAD_KBIT = 256
NETWORK = {
    "offline": False,
    "latency": LATENCY_MS,
    "downloadThroughput": DOWNLOAD_KBIT * 1000 / 8,
    "uploadThroughput": UPLOAD_KBIT * 1000 / 8,
}

# The goal, with KB meaning 1000 bytes, as DevTools counts them.
GOAL_BYTES = 60_000
GOAL_SECONDS = 5.0

KINDS = {"text/html": "HTML", "text/css": "CSS", "text/javascript": "JS",
         "application/javascript": "JS"}


def kind_of(mime_type: str) -> str:
    return "images" if mime_type.startswith("image/") else KINDS.get(mime_type, mime_type)


def start_server() -> tuple[str, object]:
    database = Path(tempfile.mkdtemp(prefix="bench-")) / "feedback.sqlite3"
    app = create_app(TestConfig(database_url=f"sqlite:///{database}"))
    with app.app_context():
        flask_migrate.upgrade()
        sync_question_bank()
        service = create_service(
            slug=SLUG, name="Video appointments", kind="video_consultation",
            description={"en": "Seeing a doctor, nurse or therapist by video call."},
        )
        create_survey(
            service_id=service.id, name="Video appointments", languages=["en"],
            question_keys=QUESTION_KEYS,
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def measure(browser: Browser, url: str) -> dict:
    """One cold, throttled load of the page: its resources and the time to the load event."""
    context = browser.new_context()  # a new context has an empty cache
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", NETWORK)

    resources: dict[str, dict] = {}

    def on_response(event):
        response = event["response"]
        headers = {k.lower(): v for k, v in response["headers"].items()}
        resources[event["requestId"]] = {
            "url": response["url"], "status": response["status"],
            "kind": kind_of(response["mimeType"]),
            "encoding": headers.get("content-encoding", "none"), "bytes": None,
        }

    def on_finished(event):
        if event["requestId"] in resources:
            resources[event["requestId"]]["bytes"] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)

    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    load_ms = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].loadEventEnd"
    )
    context.close()
    done = [r for r in resources.values() if r["bytes"] is not None]
    return {"resources": done, "total": sum(r["bytes"] for r in done), "load_s": load_ms / 1000}


def report(number: int, run: dict, origin: str) -> None:
    print(f"\nRun {number}")
    print(f"  {'bytes':>8}  {'encoding':<8}  {'kind':<10}  resource")
    by_kind: dict[str, int] = {}
    for r in sorted(run["resources"], key=lambda r: -r["bytes"]):
        kind = r["kind"]
        by_kind[kind] = by_kind.get(kind, 0) + r["bytes"]
        print(f"  {r['bytes']:>8,}  {r['encoding']:<8}  {kind:<10}  "
              f"{r['url'].removeprefix(origin)} ({r['status']})")
    kinds = ", ".join(f"{kind} {size:,}" for kind, size in sorted(by_kind.items()))
    print(f"  total {run['total']:,} bytes transferred ({kinds})")
    print(f"  load event ended {run['load_s']:.2f} s after navigation start")


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    origin, server = start_server()
    url = f"{origin}/s/{SLUG}"
    print(f"Start page {url}")
    print(f"Network: {LATENCY_MS} ms round trip, {DOWNLOAD_KBIT} kbit/s down "
          f"({NETWORK['downloadThroughput']:,.0f} B/s), {UPLOAD_KBIT} kbit/s up "
          f"({NETWORK['uploadThroughput']:,.0f} B/s); empty cache")
    runs = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for number in range(1, RUNS + 1):
                run = measure(browser, url)
                report(number, run, origin)
                runs.append(run)
            browser.close()
    finally:
        server.shutdown()

    total = statistics.median(r["total"] for r in runs)
    seconds = statistics.median(r["load_s"] for r in runs)
    print("\nEach run: " + "; ".join(f"{r['total']:,} bytes, {r['load_s']:.2f} s" for r in runs))
    print(f"Median: {total:,.0f} bytes transferred, load event at {seconds:.2f} s")
    verdict = "PASS" if total < GOAL_BYTES and seconds < GOAL_SECONDS else "FAIL"
    print(f"Goal: under {GOAL_BYTES // 1000} KB and under {GOAL_SECONDS:.0f} s: {verdict}"
          f" ({total / 1000:.1f} KB, {seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
