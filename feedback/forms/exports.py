"""The form that asks for an export, and the words for exports and their progress."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import AnyOf, DataRequired, ValidationError

from ..analysis.periods import Period, parse_period, uk_date
from ..models import ExportKind, ExportStatus, utcnow

# What the report page offers; the PDF's checkbox turns "pdf" into "pdf_no_text".
KINDS_OFFERED = (ExportKind.CSV, ExportKind.XLSX, ExportKind.PDF, ExportKind.FFT_RETURN)

KIND_LABELS = {
    ExportKind.CSV: _l("Responses (CSV)"),
    ExportKind.XLSX: _l("Report tables (Excel workbook)"),
    ExportKind.PDF: _l("Report (PDF)"),
    ExportKind.PDF_NO_TEXT: _l("Report without comments (PDF)"),
    ExportKind.FFT_RETURN: _l("Friends and Family Test monthly return (CSV)"),
}
STATUS_LABELS = {
    ExportStatus.WAITING: _l("Waiting to start"),
    ExportStatus.RUNNING: _l("Being made"),
    ExportStatus.DONE: _l("Ready to download"),
    ExportStatus.FAILED: _l("Could not be made"),
}


def _period(form, field) -> None:
    try:
        period = parse_period(field.data or "")
    except ValueError:
        raise ValidationError(_l("Choose a week, month or quarter to export")) from None
    # As the report: a period still under way grows, and two exports a day apart would
    # differ by one day's responses.
    if period.end > uk_date(utcnow()):
        raise ValidationError(_l("Choose a week, month or quarter that has ended"))


class ExportForm(FlaskForm):
    period = HiddenField(validators=[DataRequired(_l("Choose a week, month or quarter to "
                                                     "export")), _period])
    kind = HiddenField(validators=[
        DataRequired(_l("Choose what to export")),
        AnyOf([str(kind) for kind in KINDS_OFFERED], message=_l("Choose what to export"))])
    leave_out_comments = BooleanField(_l("Leave comments out"))

    def validate_kind(self, field) -> None:
        if field.data != ExportKind.FFT_RETURN or self.period.errors:
            return
        try:
            period = parse_period(self.period.data or "")
        except ValueError:
            return  # the period's own check says so
        if period.kind != "month":
            raise ValidationError(_l("The Friends and Family Test return is for a whole month. "
                                     "Choose a month"))

    @property
    def chosen_period(self) -> Period:
        return parse_period(self.period.data)

    @property
    def export_kind(self) -> str:
        if self.kind.data == ExportKind.PDF and self.leave_out_comments.data:
            return ExportKind.PDF_NO_TEXT
        return self.kind.data
