"""The public's form of a dialogue session: send a question (contact data stays private)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from forms import max_length, required
from public_forms import ContactForm

CHECKED_FIELDS = ("body", "name", "email", "phone")


class DialogueAskForm(ContactForm):
    """A question for the officials of a session; the name may be shown as anonymous."""

    body = TextAreaField(_l("Your question"), validators=[
        required(), Length(min=15, max=2000, message=_l("Between %(min)d and %(max)d characters.", min=15, max=2000))])
    name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    anonymous = BooleanField(_l("Ask anonymously: show “Anonymous” instead of my name"))
