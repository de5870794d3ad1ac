"""The rules of dialogue sessions: who may run them, how they move, and how questions, votes and answers
change. Functions never commit (the request commits once); every change a viewer can see bumps the
session's version, which live pages poll."""
from flask_babel import gettext as _

import audit
import search
from accounts.models import Role
from database import utcnow
from extensions import db
from web import clean_html

from .models import (DialogueAnswer, DialogueAnswerRevision, DialogueQuestion, DialogueQuestionState as Q,
                     DialogueSession, DialogueVote, SessionState as S)

SESSION_MOVES = {  # from: allowed next states
    S.DRAFT: (S.ANNOUNCED,),
    S.ANNOUNCED: (S.DRAFT, S.LIVE),
    S.LIVE: (S.ENDED,),
    S.ENDED: (),
}
QUESTION_MOVES = {
    "approve": ((Q.NEW, Q.HIDDEN), Q.APPROVED),
    "shortlist": ((Q.APPROVED,), Q.SHORTLISTED),
    "unshortlist": ((Q.SHORTLISTED,), Q.APPROVED),
    "hide": ((Q.NEW, Q.APPROVED, Q.SHORTLISTED), Q.HIDDEN),
}


class DialogueError(Exception):
    """A change that is not allowed now or not by this person; the message is for the user."""


def search_kind(session_id):
    """The search index of one session's public questions (for 'similar questions' while typing)."""
    return f"dq:{session_id}"


TRANSCRIPT_KIND = "dialogue"  # answered questions of every session, for the archive search


def may_run(user, session):
    """Moderators run every session; staff and leaders of the host agency act as its secretary."""
    if not user.is_authenticated:
        return False
    if user.role in (Role.MODERATOR, Role.ADMIN):
        return True
    return user.role in (Role.STAFF, Role.LEADER) and user.agency_id == session.host_agency_id


def bump(session):
    """Tell every live viewer that something changed (an atomic increment, safe across workers)."""
    db.session.execute(sa_update_version(session.id))


def sa_update_version(session_id):
    """The statement that moves a session's version on by one."""
    import sqlalchemy as sa

    return sa.update(DialogueSession).where(DialogueSession.id == session_id).values(
        version=DialogueSession.version + 1)


def questions_open(session, now=None):
    """Whether the session accepts questions now."""
    now = now or utcnow()
    return (session.state in (S.ANNOUNCED, S.LIVE)
            and session.questions_open_at <= now < session.questions_close_at)


def votes_open(session):
    """Whether people may still upvote: while the session is announced or live, not after it ended."""
    return session.state in (S.ANNOUNCED, S.LIVE)


def find_question_by_key(key):
    """The question already made from this form (its idempotency key), if any."""
    import sqlalchemy as sa

    return db.session.scalar(sa.select(DialogueQuestion).where(DialogueQuestion.idempotency_key == key))


def submit_question(session, key, body, name, anonymous=False, email=None, phone=None):
    """Store a question from the public while the window is open; it waits for moderation (not yet public,
    so the session's version does not move and live pages are not refetched for it)."""
    if not questions_open(session):
        raise DialogueError(_("Questions are not accepted for this session now."))
    question = DialogueQuestion(session_id=session.id, idempotency_key=key, body=body, asker_name=name,
                                anonymous=bool(anonymous), asker_email=(email or "").lower() or None,
                                asker_phone=phone or None)
    db.session.add(question)
    return question


def move_session(session, to_state, actor):
    """Move a session to its next state (announce, go live, end), recorded in the audit log."""
    to_state = S(to_state)
    if to_state not in SESSION_MOVES[session.state]:
        raise DialogueError(_("A session that is “%(state)s” cannot become “%(to)s”.",
                              state=session.state.label, to=to_state.label))
    if to_state is S.ENDED:
        session.current_question = None
    audit.record("dialogue.session_" + to_state.value, session, actor=actor, from_state=session.state.value)
    session.state = to_state
    bump(session)


def sanitized_description(html):
    """A session description in the same light rich text as answers."""
    from feedback.workflow import text_to_html

    return str(clean_html(text_to_html(html or ""))).strip()


def _question_move(question, action, actor):
    sources, target = QUESTION_MOVES[action]
    if question.state not in sources:
        raise DialogueError(_("This cannot be done while the question is “%(state)s”.", state=question.state.label))
    question.state = target
    audit.record(f"dialogue.question_{action}", question, actor=actor)
    bump(question.session)


def approve(question, actor):
    """Make a question public, so people can read and upvote it."""
    _question_move(question, "approve", actor)
    question.approved_at = question.approved_at or utcnow()
    search.index(search_kind(question.session_id), question.id, question.shown_body, published_at=question.approved_at)


def shortlist(question, actor, on=True):
    """Pick (or unpick) a question for the officials."""
    _question_move(question, "shortlist" if on else "unshortlist", actor)


def hide(question, actor, reason):
    """Take a question off the public list, with a reason kept for the record."""
    if not (reason or "").strip():
        raise DialogueError(_("Give the reason for hiding the question."))
    _question_move(question, "hide", actor)
    question.hidden_reason = reason.strip()[:300]
    search.remove(search_kind(question.session_id), question.id)


def edit_wording(question, actor, body):
    """Change the public wording (to remove personal data or tidy it up); the original stays on record."""
    body = (body or "").strip()
    if not body:
        raise DialogueError(_("The question cannot be empty."))
    question.public_body = body if body != question.body else None
    audit.record("dialogue.question_edit_wording", question, actor=actor)
    if question.state in (Q.APPROVED, Q.SHORTLISTED, Q.ANSWERED):
        search.index(search_kind(question.session_id), question.id, question.shown_body,
                     published_at=question.approved_at)
    bump(question.session)


