"""What the public sees of a session, and how its pollers learn cheaply that something changed.

No state lives in a process: every poller sends the version it shows as If-None-Match; the server reads the
session's version (one primary-key read) and answers 304 when it is unchanged, else the fresh fragment, which
carries the new version for the next poll. Any worker on any server answers the same.
"""
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, make_response, request
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from database import utcnow
from extensions import db
from feedback.public import VOTER_COOKIE, voter_key
from web import is_partial_request

from . import services
from .models import (PUBLIC_QUESTION_STATES, DialogueAnswer, DialogueQuestion, DialogueQuestionState as Q,
                     DialogueSession, DialogueVote, SessionState as S)

POLL_INTERVAL = "2s"  # within the 3 seconds promised to viewers, with a request's time to spare
POLLED_STATES = (S.ANNOUNCED, S.LIVE)
PAST_SHOWN = 100
EXCERPT = 160


def is_poll(target):
    """Whether this request is a poller asking for the fragment whose element id is target."""
    return is_partial_request() and request.headers.get("HX-Target", "").endswith("#" + target)


def etag(*parts):
    """A strong entity tag from the parts that identify what a poller shows."""
    return '"' + "-".join(str(part) for part in parts) + '"'


def unchanged(session_id, target, arrivals=False, allowed=None):
    """A 304 for a poll of target that already shows the current version, after one indexed read; else None.
    arrivals adds the newest question's number (the console must see new questions, which are not public);
    allowed(row) may refuse, and then the view itself answers (403 or 404)."""
    sent = request.if_none_match
    if not sent or not is_poll(target):
        return None
    columns = [DialogueSession.state, DialogueSession.host_agency_id, DialogueSession.version]
    if arrivals:
        columns.append(sa.select(sa.func.max(DialogueQuestion.id))
                       .where(DialogueQuestion.session_id == session_id).scalar_subquery())
    row = db.session.execute(sa.select(*columns).where(DialogueSession.id == session_id)).first()
    if row is None or row.state is S.DRAFT or (allowed is not None and not allowed(row)):
        return None
    tag = etag(session_id, *row[2:])
    if not sent.contains(tag.strip('"')):
        return None
    response = make_response("", 304)
    response.headers["ETag"] = tag
    return response


def public_session_or_404(session_id):
    """A session the public may see (drafts only for those who run it, as a preview), or 404."""
    session = db.session.scalar(
        sa.select(DialogueSession).where(DialogueSession.id == session_id)
        .options(selectinload(DialogueSession.officials), joinedload(DialogueSession.host_agency),
                 joinedload(DialogueSession.topic)))
    if session is None or (session.state is S.DRAFT and not services.may_run(current_user, session)):
        abort(404)
    return session


def public_question_or_404(session, question_id):
    """A published question of this session, or 404."""
    question = db.session.get(DialogueQuestion, question_id)
    if question is None or question.session_id != session.id or question.state not in PUBLIC_QUESTION_STATES:
        abort(404)
    return question


def voted_ids(session_id):
    """The questions of the session this person or browser has upvoted."""
    if not current_user.is_authenticated and not request.cookies.get(VOTER_COOKIE):
        return set()  # a browser that never voted: no query
    return set(db.session.scalars(
        sa.select(DialogueVote.question_id).join(DialogueQuestion, DialogueQuestion.id == DialogueVote.question_id)
        .where(DialogueQuestion.session_id == session_id, DialogueVote.voter_key == voter_key())))


@dataclass
class LiveView:
    """Everything the live region shows: the current question, answers newest first, questions by votes."""

    session: DialogueSession
    current: DialogueQuestion | None
    answered: list
    waiting: list
    voted: set = field(default_factory=set)

    @property
    def tag(self):
        """The entity tag of this state of the session."""
        return etag(self.session.id, self.session.version)

    @property
    def newest_answer_id(self):
        """The newest answer shown (0 when none), for the next poll to tell what is new."""
        return self.answered[0].answer.id if self.answered else 0

    @property
    def polled(self):
        """Whether the page keeps itself up to date (not for drafts or ended sessions)."""
        return self.session.state in POLLED_STATES


