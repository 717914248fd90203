"""Exports for service leads: responses as CSV, the report as XLSX and PDF, the FFT return.

Every export is made by a job (jobs.run_export) and kept in the database until it expires.
What each file holds, and why each is safe to hand over, is in docs/exports.md.
"""

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from babel import Locale
from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import force_locale, format_number, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, tuple_, update

from .. import jobs
from ..analysis import exclusion, themes
from ..analysis.periods import Period, parse_period, uk_date
from ..analysis.suppression import TOTAL, Cell
from ..extensions import db
from ..i18n import LANGUAGE_NAMES
from ..models import (
    Answer,
    CommentAnalysis,
    CommentTheme,
    ExportJob,
    ExportKind,
    ExportStatus,
    Question,
    Response,
    ResponseAnalysis,
    ResponseVersion,
    SafeguardingFlag,
    Service,
    User,
    utcnow,
)
from . import after_commit, audit, commit, reports
from .audit import Actions

log = logging.getLogger(__name__)

MIMETYPES = {
    ExportKind.CSV: "text/csv",
    ExportKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportKind.PDF: "application/pdf",
    ExportKind.PDF_NO_TEXT: "application/pdf",
    ExportKind.FFT_RETURN: "text/csv",
}
_FILE_NAMES = {
    ExportKind.CSV: "responses.csv",
    ExportKind.XLSX: "report.xlsx",
    ExportKind.PDF: "report.pdf",
    ExportKind.PDF_NO_TEXT: "report-without-comments.pdf",
    ExportKind.FFT_RETURN: "fft-return.csv",
}
# Responses read, and rows written, per query: memory stays flat however many there are.
CSV_BATCH = 1000
# A waiting export whose job has not started after this long was lost (Redis down, a worker
# restarted): the sweep runs it again. Running it twice is harmless (run_export claims it).
LOST_AFTER = timedelta(minutes=10)
# An expired export's file is deleted at once; its row stays this long so that its link says
# "expired" (410) rather than "not found", and then goes too.
KEEP_EXPIRED = timedelta(days=7)


class ExportError(ValueError):
    """An export that cannot be made: `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --- the FFT's collection modes -----------------------------------------------------------------
# The monthly return's mode columns, in its order, and how our channels map onto them
# (DOMAIN.md). Paper forms are printed for a clinic and handed out there, so paper counts as
# "paper at discharge" (at the point of care); nothing here is sent home or given on a tablet.

FFT_MODES = ("sms", "electronic_discharge", "electronic_home", "paper_discharge", "paper_home",
             "telephone", "online", "other")
# The return goes to NHS England as it is, so its headings are theirs, in English, whatever
# the language of the person who made it.
FFT_RETURN_HEADINGS = {
    "very_good": "Very good", "good": "Good", "neither": "Neither good nor poor",
    "poor": "Poor", "very_poor": "Very poor", "dont_know": "Don't know",
    "sms": "SMS", "electronic_discharge": "Electronic - at discharge",
    "electronic_home": "Electronic - home", "paper_discharge": "Paper - at discharge",
    "paper_home": "Paper - home", "telephone": "Telephone", "online": "Online", "other": "Other",
}
# The FFT asks people who use the service, or those answering for them; staff are not in it.
FFT_ROLES = ("patient", "carer")


def fft_mode(channel: str, assistance_mode: str | None) -> str:
    """The FFT return's mode column for a response's channel."""
    if channel == "web":
        return "online"
    if channel == "sms":
        return "sms"
    if channel == "paper":
        return "paper_discharge"
    if channel == "assisted" and assistance_mode == "phone":
        return "telephone"
    return "other"  # assisted in person


# --- CSV of responses ---------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """The value as CSV text that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([csv_safe(v) for v in values])
    return out.getvalue()


def _question_keys(condition) -> list[str]:
    """Bank keys in the bank's order; a key's revisions share one column."""
    return list(db.session.scalars(
        select(Question.key).where(condition).group_by(Question.key)
        .order_by(func.min(Question.id))))


