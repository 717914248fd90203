"""Exports: the CSV of responses, the FFT return, the workbook and the PDF, checked by hand."""

import csv
import io
import os
import re
import subprocess
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from redis import Redis
from sqlalchemy import select

from feedback import jobs
from feedback.analysis.periods import parse_period
from feedback.analysis.statistics import share_with_interval
from feedback.analysis.suppression import TOTAL
from feedback.extensions import db as _db
from feedback.models import ExportJob, ExportStatus, Response, utcnow
from feedback.services import exports, reports, responses
from tests.factories import create_service, create_survey, create_user, question_ids

QUESTIONS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet", "own_device",
    "needs_help_online", "age_band",
]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
OCTOBER = parse_period("2026-10")
IN_OCTOBER = datetime(2026, 10, 14, 11, 0)  # UTC, 12:00 in the UK (BST)


@pytest.fixture
def survey(db):
    return create_survey(question_keys=QUESTIONS)


@pytest.fixture
def lead(db, survey):
    return create_user(email="lead@nhs.test", role="service_lead", services=[survey.service])


def submit(survey, rating="good", *, channel="web", role="patient", locale="en", good=None,
           improve=None, when=IN_OCTOBER, answers=None, **overrides):
    ids = question_ids(survey)
    given = {ids[key]: value for key, value in (answers or {}).items()}
    if rating is not None:
        given[ids["fft_rating"]] = {"choice": rating}
    if good is not None:
        given[ids["fft_what_was_good"]] = {"text": good}
    if improve is not None:
        given[ids["fft_what_could_improve"]] = {"text": improve}
    if channel == "assisted":
        overrides.setdefault("assistance_mode", "in_person")
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel=channel, respondent_role=role,
        locale=locale, answers=given, enforce_required=False, submitted_at=when, **overrides)


def read_csv(text: str) -> list[dict]:
    assert text.startswith("\ufeff"), "a byte-order mark, so Excel reads the text as UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def response_csv(service, period=OCTOBER, **kwargs) -> str:
    return "".join(exports.iter_response_csv(service.id, period, **kwargs))


def run(kind, service, user, period=OCTOBER, locale="en") -> ExportJob:
    """Ask for an export: without Redis, its job runs straight after the commit."""
    export = exports.start_export(service=service, period=period, kind=kind,
                                  requested_by=user, locale=locale)
    _db.session.expire_all()
    return _db.session.get(ExportJob, export.id)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", text)


# --- the CSV of responses ------------------------------------------------------------------------


def test_the_csv_has_one_row_a_response_in_the_period_with_its_documented_columns(survey):
    other_service = create_survey(service=create_service(slug="other", name="Other"),
                                  question_keys=QUESTIONS)
    volunteer = create_user(email="v@nhs.test", role="volunteer")
    web = submit(survey, "very_good", answers={
        "home_internet": {"choice": "no"}, "own_device": {"choices": ["smartphone", "computer"]},
        "age_band": {"choice": "75_plus"}})
    sms = submit(survey, None, channel="sms", locale="cy", is_complete=False)
    phone = submit(survey, "poor", channel="assisted", role="carer", assistance_mode="phone",
                   assisted_by_id=volunteer.id)
    in_person = submit(survey, "dont_know", channel="assisted", assisted_by_id=volunteer.id)
    paper = submit(survey, "neither", channel="paper", role="staff")
    submit(survey, when=datetime(2026, 11, 1, 0, 30))  # 1 November in the UK: not October
    submit(survey, when=datetime(2026, 9, 30, 22, 59))  # 23:59 on 30 September in the UK
    submit(other_service)
    held = submit(survey, channel="paper")
    _db.session.get(Response, held.id).held_back = True  # its batch is not final yet
    _db.session.commit()

    rows = read_csv(response_csv(survey.service))

    assert list(rows[0]) == [
        "response_id", "submitted_on", "channel", "fft_mode", "respondent_role", "language",
        "complete", "fft_rating", "home_internet", "own_device", "data_cost",
        "needs_help_online", "foundation_skills", "accessibility_needs", "english_confidence",
        "trust_online", "preferred_appointment", "preferred_feedback", "who_helped",
        "risk_level", "fft_what_was_good_sentiment", "fft_what_was_good_text",
        "fft_what_could_improve_sentiment", "fft_what_could_improve_text", "themes"]
    assert [int(r["response_id"]) for r in rows] == [web.id, sms.id, phone.id, in_person.id,
                                                     paper.id]
    first = rows[0]
    assert first["submitted_on"] == "2026-10-14"
    assert (first["channel"], first["fft_mode"], first["fft_rating"]) == ("web", "online",
                                                                         "very_good")
    assert first["home_internet"] == "no" and first["own_device"] == "smartphone;computer"
    assert first["needs_help_online"] == ""
    assert first["risk_level"] in ("low", "medium", "high", "unknown")
    assert "age_band" not in first  # equality answers could point at one person
    assert [(r["channel"], r["fft_mode"]) for r in rows[1:]] == [
        ("sms", "sms"), ("assisted", "telephone"), ("assisted", "other"),
        ("paper", "paper_discharge")]
    assert (rows[1]["fft_rating"], rows[1]["language"], rows[1]["complete"]) == ("", "cy", "no")
    assert [r["respondent_role"] for r in rows] == ["patient", "patient", "carer", "patient",
                                                    "staff"]


