"""Form pieces shared by every domain: NFC-normalised text and validators with Vietnamese messages."""
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, PasswordField, validators


def _nfc(value):
    """Strip surrounding spaces and store one Unicode spelling of the text."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    return value


class BaseForm(FlaskForm):
    """A FlaskForm (with CSRF) whose text fields arrive trimmed and in NFC."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            """Add the NFC filter to every field, before its own filters (not to passwords, nor to lists and
            sub-forms, which take no filters: the fields inside them get theirs)."""
            if issubclass(unbound_field.field_class, (FieldList, FormField, PasswordField)):
                return unbound_field.bind(form=form, **options)
            options["filters"] = [_nfc, *unbound_field.kwargs.get("filters", [])]
            return unbound_field.bind(form=form, **options)


def required(message=None):
    """A required-field validator with a clear message."""
    return validators.InputRequired(message=message or _l("This field is required."))


def max_length(n):
    """A length validator whose message says the limit."""
    return validators.Length(max=n, message=_l("At most %(max)d characters.", max=n))


def email_format():
    """An e-mail validator with a helpful example."""
    return validators.Email(message=_l("Enter a valid e-mail address, for example ten@example.vn."),
                            check_deliverability=False)
