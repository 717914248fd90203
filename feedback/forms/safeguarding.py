"""The form a safeguarding reviewer fills in to record what they did."""

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from ..models import SafeguardingOutcome
from ..services.safeguarding import NOTE_MAX_LENGTH

OUTCOME_LABELS = {
    SafeguardingOutcome.REFERRED: _l("Referred to the safeguarding team or a clinician"),
    SafeguardingOutcome.CONTACTED: _l("Contacted the person"),
    SafeguardingOutcome.ALREADY_KNOWN: _l("Already known: the service is acting on it"),
    SafeguardingOutcome.NO_RISK: _l("Read in full: it does not disclose a risk"),
}

CATEGORY_LABELS = {
    "self_harm": _l("Self-harm or suicidal thoughts"),
    "abuse_or_neglect": _l("Abuse or neglect"),
    "urgent_medical": _l("Urgent medical need"),
}

REVIEW_ERRORS = {
    ("outcome", "required"): _l("Select what you did"),
    ("outcome", "invalid"): _l("Select what you did"),
    ("note", "required"): _l("Enter what you did and who you told"),
    ("flag", "already"): _l("Someone has already recorded a review of this comment"),
}


def review_error(field: str, code: str) -> str:
    if (field, code) == ("note", "too_long"):
        return _("What you did must be %(max)s characters or fewer",
                 max=format_number(NOTE_MAX_LENGTH))
    return str(REVIEW_ERRORS[(field, code)])


def outcome_choices() -> list[SelectChoice]:
    return [SelectChoice(value.value, label) for value, label in OUTCOME_LABELS.items()]


class ReviewForm(FlaskForm):
    outcome = RadioField(_l("What did you do?"), choices=outcome_choices,
                         validators=[DataRequired(_l("Select what you did"))],
                         invalid_choice_message=_l("Select what you did"))
    # Its length is checked by the service, which says so in review_error's words.
    note = TextAreaField(_l("What you did and who you told"), validators=[
        DataRequired(_l("Enter what you did and who you told"))])
