"""Exports on the web: ask on the report page, watch the job's page, download, audited."""

import csv
import io
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from flask import render_template
from sqlalchemy import select

from feedback import jobs
from feedback.analysis.periods import parse_period
from feedback.extensions import db as _db
from feedback.models import ExportJob, ExportStatus, utcnow
from feedback.services import responses
from feedback.services.audit import Actions
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user, question_ids


@pytest.fixture
def service(db):
    survey = create_survey()
    ids = question_ids(survey)
    for rating in ("very_good", "good", "poor"):
        responses.submit(
            survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
            locale="en", answers={ids["fft_rating"]: {"choice": rating}},
            enforce_required=False, submitted_at=datetime(2026, 10, 14, 11, 0))
    return survey.service


@pytest.fixture
def lead(client, service):
    user = create_user(email="lead@nhs.test", role="service_lead", services=[service])
    sign_in_as(client, user)
    return user


def csrf_token(client) -> str:
    return parse(client.get("/reports/")).select_one("input[name=csrf_token]")["value"]


def start(client, service, **data):
    form = {"csrf_token": csrf_token(client), "period": "2026-10", "kind": "csv", **data}
    return client.post(f"/exports/services/{service.id}", data=form)


def export_of(response) -> ExportJob:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    export_id = int(response.headers["Location"].rsplit("/", 1)[1])
    _db.session.expire_all()
    return _db.session.get(ExportJob, export_id)


def test_a_lead_asks_for_a_csv_sees_it_ready_and_downloads_it_audited(client, service, lead,
                                                                      new_audit_events):
    export = export_of(start(client, service))
    assert (export.kind, export.period, export.requested_by_id) == ("csv", "2026-10", lead.id)

    page = parse(client.get(f"/exports/{export.id}"))
    assert page.h1.get_text(strip=True) == "Responses (CSV)"
    assert "Ready to download" in page.get_text()
    link = page.select_one(f"a[href='/exports/{export.id}/download']")
    assert link is not None and "Download the file" in link.get_text()

    download = client.get(f"/exports/{export.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=video-appointments-2026-10-responses.csv")
    assert "no-store" in download.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["fft_rating"] for r in rows) == ["good", "poor", "very_good"]
    events = new_audit_events(Actions.EXPORTED)
    assert len(events) == 1
    assert (events[0].actor_id, events[0].target_type, events[0].target_id) == (
        lead.id, "exportjob", str(export.id))
    assert events[0].details["kind"] == "csv" and events[0].details["period"] == "2026-10"


@pytest.mark.parametrize("kind, comments, made, mimetype", [
    ("xlsx", None, "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("pdf", None, "pdf", "application/pdf"),
    ("pdf", "y", "pdf_no_text", "application/pdf"),
    ("fft_return", None, "fft_return", "text/csv"),
])
def test_each_kind_on_offer_is_made_and_downloaded_with_its_own_type(client, service, lead,
                                                                    kind, comments, made,
                                                                    mimetype):
    data = {"kind": kind, **({"leave_out_comments": comments} if comments else {})}
    export = export_of(start(client, service, **data))

    assert export.kind == made and export.status == ExportStatus.DONE
    download = client.get(f"/exports/{export.id}/download")
    assert download.status_code == 200 and download.mimetype == mimetype
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")


def test_the_view_leaves_the_job_to_the_queue_and_the_page_says_to_check_again(
        client, service, lead, monkeypatch):
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: queued.append((func, args)))

    export = export_of(start(client, service, kind="xlsx"))

    assert queued == [(jobs.run_export, (export.id,))]
    assert export.status == ExportStatus.WAITING
    page = parse(client.get(f"/exports/{export.id}"))
    assert "Waiting to start" in page.get_text()
    again = page.select_one(f"a[href='/exports/{export.id}']")
    assert again is not None and "Check again" in again.get_text()
    assert page.select_one("meta[http-equiv]") is None  # no refresh behind the reader's back
    assert client.get(f"/exports/{export.id}/download").status_code == 404


def test_the_page_shows_how_far_a_running_csv_has_got(client, service, lead, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: None)
    export = export_of(start(client, service))
    export.status, export.rows_done, export.rows_total = ExportStatus.RUNNING, 1000, 2500
    _db.session.commit()

    page = parse(client.get(f"/exports/{export.id}"))

    assert "Being made" in page.get_text()
    assert "1,000 of 2,500 responses written." in page.get_text()


