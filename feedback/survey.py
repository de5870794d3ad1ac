"""The satisfaction survey's rules: the scale, the official criteria, one answer per dossier, and the alerts that
a dissatisfied answer or a comment raises for the agency's leaders."""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

import audit
from accounts.models import Role, User
from database import utcnow
from extensions import db
from notifications import queue
from web import external_url

from .survey_models import (Dossier, FollowUpReason, SurveyDetail, SurveyFollowUp, SurveyResponse, SurveyVia)

# Overall satisfaction, best first. Three levels, as most provinces ask; five where the province prefers.
SCALES = {
    3: ((3, _l("Very satisfied")), (2, _l("Satisfied")), (1, _l("Dissatisfied"))),
    5: ((5, _l("Very satisfied")), (4, _l("Satisfied")), (3, _l("Neither satisfied nor dissatisfied")),
        (2, _l("Dissatisfied")), (1, _l("Very dissatisfied"))),
}


def scale():
    """The number of levels the province asks for (3 or 5)."""
    levels = current_app.config["SURVEY_SCALE"]
    return levels if levels in SCALES else 3


def levels(size=None):
    """(value, label) of each level of the scale, best first."""
    return SCALES[size or scale()]


def is_satisfied(rating, size):
    """'Satisfied' or 'very satisfied' (the two best levels on either scale)."""
    return rating >= size - 1


def is_dissatisfied(rating, size):
    """'Dissatisfied' (the lowest level of three; the two lowest of five)."""
    return rating <= (1 if size == 3 else 2)


@dataclass(frozen=True)
class Criterion:
    """A criterion of Decree 61/2018/NĐ-CP (as amended by Decree 107/2021/NĐ-CP) and Circular 01/2018/TT-VPCP,
    with its answers (value, label); good are the answers that count as meeting it."""

    key: str
    label: object
    choices: tuple
    good: tuple


CRITERIA = (
    Criterion("time", _l("Time taken compared with the time the law sets"),
              (("early", _l("Earlier than the deadline")), ("on_time", _l("On time")), ("late", _l("Late"))),
              ("early", "on_time")),
    Criterion("contacts", _l("How many times you had to contact the agency to complete the dossier"),
              (("1", _l("Once")), ("2", _l("Twice")), ("3", _l("Three times or more"))), ("1",)),
    Criterion("agencies", _l("How many agencies you had to contact"),
              (("1", _l("One")), ("2", _l("Two")), ("3", _l("Three or more"))), ("1",)),
    Criterion("one_stop", _l("Dossier received and result returned at the one-stop desk"),
              (("yes", _l("Yes")), ("no", _l("No, I was sent elsewhere"))), ("yes",)),
    Criterion("publicity", _l("The procedure (papers, fees, time) was published clearly"),
              (("full", _l("Fully and clearly")), ("partly", _l("Partly")), ("no", _l("Not published"))),
              ("full",)),
    Criterion("feedback", _l("Your comments or complaints about the dossier were received and handled"),
              (("yes", _l("Yes, properly")), ("no", _l("No")), ("none", _l("I made none"))), ("yes",)),
    Criterion("online", _l("The online public service"),
              (("easy", _l("I used it and it worked well")), ("hard", _l("I used it with difficulty")),
               ("unused", _l("I did not use it"))), ("easy",)),
)
CRITERIA_BY_KEY = {c.key: c for c in CRITERIA}
NOT_COUNTED = {"feedback": ("none",), "online": ("unused",)}  # "does not apply": left out of the shares

# Why: what went well or badly. Stored as item "tag:<key>", value "good" or "bad".
TAGS = (
    ("attitude", _l("Staff attitude")),
    ("ease", _l("Ease of the procedure")),
    ("time", _l("Time taken")),
    ("transparency", _l("Transparency")),
    ("guidance", _l("Guidance given")),
    ("facilities", _l("Waiting area and facilities")),
)
TAG_KEYS = {key for key, _label in TAGS}
COMMENT_MAX = 2000


class SurveyError(Exception):
    """A survey answer that cannot be taken; the message is for the person answering."""


