"""The agencies' and moderators' side of questions: inbox, moderation queue, the work page and its actions."""
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

import workdays
from accounts.auth import OFFICIAL_ROLES, role_required
from accounts.models import Agency, Role, Topic
from extensions import db
from notifications import deliver_after_response
from web import render

from . import asking, bp, workflow
from .models import OPEN_STATES, Attachment, InternalNote, Question, QuestionState, RejectionReason

MODERATORS = (Role.MODERATOR, Role.ADMIN)
INBOX_STATES = {s.value: s for s in (*OPEN_STATES, QuestionState.PUBLISHED, QuestionState.FORWARDED)}


def _holidays():
    """Holidays around today, for due-date badges."""
    today = workdays.today()
    return workdays.holidays_between(today - timedelta(days=400), today + timedelta(days=60))


@bp.route("/can-bo/hoi-dap")
@role_required(Role.STAFF, Role.LEADER)
def inbox():
    """The agency's questions: open ones first by due date; filter by state and field."""
    state = INBOX_STATES.get(request.args.get("state", ""))
    topic = request.args.get("topic", type=int)
    stmt = (sa.select(Question).where(Question.agency_id == current_user.agency_id)
            .options(joinedload(Question.topic), joinedload(Question.claimed_by)))
    stmt = stmt.where(Question.state == state) if state else stmt.where(Question.state.in_(OPEN_STATES))
    if topic:
        stmt = stmt.where(Question.topic_id == topic)
    questions = db.session.scalars(stmt.order_by(Question.due_on, Question.id).limit(200)).all()
    counts = dict(db.session.execute(
        sa.select(Question.state, sa.func.count()).where(Question.agency_id == current_user.agency_id)
        .group_by(Question.state)).all())
    return render("feedback/inbox.html", questions=questions, counts=counts, state=state, topic=topic,
                  topics=db.session.execute(sa.select(Topic.id, Topic.name).order_by(Topic.name)).all(),
                  today=workdays.today(), holidays=_holidays(), states=INBOX_STATES.values())


@bp.route("/kiem-duyet/hoi-dap")
@role_required(*MODERATORS)
def moderation():
    """New and returned questions waiting for a moderator, oldest first; and everything overdue."""
    waiting = db.session.scalars(
        sa.select(Question).where(Question.state.in_((QuestionState.SUBMITTED, QuestionState.FORWARDED)))
        .options(joinedload(Question.topic), joinedload(Question.requested_agency))
        .order_by(Question.submitted_at, Question.id).limit(200)).all()
    today = workdays.today()
    overdue = db.session.scalars(
        sa.select(Question).where(Question.state.in_(OPEN_STATES), Question.due_on < today)
        .options(joinedload(Question.agency)).order_by(Question.due_on).limit(200)).all()
    return render("feedback/moderation.html", waiting=waiting, overdue=overdue, today=today,
                  holidays=_holidays(), agencies=_agencies(), reasons=list(RejectionReason))


def _agencies():
    """Agencies to assign to."""
    return db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()


def _load(question_id):
    """The question, if this official may work on it (moderators, or the assigned agency's staff)."""
    question = db.session.get(Question, question_id) or abort(404)
    if not workflow.may_see_contact(current_user, question):
        abort(403)
    return question


@bp.route("/can-bo/hoi-dap/<int:question_id>")
@role_required(*OFFICIAL_ROLES)
def work(question_id):
    """Everything about one question for the people handling it: contact, files, history, notes, answer."""
    return _work_page(_load(question_id))


def _work_page(question, draft=None, status=None):
    """Render the work page; draft is the answer as typed when a step was refused."""
    notes = db.session.scalars(sa.select(InternalNote).where(InternalNote.question_id == question.id)
                               .options(joinedload(InternalNote.author)).order_by(InternalNote.id)).all()
    allowed = {action for action in workflow.TRANSITIONS if workflow.allowed(current_user, question, action)}
    return render("feedback/work.html", question=question, notes=notes, allowed=allowed,
                  agencies=_agencies(), reasons=list(RejectionReason), today=workdays.today(),
                  holidays=_holidays(), code=asking.format_code(question.tracking_code),
                  draft=draft, status=status)


def _answer_then(move):
    """Save the answer typed in the form, then make the move, so that the text is never lost."""
    def act(question, form):
        if "answer" in form:
            workflow.save_draft(question, current_user, form["answer"])
        move(question, current_user)
    return act