def test_the_csv_carries_redacted_comments_never_the_text_as_written_or_a_phone_number(survey):
    submit(survey, "poor", improve="Dr Patel never rang me back on 07700 900123.",
           good="The nurse was lovely and kind.")
    submit(survey, "poor", improve="Some days I want to end my life.")

    text = response_csv(survey.service)
    rows = read_csv(text)

    assert "07700" not in text and "900123" not in text and "Patel" not in text
    improve = rows[0]["fft_what_could_improve_text"]
    assert "[NAME]" in improve and "[PHONE]" in improve
    assert rows[0]["fft_what_was_good_text"] == "The nurse was lovely and kind."
    assert rows[0]["fft_what_was_good_sentiment"] == "positive"
    assert rows[0]["fft_what_could_improve_sentiment"] in ("negative", "mixed", "neutral")
    # A comment that may disclose risk goes to its reviewers only.
    assert rows[1]["fft_what_could_improve_text"] == ""
    assert "end my life" not in text


def test_the_csv_lists_each_responses_themes_and_marks_comments_it_could_not_score(survey):
    submit(survey, improve="The video kept freezing and I couldn't log in to the app.")
    submit(survey, locale="pl",
           improve="Nie mogłem się zalogować do aplikacji, bardzo długo czekałem.")

    rows = read_csv(response_csv(survey.service))

    assert {"technical", "access_login"} <= set(rows[0]["themes"].split(";"))
    assert rows[1]["fft_what_could_improve_sentiment"] == "not_scored"
    assert rows[1]["fft_what_was_good_sentiment"] == ""  # no comment at all


@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://evil.test\")", "'=HYPERLINK(\"http://evil.test\")"),
    ("+44 is a code", "'+44 is a code"),
    ("-2 stars", "'-2 stars"),
    ("@home", "'@home"),
    ("\tindented", "'\tindented"),
    ("\rreturn", "'\rreturn"),
    ("fine = good", "fine = good"),
    ("", ""),
    (None, ""),
    (12, "12"),
])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_gets_an_apostrophe(value, written):
    assert exports.csv_safe(value) == written


def test_a_comment_written_as_a_formula_is_not_run_by_a_spreadsheet(survey):
    submit(survey, improve="=1+2 the video never loaded")

    rows = read_csv(response_csv(survey.service))

    assert rows[0]["fft_what_could_improve_text"].startswith("'=1+2")


def test_the_csv_is_written_a_batch_at_a_time_with_progress(survey):
    for _ in range(5):
        submit(survey)
    done = []

    batched = response_csv(survey.service, batch=2, progress=done.append)

    assert done == [2, 4, 5]
    assert batched == response_csv(survey.service)
    assert len(read_csv(batched)) == 5


def test_responses_at_the_same_moment_are_neither_lost_nor_repeated_between_batches(survey):
    made = [submit(survey).id for _ in range(5)]

    rows = read_csv(response_csv(survey.service, batch=2))

    assert sorted(int(r["response_id"]) for r in rows) == sorted(made)


def test_an_empty_period_gives_the_header_alone(survey):
    text = response_csv(survey.service, parse_period("2026-W02"))
    assert read_csv(text) == [] and text.count("\r\n") == 1


# --- the FFT return ------------------------------------------------------------------------------


