"""Taking in completed dossiers — from the API or a staff member's CSV — and the keys the API accepts.

One set of rules serves both ways in: `validate` turns a submitted dossier (a dict of strings as JSON or a CSV row
gives it) into a `DossierInput` or a list of field errors; `intake` stores many at once with a few queries, and
answers for each whether it was created, was already there, was completed by this report, or conflicts.
"""
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

import audit
from accounts.models import Agency, Topic
from database import normalize_text, utcnow
from extensions import db
from public_forms import PHONE, normalize_phone

from .survey_models import ApiKey, Channel, Dossier, Procedure

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIELDS = ("code", "procedure", "field", "agency_code", "received_at", "due_at", "completed_at", "channel",
          "applicant")
LIMITS = {"code": 64, "procedure.name": 300, "procedure.code": 40, "field": 120, "agency_code": 32,
          "applicant.name": 120, "applicant.phone": 20, "applicant.email": 254}
EARLIEST = datetime(2000, 1, 1)
CLOCK_SKEW = timedelta(minutes=10)
KEY_PREFIX = "ctt_"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f]")


# --- validation ------------------------------------------------------------------------------------------------

@dataclass
class DossierInput:
    """A dossier that passed every rule, in the form it is stored (times in UTC, text in NFC)."""

    code: str
    procedure_name: str
    procedure_code: Optional[str]
    field: Optional[str]
    agency_code: str
    received_at: datetime
    due_at: Optional[datetime]
    completed_at: Optional[datetime]
    channel: Channel
    applicant_name: Optional[str] = None
    applicant_phone: Optional[str] = None
    applicant_email: Optional[str] = None

    @cached_property
    def fingerprint(self):
        """What makes two reports of one dossier the same report (the completion time apart: a dossier reported
        while open may be reported again once completed)."""
        data = {name: getattr(self, name) for name in _INPUT_FIELDS if name != "completed_at"}  # asdict is slow
        data["channel"] = str(self.channel)
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


_INPUT_FIELDS = tuple(f.name for f in fields(DossierInput))


class Invalid(Exception):
    """A dossier that breaks rules: errors maps each field (dotted for nested ones) to its messages."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _text(errors, data, name, required=False, parent=None):
    """A trimmed NFC string from data[name] (None when absent or blank), checked for type and length; errors
    are recorded under the field's dotted name (parent.name for nested objects)."""
    label = f"{parent}.{name}" if parent else name
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(label, []).append(_("This field is required."))
        return None
    if not isinstance(value, str):
        errors.setdefault(label, []).append(_("Must be text."))
        return None
    value = value.strip()
    if CONTROL_CHARACTERS.search(value):  # NUL included, before normalize_text would refuse it with an error
        errors.setdefault(label, []).append(_("Must not contain control characters."))
        return None
    value = normalize_text(value)
    limit = LIMITS.get(label)
    if limit and len(value) > limit:
        errors.setdefault(label, []).append(_("At most %(n)d characters.", n=limit))
        return None
    return value


def parse_time(value):
    """An ISO 8601 date or date-time as stored (UTC, naive). Times without an offset are Vietnamese time;
    a date alone means the end of that day for a due date and its start otherwise — callers pick."""
    if isinstance(value, str):
        value = value.strip()
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_ZONE)
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    raise ValueError(value)


def _time(errors, data, name, required=False, end_of_day=False):
    """A stored time from data[name], or None with an error recorded."""
    raw = data.get(name)
    if raw is None or raw == "":
        if required:
            errors.setdefault(name, []).append(_("This field is required."))
        return None
    try:
        value = parse_time(raw)
    except (ValueError, TypeError):
        errors.setdefault(name, []).append(
            _("Use a date and time like 2026-11-21T08:30:00+07:00, or a date like 2026-11-21."))
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        local = datetime.combine(value, time(23, 59, 59) if end_of_day else time.min, LOCAL_ZONE)
        value = local.astimezone(timezone.utc).replace(tzinfo=None)
    if value < EARLIEST:
        errors.setdefault(name, []).append(_("This date is too far in the past."))
        return None
    return value


