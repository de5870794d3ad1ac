"""Counters of the one-stop shop and their tablets: pairing a tablet, handing a dossier over at a counter, and
what the tablet shows. A tablet holds only its own random token — no account, no personal data."""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

import audit
from accounts.models import hash_token
from database import utcnow
from extensions import db

from .survey_models import CounterDevice, Dossier, ServiceCounter, SurveyResponse

DEVICE_COOKIE = "counter_device"


class CounterError(Exception):
    """A counter action that cannot be done; the message is for the staff member."""


def pair(counter, actor):
    """Pair a tablet with counter; return the token its cookie will carry (shown nowhere else)."""
    if not counter.active:
        raise CounterError(_l("This counter is closed."))
    token = secrets.token_urlsafe(32)
    device = CounterDevice(counter_id=counter.id, token_hash=hash_token(token), paired_by_id=actor.id)
    db.session.add(device)
    db.session.flush()
    audit.record("counter.pair", device, actor=actor, counter=counter.name)
    return token


def unpair(device, actor):
    """Stop a tablet from showing surveys (lost, replaced, or moved to another counter)."""
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record("counter.unpair", device, actor=actor)


def device_for(token):
    """The paired, active tablet with this token, or None."""
    if not token or len(token) > 100:
        return None
    device = db.session.scalar(sa.select(CounterDevice).where(CounterDevice.token_hash == hash_token(token)))
    if device is None or device.revoked_at is not None or not device.counter.active:
        return None
    return device


def hand_over(dossier, counter, actor):
    """Record that the result of dossier was handed over at counter: its tablet now shows the survey."""
    if counter.agency_id != dossier.agency_id:
        raise CounterError(_l("This counter belongs to another agency."))
    if not counter.active:
        raise CounterError(_l("This counter is closed."))
    if not dossier.completed:
        raise CounterError(_l("This dossier is not completed yet."))
    if dossier.response is not None:
        raise CounterError(_l("The applicant has already answered the survey of this dossier."))
    dossier.counter_id = counter.id
    dossier.handed_over_at = utcnow()
    audit.record("dossier.hand_over", dossier, actor=actor, counter=counter.name)
    return dossier


def waiting(counter):
    """The dossier whose survey the counter's tablet shows now: the latest handed over there within the last
    minutes, still unanswered; None for the neutral screen."""
    since = utcnow() - timedelta(minutes=current_app.config["COUNTER_SHOW_MINUTES"])
    return db.session.scalar(
        sa.select(Dossier).outerjoin(SurveyResponse, SurveyResponse.dossier_id == Dossier.id)
        .where(Dossier.counter_id == counter.id, Dossier.handed_over_at >= since, SurveyResponse.id.is_(None))
        .order_by(Dossier.handed_over_at.desc(), Dossier.id.desc()).limit(1))


def withdraw(dossier, actor):
    """Take a dossier off its counter's tablet (the applicant left without answering)."""
    if dossier.counter_id is not None and dossier.handed_over_at is not None:
        dossier.handed_over_at = None
        audit.record("dossier.withdraw_from_tablet", dossier, actor=actor)


def counters_of(agency_id):
    """The open counters of an agency, by name."""
    return db.session.scalars(sa.select(ServiceCounter).where(ServiceCounter.agency_id == agency_id,
                                                              ServiceCounter.active.is_(True))
                              .order_by(ServiceCounter.name)).all()


def all_counters_of(agency_id):
    """Every counter of an agency, open ones first, by name (for its leaders' management page)."""
    return db.session.scalars(sa.select(ServiceCounter).where(ServiceCounter.agency_id == agency_id)
                              .order_by(ServiceCounter.active.desc(), ServiceCounter.name)).all()


def paired_devices(counter_ids):
    """The tablets still paired with each of these counters: counter id → devices, newest first."""
    devices = {counter_id: [] for counter_id in counter_ids}
    if counter_ids:
        rows = db.session.scalars(sa.select(CounterDevice).where(CounterDevice.counter_id.in_(counter_ids),
                                                                 CounterDevice.revoked_at.is_(None))
                                  .order_by(CounterDevice.paired_at.desc(), CounterDevice.id.desc()))
        for device in rows:
            devices[device.counter_id].append(device)
    return devices


def _name(name):
    """A counter's name as typed, trimmed; refused when empty or too long."""
    name = " ".join((name or "").split())
    if not name:
        raise CounterError(_l("Give the counter a name, for example “Counter 1”."))
    if len(name) > 80:
        raise CounterError(_l("At most %(max)d characters.", max=80))
    return name


def _name_taken(agency_id, name, but=None):
    """Whether another counter of the agency already has this name."""
    stmt = sa.select(ServiceCounter.id).where(ServiceCounter.agency_id == agency_id, ServiceCounter.name == name)
    if but is not None:
        stmt = stmt.where(ServiceCounter.id != but.id)
    return db.session.scalar(stmt.limit(1)) is not None


def add_counter(agency, name, actor):
    """Open a new counter at an agency's one-stop shop."""
    name = _name(name)
    if _name_taken(agency.id, name):
        raise CounterError(_l("This agency already has a counter with this name."))
    counter = ServiceCounter(agency_id=agency.id, name=name)
    db.session.add(counter)
    db.session.flush()
    audit.record("counter.add", counter, actor=actor, name=name)
    return counter


def rename_counter(counter, name, actor):
    """Give a counter a new name (its tablets stay paired)."""
    name = _name(name)
    if _name_taken(counter.agency_id, name, but=counter):
        raise CounterError(_l("This agency already has a counter with this name."))
    if name != counter.name:
        audit.record("counter.rename", counter, actor=actor, before=counter.name, after=name)
        counter.name = name
    return counter


def set_counter_open(counter, is_open, actor):
    """Close a counter (its tablets stop showing surveys) or open it again."""
    if counter.active != is_open:
        counter.active = is_open
        audit.record("counter.reopen" if is_open else "counter.close", counter, actor=actor)
    return counter


SEEN_EVERY = timedelta(minutes=1)


def seen(device):
    """Note when a tablet last asked for its screen, at most once a minute, in a short write of its own, so
    that polling stays read-only."""
    now = utcnow()
    if device.last_seen_at is not None and now - device.last_seen_at < SEEN_EVERY:
        return
    statement = sa.update(CounterDevice).where(CounterDevice.id == device.id).values(last_seen_at=now)
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine):
        with bind.execution_options(sqlite_immediate=True).begin() as conn:
            conn.execute(statement)
    else:  # the session is bound to one connection (a test's transaction): write through it
        bind.execute(statement)