@pytest.fixture
def fft_month(survey):
    """Ten FFT responses from patients and carers in October, worked out by hand below."""
    volunteer = create_user(email="v@nhs.test", role="volunteer")
    for _ in range(3):
        submit(survey, "very_good")  # online
    submit(survey, "good")  # online
    submit(survey, "good", channel="sms", role="carer")  # SMS
    submit(survey, "poor", channel="sms")
    submit(survey, "poor", channel="sms")
    submit(survey, "dont_know", channel="paper")  # paper, at discharge
    submit(survey, "neither", channel="assisted", assistance_mode="phone",
           assisted_by_id=volunteer.id)  # telephone
    submit(survey, "very_poor", channel="assisted", assisted_by_id=volunteer.id)  # other
    submit(survey, None)  # no rating: not an FFT response
    submit(survey, "good", role="staff")  # staff are not in the FFT
    submit(survey, "good", when=datetime(2026, 11, 3, 10, 0))  # November
    return survey.service


def test_the_fft_return_counts_patients_and_carers_ratings_by_rating_and_mode(fft_month):
    found = exports.build_fft_return(fft_month, OCTOBER)

    assert found.ratings == {"very_good": 3, "good": 2, "neither": 1, "poor": 2,
                             "very_poor": 1, "dont_know": 1}
    assert found.modes == {"sms": 3, "electronic_discharge": 0, "electronic_home": 0,
                           "paper_discharge": 1, "paper_home": 0, "telephone": 1, "online": 4,
                           "other": 1}
    assert found.total == 10


def test_the_fft_return_csv_is_in_the_submitted_layout_and_unsuppressed(fft_month):
    rows = read_csv(exports.fft_return_csv(exports.build_fft_return(fft_month, OCTOBER)))

    assert rows == [{
        "Period": "2026-10", "Service": "Video appointments", "Total responses": "10",
        "Very good": "3", "Good": "2", "Neither good nor poor": "1", "Poor": "2",
        "Very poor": "1", "Don't know": "1", "SMS": "3", "Electronic - at discharge": "0",
        "Electronic - home": "0", "Paper - at discharge": "1", "Paper - home": "0",
        "Telephone": "1", "Online": "4", "Other": "1",
    }]


def test_the_fft_return_is_for_a_whole_month_only(survey):
    with pytest.raises(exports.ExportError) as error:
        exports.build_fft_return(survey.service, parse_period("2026-Q4"))
    assert error.value.code == "fft_return_needs_a_month"


def test_a_month_with_no_responses_returns_noughts(survey):
    found = exports.build_fft_return(survey.service, OCTOBER)
    assert found.total == 0 and set(found.modes.values()) == {0}


# --- the workbook and the PDF --------------------------------------------------------------------


@pytest.fixture
def report_month(survey):
    """Nineteen patients in October. By hand: FFT positive 12 (6 very good online, 6 good by
    SMS), neither 5 (by phone with a volunteer), negative 2 (on paper), don't know 0; by
    channel web 6, SMS 6, paper 2, assisted 5."""
    volunteer = create_user(email="v@nhs.test", role="volunteer")
    for n in range(6):
        submit(survey, "very_good", good=f"The video link worked first time, visit {n}.")
    for _ in range(6):
        submit(survey, "good", channel="sms")
    submit(survey, "poor", channel="paper",
           improve="Dr Patel never rang me back on 07700 900123.")
    submit(survey, "poor", channel="paper")
    for _ in range(5):
        submit(survey, "neither", channel="assisted", assistance_mode="phone",
               assisted_by_id=volunteer.id)
    return survey.service


def sheet_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(min_row=5, values_only=True)]


def shown_or_star(values, hand, cells):
    """Each value is the hand-computed count where the report shows it, and * where it hides
    it: which secondary figures to hide is the report's choice (tested with the report)."""
    assert values == ["*" if cell.hidden else count for count, cell in zip(hand, cells,
                                                                             strict=True)]