def validate(data):
    """Check one submitted dossier; return a DossierInput or raise Invalid with every error at once."""
    if not isinstance(data, dict):
        raise Invalid({"": [_("Each dossier must be a JSON object.")]})
    errors = {}
    unknown = sorted(set(data) - set(FIELDS))
    for name in unknown:
        errors.setdefault(str(name)[:64], []).append(_("Unknown field."))
    code = _text(errors, data, "code", required=True)
    procedure = data.get("procedure")
    procedure_name = procedure_code = None
    if isinstance(procedure, str):  # a name alone is accepted too
        procedure = {"name": procedure}
    if not isinstance(procedure, dict):
        errors.setdefault("procedure.name", []).append(_("This field is required."))
    else:
        extra = sorted(set(procedure) - {"name", "code"})
        for name in extra:
            errors.setdefault(f"procedure.{name}"[:64], []).append(_("Unknown field."))
        procedure_name = _text(errors, procedure, "name", required=True, parent="procedure")
        procedure_code = _text(errors, procedure, "code", parent="procedure")
    topic = _text(errors, data, "field")
    agency_code = _text(errors, data, "agency_code", required=True)
    agency_code = agency_code.upper() if agency_code else agency_code  # agencies' codes are upper case
    received_at = _time(errors, data, "received_at", required=True)
    due_at = _time(errors, data, "due_at", end_of_day=True)
    completed_at = _time(errors, data, "completed_at")
    channel = data.get("channel")
    try:
        channel = Channel(channel)
    except ValueError:
        errors.setdefault("channel", []).append(_("Must be one of: online, counter, postal."))
    name = phone = email = None
    applicant = data.get("applicant")
    if applicant is not None:
        if not isinstance(applicant, dict):
            errors.setdefault("applicant", []).append(_("Must be an object with name, phone and e-mail."))
        else:
            for extra in sorted(set(applicant) - {"name", "phone", "email"}):
                errors.setdefault(f"applicant.{extra}"[:64], []).append(_("Unknown field."))
            name = _text(errors, applicant, "name", parent="applicant")
            phone = _text(errors, applicant, "phone", parent="applicant")
            email = _text(errors, applicant, "email", parent="applicant")
            if phone:
                phone = normalize_phone(phone)
                if not PHONE.match(phone):
                    errors.setdefault("applicant.phone", []).append(
                        _("Enter a Vietnamese phone number, for example 0912 345 678."))
            if email:
                try:
                    email = validate_email(email, check_deliverability=False).normalized.lower()
                except EmailNotValidError:
                    errors.setdefault("applicant.email", []).append(
                        _("Enter a valid e-mail address, for example ten@example.vn."))
    if received_at and due_at and due_at < received_at:
        errors.setdefault("due_at", []).append(_("The due date cannot be before the date received."))
    if received_at and completed_at and completed_at < received_at:
        errors.setdefault("completed_at", []).append(_("The completion date cannot be before the date received."))
    now = utcnow() + CLOCK_SKEW
    for name_, value in (("received_at", received_at), ("completed_at", completed_at)):
        if value and value > now:
            errors.setdefault(name_, []).append(_("This date is in the future."))
    if errors:
        raise Invalid(errors)
    return DossierInput(code=code, procedure_name=procedure_name, procedure_code=procedure_code, field=topic,
                        agency_code=agency_code, received_at=received_at, due_at=due_at,
                        completed_at=completed_at, channel=channel, applicant_name=name, applicant_phone=phone,
                        applicant_email=email)


# --- storing -----------------------------------------------------------------------------------------------------

CREATED, UNCHANGED, COMPLETED, CONFLICT, FORBIDDEN, INVALID = 201, 200, "completed", 409, 403, 422


def conflict_message():
    """Why a reported dossier conflicts with the stored one."""
    return _("A different dossier with this code is already stored.")


@dataclass
class Outcome:
    """What happened to one submitted dossier."""

    status: object  # CREATED, UNCHANGED, COMPLETED, CONFLICT, FORBIDDEN or INVALID
    code: Optional[str] = None
    dossier: Optional[Dossier] = None
    errors: dict = field(default_factory=dict)

    @property
    def http_status(self):
        """The status a single-dossier call answers with."""
        return 200 if self.status == COMPLETED else self.status

    @property
    def stored(self):
        """Whether the dossier is in the database after this call."""
        return self.status in (CREATED, UNCHANGED, COMPLETED)


def new_token():
    """A survey token: 192 random bits, unrelated to the dossier code."""
    return secrets.token_urlsafe(24)


