"""Validators shared by the forms."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from ..services.users import MIN_PASSWORD_LENGTH, password_problems

PASSWORD_MESSAGES = {
    "too_short": _l("Your password must be at least %(min)d characters long",
                    min=MIN_PASSWORD_LENGTH),
    "guessable": _l("Your password is too easy to guess. Try 3 or more unrelated words"),
}


class StrongPassword:
    """NCSC guidance: long enough, and not a common or easily guessed password."""

    def __call__(self, form, field) -> None:
        user_inputs = getattr(field, "user_inputs", [])
        problems = password_problems(field.data or "", user_inputs=user_inputs)
        if problems:
            raise ValidationError(str(PASSWORD_MESSAGES[problems[0]]))