def test_the_workbook_has_a_sheet_per_table_with_suppressed_cells_as_stars(report_month, lead):
    export = run("xlsx", report_month, lead)
    assert export.status == ExportStatus.DONE
    assert export.mimetype == exports.MIMETYPES["xlsx"]
    assert export.filename == "video-appointments-2026-10-report.xlsx"
    report = reports.build(report_month, OCTOBER)

    book = load_workbook(io.BytesIO(export.content))

    assert book.sheetnames == [
        "Friends and Family Test", "Month by month", "Responses by channel",
        "Responses by who answered", "Responses by language",
        "Staff, patients and carers side", "Sentiment of comments by month",
        "Themes in comments", "Risk of digital exclusion by ch", "Barriers most reported",
        "Text message invitations in thi", "Notes"]
    fft = book["Friends and Family Test"]
    assert [c.value for c in fft[4]] == [
        "Period", "Responses with a rating", "Positive", "Positive: 95% interval from",
        "Positive: 95% interval to", "Negative", "Negative: 95% interval from",
        "Negative: 95% interval to", "Very good or good", "Neither good nor poor",
        "Poor or very poor", "Don't know", "No rating given"]
    this_month = sheet_rows(fft)[0]
    assert this_month[0] == "October 2026"
    assert this_month[1] == 19
    # 12 of 19, with its Wilson interval worked out by hand: 0.4104 to 0.8085.
    assert this_month[2] == pytest.approx(12 / 19)
    assert (this_month[3], this_month[4]) == pytest.approx((0.4104, 0.8085), abs=1e-4)
    assert fft.cell(row=5, column=3).number_format == "0.0%"
    # Negative (2) is hidden, so its share and interval are too.
    assert this_month[5:8] == ["*", "*", "*"] and this_month[10] == "*"
    shown_or_star(this_month[8:], [12, 5, 2, 0, 0],
                  [*(report.fft.line[k] for k in reports.FFT_LINE), report.fft.no_rating])
    previous = sheet_rows(fft)[1]
    assert previous[1] == 0 and previous[2:8] == [None] * 6  # nothing to take a share of

    channels = sheet_rows(book["Responses by channel"])[:5]
    assert [row[0] for row in channels] == ["Online", "Text message", "Paper",
                                            "With a volunteer", "Total"]
    assert channels[2][1] == "*"  # paper: 2
    shown_or_star([row[1] for row in channels], [6, 6, 2, 5, 19],
                  [report.by_channel[k] for k in (*reports.CHANNELS, TOTAL)])
    assert "*" in [row[1] for row in channels if row[0] != "Paper"], "paper needs company"


def test_the_workbook_explains_suppression_and_intervals_and_holds_no_comments(report_month,
                                                                               lead):
    book = load_workbook(io.BytesIO(run("xlsx", report_month, lead).content))

    notes = " ".join(str(c.value) for c in book["Notes"]["A"] if c.value)
    assert "Counts from 1 to 4 are shown as *" in notes
    assert "95% confidence intervals" in notes
    every_cell = " ".join(str(value) for sheet in book for row in sheet.iter_rows(values_only=True)
                          for value in row if value is not None)
    assert "video link" not in every_cell and "never rang me back" not in every_cell


def test_text_in_the_workbook_is_never_a_formula(survey, lead):
    survey.service.name = "=cmd|' /C calc'!A0"
    _db.session.commit()
    submit(survey)

    book = load_workbook(io.BytesIO(run("xlsx", survey.service, lead).content))

    sheet = book["Friends and Family Test"]
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("=cmd")


def test_the_pdf_has_the_reports_sections_figures_and_redacted_quotes(report_month, lead,
                                                                       app, monkeypatch,
                                                                       tmp_path):
    monkeypatch.setitem(app.config, "QUOTE_MIN_GROUP", 5)
    export = run("pdf", report_month, lead)
    assert export.status == ExportStatus.DONE and export.mimetype == "application/pdf"

    text = pdf_text(export.content, tmp_path)

    for heading in ("Video appointments", "Report for October 2026",
                    "How people rated the service", "Who answered",
                    "Staff, patients and carers side by side", "What people said",
                    "Who may be left out", "About these figures"):
        assert heading in text, heading
    share = share_with_interval(12, 19)
    assert share.proportion == pytest.approx(0.6316, abs=1e-4)
    assert "63% (41% to 81%)" in text
    assert "The video link worked first time, visit 5." in text
    assert "[NAME] never rang me back on [PHONE]" in text
    assert "07700" not in text and "Patel" not in text


def test_the_pdf_can_leave_every_comment_out(report_month, lead, app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "QUOTE_MIN_GROUP", 5)
    export = run("pdf_no_text", report_month, lead)
    assert export.filename == "video-appointments-2026-10-report-without-comments.pdf"

    text = pdf_text(export.content, tmp_path)

    assert "Comments are left out of this copy." in text
    assert "63% (41% to 81%)" in text
    assert "video link worked" not in text and "never rang me back" not in text


def test_the_pdf_is_in_the_language_it_was_asked_for_in(report_month, lead, tmp_path):
    text = pdf_text(run("pdf", report_month, lead, locale="cy").content, tmp_path)
    assert "Hydref 2026" in text  # October, in Welsh, from the locale's own date formats


# --- export jobs ---------------------------------------------------------------------------------


