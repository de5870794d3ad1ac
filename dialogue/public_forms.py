"""The public's form of a dialogue session: send a question (contact data stays private)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from feedback.forms import normalize_phone, phone_format
from forms import BaseForm, email_format, max_length, required

CHECKED_FIELDS = ("body", "name", "email", "phone")


class DialogueAskForm(BaseForm):
    """A question for the officials of a session; the name may be shown as anonymous."""

    body = TextAreaField(_l("Your question"), validators=[
        required(), Length(min=15, max=2000, message=_l("Between %(min)d and %(max)d characters.", min=15, max=2000))])
    name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    anonymous = BooleanField(_l("Ask anonymously: show “Anonymous” instead of my name"))
    email = EmailField(_l("E-mail"), validators=[Optional(), email_format(), max_length(254)])
    phone = StringField(_l("Phone"), filters=[normalize_phone], validators=[Optional(), phone_format])
    idempotency_key = HiddenField()
    website = StringField(_l("Leave this field empty"))  # a honeypot: people never see it, robots fill it

    def validate(self, extra_validators=None):
        """Check each field, then that there is a way to reach the asker (an e-mail or a phone)."""
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            self.email.errors = [*self.email.errors,
                                 _l("Give an e-mail address or a phone number, so that we can reach you.")]
            return False
        return valid
