"""The archive of ended sessions, for everyone: the printable transcript, its CSV/JSON export and the search
over every answer given. No contact data ever appears here, and a name only when the asker allowed it."""
import csv
import io
import json
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

import search
from extensions import db, limiter
from feedback.workflow import plain_text
from web import render, spreadsheet_cell

from . import bp, services
from .models import DialogueAnswer, DialogueQuestion, DialogueQuestionState as Q, DialogueSession, SessionState as S

PER_PAGE = 20
EXCERPT_CHARS = 280
EXPORT_FIELDS = ["number", "question_id", "url", "question", "asker", "anonymous", "official", "official_position",
                 "answer", "answered_at"]


@bp.route("/doi-thoai/<int:session_id>/bien-ban")
def transcript(session_id):
    """The transcript of an ended session: each answered question in the order answered, ready to print."""
    session = _ended_or_404(session_id)
    return render("dialogue/transcript.html", session=session, questions=answered_questions(session), asker=asker)


@bp.route("/doi-thoai/<int:session_id>/bien-ban.<any(csv, json):fmt>")
@limiter.limit("20 per minute", scope="dialogue-export")
def transcript_export(session_id, fmt):
    """The transcript as open data (CSV or JSON), without anyone's contact data."""
    session = _ended_or_404(session_id)
    rows = list(transcript_rows(session))
    if fmt == "csv":
        body, mimetype = _csv(rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = json.dumps({"session": _session_facts(session), "questions": rows}, ensure_ascii=False,
                                    indent=1), "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="doi-thoai-{session.id}-bien-ban.{fmt}"'
    return response


@bp.route("/doi-thoai/tim-kiem")
def archive_search():
    """Search every answer of every ended session, without diacritics too; results as you type."""
    q = request.args.get("q", "").strip()[:200]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    return render("dialogue/transcript_search.html", "dialogue/_transcript_search_results.html",
                  q=q, result=search_archive(q, page), recent=[] if q else recent_sessions(),
                  excerpt=excerpt, plain_text=plain_text)


def _ended_or_404(session_id):
    """An ended session; any other (a draft above all) is not found."""
    session = db.session.get(DialogueSession, session_id)
    if session is None or session.state is not S.ENDED:
        abort(404)
    return session


def _answered():
    """Answered questions with their answer and official loaded (the inner join drops any without an answer)."""
    return (sa.select(DialogueQuestion).join(DialogueQuestion.answer)
            .where(DialogueQuestion.state == Q.ANSWERED)
            .options(contains_eager(DialogueQuestion.answer).joinedload(DialogueAnswer.official)))


def answered_questions(session):
    """A session's answered questions in the order they were answered."""
    return db.session.scalars(_answered().where(DialogueQuestion.session_id == session.id)
                              .order_by(DialogueQuestion.answered_at, DialogueQuestion.id)).all()


def asker(question):
    """The asker as the public may read it: the name, or "Anonymous"."""
    return _("Anonymous") if question.anonymous else question.asker_name


def transcript_rows(session):
    """One export row per answered question: no e-mail, no phone, and no name for an anonymous asker."""
    for number, question in enumerate(answered_questions(session), start=1):
        official = question.answer.official
        yield {
            "number": number,
            "question_id": question.id,
            "url": url_for("dialogue.transcript", session_id=session.id, _anchor=f"q-{question.id}", _external=True),
            "question": question.shown_body,
            "asker": None if question.anonymous else question.asker_name,
            "anonymous": question.anonymous,
            "official": official.name if official else None,
            "official_position": official.position if official else None,
            "answer": plain_text(question.answer.body_html),
            "answered_at": _iso(question.answered_at or question.answer.published_at),
        }


def _session_facts(session):
    """What the JSON export says about the session itself."""
    return {"id": session.id, "title": session.title, "topic": session.topic.name,
            "host_agency": session.host_agency.name, "starts_at": _iso(session.starts_at),
            "ends_at": _iso(session.ends_at), "stream_url": session.stream_url,
            "officials": [{"name": o.name, "position": o.position} for o in session.officials],
            "url": url_for("dialogue.transcript", session_id=session.id, _external=True)}


def _iso(value):
    """A stored (UTC) time as ISO 8601 with its zone."""
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _csv(rows):
    """CSV in UTF-8 with a BOM, so that spreadsheets read the Vietnamese letters."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
    return buffer.getvalue()



@dataclass
class ArchivePage:
    """One page of archive search results."""

    questions: list
    total: int
    terms: list
    page: int

    @property
    def pages(self):
        """How many pages there are."""
        return max(1, -(-self.total // PER_PAGE))

    @property
    def has_more(self):
        """Whether a next page exists."""
        return self.page < self.pages


def search_archive(q, page):
    """Answered questions of ended sessions matching q, best first, one page of them."""
    found = search.search(services.TRANSCRIPT_KIND, q, limit=search.CANDIDATES)
    if not found.ids:
        return ArchivePage([], 0, found.terms, page)
    # The index holds answers of live sessions too; the archive shows ended ones. Filtering the ranked
    # candidates (at most search.CANDIDATES) keeps the rank order and gives an exact count.
    rows = db.session.scalars(_answered().join(DialogueQuestion.session).where(
        DialogueQuestion.id.in_(found.ids), DialogueSession.state == S.ENDED)
        .options(contains_eager(DialogueQuestion.session))).all()
    by_id = {question.id: question for question in rows}
    ranked = [by_id[i] for i in found.ids if i in by_id]
    return ArchivePage(ranked[(page - 1) * PER_PAGE:page * PER_PAGE], len(ranked), found.terms, page)


def recent_sessions(limit=20):
    """The latest ended sessions, for the archive page before anything is searched."""
    return db.session.scalars(sa.select(DialogueSession).where(DialogueSession.state == S.ENDED)
                              .options(joinedload(DialogueSession.host_agency))
                              .order_by(DialogueSession.ends_at.desc(), DialogueSession.id.desc()).limit(limit)).all()


def excerpt(text, terms, size=EXCERPT_CHARS):
    """A piece of text around the first word matching a term (the whole text when short)."""
    text = unicodedata.normalize("NFC", text or "")
    if len(text) <= size:
        return text
    folded = search.fold(text)
    # fold() keeps one character per character of NFC text, so a position in one is a position in the other.
    hits = [folded.find(term) for term in terms or []] if len(folded) == len(text) else []
    start = min([h for h in hits if h >= 0], default=0)
    start = max(0, text.rfind(" ", 0, max(0, start - size // 4)) + 1) if start > size // 4 else 0
    piece = text[start:start + size].rsplit(" ", 1)[0]
    return ("…" if start else "") + piece + ("…" if start + size < len(text) else "")

