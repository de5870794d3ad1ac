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