def answer(dossier, rating, via):
    """Store the one overall rating of a dossier. Returns (response, created): when another request (a double
    tap, a second device) answered first, that answer stands and created is False."""
    if not dossier.completed:
        raise SurveyError(_l("This dossier is not completed yet: the survey opens when the result is given."))
    size = scale()
    if rating not in dict(SCALES[size]):
        raise SurveyError(_l("Choose one of the answers."))
    response = SurveyResponse(dossier_id=dossier.id, agency_id=dossier.agency_id, scale=size, rating=rating,
                              satisfied=is_satisfied(rating, size), dissatisfied=is_dissatisfied(rating, size),
                              via=SurveyVia(via), answered_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        existing = db.session.scalar(sa.select(SurveyResponse).where(SurveyResponse.dossier_id == dossier.id))
        if existing is None:
            raise
        return existing, False
    if response.dissatisfied:
        _raise_alert(response, FollowUpReason.DISSATISFIED)
    return response, True


def details_open(response):
    """Whether the criteria, reasons and comment can still be added (once, soon after the rating)."""
    window = timedelta(minutes=current_app.config["SURVEY_DETAILS_MINUTES"])
    return response.details_at is None and utcnow() - response.answered_at <= window


def add_details(response, criteria, good_tags, bad_tags, comment):
    """Add the optional part of the survey. criteria maps criterion key → answer; unknown keys and answers are
    refused, a tag cannot be both good and bad."""
    if not details_open(response):
        raise SurveyError(_l("This survey has already been completed. Thank you."))
    rows = []
    for key, value in criteria.items():
        criterion = CRITERIA_BY_KEY.get(key)
        if criterion is None or value not in dict(criterion.choices):
            raise SurveyError(_l("Choose one of the answers."))
        rows.append(SurveyDetail(item=key, value=value))
    good, bad = set(good_tags), set(bad_tags)
    if not (good | bad) <= TAG_KEYS:
        raise SurveyError(_l("Choose one of the answers."))
    if good & bad:
        raise SurveyError(_l("A reason cannot be both good and bad."))
    rows += [SurveyDetail(item=f"tag:{key}", value="good") for key in sorted(good)]
    rows += [SurveyDetail(item=f"tag:{key}", value="bad") for key in sorted(bad)]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise SurveyError(_l("The comment can have at most %(n)d characters.", n=COMMENT_MAX))
    response.details.extend(rows)
    response.comment = comment or None
    response.details_at = utcnow()
    if comment:
        _raise_alert(response, FollowUpReason.COMMENT)
    return response


def _raise_alert(response, reason):
    """Open a follow-up for the agency (one per answer) and tell its leaders by e-mail."""
    follow_up = db.session.scalar(sa.select(SurveyFollowUp).where(SurveyFollowUp.response_id == response.id))
    if follow_up is not None:
        return follow_up  # already open for the rating: the comment joins it
    follow_up = SurveyFollowUp(response_id=response.id, agency_id=response.agency_id, reason=reason)
    db.session.add(follow_up)
    db.session.flush()
    dossier = db.session.get(Dossier, response.dossier_id)
    leaders = db.session.scalars(sa.select(User).where(User.agency_id == response.agency_id,
                                                       User.role == Role.LEADER, User.active.is_(True))).all()
    if leaders:
        body = render_template("email/survey_alert.txt", dossier=dossier, response=response, reason=reason,
                               rating=dict(levels(response.scale)).get(response.rating),
                               url=external_url("feedback.follow_ups"))
        subject = _("Survey answer to look into: dossier %(code)s", code=dossier.code)
        for leader in leaders:
            queue("survey.alert", leader.email, subject, body)
    return follow_up


def close_follow_up(follow_up, actor, note):
    """A leader's note of what was done; the follow-up leaves the open list."""
    note = (note or "").strip()
    if not note:
        raise SurveyError(_l("Write what was done before closing."))
    if len(note) > COMMENT_MAX:
        raise SurveyError(_l("The note can have at most %(n)d characters.", n=COMMENT_MAX))
    if follow_up.closed_at is not None:
        raise SurveyError(_l("This follow-up is already closed."))
    follow_up.closed_at = utcnow()
    follow_up.closed_by_id = actor.id
    follow_up.note = note
    audit.record("survey.follow_up.close", follow_up, actor=actor)
    return follow_up


def find_by_token(token):
    """The dossier of a survey link, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Dossier).where(Dossier.survey_token == token))


def find_by_code(code, contact):
    """The dossier with this code whose applicant's phone or e-mail on record is contact, or None. Both must
    match: the code alone is printed on papers others may see."""
    from public_forms import contact_matches

    code, contact = (code or "").strip(), (contact or "").strip()
    if not code or not contact or len(code) > 64 or len(contact) > 254:
        return None
    # Codes are printed in capitals; someone typing one may not be (both spellings use the unique index).
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code.in_({code, code.upper()})).limit(1))
    if dossier is None:
        return None
    return dossier if contact_matches(contact, dossier.applicant_email, dossier.applicant_phone) else None
