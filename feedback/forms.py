"""Forms of the question-and-answer service."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, HiddenField, MultipleFileField, SelectField, StringField,
                     TextAreaField, ValidationError)
from wtforms.validators import Length, Optional

from forms import BaseForm, email_format, max_length, required

PHONE = re.compile(r"^(?:\+84|0)(?:3|5|7|8|9|2\d)\d{8}$")


def normalize_phone(value):
    """Keep the digits of a Vietnamese phone number (and a leading +), so '091 234 5678' is accepted."""
    if not value:
        return value
    return re.sub(r"(?!^\+)[^\d]", "", value.strip())


def phone_format(form, field):
    """A Vietnamese mobile or landline number."""
    if field.data and not PHONE.match(field.data):
        raise ValidationError(_l("Enter a Vietnamese phone number, for example 0912 345 678."))


class AskForm(BaseForm):
    """Ask a question; no account needed. Contact data is private."""

    title = StringField(_l("Title"), validators=[
        required(), Length(min=10, max=200, message=_l("Between %(min)d and %(max)d characters.", min=10, max=200))])
    body = TextAreaField(_l("Your question"), validators=[
        required(), Length(min=20, max=5000, message=_l("Between %(min)d and %(max)d characters.", min=20, max=5000))])
    topic = SelectField(_l("Field"), coerce=int, validators=[required(_l("Choose the field of your question."))],
                        validate_choice=True)
    agency = SelectField(_l("Agency (if you know it)"), coerce=int, validators=[Optional()], validate_choice=True)
    name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), email_format(), max_length(254)])
    phone = StringField(_l("Phone"), filters=[normalize_phone], validators=[Optional(), phone_format])
    address = StringField(_l("Address"), validators=[Optional(), max_length(300)])
    consent_publish = BooleanField(_l("I agree that my question and its answer are published on the portal "
                                      "(without my name, e-mail, phone or address)."))
    attachments = MultipleFileField(_l("Attachments"))
    idempotency_key = HiddenField()
    website = StringField(_l("Leave this field empty"))  # a honeypot: people never see it, robots fill it

    def validate_email(self, field):
        """An e-mail or a phone, so the agency can reach the asker."""
        if not field.data and not self.phone.data:
            raise ValidationError(_l("Give an e-mail address or a phone number, so that we can reach you."))

    def validate_phone(self, field):
        """Either contact will do; the e-mail field carries the message when both are missing."""


class TrackForm(BaseForm):
    """Follow a question with its tracking code and the contact given when asking."""

    code = StringField(_l("Tracking code"), validators=[required(), max_length(20)])
    contact = StringField(_l("E-mail or phone used when asking"), validators=[required(), max_length(254)])


class HelpfulForm(BaseForm):
    """Was this answer helpful?"""

    helpful = HiddenField()