@dataclass(frozen=True)
class CsvLayout:
    inclusion: list[str]  # question keys, one column each
    comments: list[str]  # free-text question keys, two columns each

    @property
    def header(self) -> list[str]:
        return [
            "response_id", "submitted_on", "channel", "fft_mode", "respondent_role", "language",
            "complete", "fft_rating", *self.inclusion, "risk_level",
            *(f"{key}_{part}" for key in self.comments for part in ("sentiment", "text")),
            "themes",
        ]


def csv_layout() -> CsvLayout:
    # Equality questions (age, disability, ethnicity) are left out: beside a date and a channel
    # they could point at one person, and the report shows them only in aggregate.
    return CsvLayout(inclusion=_question_keys(Question.module == "inclusion"),
                     comments=_question_keys(Question.kind == "free_text"))


def _counted_responses(service_id: int, period: Period):
    start, end = period.utc_bounds()
    return (Response.service_id == service_id, Response.submitted_at >= start,
            Response.submitted_at < end, Response.held_back.is_(False))


def count_responses(service_id: int, period: Period) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Response).where(*_counted_responses(service_id, period)))


def _response_batches(service_id: int, period: Period, size: int):
    """The period's responses in submission order, a batch at a time.

    Each batch is its own query, continuing after the last row of the one before (keyset
    paging on the service-and-time index), rather than one server-side cursor: the job commits
    its progress between batches, and a commit would close such a cursor on PostgreSQL.
    """
    columns = (Response.id, Response.submitted_at, Response.channel, Response.assistance_mode,
               Response.respondent_role, Response.locale, Response.is_complete)
    after = None
    while True:
        query = (select(*columns).where(*_counted_responses(service_id, period))
                 .order_by(Response.submitted_at, Response.id).limit(size))
        if after is not None:
            query = query.where(tuple_(Response.submitted_at, Response.id) > tuple_(*after))
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield rows
        after = (rows[-1].submitted_at, rows[-1].id)


def _answers(ids: list[int]) -> dict[int, dict[str, str]]:
    """{response id: {question key: the answer as codes}} from each response's current version.

    Choices only: the free text as written (Answer.text) is never read here.
    """
    latest = (select(ResponseVersion.response_id, func.max(ResponseVersion.id).label("version"))
              .where(ResponseVersion.response_id.in_(ids))
              .group_by(ResponseVersion.response_id).subquery())
    found: dict[int, dict[str, str]] = {}
    for response_id, key, choice, choices in db.session.execute(
            select(latest.c.response_id, Question.key, Answer.choice, Answer.choices)
            .join(Answer, Answer.response_version_id == latest.c.version)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.status == "answered",
                   or_(Question.module == "inclusion", Question.kind == "fft_rating"))):
        found.setdefault(response_id, {})[key] = choice or ";".join(choices or [])
    return found


