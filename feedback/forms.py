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
    # The first option of each list is a prompt with the value 0; the checks below give our own messages.
    topic = SelectField(_l("Field"), coerce=int, validate_choice=False)
    agency = SelectField(_l("Agency (if you know it)"), coerce=int, validate_choice=False)
    name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), email_format(), max_length(254)])
    phone = StringField(_l("Phone"), filters=[normalize_phone], validators=[Optional(), phone_format])
    address = StringField(_l("Address"), validators=[Optional(), max_length(300)])
    consent_publish = BooleanField(_l("I agree that my question and its answer are published on the portal "
                                      "(without my name, e-mail, phone or address)."))
    attachments = MultipleFileField(_l("Attachments"))
    idempotency_key = HiddenField()
    website = StringField(_l("Leave this field empty"))  # a honeypot: people never see it, robots fill it

    def validate_topic(self, field):
        """A field from the list is needed."""
        if not field.data or field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose the field of your question."))

    def validate_agency(self, field):
        """The agency is optional, but must be one of the list when given."""
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose an agency from the list."))

    def validate(self, extra_validators=None):
        """Check each field, then that there is a way to reach the asker (an e-mail or a phone)."""
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            # Optional() stops the e-mail's own checks when it is empty, so the rule that needs both
            # fields lives here; the message stands by the e-mail field.
            self.email.errors = [*self.email.errors,
                                 _l("Give an e-mail address or a phone number, so that we can reach you.")]
            return False
        return valid


class TrackForm(BaseForm):
    """Follow a question with its tracking code and the contact given when asking."""

    code = StringField(_l("Tracking code"), validators=[required(), max_length(20)])
    contact = StringField(_l("E-mail or phone used when asking"), validators=[required(), max_length(254)])


class HelpfulForm(BaseForm):
    """Was this answer helpful?"""

    helpful = HiddenField()
