"""Forms for signing in, second factors and accepting an invitation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .validators import StrongPassword


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter your email address")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password")), Length(max=1000)])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(_l("Enter the code")), Length(max=20)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("Create a password"), validators=[
        DataRequired(_l("Enter a password")), Length(max=1000), StrongPassword()])
    confirm = PasswordField(_l("Type the password again"), validators=[
        DataRequired(_l("Type the password again")),
        EqualTo("password", _l("The passwords do not match"))])

    def __init__(self, *args, user_inputs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.password.user_inputs = list(user_inputs)


class SignOutForm(FlaskForm):
    """Only a CSRF token: signing out is a POST so that a link elsewhere cannot do it."""
