"""Forms of the question-and-answer service."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import Length, Optional

from forms import BaseForm, max_length, required
from public_forms import ContactForm


class AskForm(ContactForm):
    """Ask a question; no account needed. Contact data is private."""

    title = StringField(_l("Title"), validators=[
        required(), Length(min=10, max=200, message=_l("Between %(min)d and %(max)d characters.", min=10, max=200))])
    body = TextAreaField(_l("Your question"), validators=[
        required(), Length(min=20, max=5000, message=_l("Between %(min)d and %(max)d characters.", min=20, max=5000))])
    # The first option of each list is a prompt with the value 0; the checks below give our own messages.
    topic = SelectField(_l("Field"), coerce=int, validate_choice=False)
    agency = SelectField(_l("Agency (if you know it)"), coerce=int, validate_choice=False)
    name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    address = StringField(_l("Address"), validators=[Optional(), max_length(300)])
    consent_publish = BooleanField(_l("I agree that my question and its answer are published on the portal "
                                      "(without my name, e-mail, phone or address)."))
    attachments = MultipleFileField(_l("Attachments"))

    def validate_topic(self, field):
        """A field from the list is needed."""
        if not field.data or field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose the field of your question."))

    def validate_agency(self, field):
        """The agency is optional, but must be one of the list when given."""
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose an agency from the list."))


class TrackForm(BaseForm):
    """Follow a question with its tracking code and the contact given when asking."""

    code = StringField(_l("Tracking code"), validators=[required(), max_length(20)])
    contact = StringField(_l("E-mail or phone used when asking"), validators=[required(), max_length(254)])


class HelpfulForm(BaseForm):
    """Was this answer helpful?"""

    helpful = HiddenField()