def test_a_failed_export_says_so_and_cannot_be_downloaded(client, service, lead, monkeypatch):
    from feedback.services import exports

    def broken(*args):
        raise RuntimeError("no room")

    monkeypatch.setitem(exports._MAKERS, "pdf", broken)
    export = export_of(start(client, service, kind="pdf"))

    assert export.status == ExportStatus.FAILED
    page = parse(client.get(f"/exports/{export.id}"))
    assert "The export could not be made" in page.get_text()
    assert "no room" not in page.get_text()
    assert client.get(f"/exports/{export.id}/download").status_code == 404


def test_an_expired_export_is_gone_with_a_410(client, service, lead, new_audit_events):
    export = export_of(start(client, service))
    export.expires_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()

    download = client.get(f"/exports/{export.id}/download")

    assert download.status_code == 410
    assert "This export has expired" in parse(download, 410).h1.get_text()
    assert new_audit_events(Actions.EXPORTED) == []
    assert "This export has expired" in parse(client.get(f"/exports/{export.id}")).get_text()


def test_another_services_exports_are_forbidden(client, service, db):
    theirs = create_service(slug="theirs", name="Theirs")
    lead = create_user(email="lead@nhs.test", role="service_lead", services=[theirs])
    their_export = ExportJob(service_id=service.id, period="2026-10", kind="csv", locale="en",
                             status="done", content=b"x", size=1, mimetype="text/csv",
                             filename="x.csv", expires_at=utcnow() + timedelta(hours=1))
    _db.session.add(their_export)
    _db.session.commit()
    sign_in_as(client, lead)

    assert start(client, service).status_code == 403
    assert client.get(f"/exports/{their_export.id}").status_code == 403
    assert client.get(f"/exports/{their_export.id}/download").status_code == 403
    assert client.get("/exports/999999").status_code == 404
    assert start(client, SimpleNamespace(id=999999)).status_code == 404
    assert _db.session.scalars(select(ExportJob.id)).all() == [their_export.id]


def test_an_administrator_may_export_any_service(client, service, admin):
    assert export_of(start(client, service)).status == ExportStatus.DONE


@pytest.mark.parametrize("data, message", [
    ({"kind": "fft_return", "period": "2026-Q3"}, "The Friends and Family Test return is for"),
    ({"period": (utcnow() + timedelta(days=40)).strftime("%Y-%m")},
     "Choose a week, month or quarter that has ended"),
    ({"period": utcnow().strftime("%G-W%V")}, "Choose a week, month or quarter that has ended"),
    ({"period": "2026-13"}, "Choose a week, month or quarter to export"),
    ({"kind": "everything"}, "Choose what to export"),
    ({"kind": "pdf_no_text"}, "Choose what to export"),
])
def test_a_wrong_choice_starts_nothing_and_says_why(client, service, lead, data, message):
    response = start(client, service, **data)

    page = parse(response, 400)
    assert message in page.select_one(".nhsuk-error-summary").get_text()
    assert _db.session.scalars(select(ExportJob)).all() == []


def test_an_export_needs_the_csrf_token(client, service, lead):
    response = client.post(f"/exports/services/{service.id}",
                           data={"period": "2026-10", "kind": "csv"})
    assert response.status_code == 400
    assert _db.session.scalars(select(ExportJob)).all() == []


def render_exports(app, service, period: str) -> str:
    with app.test_request_context():
        return render_template("reports/_exports.html", service=service,
                               report=SimpleNamespace(period=parse_period(period)))


def test_the_report_page_partial_offers_a_form_per_kind_with_the_fft_return_for_months(app,
                                                                                       service):
    page = BeautifulSoup(render_exports(app, service, "2026-10"), "html.parser")

    forms = page.select("form")
    assert [f.select_one("input[name=kind]")["value"] for f in forms] == [
        "pdf", "xlsx", "csv", "fft_return"]
    for form in forms:
        assert form["method"] == "post" and form["action"] == f"/exports/services/{service.id}"
        assert form.select_one("input[name=csrf_token]")["value"]
        assert form.select_one("input[name=period]")["value"] == "2026-10"
        assert form.select_one("button[type=submit]").get_text(strip=True)
    checkbox = forms[0].select_one("input[type=checkbox][name=leave_out_comments]")
    assert page.select_one(f"label[for={checkbox['id']}]").get_text() == "Leave comments out"

    quarter = render_exports(app, service, "2026-Q4")
    assert 'value="fft_return"' not in quarter and 'value="2026-Q4"' in quarter


def test_the_report_page_carries_the_export_forms_for_its_period(client, service, lead):
    page = parse(client.get(f"/reports/services/{service.id}?period=2026-10"))

    forms = page.select(f"form[action='/exports/services/{service.id}']")
    assert {f.select_one("input[name=kind]")["value"] for f in forms} == {
        "pdf", "xlsx", "csv", "fft_return"}
    assert {f.select_one("input[name=period]")["value"] for f in forms} == {"2026-10"}