class Catalogue:
    """Agencies, fields and procedures met during one intake, read or created once each."""

    def __init__(self, agency_codes):
        self.agencies = dict(db.session.execute(
            sa.select(Agency.code, Agency.id).where(Agency.code.in_(agency_codes))).all()) if agency_codes else {}
        self.topics = {}
        self.procedures = {}

    def topic_id(self, name):
        """The field (topic) of this name, created when the one-stop-shop system names a new one."""
        if not name:
            return None
        if name not in self.topics:
            topic = db.session.scalar(sa.select(Topic).where(Topic.name == name))
            if topic is None:
                topic = _create_unique(Topic(name=name, slug=_slug(name)),
                                       lambda: db.session.scalar(sa.select(Topic).where(Topic.name == name)))
            self.topics[name] = topic.id
        return self.topics[name]

    def procedure_id(self, name, code, topic_id):
        """The procedure with this national code (or, without one, this name), created on first report."""
        key = (code, None if code else name)
        if key not in self.procedures:
            where = Procedure.code == code if code else sa.and_(Procedure.code.is_(None), Procedure.name == name)
            procedure = db.session.scalar(sa.select(Procedure).where(where))
            if procedure is None:
                procedure = _create_unique(Procedure(code=code, name=name, topic_id=topic_id),
                                           lambda: db.session.scalar(sa.select(Procedure).where(where)))
            self.procedures[key] = procedure.id
        return self.procedures[key]


def _slug(name):
    """A topic's address part from its name, unique enough with a short random tail."""
    from search import fold

    words = "-".join(fold(name).split())[:60] or "linh-vuc"
    return f"{words}-{secrets.token_hex(3)}"


