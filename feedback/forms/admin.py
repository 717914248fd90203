"""Forms for administrators: staff accounts, services and surveys, paper forms, the audit log."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..models import Role, ServiceKind
from ..services import api_tokens, surveys
from ..services.paper import MAX_SHEETS_PER_RUN
from .fields import MultiCheckboxField

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SERVICE_LEAD: _l("Service lead"),
    Role.VOLUNTEER: _l("Volunteer"),
}
ROLE_HINTS = {
    Role.ADMIN: _l("Everything, including staff accounts and the audit log"),
    Role.SERVICE_LEAD: _l("Reports and campaigns for the services chosen below"),
    Role.VOLUNTEER: _l("Paper and assisted entry only"),
}


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class AccessForm(FlaskForm):
    role = RadioField(_l("Role"), choices=role_choices,
                      validators=[DataRequired(_l("Choose a role"))],
                      invalid_choice_message=_l("Choose a role"))
    services = MultiCheckboxField(_l("Services they lead"), coerce=int)


class PersonAccessForm(AccessForm):
    # A checkbox that, when ticked, sends "yes"; anything else is no.
    safeguarding = MultiCheckboxField(
        _l("Safeguarding"),
        choices=[SelectChoice("yes", _l("Can review comments that may disclose risk"))])

    @property
    def can_review_safeguarding(self) -> bool:
        return "yes" in (self.safeguarding.data or [])


class InviteForm(AccessForm):
    name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Enter their full name")), Length(max=200)])
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter their email address")), Length(max=254)])


class ConfirmForm(FlaskForm):
    """Only a CSRF token, for buttons that change something."""


class AuditFilterForm(FlaskForm):
    """Read from the query string: filters are bookmarkable, so CSRF is off."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Email address contains"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])


# --- services and surveys ----------------------------------------------------------------------

KIND_LABELS = {
    ServiceKind.VIDEO_CONSULTATION: _l("Video consultation"),
    ServiceKind.PORTAL: _l("Patient portal"),
    ServiceKind.ONLINE_BOOKING: _l("Online booking"),
    ServiceKind.REMOTE_MONITORING: _l("Remote monitoring"),
    ServiceKind.APP: _l("App"),
    ServiceKind.OTHER: _l("Other"),
}
# The languages the service ships, in the configured order (Config.LANGUAGES).
LANGUAGE_LABELS = {
    "en": _l("English"),
    "cy": _l("Welsh"),
    "pl": _l("Polish"),
    "ro": _l("Romanian"),
    "ur": _l("Urdu"),
}
# The question bank's modules, in the order a survey asks them.
MODULE_LABELS = {
    "fft": _l("Friends and Family Test"),
    "inclusion": _l("Digital inclusion"),
    "equality": _l("Equality monitoring"),
}
# Messages for the codes the surveys service and its checks give.
SURVEY_MESSAGES = {
    "slug_length": _l("The web address must be between %(min)d and %(max)d characters",
                      min=surveys.SLUG_MIN_LENGTH, max=surveys.SLUG_MAX_LENGTH),
    "slug_format": _l("The web address can only include lower-case letters, numbers and "
                      "hyphens, and must start and end with a letter or number"),
    "slug_taken": _l("Another service already uses this web address"),
    "name_required": _l("Enter a name"),
    "name_too_long": _l("The name must be %(max)d characters or fewer",
                        max=surveys.NAME_MAX_LENGTH),
    "invalid_kind": _l("Select what kind of service this is"),
    "description_required": _l("Enter a description in English"),
    "description_too_long": _l("Each description must be %(max)d characters or fewer",
                               max=surveys.DESCRIPTION_MAX_LENGTH),
    "unknown_language": _l("Select languages from the list"),
    "unknown_question": _l("Select questions from the list"),
    "fft_required": _l("Every survey must ask the Friends and Family Test question"),
    "fft_follow_up_required": _l(
        "Select at least one Friends and Family Test follow-up question"),
    "opens_required": _l("Enter the date the survey opens"),
    "opens_invalid": _l("The opening date must be a real date"),
    "closes_invalid": _l("The closing date must be a real date"),
    "closes_before_opens": _l("The closing date must be after the opening date"),
    "edit_conflict": _l("Someone else saved a change at the same time. Check the details and "
                        "save again"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _strip_lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]


def _description(label: str, *validators) -> TextAreaField:
    return TextAreaField(label, filters=[_strip], validators=[*validators, Length(
        max=surveys.DESCRIPTION_MAX_LENGTH, message=SURVEY_MESSAGES["description_too_long"])])


class ServiceForm(FlaskForm):
    """A service's details. Its slug is set once, by NewServiceForm."""

    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Enter the name of the service")),
        Length(max=surveys.NAME_MAX_LENGTH, message=SURVEY_MESSAGES["name_too_long"])])
    kind = RadioField(_l("Kind of service"), choices=kind_choices,
                      validators=[DataRequired(SURVEY_MESSAGES["invalid_kind"])])
    description_en = _description(_l("Description in English"),
                                  DataRequired(SURVEY_MESSAGES["description_required"]))
    description_cy = _description(_l("Description in Welsh (optional)"), Optional())
    description_pl = _description(_l("Description in Polish (optional)"), Optional())
    description_ro = _description(_l("Description in Romanian (optional)"), Optional())
    description_ur = _description(_l("Description in Urdu (optional)"), Optional())

    def description_fields(self) -> list:
        return [getattr(self, f"description_{code}") for code in LANGUAGE_LABELS]

    def descriptions(self) -> dict[str, str]:
        """{locale: text}, leaving out the languages left empty."""
        return {code: field.data for code, field in zip(LANGUAGE_LABELS, self.description_fields(),
                                                        strict=True) if field.data}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.errors:  # WTForms' own "Not a valid choice" is neither clear nor translated
            self.kind.errors = [str(SURVEY_MESSAGES["invalid_kind"])]
        return valid


