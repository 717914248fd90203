"""Forms for the public web survey: who is answering, then one question a page."""

from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..models import QuestionKind, RespondentRole
from .fields import MultiCheckboxField

ROLE_LABELS = {
    RespondentRole.PATIENT: _l("A patient"),
    RespondentRole.CARER: _l("A carer, relative or friend answering for someone"),
    RespondentRole.STAFF: _l("A member of staff"),
}

# Messages for the error codes the responses service returns, by question kind.
_REQUIRED = {
    QuestionKind.FREE_TEXT: _l("Enter your answer"),
    QuestionKind.MULTIPLE_CHOICE: _l("Select at least one answer"),
    QuestionKind.FFT_RATING: _l("Select how your experience was"),
}
_MESSAGES = {
    "unknown_choice": _l("Select one of the answers shown"),
    "exclusive_choice": _l("You cannot select that answer together with other answers"),
    "unknown_status": _l("Select one of the answers shown"),
    "invalid": _l("Enter your answer as text"),
}


def error_message(code: str, kind: str, max_length: int) -> str:
    if code == "required":
        return str(_REQUIRED.get(kind, _l("Select an answer")))
    if code == "too_long":
        return str(_l("Your answer must be %(max)s characters or fewer",
                      max=format_number(max_length)))
    return str(_MESSAGES.get(code, _l("Check your answer")))


class StartForm(FlaskForm):
    """Only a CSRF token: starting a survey is a POST so that it cannot be triggered by a link."""


class RoleForm(FlaskForm):
    role = RadioField(
        _l("Are you answering as…"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validate_choice=True,
        invalid_choice_message=_l("Select who you are answering as"),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.role.errors:
            self.role.errors = [str(_l("Select who you are answering as"))]
        return valid


class SubmitForm(FlaskForm):
    """Only a CSRF token, for the check-your-answers page."""


class _QuestionForm(FlaskForm):
    pass


def question_form(kind: str, options: list[tuple[str, str]], **kwargs) -> FlaskForm:
    """A form with one field, `answer`, shaped for the question's kind.

    Whether the answer is acceptable is decided by the responses service, the same for
    every channel; this form only carries the CSRF check and the submitted value.
    """

    class QuestionForm(_QuestionForm):
        pass

    choices = [SelectChoice(value, label) for value, label in options]

    if kind == QuestionKind.FREE_TEXT:
        QuestionForm.answer = TextAreaField()
    elif kind == QuestionKind.MULTIPLE_CHOICE:
        QuestionForm.answer = MultiCheckboxField(choices=choices)
    else:
        QuestionForm.answer = RadioField(choices=choices, validate_choice=False)
    return QuestionForm(**kwargs)