def categorise(question, actor, category):
    """Put a question in a category (for the moderator's console)."""
    question.category = (category or "").strip()[:80] or None
    audit.record("dialogue.question_categorise", question, actor=actor)


def merge(question, into, actor):
    """Merge a duplicate into another question: it is hidden and its voters' votes move over (once each)."""
    import sqlalchemy as sa

    if into is None or into.id == question.id or into.session_id != question.session_id:
        raise DialogueError(_("Choose another question of the same session to merge into."))
    if question.state is Q.ANSWERED:
        raise DialogueError(_("An answered question cannot be merged."))
    already = sa.select(DialogueVote.voter_key).where(DialogueVote.question_id == into.id)
    db.session.execute(sa.insert(DialogueVote).from_select(
        ["question_id", "voter_key"],
        sa.select(sa.literal(into.id), DialogueVote.voter_key).where(
            DialogueVote.question_id == question.id, DialogueVote.voter_key.not_in(already))))
    _recount(into)
    question.state = Q.HIDDEN
    question.merged_into_id = into.id
    question.hidden_reason = _("Merged with question %(n)d", n=into.id)
    search.remove(search_kind(question.session_id), question.id)
    audit.record("dialogue.question_merge", question, actor=actor, into=into.id)
    bump(question.session)


def _recount(question):
    """Set a question's vote count from its votes (one statement, exact under concurrency)."""
    import sqlalchemy as sa

    count = sa.select(sa.func.count(DialogueVote.id)).where(DialogueVote.question_id == question.id)
    db.session.execute(sa.update(DialogueQuestion).where(DialogueQuestion.id == question.id)
                       .values(vote_count=count.scalar_subquery()))


def toggle_vote(question, voter_key):
    """Add this voter's vote, or take it back if it was there; True when the vote now counts."""
    import sqlalchemy as sa

    if question.state not in (Q.APPROVED, Q.SHORTLISTED, Q.ANSWERED):
        raise DialogueError(_("Only published questions can be voted on."))
    removed = db.session.execute(sa.delete(DialogueVote).where(
        DialogueVote.question_id == question.id, DialogueVote.voter_key == voter_key)).rowcount
    if removed:
        change, voted = -1, False
    else:
        try:
            with db.session.begin_nested():
                db.session.add(DialogueVote(question_id=question.id, voter_key=voter_key))
        except sa.exc.IntegrityError:  # the same voter, twice at once: the first one counts
            return True
        change, voted = 1, True
    # Counted in the database, not read-modify-written in Python, so concurrent votes are never lost.
    db.session.execute(sa.update(DialogueQuestion).where(DialogueQuestion.id == question.id)
                       .values(vote_count=DialogueQuestion.vote_count + change))
    bump(question.session)
    return voted


def set_current(session, question, actor):
    """Mark the question the officials are answering now (or none)."""
    if question is not None and (question.session_id != session.id or question.state is Q.NEW
                                 or question.state is Q.HIDDEN):
        raise DialogueError(_("Only a published question of this session can be the current one."))
    if session.state is not S.LIVE:
        raise DialogueError(_("The session is not live."))
    session.current_question = question
    audit.record("dialogue.current", session, actor=actor, question=question.id if question else None)
    bump(session)


def publish_answer(question, official, body, actor):
    """Publish an official's answer live; the asker is told by e-mail if they gave an address."""
    if question.state not in (Q.APPROVED, Q.SHORTLISTED, Q.NEW):
        raise DialogueError(_("This question already has an answer; edit it instead."))
    if official is None or official.session_id != question.session_id:
        raise DialogueError(_("Choose the official who answers."))
    cleaned = _clean_answer(body)
    question.state = Q.ANSWERED
    question.approved_at = question.approved_at or utcnow()
    question.answered_at = utcnow()
    answer = DialogueAnswer(question=question, official=official, body_html=cleaned, typed_by_id=actor.id)
    db.session.add(answer)
    audit.record("dialogue.answer_publish", question, actor=actor, official=official.id)
    index_answered(question, answer)
    bump(question.session)
    return answer


def edit_answer(answer, body, actor, official=None):
    """Correct a published answer; the earlier text is kept as a revision."""
    cleaned = _clean_answer(body)
    db.session.add(DialogueAnswerRevision(answer_id=answer.id, body_html=answer.body_html, edited_by_id=actor.id))
    answer.body_html = cleaned
    if official is not None and official.session_id == answer.question.session_id:
        answer.official = official
    answer.updated_at = utcnow()
    audit.record("dialogue.answer_edit", answer.question, actor=actor)
    index_answered(answer.question, answer)
    bump(answer.question.session)


def _clean_answer(body):
    """Sanitize an answer; refuse one with no text."""
    from feedback.workflow import plain_text, text_to_html

    cleaned = str(clean_html(text_to_html(body or ""))).strip()
    if not plain_text(cleaned):
        raise DialogueError(_("Write the answer before publishing it."))
    return cleaned


def index_answered(question, answer):
    """Answered questions are searchable in the session and in the archive of all sessions."""
    from feedback.workflow import plain_text

    search.index(search_kind(question.session_id), question.id, question.shown_body,
                 published_at=question.approved_at)
    search.index(TRANSCRIPT_KIND, question.id, question.shown_body, plain_text(answer.body_html),
                 published_at=question.answered_at)
