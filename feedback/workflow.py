"""The rules of a question's life: who may move it from which state to which, and what each move does.
Functions change state and record the history; they never commit (the request commits once)."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import audit
import search
from accounts.models import Role
from database import utcnow
from extensions import db
from web import clean_html
import workdays

from .models import Answer, InternalNote, QuestionEvent, QuestionState as S

MODERATORS = (Role.MODERATOR, Role.ADMIN)
AGENCY_ROLES = (Role.STAFF, Role.LEADER)

# action: (states it starts from, state it leads to, who may do it)
TRANSITIONS = {
    "reject": ({S.SUBMITTED, S.FORWARDED}, S.REJECTED, "moderator"),
    "assign": ({S.SUBMITTED, S.FORWARDED}, S.ASSIGNED, "moderator"),
    "save_draft": ({S.ASSIGNED, S.DRAFTED}, S.DRAFTED, "agency"),
    "submit_for_approval": ({S.DRAFTED}, S.PENDING_APPROVAL, "agency"),
    "publish": ({S.DRAFTED}, S.PUBLISHED, "agency"),
    "approve": ({S.PENDING_APPROVAL}, S.PUBLISHED, "leader"),
    "return_for_changes": ({S.PENDING_APPROVAL}, S.DRAFTED, "leader"),
    "forward": ({S.ASSIGNED, S.DRAFTED}, S.FORWARDED, "agency"),
}

# What the asker sees of the history on the tracking page.
PUBLIC_ACTIONS = frozenset({"submitted", "assign", "reject", "forward", "publish", "approve"})


class WorkflowError(Exception):
    """A move that is not allowed now or not by this person; the message is for the user."""


def is_moderator(user):
    """Moderators and administrators run the queue."""
    return user.is_authenticated and user.role in MODERATORS


def works_on(user, question):
    """Whether user is staff or a leader of the agency the question is assigned to."""
    return (user.is_authenticated and user.role in AGENCY_ROLES
            and question.agency_id is not None and user.agency_id == question.agency_id)


def may_see_contact(user, question):
    """Contact data is for the moderators and the staff of the assigned agency only."""
    return is_moderator(user) or works_on(user, question)


def allowed(user, question, action):
    """Whether user may take action on question now."""
    sources, _target, who = TRANSITIONS[action]
    if question.state not in sources:
        return False
    if who == "moderator":
        return is_moderator(user)
    if not works_on(user, question):
        return False
    if who == "leader" or (action == "publish" and question.agency.requires_approval):
        return user.role is Role.LEADER
    if action == "submit_for_approval":
        return question.agency.requires_approval
    return True


def _move(question, action, actor, note=None, agency=None):
    """Check and make one move, and record it in the question's history and the audit log."""
    if not allowed(actor, question, action):
        if question.state not in TRANSITIONS[action][0]:
            raise WorkflowError(_("This cannot be done while the question is “%(state)s”.",
                                  state=question.state.label))
        if action == "publish" and works_on(actor, question) and question.agency.requires_approval:
            raise WorkflowError(_("In your agency a leader approves answers before publication: "
                                  "send the answer for approval."))
        raise WorkflowError(_("You are not allowed to do this with this question."))
    previous = question.state
    question.state = TRANSITIONS[action][1]
    db.session.add(QuestionEvent(question=question, actor_id=actor.id, action=action,
                                 from_state=previous.value, to_state=question.state.value,
                                 agency_id=agency.id if agency else question.agency_id, note=note))
    audit.record(f"question.{action}", question, actor=actor, to_state=question.state.value)


def record_submission(question):
    """The first line of every question's history."""
    db.session.add(QuestionEvent(question=question, action="submitted", to_state=S.SUBMITTED.value))


def reject(question, actor, reason, note=None, duplicate_of=None):
    """Refuse a question with a reason (a duplicate points to the question that answers it)."""
    from .models import RejectionReason

    try:
        reason = RejectionReason(reason)
    except ValueError:
        raise WorkflowError(_("Choose the reason for the rejection.")) from None
    if reason is RejectionReason.DUPLICATE:
        # The asker is sent to the earlier answer, so it must be one the public can read.
        if (duplicate_of is None or duplicate_of.id == question.id or duplicate_of.state is not S.PUBLISHED
                or not duplicate_of.consent_publish):
            raise WorkflowError(_("Give the number of a published question that already answers this one."))
        question.duplicate_of = duplicate_of
    question.rejection_reason = reason
    question.rejection_note = note or None
    _move(question, "reject", actor, note=str(reason.label) if not note else f"{reason.label}: {note}")


def assign(question, actor, agency):
    """Send a question to the agency that must answer it; the due date counts from today."""
    if agency is None:
        raise WorkflowError(_("Choose the agency that must answer."))
    question.agency = agency
    question.assigned_at = utcnow()
    question.due_on = workdays.add_working_days(workdays.today(), current_app.config["DUE_WORKING_DAYS"])
    question.claimed_by = None
    _move(question, "assign", actor, agency=agency)


def claim(question, actor):
    """A staff member takes a question on, so colleagues know who is writing the answer."""
    if not works_on(actor, question) or question.state not in (S.ASSIGNED, S.DRAFTED):
        raise WorkflowError(_("You are not allowed to do this with this question."))
    question.claimed_by = actor
    db.session.add(QuestionEvent(question=question, actor_id=actor.id, action="claim",
                                 from_state=question.state.value, to_state=question.state.value,
                                 agency_id=question.agency_id))
    audit.record("question.claim", question, actor=actor)


