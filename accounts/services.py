"""The rules of accounts: creating users and agencies, passwords, sessions and two-factor codes."""
import secrets
import time

import pyotp
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

import audit
from database import normalize_text, utcnow
from extensions import db

from .models import Agency, AgencyKind, Role, User, UserSession, hash_token

# The passwords people try first; refused whatever their length.
COMMON_PASSWORDS = frozenset("""
123456789 1234567890 12345678910 0123456789 9876543210 1111111111 0000000000 1234512345 qwertyuiop
qwertyuiop123 password123 password1234 passw0rd123 matkhau123 matkhau1234 matkhaumoi 1q2w3e4r5t
1qaz2wsx3edc abcd123456 abc1234567 iloveyou123 admin12345 administrator welcome123 changeme123
anhyeuem123 emyeuanh123 vietnam123 vietnam1234 hanoi12345 saigon1234 letmein123 qazwsxedc123
""".split())

_DUMMY_HASH = None


class AccountError(ValueError):
    """A request about an account that breaks a rule; the message is for the user, field names the input."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def normalize_email(email):
    """Check an e-mail address's form and return it in the one spelling we store."""
    try:
        result = validate_email(normalize_text(email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(_("Enter a valid e-mail address, for example ten@example.vn."), "email") from None
    return result.normalized.lower()


def password_problem(password, email=None):
    """Why a password is too weak, or None when it is acceptable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("The password must have at least %(n)d characters.", n=minimum)
    if len(password) > 256:
        return _("The password must have at most 256 characters.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        return _("This password is too easy to guess; choose a longer phrase.")
    if email and lowered.split("@")[0] in (email.lower().split("@")[0], email.lower()):
        return _("The password must not be your e-mail address.")
    return None


def hash_password(password):
    """Hash a password with the configured method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_agency(code):
    """The agency with this code, or None."""
    return db.session.scalar(sa.select(Agency).where(Agency.code == code))


def create_agency(code, name, kind=AgencyKind.DEPARTMENT, parent_code=None):
    """Create an agency; the code is unique and the parent must exist."""
    code = normalize_text((code or "").strip()).upper()
    name = normalize_text((name or "").strip())
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise AccountError(_("An agency code is 1 to 32 letters, digits, '-' or '_'."))
    if not name:
        raise AccountError(_("An agency needs a name."))
    if find_agency(code):
        raise AccountError(_("An agency with code %(code)s already exists.", code=code))
    parent = None
    if parent_code:
        parent = find_agency(parent_code.strip().upper())
        if parent is None:
            raise AccountError(_("Unknown agency: %(code)s.", code=parent_code))
    agency = Agency(code=code, name=name, kind=AgencyKind(kind), parent=parent)
    db.session.add(agency)
    audit.record("agency.create", agency, code=code)
    return agency


def parse_role(value):
    """The Role named by value, or an AccountError listing the roles."""
    try:
        return Role((value or "").strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise AccountError(_("Unknown role %(role)s; choose one of: %(roles)s.", role=value, roles=roles)) from None


def create_user(email, password, role=Role.CITIZEN, agency_code=None, display_name=None):
    """Create a user after checking every rule; the caller commits."""
    email = normalize_email(email)
    role = parse_role(role)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise AccountError(_("An account with this e-mail address already exists."), "email")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem, "password")
    agency = None
    if agency_code:
        agency = find_agency(agency_code.strip().upper())
        if agency is None:
            raise AccountError(_("Unknown agency: %(code)s.", code=agency_code))
    if role.is_agency_role and agency is None:
        raise AccountError(_("Staff and leaders must belong to an agency (--agency CODE)."))
    name = normalize_text((display_name or "").strip()) or email.split("@")[0]
    user = User(
        email=email, display_name=name[:120], password_hash=hash_password(password),
        role=role, agency=agency,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, role=role.value)
    return user


def authenticate(email, password):
    """The active user with these credentials, or None; as slow for an unknown e-mail as for a known one."""
    global _DUMMY_HASH
    try:
        email = normalize_email(email)
    except AccountError:
        email = None
    user = db.session.scalar(sa.select(User).where(User.email == email)) if email else None
    if user is None:
        # Spend the same time hashing, so timing does not tell which e-mail addresses have accounts.
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(16))
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def change_password(user, new_password):
    """Set a new password and end the user's other sessions."""
    problem = password_problem(new_password, user.email)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    audit.record("user.password_change", user, actor=user)


def start_session(user, user_agent=None):
    """Record a new signed-in session and return the secret token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(
        token_hash=hash_token(token), user_id=user.id, user_agent=(user_agent or "")[:200] or None,
    ))
    user.last_login_at = utcnow()
    return token


def find_session(token):
    """The session record for a browser's token, or None."""
    if not token:
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == hash_token(token)))


def end_session(token):
    """End one browser's session on the server."""
    record = find_session(token)
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()


def end_all_sessions(user, except_token=None):
    """End every session of a user (deactivation, password change, account deletion)."""
    keep = hash_token(except_token) if except_token else None
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.token_hash != keep)
    db.session.execute(query.values(ended_at=utcnow()))


def set_active(user, active, actor):
    """Activate or deactivate a user; deactivation signs them out everywhere at once."""
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record("user.activate" if active else "user.deactivate", user, actor=actor)


def set_two_factor_required(user, required, actor):
    """Oblige (or stop obliging) an official to sign in with two factors."""
    if required and not user.role.is_official:
        raise AccountError(_("Two-factor sign-in is for officials' accounts."))
    user.two_factor_required = required
    audit.record("user.require_2fa" if required else "user.waive_2fa", user, actor=actor)


def delete_account(user):
    """Delete a citizen's own account and end its sessions."""
    if user.role is not Role.CITIZEN:
        raise AccountError(_("Officials' accounts are deactivated by an administrator, not deleted."))
    end_all_sessions(user)
    audit.record("user.delete", user, actor=user)
    db.session.delete(user)


def new_totp_secret():
    """A fresh base32 secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(user, secret):
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TWO_FACTOR_ISSUER"]
    )


def verify_totp(secret, code, last_counter=None):
    """The time step a code belongs to when it is valid and not used before, else None."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6 or not secret:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time()
    for drift in (0, -1, 1):  # one step of clock drift either way
        counter = totp.timecode(now) + drift
        if secrets.compare_digest(totp.generate_otp(counter), code):
            if last_counter is not None and counter <= last_counter:
                return None  # a code is good once
            return counter
    return None


def enable_two_factor(user, secret, code):
    """Turn on two-factor sign-in once the user proved their app gives the right codes."""
    counter = verify_totp(secret, code)
    if counter is None:
        raise AccountError(_("That code is not right. Check the time on your phone and try the newest code."))
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_counter = counter
    audit.record("user.2fa_enable", user, actor=user)


def disable_two_factor(user):
    """Turn off two-factor sign-in, unless an administrator requires it."""
    if user.two_factor_required:
        raise AccountError(_("An administrator requires two-factor sign-in for your account."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    audit.record("user.2fa_disable", user, actor=user)


def check_second_factor(user, code):
    """Accept a sign-in code once; a replayed code is refused."""
    counter = verify_totp(user.totp_secret, code, user.totp_last_counter)
    if counter is None:
        return False
    user.totp_last_counter = counter
    return True