class NewServiceForm(ServiceForm):
    slug = StringField(_l("Web address"), filters=[_strip_lower],
                       validators=[DataRequired(_l("Enter a web address for the survey"))])

    def validate_slug(self, field) -> None:
        problem = surveys.slug_problem(field.data)
        if problem:
            raise ValidationError(str(SURVEY_MESSAGES[problem]))


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]


class SurveyForm(FlaskForm):
    """A survey: questions from the bank (set with `use_bank`), languages and dates."""

    name = StringField(_l("Survey name"), filters=[_strip], validators=[
        DataRequired(_l("Enter a name for the survey")),
        Length(max=surveys.NAME_MAX_LENGTH, message=SURVEY_MESSAGES["name_too_long"])])
    questions = MultiCheckboxField(_l("Questions"))
    languages = MultiCheckboxField(_l("Languages"), choices=language_choices)
    opens_on = DateField(_l("Opens on"), validators=[
        DataRequired(SURVEY_MESSAGES["opens_required"])])
    closes_on = DateField(_l("Closes on (optional)"), validators=[Optional()])

    bank: list = []

    def use_bank(self, bank: list) -> None:
        """Offer these bank questions (newest revisions, in the bank's order)."""
        self.bank = bank
        self.questions.choices = [(q.key, q.text.get("en", q.key)) for q in bank]

    def question_keys(self) -> list[str]:
        """The chosen questions in the bank's order. The FFT question is always asked."""
        chosen = set(self.questions.data or [])
        return [q.key for q in self.bank
                if q.key in chosen or q.key in surveys.REQUIRED_KEYS]

    def language_codes(self) -> list[str]:
        """The chosen languages in the usual order. English is always offered."""
        chosen = set(self.languages.data or [])
        return [code for code in LANGUAGE_LABELS if code in chosen or code == "en"]

    def validate_questions(self, field) -> None:
        keys = set(self.question_keys())
        problem = surveys.question_set_problem([q for q in self.bank if q.key in keys])
        if problem:
            raise ValidationError(str(SURVEY_MESSAGES[problem]))

    def validate_closes_on(self, field) -> None:
        if field.data and self.opens_on.data and field.data <= self.opens_on.data:
            raise ValidationError(str(SURVEY_MESSAGES["closes_before_opens"]))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # WTForms' own "Not a valid date value" is neither clear nor translated.
        opens = self.opens_on
        if opens.errors and opens.data is None:
            typed = bool(opens.raw_data and opens.raw_data[0].strip())
            opens.errors = [str(SURVEY_MESSAGES["opens_invalid" if typed else "opens_required"])]
        if self.closes_on.errors and self.closes_on.data is None:  # empty is allowed: Optional()
            self.closes_on.errors = [str(SURVEY_MESSAGES["closes_invalid"])]
        return valid


