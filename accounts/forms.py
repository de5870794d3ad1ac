"""Forms for signing in, registering and looking after one's account."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import EqualTo

from forms import BaseForm, email_format, max_length, required


class LoginForm(BaseForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[required(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(256)])


class TwoFactorForm(BaseForm):
    """The six-digit code from an authenticator app."""

    code = StringField(_l("Six-digit code"), validators=[required(), max_length(12)])


class RegisterForm(BaseForm):
    """A citizen's optional account."""

    display_name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    email = EmailField(_l("E-mail"), validators=[required(), email_format(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(256)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(BaseForm):
    """The current password, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[required()])
    password = PasswordField(_l("New password"), validators=[required(), max_length(256)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class DeleteAccountForm(BaseForm):
    """Deleting an account asks for the password and an explicit yes."""

    password = PasswordField(_l("Password"), validators=[required()])
    confirm = BooleanField(
        _l("I understand that my account will be deleted for good."),
        validators=[required(_l("Tick the box to confirm."))],
    )


class EnableTwoFactorForm(BaseForm):
    """The first code from the newly set-up app proves it works."""

    code = StringField(_l("Six-digit code"), validators=[required(), max_length(12)])


class DisableTwoFactorForm(BaseForm):
    """Turning two factors off asks for the password."""

    password = PasswordField(_l("Password"), validators=[required()])