def _create_unique(obj, find):
    """Insert obj; when a concurrent request inserted its twin first, return the twin."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
        return obj
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found


def _row(item, catalogue, agency_id, key):
    """The values of a new dossier row."""
    topic_id = catalogue.topic_id(item.field)
    completed_on = item.completed_at.replace(tzinfo=timezone.utc).astimezone(LOCAL_ZONE).date() \
        if item.completed_at else None
    return dict(code=item.code, procedure_id=catalogue.procedure_id(item.procedure_name, item.procedure_code,
                                                                    topic_id),
                topic_id=topic_id, agency_id=agency_id, channel=item.channel, received_at=item.received_at,
                due_at=item.due_at, completed_at=item.completed_at, completed_on=completed_on,
                applicant_name=item.applicant_name, applicant_phone=item.applicant_phone,
                applicant_email=item.applicant_email, fingerprint=item.fingerprint, survey_token=new_token(),
                source="api" if key else "csv", api_key_id=key.id if key else None, created_at=utcnow())


def _compare(existing, item):
    """A repeat of a stored dossier: the same (200), its completion (200, stored), or a conflict (409)."""
    if existing.fingerprint != item.fingerprint:
        return CONFLICT
    if existing.completed_at == item.completed_at:
        return UNCHANGED
    if existing.completed_at is None and item.completed_at is not None:
        existing.completed_at = item.completed_at
        existing.completed_on = item.completed_at.replace(tzinfo=timezone.utc).astimezone(LOCAL_ZONE).date()
        return COMPLETED
    return CONFLICT


@dataclass
class _Pending:
    """A dossier of this batch not inserted yet, as a later repeat in the batch compares against it."""

    agency_id: int
    fingerprint: str
    completed_at: Optional[datetime]
    id: None = None


def intake(items, key=None, actor=None):
    """Store validated dossiers (DossierInput, or Invalid for those that failed) in one transaction's worth of
    queries; return one Outcome per item, in order. Repeats within the batch count as repeats."""
    outcomes = [None] * len(items)
    good = []
    for n, item in enumerate(items):
        if isinstance(item, Invalid):
            outcomes[n] = Outcome(INVALID, errors=item.errors)
        else:
            good.append((n, item))
    catalogue = Catalogue({item.agency_code for _, item in good})
    existing = {}
    codes = [item.code for _, item in good]
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        for dossier in db.session.scalars(sa.select(Dossier).where(Dossier.code.in_(chunk))):
            existing[dossier.code] = dossier
    new_rows = []
    for n, item in good:
        agency_id = catalogue.agencies.get(item.agency_code)
        if agency_id is None:
            outcomes[n] = Outcome(INVALID, item.code, errors={"agency_code": [_("No agency has this code.")]})
            continue
        if key is not None and not key.may_post_for(agency_id):
            outcomes[n] = Outcome(FORBIDDEN, item.code,
                                  errors={"agency_code": [_("This key may not report dossiers of this agency.")]})
            continue
        if item.code in existing:
            dossier = existing[item.code]
            if dossier.agency_id != agency_id:
                status = CONFLICT
            elif dossier.id is None:  # reported twice in this batch: only an exact repeat is accepted
                same = dossier.fingerprint == item.fingerprint and dossier.completed_at == item.completed_at
                status, dossier = (UNCHANGED, None) if same else (CONFLICT, None)
            else:
                status = _compare(dossier, item)
            outcomes[n] = Outcome(status, item.code, dossier,
                                  {"code": [conflict_message()]} if status == CONFLICT else {})
            continue
        row = _row(item, catalogue, agency_id, key)
        new_rows.append((n, item, row))
        existing[item.code] = _Pending(agency_id, item.fingerprint, item.completed_at)  # for a later repeat
    _insert(new_rows, outcomes)
    changed = sum(1 for o in outcomes if o.status in (CREATED, COMPLETED))
    if changed:
        audit.record("dossiers.intake", key, actor=actor, created=sum(o.status == CREATED for o in outcomes),
                     completed=sum(o.status == COMPLETED for o in outcomes), source="api" if key else "csv")
    return outcomes


def _insert(new_rows, outcomes):
    """Insert the new dossiers at once; if a concurrent request stored some of the same codes first, go one by
    one so that each of those becomes a repeat (or a conflict) rather than an error."""
    if not new_rows:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(Dossier), [row for _, _, row in new_rows])
    except IntegrityError:
        for n, item, row in new_rows:
            try:
                with db.session.begin_nested():
                    db.session.execute(sa.insert(Dossier), [row])
            except IntegrityError:
                twin = db.session.scalar(sa.select(Dossier).where(Dossier.code == item.code))
                if twin is None:
                    raise
                status = _compare(twin, item)
                outcomes[n] = Outcome(status, item.code, twin,
                                      {"code": [conflict_message()]} if status == CONFLICT else {})
                continue
            outcomes[n] = Outcome(CREATED, item.code)
    else:
        for n, item, _row_ in new_rows:
            outcomes[n] = Outcome(CREATED, item.code)
    created = [o for o in outcomes if o is not None and o.stored and o.dossier is None]
    by_code = {}
    codes = [o.code for o in created]
    for start in range(0, len(codes), 500):
        for dossier in db.session.scalars(sa.select(Dossier).where(Dossier.code.in_(codes[start:start + 500]))):
            by_code[dossier.code] = dossier
    for outcome in created:
        outcome.dossier = by_code[outcome.code]


def intake_one(data, key=None, actor=None):
    """Validate and store one dossier."""
    try:
        item = validate(data)
    except Invalid as error:
        item = error
    return intake([item], key, actor)[0]


# --- API keys ----------------------------------------------------------------------------------------------------

def hash_key(secret):
    """The stored form of an API key (keys are long and random, so one round of SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(name, agency=None, actor=None):
    """Make a new API key; return (record, secret). The secret is shown once and never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=secret[:12], key_hash=hash_key(secret),
                 agency_id=agency.id if agency else None, created_by_id=actor.id if actor else None)
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.create", key, actor=actor, name=name, agency=agency.code if agency else None)
    return key, secret


def revoke_key(key, actor):
    """Stop accepting a key from now on."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by_id = actor.id if actor else None
        audit.record("api_key.revoke", key, actor=actor, name=key.name)


def key_from_header(header):
    """The active key named by an 'Authorization: Bearer …' header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    secret = header[len("Bearer "):].strip()
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    if key is None or not key.active:
        return None
    return key


def survey_url(dossier):
    """The link printed on the result slip and returned by the API."""
    from flask import url_for

    return url_for("feedback.survey", token=dossier.survey_token, _external=True)


def qr_url(dossier, fmt="png"):
    """The QR code of the survey link, as PNG or SVG."""
    from flask import url_for

    return url_for("feedback.survey_qr", token=dossier.survey_token, fmt=fmt, _external=True)


def batch_max():
    """How many dossiers one batch call may carry."""
    return current_app.config["API_BATCH_MAX"]