# --- integration API tokens --------------------------------------------------------------------

API_TOKEN_MESSAGES = {
    "name_required": _l("Enter a name for the token, such as the appointment system's name"),
    "name_too_long": _l("The name must be %(max)d characters or fewer",
                         max=api_tokens.NAME_MAX_LENGTH),
    "revoked": _l("This token has already been revoked"),
}


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), filters=[_strip], validators=[
        DataRequired(API_TOKEN_MESSAGES["name_required"]),
        Length(max=api_tokens.NAME_MAX_LENGTH, message=API_TOKEN_MESSAGES["name_too_long"])])


class ErasePhoneForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[
        DataRequired(_l("Enter the mobile number to erase")), Length(max=40)])


# --- paper forms -------------------------------------------------------------------------------

PRINT_MESSAGES = {
    "language": _l("Choose the language of the forms"),
    "large_print": _l("Choose whether the forms are in large print"),
    "sheet_count": _l("Enter a number of forms from 1 to %(max)d", max=MAX_SHEETS_PER_RUN),
    "site_required": _l("Enter the site or clinic the forms are for"),
    "site_too_long": _l("The site or clinic must be %(max)d characters or fewer", max=200),
    "no_open_survey": _l("This service has no open survey, so there is no form to print"),
}


def print_size_choices() -> list[SelectChoice]:
    return [SelectChoice("no", _l("Standard print (12 point)")),
            SelectChoice("yes", _l("Large print (16 point)"))]


class PrintRunForm(FlaskForm):
    """A numbered run of paper forms. Offer the survey's languages with `use_languages`."""

    language = RadioField(_l("Language"), validators=[DataRequired(PRINT_MESSAGES["language"])],
                          invalid_choice_message=PRINT_MESSAGES["language"])
    large_print = RadioField(_l("Size of print"), choices=print_size_choices,
                             validators=[DataRequired(PRINT_MESSAGES["large_print"])],
                             invalid_choice_message=PRINT_MESSAGES["large_print"])
    sheet_count = IntegerField(_l("Number of forms"), validators=[
        InputRequired(PRINT_MESSAGES["sheet_count"]),
        NumberRange(min=1, max=MAX_SHEETS_PER_RUN, message=PRINT_MESSAGES["sheet_count"])])
    site = StringField(_l("Site or clinic"), filters=[_strip], validators=[
        DataRequired(PRINT_MESSAGES["site_required"]),
        Length(max=200, message=PRINT_MESSAGES["site_too_long"])])

    def use_languages(self, codes: list[str]) -> None:
        self.language.choices = [SelectChoice(code, LANGUAGE_LABELS[code]) for code in codes
                                 if code in LANGUAGE_LABELS]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # WTForms' own "Not a valid integer value" is neither clear nor translated.
        if self.sheet_count.errors:
            self.sheet_count.errors = [str(PRINT_MESSAGES["sheet_count"])]
        return valid