def _reject(question, form):
    duplicate = db.session.get(Question, form.get("duplicate_of", type=int) or 0)
    workflow.reject(question, current_user, form.get("reason", ""), form.get("note", "").strip(), duplicate)


ACTIONS = {
    "claim": lambda q, f: workflow.claim(q, current_user),
    "save_draft": lambda q, f: workflow.save_draft(q, current_user, f.get("answer", "")),
    "submit_for_approval": _answer_then(workflow.submit_for_approval),
    "publish": _answer_then(workflow.publish),
    "approve": lambda q, f: workflow.approve(q, current_user),
    "return_for_changes": lambda q, f: workflow.return_for_changes(q, current_user, f.get("note", "")),
    "forward": lambda q, f: workflow.forward(q, current_user, f.get("reason", "")),
    "assign": lambda q, f: workflow.assign(q, current_user, db.session.get(Agency, f.get("agency", type=int) or 0)),
    "reject": _reject,
    "edit_wording": lambda q, f: workflow.edit_wording(q, current_user, f.get("title", ""), f.get("body", "")),
    "note": lambda q, f: workflow.add_note(q, current_user, f.get("note", "")),
}

DONE = {
    "claim": lambda: _("You are now handling this question."),
    "save_draft": lambda: _("The draft answer has been saved."),
    "submit_for_approval": lambda: _("The answer has been sent to the leader for approval."),
    "publish": lambda: _("The answer has been published and the asker informed."),
    "approve": lambda: _("The answer has been approved and published."),
    "return_for_changes": lambda: _("The answer has been returned to the staff with your remarks."),
    "forward": lambda: _("The question has been returned to the moderators."),
    "assign": lambda: _("The question has been sent to the agency."),
    "reject": lambda: _("The question has been rejected."),
    "edit_wording": lambda: _("The public wording has been saved; the original is kept."),
    "note": lambda: _("The note has been added."),
}


@bp.route("/can-bo/hoi-dap/<int:question_id>/<action>", methods=["POST"])
@role_required(*OFFICIAL_ROLES)
def act(question_id, action):
    """Take one step with a question; an impossible step is refused with a clear message."""
    if action not in ACTIONS:
        abort(404)
    question = db.session.get(Question, question_id) or abort(404)
    if not (workflow.may_see_contact(current_user, question) or (action in ("assign", "reject", "edit_wording")
                                                                  and workflow.is_moderator(current_user))):
        abort(403)
    try:
        ACTIONS[action](question, request.form)
    except workflow.WorkflowError as error:
        db.session.rollback()
        flash(str(error), "error")
        # Show the page again with what was typed, rather than lose it in a redirect.
        return _work_page(db.session.get(Question, question_id), draft=request.form.get("answer"), status=409)
    else:
        if action in ("publish", "approve"):
            asking.notify_asker(question, "answer")
            deliver_after_response()
        if action == "assign":
            _notify_agency(question)
            deliver_after_response()
        db.session.commit()
        flash(DONE[action](), "success")
    if action in ("assign", "reject", "forward"):
        target = url_for("feedback.moderation") if workflow.is_moderator(current_user) else url_for("feedback.inbox")
    else:
        target = url_for("feedback.work", question_id=question_id)
    return redirect(target, 303)


def _notify_agency(question):
    """Tell the agency's staff and leaders that a question is theirs to answer."""
    from accounts.models import User
    from flask import render_template

    import notifications

    people = db.session.scalars(sa.select(User).where(User.agency_id == question.agency_id, User.active.is_(True),
                                                      User.role.in_((Role.STAFF, Role.LEADER)))).all()
    body = render_template("email/question_assigned.txt", question=question,
                           url=url_for("feedback.work", question_id=question.id, _external=True))
    for person in people:
        notifications.queue("question.assigned", person.email,
                            _("New question for your agency: %(title)s", title=question.title[:120]), body)


@bp.route("/can-bo/tep/<int:attachment_id>")
@role_required(*OFFICIAL_ROLES)
def attachment(attachment_id):
    """A file sent with a question, only for those who handle it, always as a download."""
    item = db.session.get(Attachment, attachment_id) or abort(404)
    _load(item.question_id)
    return send_from_directory(current_app.config["UPLOAD_DIR"], item.stored_name, as_attachment=True,
                               download_name=item.filename, mimetype=item.content_type, max_age=0)


@bp.context_processor
def _helpers():
    """Due-date badges and history labels for the question templates."""
    return {"due_status": workflow.due_status, "event_labels": workflow.EVENT_LABELS,
            "html_to_editable": workflow.html_to_editable}