def _analyses(ids: list[int]) -> tuple[dict, dict, dict]:
    """Risk levels, comments ({key: (sentiment, redacted text)}) and themes, by response id."""
    risk = dict(db.session.execute(
        select(ResponseAnalysis.response_id, ResponseAnalysis.risk_level)
        .where(ResponseAnalysis.response_id.in_(ids))).all())
    flagged = select(SafeguardingFlag.id).where(
        SafeguardingFlag.response_id == ResponseAnalysis.response_id,
        SafeguardingFlag.question_id == CommentAnalysis.question_id).exists()
    comments: dict[int, dict] = {}
    for response_id, key, scored, label, text, withheld in db.session.execute(
            select(ResponseAnalysis.response_id, Question.key, CommentAnalysis.scored,
                   CommentAnalysis.sentiment_label, CommentAnalysis.redacted_text, flagged)
            .join(ResponseAnalysis,
                  ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
            .join(Question, Question.id == CommentAnalysis.question_id)
            .where(ResponseAnalysis.response_id.in_(ids))):
        sentiment = (label or "") if scored else "not_scored"
        # A comment that may disclose risk goes to its named reviewers, never into a report.
        comments.setdefault(response_id, {})[key] = (sentiment, "" if withheld else text)
    found: dict[int, set] = {}
    for response_id, theme in db.session.execute(
            select(ResponseAnalysis.response_id, CommentTheme.theme)
            .join(CommentAnalysis, CommentAnalysis.id == CommentTheme.comment_id)
            .join(ResponseAnalysis,
                  ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
            .where(ResponseAnalysis.response_id.in_(ids))):
        found.setdefault(response_id, set()).add(theme)
    return risk, comments, found


def iter_response_csv(service_id: int, period: Period, *,
                      progress: Callable[[int], None] | None = None,
                      batch: int = CSV_BATCH) -> Iterator[str]:
    """The period's responses as CSV lines, header first, one response a line.

    UTF-8 with a byte-order mark, so that Excel shows Welsh, Polish and Urdu as written.
    :param progress: called with the number of responses written after each batch.
    """
    layout = csv_layout()
    yield "\ufeff" + _csv_line(layout.header)
    done = 0
    for rows in _response_batches(service_id, period, batch):
        ids = [row.id for row in rows]
        answers = _answers(ids)
        risk, comments, found_themes = _analyses(ids)
        for row in rows:
            given = answers.get(row.id, {})
            said = comments.get(row.id, {})
            yield _csv_line([
                row.id, uk_date(row.submitted_at).isoformat(), row.channel,
                fft_mode(row.channel, row.assistance_mode), row.respondent_role, row.locale,
                "yes" if row.is_complete else "no", given.get("fft_rating", ""),
                *(given.get(key, "") for key in layout.inclusion),
                risk.get(row.id, ""),
                *(part for key in layout.comments for part in said.get(key, ("", ""))),
                ";".join(sorted(found_themes.get(row.id, ()))),
            ])
        done += len(rows)
        if progress:
            progress(done)


# --- the FFT return -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FftReturn:
    """One service's FFT figures for one month, unsuppressed, as providers submit them."""

    service: Service
    period: Period
    counts: dict  # (rating, mode) → count

    @property
    def ratings(self) -> dict:
        return {r: sum(self.counts.get((r, m), 0) for m in FFT_MODES) for r in reports.RATINGS}

    @property
    def modes(self) -> dict:
        return {m: sum(self.counts.get((r, m), 0) for r in reports.RATINGS) for m in FFT_MODES}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def build_fft_return(service: Service, period: Period) -> FftReturn:
    """Counts of patients' and carers' ratings, by rating and by collection mode.

    Only responses with a rating count, "Don't know" included: a response with no rating is
    not an FFT response. Responses count once analysed and, for paper, once their batch is
    final, as in the report.
    :raise ExportError: if the period is not a month.
    """
    if period.kind != "month":
        raise ExportError("fft_return_needs_a_month")
    counts: dict = {}
    for channel, assistance_mode, rating, count in db.session.execute(
            select(Response.channel, Response.assistance_mode, ResponseAnalysis.fft_rating,
                   func.count())
            .join(Response, Response.id == ResponseAnalysis.response_id)
            .where(ResponseAnalysis.service_id == service.id,
                   ResponseAnalysis.submitted_on >= period.start,
                   ResponseAnalysis.submitted_on < period.end,
                   ResponseAnalysis.fft_rating.in_(reports.RATINGS),
                   Response.held_back.is_(False), Response.respondent_role.in_(FFT_ROLES))
            .group_by(Response.channel, Response.assistance_mode, ResponseAnalysis.fft_rating)):
        key = (rating, fft_mode(channel, assistance_mode))
        counts[key] = counts.get(key, 0) + count
    return FftReturn(service, period, counts)


def fft_return_csv(found: FftReturn) -> str:
    """The return as NHS England's template lays it out: a row per service and month.

    Unsuppressed: providers submit true counts and NHS England suppresses at publication.
    """
    header = ["Period", "Service", "Total responses",
              *(FFT_RETURN_HEADINGS[r] for r in reports.RATINGS),
              *(FFT_RETURN_HEADINGS[m] for m in FFT_MODES)]
    row = [found.period.slug, found.service.name, found.total,
           *found.ratings.values(), *found.modes.values()]
    return "\ufeff" + _csv_line(header) + _csv_line(row)


# --- the report's tables, for the workbook and the PDF ------------------------------------------
# One description of each table serves both, so that the PDF and the workbook say the same.
# Values are whole numbers, Rate (a share, with its interval where it has one), HIDDEN_MARK for a
# suppressed figure, "" for a blank one (a share of nothing), or text.

HIDDEN_MARK = "*"

RATING_LABELS = {
    "very_good": _l("Very good"), "good": _l("Good"), "neither": _l("Neither good nor poor"),
    "poor": _l("Poor"), "very_poor": _l("Very poor"), "dont_know": _l("Don't know"),
}
FFT_LINE_LABELS = {
    "positive": _l("Very good or good"), "neither": _l("Neither good nor poor"),
    "negative": _l("Poor or very poor"), "dont_know": _l("Don't know"),
}
ROLE_LABELS = {
    "patient": _l("Patients"), "carer": _l("Carers"), "staff": _l("Staff"),
}
NOT_SCORED = _l("Not scored")


@dataclass(frozen=True)
class Rate:
    """A share as a fraction, with its 95% interval when there is one."""

    proportion: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Column:
    heading: str
    interval: bool = False  # a Rate column with its interval: three columns in the workbook


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list  # [Column]; the first holds each row's name
    rows: list  # [[value, ...]]
    note: str = ""
    total_row: bool = False  # the last row is the total of the others


def _count(cell: Cell):
    return HIDDEN_MARK if cell.hidden else cell.value


def _rate(share, part: Cell, whole: Cell):
    """A share and its interval: hidden if built on a hidden figure, blank if a share of 0."""
    if share is not None:
        return Rate(share.proportion, share.low, share.high)
    return HIDDEN_MARK if part.hidden or whole.hidden else ""


def _fraction(value: float | None, part: Cell, whole: Cell):
    if value is not None:
        return Rate(value)
    return HIDDEN_MARK if part.hidden or whole.hidden else ""


def _sentiment_label(key: str) -> str:
    from ..forms.reports import SENTIMENT_LABELS

    return str(SENTIMENT_LABELS[key]) if key else str(NOT_SCORED)


def _line_table(key, title, first, line: dict, labels) -> Table:
    rows = [[labels(name), _count(cell)] for name, cell in line.items() if name != TOTAL]
    rows.append([_("Total"), _count(line[TOTAL])])
    return Table(key, title, [Column(first), Column(_("Responses"))], rows, total_row=True)


def _grid_table(key, title, first, table, row_label, column_label, *, note="") -> Table:
    columns = [Column(first), *(Column(column_label(c)) for c in table.columns),
               Column(_("Total"))]
    rows = [[row_label(row), *(_count(table.cell(row, c)) for c in table.columns),
             _count(table.cell(row, None))] for row in table.rows]
    rows.append([_("Total"), *(_count(table.cell(None, c)) for c in table.columns),
                 _count(table.grand_total)])
    return Table(key, title, columns, rows, note, total_row=True)


def report_tables(report: reports.Report, locale: str) -> list[Table]:
    """The report's tables in the page's order, with words in the current language."""
    from ..forms.reports import COUNT_LABELS, RISK_LEVEL_LABELS

    theme_labels = {theme.key: theme.label(locale) for theme in themes.taxonomy()}
    return [
        _fft_table(report, locale),
        _trend_table(report, locale),
        _line_table("channels", _("Responses by channel"), _("Channel"), report.by_channel,
                    _channel),
        _line_table("roles_count", _("Responses by who answered"), _("Who answered"),
                    report.by_role, lambda role: str(ROLE_LABELS.get(role, role))),
        _line_table("languages", _("Responses by language"), _("Language"), report.by_language,
                    lambda code: LANGUAGE_NAMES.get(code, code)),
        _roles_table(report),
        Table("sentiment", _("Sentiment of comments by month"),
              [Column(_("Month")), *(Column(_sentiment_label(k)) for k in reports.SENTIMENTS),
               Column(_("Total"))],
              [[month.label(locale), *(_count(line[k]) for k in reports.SENTIMENTS),
                _count(line[TOTAL])] for month, line in report.sentiment_trend]),
        _grid_table("themes", _("Themes in comments"), _("Theme"), report.themes,
                    lambda theme: theme_labels.get(theme, theme), _sentiment_label,
                    note=_("A comment can touch more than one theme, so the totals count some "
                           "comments more than once.")),
        _grid_table("risk", _("Risk of digital exclusion by channel"), _("Channel"), report.risk,
                    _channel, lambda level: str(RISK_LEVEL_LABELS.get(level, level))),
        _barriers_table(report, locale),
        Table("reach", _("Text message invitations in this period"),
              [Column(_("Invitations")), Column(_("People"))],
              [[str(COUNT_LABELS.get(name, name)), _count(cell)]
               for name, cell in report.reach.items()]),
    ]


def _channel(code: str) -> str:
    from ..forms.reports import CHANNEL_LABELS

    return str(CHANNEL_LABELS.get(code, code))


def _rate_columns() -> list:
    return [Column(_("Responses with a rating")), Column(_("Positive"), interval=True),
            Column(_("Negative"), interval=True)]


def _fft_table(report: reports.Report, locale: str) -> Table:
    columns = [Column(_("Period")), *_rate_columns(),
               *(Column(str(FFT_LINE_LABELS[k])) for k in reports.FFT_LINE),
               Column(_("No rating given"))]
    rows = [
        [report.period.label(locale), report.fft],
        [_("Previous: %(period)s", period=report.previous.label(locale)), report.fft_previous],
        [_("All services: %(period)s", period=report.period.label(locale)),
         report.fft_all_services],
    ]
    return Table("fft", _("Friends and Family Test"), columns, [
        [name, _count(fft.rated), _rate(fft.positive, fft.line["positive"], fft.rated),
         _rate(fft.negative, fft.line["negative"], fft.rated),
         *(_count(fft.line[k]) for k in reports.FFT_LINE), _count(fft.no_rating)]
        for name, fft in rows
    ], _("Positive is very good or good, and negative poor or very poor, out of every "
         "response with a rating, don't know included."))


def _trend_table(report: reports.Report, locale: str) -> Table:
    return Table("trend", _("Month by month"), [Column(_("Month")), *_rate_columns()], [
        [month.label(locale), _count(fft.rated),
         _rate(fft.positive, fft.line["positive"], fft.rated),
         _rate(fft.negative, fft.line["negative"], fft.rated)]
        for month, fft in report.trend])


def _roles_table(report: reports.Report) -> Table:
    table = report.roles
    columns = [Column(_("Who answered")),
               *(Column(str(FFT_LINE_LABELS[k])) for k in table.columns),
               Column(_("Total")), Column(_("Positive"))]
    rows = []
    for role in table.rows:
        rows.append([str(ROLE_LABELS.get(role, role)),
                     *(_count(table.cell(role, c)) for c in table.columns),
                     _count(table.cell(role, None)),
                     _fraction(table.share(role, "positive"), table.cell(role, "positive"),
                               table.cell(role, None))])
    rows.append([_("Total"), *(_count(table.cell(None, c)) for c in table.columns),
                 _count(table.grand_total),
                 _fraction(table.share(None, "positive", of="grand"),
                           table.cell(None, "positive"), table.grand_total)])
    return Table("roles", _("Staff, patients and carers side by side"), columns, rows,
                 total_row=True)


def _barriers_table(report: reports.Report, locale: str) -> Table:
    from ..forms.reports import DOMAIN_LABELS

    table = report.barriers_by_channel
    columns = [Column(_("Barrier")), Column(_("Area")), Column(_("Respondents")),
               *(Column(_channel(c)) for c in table.columns)]
    rows = [[exclusion.reason_text(code, locale), str(DOMAIN_LABELS.get(domain, domain)),
             _count(cell), *(_count(table.cell(code, c)) for c in table.columns)]
            for code, domain, cell in report.barriers]
    rows.append([_("Needed help to answer"), "", _count(report.helped),
                 *([""] * len(table.columns))])
    return Table("barriers", _("Barriers most reported"), columns, rows,
                 _("A respondent can report more than one barrier."))


def notes(report: reports.Report) -> list[str]:
    threshold = current_app.config["SUPPRESS_BELOW"]
    return [
        _("%(service)s, %(period)s.", service=report.service.name,
          period=report.period.label(str(_locale()))),
        _("Counts from 1 to %(num)d are shown as *. Where a hidden count could be worked out "
          "from the others in its row or column, or from its total, enough other figures are "
          "hidden as well that it cannot be. A share or interval built on a hidden count is "
          "hidden too.", num=threshold - 1),
        _("A blank share means there was nothing to take a share of: no responses at all."),
        _("Positive and negative shares follow NHS England's rules for the Friends and Family "
          "Test: very good or good (poor or very poor) out of every response with a rating, "
          "don't know included. Responses with no rating are counted apart."),
        _("Ranges are %(level)s confidence intervals (Wilson score intervals): with this many "
          "responses, the true share probably lies between them.", level=format_percent(0.95)),
        _("Comments are quoted only from groups of at least %(num)d, and never a comment that "
          "is waiting for a safeguarding review.", num=current_app.config["QUOTE_MIN_GROUP"]),
    ]


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


# --- the workbook -------------------------------------------------------------------------------

_SHEET_NAME_BANNED = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_name(title: str, used: set) -> str:
    # Excel's rules: at most 31 characters, none of []:*?/\, and no two alike.
    name = title.translate(_SHEET_NAME_BANNED).strip()[:31] or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{name[:27]} ({n})"
        n += 1
    used.add(candidate.lower())
    return candidate


def _put(sheet, row: int, column: int, value, *, bold: bool = False):
    from openpyxl.styles import Font

    cell = sheet.cell(row=row, column=column)
    if value == "":
        return cell  # a blank figure is an empty cell
    if isinstance(value, Rate):
        cell.value = value.proportion
        cell.number_format = "0.0%"
    else:
        cell.value = value
        if isinstance(value, str):
            # openpyxl stores text starting with = as a formula: text is only ever text here.
            cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _expand(table: Table) -> tuple[list[str], list[list]]:
    """Headings and rows with each interval column split into share, lower and upper bound."""
    headings = []
    for column in table.columns:
        headings.append(column.heading)
        if column.interval:
            headings += [_("%(name)s: 95%% interval from", name=column.heading),
                         _("%(name)s: 95%% interval to", name=column.heading)]
    rows = []
    for values in table.rows:
        row = []
        for column, value in zip(table.columns, values, strict=True):
            row.append(value)
            if column.interval:
                if isinstance(value, Rate):
                    row += [Rate(value.low), Rate(value.high)]
                else:
                    row += [value, value]
        rows.append(row)
    return headings, rows


def render_xlsx(report: reports.Report, tables: list[Table], *, rtl: bool) -> bytes:
    """A sheet per table, suppressed figures as *, and a sheet of notes."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set = set()
    heading = _("%(service)s, %(period)s", service=report.service.name,
                period=report.period.label(_locale()))
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        sheet.sheet_view.rightToLeft = rtl
        _put(sheet, 1, 1, table.title, bold=True)
        _put(sheet, 2, 1, heading)
        headings, rows = _expand(table)
        for column, text in enumerate(headings, start=1):
            _put(sheet, 4, column, text, bold=True)
            sheet.column_dimensions[sheet.cell(row=4, column=column).column_letter].width = (
                max(12, min(40, len(text) + 2)))
        for r, values in enumerate(rows, start=5):
            for column, value in enumerate(values, start=1):
                _put(sheet, r, column, value, bold=column == 1)
        if table.note:
            _put(sheet, len(rows) + 6, 1, table.note)
    sheet = book.create_sheet(_sheet_name(_("Notes"), used))
    sheet.sheet_view.rightToLeft = rtl
    sheet.column_dimensions["A"].width = 120
    _put(sheet, 1, 1, _("Notes"), bold=True)
    for row, text in enumerate(notes(report), start=3):
        _put(sheet, row, 1, text)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the PDF ------------------------------------------------------------------------------------


def _show(value) -> str:
    """A table value as the PDF prints it, in the current locale's number formats."""
    if isinstance(value, Rate):
        share = format_percent(value.proportion)
        if value.low is None:
            return share
        return _("%(share)s (%(low)s to %(high)s)", share=share, low=format_percent(value.low),
                 high=format_percent(value.high))
    if isinstance(value, int):
        return format_number(value)
    return str(value)


def _long_date(locale: str) -> str:
    """Today's UK date in words; plain "en" as en_GB, since every reader is in the UK."""
    where = Locale.parse(locale.replace("-", "_"))
    if where.language == "en" and where.territory is None:
        where = Locale("en", "GB")
    return format_date(uk_date(utcnow()), "long", locale=where)


def _no_fetching(url: str, *args, **kwargs):
    # Everything the report needs is inline; nothing is fetched, from this host or another.
    raise ValueError(f"exports fetch nothing, not even {url}")


def render_pdf(report: reports.Report, tables: list[Table], *, include_comments: bool) -> bytes:
    """The report as a printable A4 PDF, its text extractable; quotes only if asked for."""
    from ..forms.reports import CHANNEL_LABELS

    locale = _locale()
    theme_labels = {theme.key: theme.label(locale) for theme in themes.taxonomy()}
    html = render_template(
        "exports/report.html", report=report, tables={t.key: t for t in tables},
        include_comments=include_comments, notes=notes(report), locale=locale,
        rtl=locale in current_app.config["RTL_LANGUAGES"], made_on=_long_date(locale),
        channel_labels=CHANNEL_LABELS, rating_labels=RATING_LABELS, theme_labels=theme_labels,
        quote_min_group=current_app.config["QUOTE_MIN_GROUP"], show=_show,
    )
    import weasyprint  # only when a PDF is made: it is large
    return weasyprint.HTML(string=html, url_fetcher=_no_fetching).write_pdf()


# --- export jobs --------------------------------------------------------------------------------


def start_export(*, service: Service, period: Period, kind: str, requested_by: User,
                 locale: str) -> ExportJob:
    """Ask for an export; a job makes it after the commit.

    :raise ExportError: for an unknown kind, a period that has not ended (it would grow
        between exports, which could then be subtracted), or an FFT return for anything but
        a month.
    """
    if kind not in ExportKind.__members__.values():
        raise ExportError("unknown_kind")
    if period.end > uk_date(utcnow()):
        raise ExportError("period_not_over")
    if kind == ExportKind.FFT_RETURN and period.kind != "month":
        raise ExportError("fft_return_needs_a_month")
    export = ExportJob(
        service_id=service.id, period=period.slug, kind=kind, locale=locale,
        requested_by_id=requested_by.id, status=ExportStatus.WAITING,
        expires_at=utcnow() + current_app.config["EXPORT_LIFETIME"],
    )
    db.session.add(export)
    db.session.flush()
    after_commit(jobs.run_export, export.id)
    commit()
    return export


def get_export(export_id: int) -> ExportJob | None:
    return db.session.get(ExportJob, export_id)


def is_expired(export: ExportJob) -> bool:
    return export.expires_at <= utcnow()


def _set(export_id: int, **values) -> None:
    db.session.execute(update(ExportJob).where(ExportJob.id == export_id).values(**values))
    db.session.commit()


def _make_csv(export: ExportJob, service: Service, period: Period) -> bytes:
    export_id = export.id
    _set(export_id, rows_total=count_responses(service.id, period))
    out = io.BytesIO()
    for line in iter_response_csv(service.id, period,
                                  progress=lambda done: _set(export_id, rows_done=done)):
        out.write(line.encode("utf-8"))
    return out.getvalue()


def _make_report(export: ExportJob, service: Service, period: Period) -> bytes:
    locale = export.locale
    report = reports.build(service, period)
    tables = report_tables(report, locale)
    if export.kind == ExportKind.XLSX:
        # No FFT return sheet: its finer figures (six ratings, patients and carers only, by
        # mode) beside the report's would let a reader subtract one sheet from another and
        # get back counts the report hides. The return is an export of its own.
        return render_xlsx(report, tables, rtl=locale in current_app.config["RTL_LANGUAGES"])
    return render_pdf(report, tables, include_comments=export.kind == ExportKind.PDF)


def _make_fft_return(export: ExportJob, service: Service, period: Period) -> bytes:
    return fft_return_csv(build_fft_return(service, period)).encode("utf-8")


_MAKERS = {
    ExportKind.CSV: _make_csv,
    ExportKind.XLSX: _make_report,
    ExportKind.PDF: _make_report,
    ExportKind.PDF_NO_TEXT: _make_report,
    ExportKind.FFT_RETURN: _make_fft_return,
}


def run_export(export_id: int) -> None:
    """Make the export's file and keep it. Commits progress as it goes, so a status page in
    another request can show it.

    Idempotent: only a waiting export is claimed, so a done one is never rebuilt, and a second
    job for the same export (the sweep's, say) finds it taken and returns.
    """
    claimed = db.session.execute(
        update(ExportJob).where(ExportJob.id == export_id,
                                ExportJob.status == ExportStatus.WAITING)
        .values(status=ExportStatus.RUNNING, started_at=utcnow())).rowcount
    db.session.commit()
    if not claimed:
        return
    export = db.session.get(ExportJob, export_id)
    service, period = export.service, parse_period(export.period)
    try:
        with force_locale(export.locale):
            content = _MAKERS[export.kind](export, service, period)
        finished = utcnow()
        total = export.rows_total if export.kind == ExportKind.CSV else 1
        _set(export_id, content=content, size=len(content), status=ExportStatus.DONE,
             mimetype=MIMETYPES[export.kind], rows_total=total, rows_done=total,
             filename=f"{service.slug}-{period.slug}-{_FILE_NAMES[export.kind]}",
             finished_at=finished, expires_at=finished + current_app.config["EXPORT_LIFETIME"])
    except Exception:
        db.session.rollback()
        log.exception("Export %s failed", export_id, extra={"export_id": export_id})
        _set(export_id, status=ExportStatus.FAILED, finished_at=utcnow())
        raise
    log.info("Export %s made", export_id,
             extra={"export_id": export_id, "kind": export.kind, "size": len(content)})


def download(export: ExportJob, *, user: User) -> bytes:
    """The file, with its download recorded in the audit log."""
    content = export.content
    audit.record(Actions.EXPORTED, actor=user, target=export, details={
        "kind": export.kind, "service_id": export.service_id, "period": export.period,
        "bytes": export.size})
    commit()
    return content


def sweep_exports(*, stuck_after: int) -> list[int]:
    """Fail exports stuck running (their worker died), and list waiting ones whose job was lost.

    :param stuck_after: seconds; longer than a job may run.
    """
    now = utcnow()
    db.session.execute(
        update(ExportJob).where(ExportJob.status == ExportStatus.RUNNING,
                                ExportJob.started_at < now - timedelta(seconds=stuck_after))
        .values(status=ExportStatus.FAILED, finished_at=now))
    lost = list(db.session.scalars(
        select(ExportJob.id).where(ExportJob.status == ExportStatus.WAITING,
                                   ExportJob.created_at < now - LOST_AFTER,
                                   ExportJob.expires_at > now)))
    commit()
    return lost


def purge_expired() -> int:
    """Delete the files of expired exports, and the records of those long expired."""
    now = utcnow()
    cleared = db.session.execute(
        update(ExportJob).where(ExportJob.expires_at <= now, ExportJob.content.is_not(None))
        .values(content=None)).rowcount
    db.session.execute(delete(ExportJob).where(ExportJob.expires_at <= now - KEEP_EXPIRED))
    commit()
    return cleared
