"""Forms for service leads: SMS campaigns, report periods and filters, and their words."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, StopValidation

from ..analysis.periods import Period, parse_period
from ..services.campaigns import MAX_ROWS

MAX_UPLOAD_BYTES = 1024 * 1024  # bytes; MAX_ROWS rows of all four columns need about a fifth
CAMPAIGN_NAME_MAX_LENGTH = 200  # Campaign.name

# Messages for the codes CampaignError gives, and the form field each belongs to (None: the
# problem is not with anything typed or chosen, so it is shown at the top of the page only).
CAMPAIGN_MESSAGES = {
    "not_utf8": _l("The file must be saved as CSV UTF-8. In Excel, choose Save as, then "
                   "CSV UTF-8"),
    "no_phone_column": _l("The file must have a column headed phone"),
    "too_many_rows": _l("The file must have %(max)d rows or fewer. Split it into smaller files",
                        max=MAX_ROWS),
    "empty": _l("The file has no rows under its headings"),
    "no_open_survey": _l("This service has no open survey to invite people to. Ask an "
                         "administrator to open one"),
    "sms_off": _l("Text messages cannot be sent because they have not been set up. Ask an "
                  "administrator"),
}
UNKNOWN_CAMPAIGN_ERROR = _l("The campaign could not be created")
CAMPAIGN_ERROR_FIELDS = {
    "not_utf8": "recipients", "no_phone_column": "recipients", "too_many_rows": "recipients",
    "empty": "recipients", "no_open_survey": None, "sms_off": None,
}
# Why a row of the upload was not added (campaigns.add_recipients).
SKIP_REASONS = {
    "duplicate": _l("The same phone number is on an earlier row"),
    "opted_out": _l("This person has asked us not to text them"),
    "unknown_language": _l("The language is not one the survey is offered in"),
    "unknown_role": _l("The role must be patient, carer or staff"),
    "bad_date": _l("The appointment date must be a real date written as YYYY-MM-DD"),
    "phone_empty": _l("There is no phone number"),
    "phone_not_a_number": _l("The phone number has letters or other characters in it"),
    "phone_invalid": _l("The phone number is not a real number. Check the number of digits"),
    "phone_not_mobile": _l("The phone number is not a mobile number, so it cannot get texts"),
}
UNKNOWN_SKIP_REASON = _l("It could not be sent")
# What campaigns.counts() reports, in the order the campaign page lists it.
COUNT_LABELS = {
    "recipients": _l("People in this campaign"),
    "waiting": _l("Waiting to be sent"),
    "sent": _l("Invitations sent"),
    "delivered": _l("Delivered to their phone"),
    "failed": _l("Could not be delivered"),
    "answered": _l("Answered at least one question"),
    "completed": _l("Finished the survey"),
    "expired": _l("Stopped replying before the end"),
    "opted_out": _l("Asked us to stop texting them"),
    "skipped": _l("Not sent: opted out, already answering another survey, or the survey "
                  "closed"),
}


def skip_reason_label(code: str):
    return SKIP_REASONS.get(code, UNKNOWN_SKIP_REASON)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CsvFile:
    """A file whose name ends in .csv, or that the browser says is text/csv."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field) -> None:
        data = field.data
        if not isinstance(data, FileStorage):
            return
        named_csv = (data.filename or "").lower().endswith(".csv")
        if not named_csv and data.mimetype != "text/csv":
            raise StopValidation(str(self.message))


class CampaignForm(FlaskForm):
    name = StringField(
        _l("Campaign name"), filters=[_strip],
        validators=[DataRequired(_l("Enter a name for the campaign")),
                    Length(max=CAMPAIGN_NAME_MAX_LENGTH,
                           message=_l("The name must be %(max)d characters or fewer",
                                      max=CAMPAIGN_NAME_MAX_LENGTH))])
    recipients = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file")),
                    CsvFile(_l("The file must be a CSV file")),
                    FileSize(max_size=MAX_UPLOAD_BYTES,
                             message=_l("The file must be 1 MB or smaller"))])


# --- what the analysers found ------------------------------------------------------------------

