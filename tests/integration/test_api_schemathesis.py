"""schemathesis throws requests generated from the OpenAPI document at the integration API.

Every phase its command line runs (examples, coverage, fuzzing) sends valid and invalid paths,
query strings, bodies and headers to every operation, with a real token. Each answer must be
no 5xx, carry a status the document lists, and fit the documented schema, content type and
headers; valid requests must be accepted, invalid ones refused, and none accepted without the
token. Seeded and with no example database, so a run is the same run each time; fewer
examples where CI=true.

Over HTTP on 127.0.0.1 rather than through WSGI: schemathesis 4.32's WSGI transport cannot
send its no-credentials probe (it hands requests' max_redirects to werkzeug) and does not undo
Flask-Compress's gzip, and a real client does both.
"""

import os
import threading
from datetime import datetime

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from werkzeug.serving import make_server

from feedback import jobs
from feedback.services import api_tokens, responses
from tests.factories import create_service, create_survey, question_ids

EXAMPLES = 25 if os.environ.get("CI") == "true" else 100  # per operation and mode
SEED = 20261127
# The checks that must have run, so that a change of schemathesis's defaults cannot quietly
# make this test weaker.
CHECKS = {"not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance",
          "positive_data_acceptance", "negative_data_rejection", "ignored_auth"}

QUESTIONS = ["fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet",
             "own_device", "needs_help_online"]


@pytest.fixture
def api_token(db, monkeypatch) -> str:
    """A token for a service with an open survey and a few analysed responses, so that the
    reports and the export have something to show; another service's data beside it."""
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: None)  # no texts to Twilio
    service = create_service()
    survey = create_survey(service=service, question_keys=QUESTIONS)
    ids = question_ids(survey)
    for number, rating in enumerate(["very_good", "good", "poor", "good", "neither", "good"]):
        responses.submit(
            survey_version_id=survey.versions[0].id, channel="web" if number % 3 else "sms",
            respondent_role="patient", locale="en", enforce_required=False,
            submitted_at=datetime(2026, 10, 5 + number, 12),
            answers={ids["fft_rating"]: {"choice": rating},
                     ids["fft_what_could_improve"]: {"text": "Dr Patel never rang 07700 900123"},
                     ids["home_internet"]: {"choice": "no"},
                     ids["own_device"]: {"choices": ["smartphone"]}})
    other = create_service(slug="other", name="Other")
    create_survey(service=other)
    _, plaintext = api_tokens.create_token(service, name="Appointments", created_by=None)
    return plaintext


@pytest.fixture
def base_url(app, db):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def run_schemathesis(base_url: str, token: str) -> tuple[list[str], set[str], set[str]]:
    """The problems found, the operations tried and the checks run."""
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "base-url": f"{base_url}/api/v1",
        "generation": {"max-examples": EXAMPLES, "mode": "all", "database": "none"},
        "auth": {"openapi": {"bearerToken": {"bearer": token}}},
    })
    # Loaded as a dict, not from its URL: schemathesis leaves out the operation that serves the
    # document it was loaded from, and that one is part of the API too.
    document = requests.get(f"{base_url}/api/v1/openapi", timeout=10,
                            headers={"Authorization": f"Bearer {token}"}).json()
    schema = schemathesis.openapi.from_dict(document, config=config)
    problems, operations, checks_run = [], set(), set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            operations.add(event.recorder.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    checks_run.add(check.name)
                    if check.status == Status.FAILURE and check.failure_info:
                        failure = check.failure_info.failure
                        problems.append(f"{event.recorder.label}: {check.name}: "
                                        f"{failure.title}: {failure.message}\n"
                                        f"{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: error: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return problems, operations, checks_run


def test_schemathesis_finds_no_failure_in_any_operation(base_url, api_token):
    problems, operations, checks_run = run_schemathesis(base_url, api_token)
    assert not problems, "\n\n".join(dict.fromkeys(problems))
    assert operations == {"GET /openapi", "POST /recipients", "GET /campaigns/{campaign_id}",
                          "GET /reports/{period}", "GET /responses"}
    assert CHECKS <= checks_run, CHECKS - checks_run
