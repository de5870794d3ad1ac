"""What every public form shares, in both services: the contact fields and their rule, the honeypot, the
idempotency key, prefilling from the account, and rate limits counted only for stored submissions."""
import re
import secrets
import uuid
from functools import wraps

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import EmailField, HiddenField, StringField, ValidationError
from wtforms.validators import Optional

from extensions import limiter
from forms import BaseForm, email_format, max_length

PHONE = re.compile(r"^(?:\+84|0)(?:3|5|7|8|9|2\d)\d{8}$")


def new_idempotency_key():
    """The key a form carries so that sending it twice makes one submission."""
    return uuid.uuid4().hex


def normalize_phone(value):
    """Keep the digits of a Vietnamese phone number (and a leading +), so '091 234 5678' is accepted."""
    if not value:
        return value
    return re.sub(r"(?!^\+)[^\d]", "", value.strip())


def _national(phone):
    """A phone number in its national spelling (+84 912… → 0912…), for comparing."""
    phone = normalize_phone(phone or "")
    return "0" + phone[3:] if phone.startswith("+84") else phone


def contact_matches(contact, email, phone):
    """Whether a typed e-mail or phone number is the one on record (case and spacing aside), in constant time."""
    contact = (contact or "").strip()
    if "@" in contact:
        return bool(email) and secrets.compare_digest(email.lower(), contact.lower())
    stored = _national(phone)
    return bool(stored) and secrets.compare_digest(stored, _national(contact))


def phone_format(form, field):
    """A Vietnamese mobile or landline number."""
    if field.data and not PHONE.match(field.data):
        raise ValidationError(_l("Enter a Vietnamese phone number, for example 0912 345 678."))


class ContactForm(BaseForm):
    """A public form that needs a way to reach the sender, with a honeypot and an idempotency key."""

    email = EmailField(_l("E-mail"), validators=[Optional(), email_format(), max_length(254)])
    phone = StringField(_l("Phone"), filters=[normalize_phone], validators=[Optional(), phone_format])
    idempotency_key = HiddenField()
    website = StringField(_l("Leave this field empty"))  # a honeypot: people never see it, robots fill it

    def validate(self, extra_validators=None):
        """Check each field, then that there is a way to reach the sender (an e-mail or a phone)."""
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            # Optional() stops the e-mail's own checks when it is empty, so the rule that needs both
            # fields lives here; the message stands by the e-mail field.
            self.email.errors = [*self.email.errors,
                                 _l("Give an e-mail address or a phone number, so that we can reach you.")]
            return False
        return valid

    def prepare(self):
        """Give the form its idempotency key the first time it is shown, and a signed-in person's name
        and e-mail."""
        if not self.idempotency_key.data:
            self.idempotency_key.data = new_idempotency_key()
        if current_user.is_authenticated and request.method == "GET":
            self.name.data = self.name.data or current_user.display_name
            self.email.data = self.email.data or current_user.email


def submission_limits(name, per_ip_setting, per_contact_setting):
    """Limit a public form per address and per contact (e-mail or phone), counting only stored submissions:
    a person correcting mistakes is never blocked. The view calls `stored()` once it has stored one."""
    flag = f"{name}_stored"

    def counted(response):
        return g.get(flag, False)

    def contact_key():
        contact = (request.form.get("email") or request.form.get("phone") or "").strip().lower()
        return f"{name}-contact:{contact}" if contact else f"{name}-ip:{request.remote_addr}"

    def decorator(view):
        limited = limiter.limit(lambda: current_app.config[per_ip_setting], methods=["POST"],
                                deduct_when=counted, scope=f"{name}-ip")(view)
        limited = limiter.limit(lambda: current_app.config[per_contact_setting], key_func=contact_key,
                                methods=["POST"], deduct_when=counted, scope=f"{name}-contact")(limited)
        return wraps(view)(limited)

    def stored():
        g.setdefault(flag, True)

    decorator.stored = stored
    return decorator