def live_view(session, with_votes=True):
    """Load what the live region of a session shows (two queries, three with the visitor's votes)."""
    questions = db.session.scalars(
        sa.select(DialogueQuestion).where(DialogueQuestion.session_id == session.id,
                                          DialogueQuestion.state.in_(PUBLIC_QUESTION_STATES))
        .options(joinedload(DialogueQuestion.answer).joinedload(DialogueAnswer.official))).unique().all()
    answered = sorted((q for q in questions if q.state is Q.ANSWERED and q.answer),
                      key=lambda q: (q.answer.published_at, q.answer.id), reverse=True)
    waiting = sorted((q for q in questions if q.state is not Q.ANSWERED),
                     key=lambda q: (-q.vote_count, q.approved_at or q.submitted_at, q.id))
    by_id = {q.id: q for q in questions}
    return LiveView(session, by_id.get(session.current_question_id), answered, waiting,
                    voted_ids(session.id) if with_votes else set())


def news(view, args):
    """What a viewer polling since the answer and current question in args should hear; '' when nothing."""
    if "seen" not in args:
        return ""  # a page load, not a poll: nothing is 'new'
    seen = args.get("seen", 0, type=int)
    fresh = [q for q in view.answered if q.answer.id > seen]
    parts = []
    if fresh:
        newest = fresh[0]
        parts.append(ngettext("%(num)d new answer.", "%(num)d new answers.", len(fresh)))
        parts.append(_("%(official)s answered: “%(question)s”", official=official_name(newest.answer.official),
                       question=excerpt(newest.shown_body)))
    current = view.current
    if current is not None and current.id != args.get("current", 0, type=int):
        parts.append(_("Now answering: “%(question)s”", question=excerpt(current.shown_body)))
    return " ".join(parts)


def official_name(official):
    """An official's name, or a neutral word when the official was removed from the session."""
    return official.name if official is not None else _("An official")


def excerpt(text, length=EXCERPT):
    """The start of a text, cut at a word, for announcements."""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def similar_questions(session, text):
    """Published questions of the session like the one being typed, so people upvote instead."""
    import search

    found = search.search(services.search_kind(session.id), text, limit=5)
    if not found.ids:
        return [], found.terms
    rows = {q.id: q for q in db.session.scalars(sa.select(DialogueQuestion).where(
        DialogueQuestion.id.in_(found.ids), DialogueQuestion.session_id == session.id,
        DialogueQuestion.state.in_(PUBLIC_QUESTION_STATES)))}
    return [rows[i] for i in found.ids if i in rows], found.terms


def _sessions(state, order, limit=None):
    """Sessions in one state with what their cards show."""
    stmt = (sa.select(DialogueSession).where(DialogueSession.state == state)
            .options(selectinload(DialogueSession.officials), joinedload(DialogueSession.host_agency),
                     joinedload(DialogueSession.topic)).order_by(order, DialogueSession.id))
    return db.session.scalars(stmt.limit(limit) if limit else stmt).unique().all()


def session_lists():
    """Live now, upcoming (soonest first) and past sessions (newest first)."""
    return {"live": _sessions(S.LIVE, DialogueSession.starts_at),
            "upcoming": _sessions(S.ANNOUNCED, DialogueSession.starts_at),
            "past": _sessions(S.ENDED, DialogueSession.starts_at.desc(), PAST_SHOWN)}


def home_session():
    """For the home page: the session live now, else the next announced one (None when neither)."""
    live = _sessions(S.LIVE, DialogueSession.starts_at, 1)
    if live:
        return live[0]
    recent = utcnow() - timedelta(hours=12)  # an announced session whose start passed today still counts
    return db.session.scalar(sa.select(DialogueSession).where(
        DialogueSession.state == S.ANNOUNCED, DialogueSession.ends_at >= recent)
        .options(joinedload(DialogueSession.host_agency)).order_by(DialogueSession.starts_at, DialogueSession.id)
        .limit(1))