RISK_LEVEL_LABELS = {
    "high": _l("High risk"),
    "medium": _l("Medium risk"),
    "low": _l("Low risk"),
    "unknown": _l("Not enough answers to tell"),
}
CHANNEL_LABELS = {
    "web": _l("Online"),
    "sms": _l("Text message"),
    "paper": _l("Paper"),
    "assisted": _l("With a volunteer"),
}
SENTIMENT_LABELS = {
    "positive": _l("Positive"),
    "mixed": _l("Mixed"),
    "neutral": _l("Neutral"),
    "negative": _l("Negative"),
}
DOMAIN_LABELS = {
    "access": _l("Access"),
    "accessibility": _l("Accessibility"),
    "skills": _l("Skills"),
    "trust": _l("Trust"),
    "language": _l("Language"),
    "channel": _l("Channel"),
    "help": _l("Help"),
}


# --- the reports' words and filters ------------------------------------------------------------

PERIOD_KIND_LABELS = {
    "week": _l("Weeks"),
    "month": _l("Months"),
    "quarter": _l("Quarters"),
}
# The FFT's six answers (DOMAIN.md), word for word.
RATING_LABELS = {
    "very_good": _l("Very good"),
    "good": _l("Good"),
    "neither": _l("Neither good nor poor"),
    "poor": _l("Poor"),
    "very_poor": _l("Very poor"),
    "dont_know": _l("Don't know"),
}
# services.reports.FFT_LINE: the six answers as NHS England groups them.
FFT_LINE_LABELS = {
    "positive": _l("Very good or good"),
    "neither": _l("Neither good nor poor"),
    "negative": _l("Poor or very poor"),
    "dont_know": _l("Don't know"),
}
RESPONDENT_ROLE_LABELS = {
    "patient": _l("Patients"),
    "carer": _l("Carers"),
    "staff": _l("Staff"),
}
# The rollups' "" sentiment: a comment in a language the sentiment scorer does not read.
NOT_SCORED_LABEL = _l("Not scored")
# What needs a lead's attention on the overview (services.overview.Attention.kind).
ATTENTION_LABELS = {
    "negative_comments": _l("More comments were negative than last month"),
    "channel_stopped": _l("A way of answering stopped reaching people"),
    "sms_failing": _l("Most text message invitations could not be delivered"),
}
RECENT_PERIODS = {"week": 12, "month": 12, "quarter": 8}  # how many the period picker offers


def _choices(anything, labels: dict) -> list[SelectChoice]:
    """"Any" (the empty value), then every labelled choice."""
    return [SelectChoice("", anything)] + [SelectChoice(k, v) for k, v in labels.items()]


class ReportForm(FlaskForm):
    """The report's period and quote filters, from the query string: bookmarkable, so no CSRF.

    A bad period is not a form error but a page that does not exist (the view answers 404);
    the filters are checked against their lists like any choice.
    """

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind of period"), choices=[SelectChoice("", "")] + [
        SelectChoice(kind, label) for kind, label in PERIOD_KIND_LABELS.items()])
    period = SelectField(_l("Report period"), validate_choice=False)
    theme = SelectField(_l("Theme"), default="",
                        invalid_choice_message=_l("Choose a theme from the list"))
    channel = SelectField(
        _l("How they answered"), default="",
        invalid_choice_message=_l("Choose a way of answering from the list"),
        choices=_choices(_l("Any way"), CHANNEL_LABELS))
    rating = SelectField(
        _l("Rating"), default="", invalid_choice_message=_l("Choose a rating from the list"),
        choices=_choices(_l("Any rating"), RATING_LABELS))

    def __init__(self, *args, themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.theme.choices = _choices(_("Any theme"), dict(themes))

    def chosen_period(self, default: Period) -> Period | None:
        """The period asked for: a slug, else the default of the kind asked for; None if the
        slug names no period or the kind is unknown (the view says so with a 404)."""
        if self.period.data:
            try:
                return parse_period(self.period.data)
            except ValueError:
                return None
        if self.kind.data and self.kind.data not in PERIOD_KIND_LABELS:
            return None
        return default

    def filter_errors(self) -> bool:
        """Validates the filters alone; True when one of them is wrong."""
        valid = [field.validate(self) for field in (self.theme, self.channel, self.rating)]
        return not all(valid)
