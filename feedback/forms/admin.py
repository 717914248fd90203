"""Forms for administrators: staff accounts and the audit log filter."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models import Role
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