def save_draft(question, actor, body_html):
    """Keep the answer being written (sanitized); the question is then in progress."""
    cleaned = str(clean_html(text_to_html(body_html or ""))).strip()
    if not plain_text(cleaned):
        raise WorkflowError(_("Write the answer before saving it."))
    answer = question.answer
    if answer is None:
        answer = Answer(question=question)
        db.session.add(answer)
    answer.body_html = cleaned
    answer.author_id = actor.id
    if question.state is S.ASSIGNED:
        _move(question, "save_draft", actor)
    elif not works_on(actor, question) or question.state is not S.DRAFTED:
        raise WorkflowError(_("You are not allowed to do this with this question."))
    else:
        audit.record("question.save_draft", question, actor=actor)
    if question.claimed_by_id is None:
        question.claimed_by = actor
    return answer


def submit_for_approval(question, actor):
    """Send the draft to the agency's leader."""
    _move(question, "submit_for_approval", actor)


def publish(question, actor):
    """Publish the answer: the asker is told, and the public finds it when they consented."""
    _move(question, "publish", actor)
    _published(question, actor)


def approve(question, actor):
    """The leader approves the answer, which publishes it."""
    _move(question, "approve", actor)
    question.answer.approved_by_id = actor.id
    question.answer.approved_at = utcnow()
    _published(question, actor)


def _published(question, actor):
    """What publishing does, whoever published."""
    now = utcnow()
    question.published_at = now
    question.answer.published_at = now
    index_for_search(question)


def index_for_search(question):
    """Put a published question with its answer in the public search, if its asker consented."""
    if question.state is S.PUBLISHED and question.consent_publish:
        search.index("question", question.id, question.shown_title, question.shown_body,
                     plain_text(question.answer.body_html if question.answer else ""),
                     published_at=question.published_at)
    else:
        search.remove("question", question.id)


def return_for_changes(question, actor, note):
    """The leader sends the draft back to the staff with what to change."""
    if not (note or "").strip():
        raise WorkflowError(_("Say what should be changed."))
    _move(question, "return_for_changes", actor, note=note.strip())


def forward(question, actor, reason):
    """The agency says the question is not theirs; the moderator reassigns it."""
    if not (reason or "").strip():
        raise WorkflowError(_("Give the reason why this question is not for your agency."))
    _move(question, "forward", actor, note=reason.strip())
    question.claimed_by = None


def edit_wording(question, actor, title, body):
    """A moderator changes the public wording (to remove personal data); the original stays on record."""
    if not is_moderator(actor):
        raise WorkflowError(_("You are not allowed to do this with this question."))
    if not (title or "").strip() or not (body or "").strip():
        raise WorkflowError(_("The title and the question cannot be empty."))
    question.public_title = title.strip() if title.strip() != question.title else None
    question.public_body = body.strip() if body.strip() != question.body else None
    db.session.add(QuestionEvent(question=question, actor_id=actor.id, action="edit_wording",
                                 from_state=question.state.value, to_state=question.state.value))
    audit.record("question.edit_wording", question, actor=actor)
    index_for_search(question)


def add_note(question, actor, body):
    """An internal note, for the agency's staff and the moderators only."""
    if not (may_see_contact(actor, question)):
        raise WorkflowError(_("You are not allowed to do this with this question."))
    if not (body or "").strip():
        raise WorkflowError(_("The note is empty."))
    note = InternalNote(question_id=question.id, author_id=actor.id, body=body.strip())
    db.session.add(note)
    audit.record("question.note", question, actor=actor)
    return note


BLOCK_TAGS = ("<p", "<ul", "<ol", "<blockquote")


def text_to_html(text):
    """Typed text becomes paragraphs (blank lines) and line breaks, unless it already has its own blocks."""
    if any(tag in text for tag in BLOCK_TAGS):
        return text
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    # Inline tags typed with the toolbar (<strong>, <a>…) stay; clean_html() decides what is allowed.
    return "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in parts)


def html_to_editable(html):
    """The stored answer as the editor shows it: plain paragraphs when it has no lists or quotes."""
    import re

    if not html or any(tag in html for tag in BLOCK_TAGS[1:]):
        return html or ""
    text = re.sub(r"</p>\s*<p>", "\n\n", html.strip())
    text = re.sub(r"^<p>|</p>$", "", text)
    return re.sub(r"<br\s*/?>", "\n", text)


EVENT_LABELS = {
    "submitted": _l("sent the question"),
    "assign": _l("assigned it to the agency"),
    "reject": _l("rejected it"),
    "claim": _l("took it on"),
    "save_draft": _l("started the answer"),
    "submit_for_approval": _l("sent the answer for approval"),
    "publish": _l("published the answer"),
    "approve": _l("approved and published the answer"),
    "return_for_changes": _l("returned the answer for changes"),
    "forward": _l("returned it to the moderators"),
    "edit_wording": _l("edited the public wording"),
}


def plain_text(html):
    """The text of sanitized HTML, for search, feeds and exports."""
    import re
    from html import unescape

    text = re.sub(r"<(br|/p|/li|/blockquote)\s*/?>", "\n", html or "")
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def due_status(question, today, holidays=frozenset()):
    """'overdue' or 'due_soon' for an open question with a due date; None otherwise."""
    from .models import OPEN_STATES

    if question.state not in OPEN_STATES or question.due_on is None:
        return None
    if today > question.due_on:
        return "overdue"
    left = sum(1 for n in range(1, (question.due_on - today).days + 1)
               if workdays.is_working_day(today + timedelta(days=n), holidays))
    return "due_soon" if left <= current_app.config["DUE_SOON_WORKING_DAYS"] else None
