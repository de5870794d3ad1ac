"""What the public sees of questions: the list with filters and search, votes, the feed and open data."""
import csv
import io
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, abort, g, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

import search
from accounts.models import Agency, Topic
from database import utcnow
from extensions import db

from .models import HelpfulVote, Question, QuestionState
from .workflow import PUBLIC_ACTIONS, plain_text

PER_PAGE = 20
SEARCH_CAP = 1000
PERIODS = {"7": 7, "30": 30, "365": 365}
VOTER_COOKIE = "voter"


def public_questions():
    """Published questions whose askers agreed to publication."""
    return sa.select(Question).where(Question.state == QuestionState.PUBLISHED, Question.consent_publish.is_(True))


def latest_answers(count):
    """The newest published questions, for the home page."""
    return db.session.scalars(public_questions().options(joinedload(Question.agency))
                              .order_by(Question.published_at.desc(), Question.id.desc()).limit(count)).unique().all()


def published_or_404(question_id):
    """A question the public may read, or 404."""
    question = db.session.scalar(public_questions().where(Question.id == question_id)
                                 .options(joinedload(Question.answer), joinedload(Question.agency),
                                          joinedload(Question.topic)))
    return question or abort(404)


def _int_arg(args, name):
    """A positive whole number from the query string, or None."""
    value = args.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


@dataclass
class Listing:
    """The filters of the public list, read from the query string."""

    q: str = ""
    topic: int | None = None
    agency: int | None = None
    period: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args):
        """Read the filters; anything unexpected is ignored rather than refused."""
        period = args.get("period", "")
        return cls(q=args.get("q", "").strip()[:200], topic=_int_arg(args, "topic"), agency=_int_arg(args, "agency"),
                   period=period if period in PERIODS else "", page=min(_int_arg(args, "page") or 1, 100000))

    def args(self, **changes):
        """The query string of this listing with some values changed (for links)."""
        values = {"q": self.q, "topic": self.topic, "agency": self.agency, "period": self.period,
                  "page": self.page, **changes}
        return {k: v for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}

    def _filtered(self, stmt):
        if self.topic:
            stmt = stmt.where(Question.topic_id == self.topic)
        if self.agency:
            stmt = stmt.where(Question.agency_id == self.agency)
        if self.period:
            stmt = stmt.where(Question.published_at >= utcnow() - timedelta(days=PERIODS[self.period]))
        return stmt

    def fetch(self):
        """The questions of this page, with the total and the search words to highlight."""
        offset = (self.page - 1) * PER_PAGE
        options = (joinedload(Question.agency), joinedload(Question.topic), joinedload(Question.answer))
        if self.q:
            found = search.search("question", self.q, limit=SEARCH_CAP)
            rank = {object_id: n for n, object_id in enumerate(found.ids)}
            ids = db.session.scalars(self._filtered(public_questions().with_only_columns(Question.id))
                                     .where(Question.id.in_(found.ids or [0]))).all()
            ids = sorted(ids, key=rank.__getitem__)
            page_ids = ids[offset:offset + PER_PAGE]
            rows = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(page_ids or [0]))
                                                        .options(*options)).unique()}
            return Page([rows[i] for i in page_ids], len(ids), self, found.terms)
        stmt = self._filtered(public_questions())
        total = db.session.scalar(stmt.with_only_columns(sa.func.count()).order_by(None))
        questions = db.session.scalars(stmt.options(*options).order_by(Question.published_at.desc(), Question.id.desc())
                                       .limit(PER_PAGE).offset(offset)).unique().all()
        return Page(questions, total, self, [])


@dataclass
class Page:
    """One page of the list."""

    questions: list
    total: int
    listing: Listing
    terms: list

    @property
    def pages(self):
        """How many pages there are."""
        return max(1, -(-self.total // PER_PAGE))

    @property
    def has_more(self):
        """Whether another page follows this one."""
        return self.listing.page < self.pages


def topic_choices():
    """Topics for the filter."""
    return db.session.execute(sa.select(Topic.id, Topic.name).order_by(Topic.name)).all()


def agency_choices():
    """Agencies for the filter."""
    return db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()


def timeline(question):
    """The steps of a question the asker may see, oldest first."""
    return [e for e in question.events if e.action in PUBLIC_ACTIONS]


def voter_key():
    """Who is voting: the account when signed in, else this browser's random id."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    if "voter_id" not in g:
        cookie = request.cookies.get(VOTER_COOKIE, "")
        g.voter_id = cookie if len(cookie) == 32 and cookie.isalnum() else secrets.token_hex(16)
    return f"browser:{g.voter_id}"


def has_voted(question):
    """Whether this person or browser has already said whether the answer helped."""
    key = voter_key()
    return db.session.scalar(sa.select(sa.func.count(HelpfulVote.id)).where(
        HelpfulVote.question_id == question.id, HelpfulVote.voter_key == key)) > 0


def vote(question, helpful):
    """Record one vote; a second from the same voter is refused by the database, not by a read first."""
    try:
        with db.session.begin_nested():
            db.session.add(HelpfulVote(question_id=question.id, voter_key=voter_key(), helpful=helpful))
    except sa.exc.IntegrityError:
        return False
    column = Question.helpful_yes if helpful else Question.helpful_no
    db.session.execute(sa.update(Question).where(Question.id == question.id).values({column: column + 1}))
    db.session.refresh(question)
    return True


def remember_voter(response):
    """Keep this browser's voter id for a year."""
    if not current_user.is_authenticated and "voter_id" in g:
        response.set_cookie(VOTER_COOKIE, g.voter_id, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
    return response


def _published_rows():
    """Every public question with its answer, oldest first, streamed in batches."""
    stmt = (public_questions().options(selectinload(Question.answer), selectinload(Question.agency),
                                       selectinload(Question.topic))
            .order_by(Question.published_at, Question.id).execution_options(yield_per=500))
    for question in db.session.scalars(stmt):
        yield {
            "id": question.id,
            "url": url_for("feedback.question_detail", question_id=question.id, _external=True),
            "title": question.shown_title,
            "question": question.shown_body,
            "topic": question.topic.name,
            "agency": question.agency.name if question.agency else "",
            "asked_at": question.submitted_at.isoformat(timespec="seconds") + "Z",
            "answered_at": question.published_at.isoformat(timespec="seconds") + "Z",
            "answer": plain_text(question.answer.body_html if question.answer else ""),
        }


EXPORT_FIELDS = ["id", "url", "title", "question", "topic", "agency", "asked_at", "answered_at", "answer"]


def export(fmt):
    """Open data as CSV (UTF-8 with BOM, for spreadsheets) or JSON, streamed."""
    if fmt == "csv":
        def rows():
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
            buffer.write("\ufeff")
            writer.writeheader()
            for row in _published_rows():
                writer.writerow(row)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()
        mimetype, name = "text/csv; charset=utf-8", "hoi-dap.csv"
    else:
        def rows():
            yield "["
            for n, row in enumerate(_published_rows()):
                yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
            yield "]"
        mimetype, name = "application/json", "hoi-dap.json"
    response = Response(stream_with_context(rows()), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def atom_feed():
    """The 50 newest answers as an Atom feed."""
    questions = db.session.scalars(public_questions().options(joinedload(Question.answer), joinedload(Question.agency))
                                   .order_by(Question.published_at.desc(), Question.id.desc()).limit(50)).unique().all()
    xml = render_template("feedback/feed.xml", questions=questions, plain_text=plain_text,
                          updated=questions[0].published_at if questions else utcnow())
    return Response(xml, mimetype="application/atom+xml")