def test_an_export_job_writes_its_progress_and_keeps_its_file_for_a_day(report_month, lead,
                                                                        app):
    export = run("csv", report_month, lead)

    assert export.status == ExportStatus.DONE
    assert (export.rows_done, export.rows_total) == (19, 19)
    assert export.size == len(export.content)
    assert len(read_csv(export.content.decode("utf-8"))) == 19
    assert export.expires_at - export.finished_at == app.config["EXPORT_LIFETIME"]


def test_a_period_still_under_way_is_not_exported(survey, lead):
    month = parse_period(utcnow().strftime("%Y-%m"))
    with pytest.raises(exports.ExportError) as error:
        exports.start_export(service=survey.service, period=month, kind="csv",
                             requested_by=lead, locale="en")
    assert error.value.code == "period_not_over"
    assert _db.session.scalars(select(ExportJob)).all() == []


def test_a_done_export_is_not_made_again(report_month, lead):
    export = run("fft_return", report_month, lead)
    finished = export.finished_at

    exports.run_export(export.id)

    _db.session.expire_all()
    assert _db.session.get(ExportJob, export.id).finished_at == finished


def test_a_failed_export_says_so_and_keeps_no_file(report_month, lead, monkeypatch):
    def broken(*args):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(exports._MAKERS, "xlsx", broken)
    export = run("xlsx", report_month, lead)

    assert export.status == ExportStatus.FAILED
    assert export.content is None and export.finished_at is not None


def test_the_sweep_deletes_expired_files_and_fails_stuck_exports(report_month, lead):
    expired = run("fft_return", report_month, lead)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    stuck = ExportJob(service_id=report_month.id, period="2026-10", kind="csv", locale="en",
                      status="running", started_at=utcnow() - timedelta(hours=2),
                      expires_at=utcnow() + timedelta(hours=20))
    lost = ExportJob(service_id=report_month.id, period="2026-10", kind="csv", locale="en",
                     created_at=utcnow() - timedelta(minutes=30),
                     expires_at=utcnow() + timedelta(hours=20))
    gone = ExportJob(service_id=report_month.id, period="2026-10", kind="csv", locale="en",
                     status="done", expires_at=utcnow() - timedelta(days=8))
    _db.session.add_all([stuck, lost, gone])
    _db.session.commit()
    ids = (expired.id, stuck.id, lost.id, gone.id)

    assert exports.sweep_exports(stuck_after=1800) == [lost.id]
    assert exports.purge_expired() == 1

    _db.session.expire_all()
    expired, stuck, lost, gone = (_db.session.get(ExportJob, i) for i in ids)
    assert expired.content is None and expired.status == ExportStatus.DONE
    assert stuck.status == ExportStatus.FAILED
    assert lost.status == ExportStatus.WAITING
    assert gone is None


def test_the_periodic_sweep_runs_lost_exports_again(report_month, lead, monkeypatch):
    lost = ExportJob(service_id=report_month.id, period="2026-10", kind="fft_return",
                     locale="en", requested_by_id=lead.id,
                     created_at=utcnow() - timedelta(minutes=30),
                     expires_at=utcnow() + timedelta(hours=20))
    _db.session.add(lost)
    _db.session.commit()

    jobs.export_sweep()

    _db.session.expire_all()
    assert _db.session.scalar(
        select(ExportJob.status).where(ExportJob.id == lost.id)) == ExportStatus.DONE


@pytest.fixture
def redis(app, monkeypatch):
    """The machine's Redis (a database of its own, emptied), as the app's job connection."""
    connection = Redis.from_url(TEST_REDIS_URL)
    connection.ping()  # no skip: without Redis this test must fail
    connection.flushdb()
    monkeypatch.setitem(app.extensions, "feedback.redis", connection)
    yield connection
    connection.flushdb()


@pytest.mark.redis
def test_an_export_is_queued_then_made_by_a_real_worker(report_month, lead, redis):
    # report_month comes first: its responses are analysed in-process, before Redis is set.
    export = exports.start_export(service=report_month, period=OCTOBER, kind="csv",
                                  requested_by=lead, locale="en")
    assert jobs.get_queue(jobs.QueueNames.DEFAULT).count == 1
    assert export.status == ExportStatus.WAITING  # nothing ran in this process

    _db.session.remove()  # the worker forks: hand it no open connection
    assert jobs.make_worker(jobs.QueueNames.all()).work(burst=True)

    made = _db.session.get(ExportJob, export.id)
    assert made.status == ExportStatus.DONE and (made.rows_done, made.rows_total) == (19, 19)
    assert len(read_csv(made.content.decode("utf-8"))) == 19
