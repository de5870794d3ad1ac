"""The live console: moderators (and the host agency's staff and leaders, as secretary) run a session's
questions — moderate, pick the one being answered, publish the officials' answers."""
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

import notifications
from accounts.auth import OFFICIAL_ROLES, role_required
from extensions import db
from feedback.workflow import html_to_editable
from web import render

from . import bp, live, services
from .models import (DialogueAnswer, DialogueAnswerRevision, DialogueOfficial, DialogueQuestion,
                     DialogueQuestionState as Q, DialogueSession)

FILTERS = {
    "waiting": (Q.NEW, Q.APPROVED, Q.SHORTLISTED),
    "new": (Q.NEW,), "approved": (Q.APPROVED,), "shortlisted": (Q.SHORTLISTED,),
    "answered": (Q.ANSWERED,), "hidden": (Q.HIDDEN,),
}
SORTS = {
    "votes": (DialogueQuestion.vote_count.desc(), DialogueQuestion.submitted_at, DialogueQuestion.id),
    "time": (DialogueQuestion.submitted_at.desc(), DialogueQuestion.id.desc()),
}
QUEUE_LIMIT = 300


def _may_run(row):
    """Whether the signed-in person runs this session (row: anything with host_agency_id)."""
    return services.may_run(current_user, row)


def _load(session_id):
    """The session, if the signed-in person may run it."""
    session = db.session.scalar(sa.select(DialogueSession).where(DialogueSession.id == session_id)
                                .options(selectinload(DialogueSession.officials))) or abort(404)
    if not services.may_run(current_user, session):
        abort(403)
    return session


def _queue_args():
    """The filter and the order of the queue, from the query string (unknown values fall back)."""
    state = request.args.get("state", "waiting")
    sort = request.args.get("sort", "votes")
    return (state if state in FILTERS else "waiting"), (sort if sort in SORTS else "votes")


@bp.route("/doi-thoai/<int:session_id>/dieu-hanh")
@role_required(*OFFICIAL_ROLES)
def console(session_id):
    """The console: the question being answered, and the queue, which keeps itself up to date."""
    return (live.unchanged(session_id, "queue", arrivals=True, allowed=_may_run)
            or _console_page(_load(session_id)))


def _console_page(session, drafts=None, status=None):
    """Render the console, or only its queue for the poller; drafts keeps text typed into a refused form."""
    state, sort = _queue_args()
    queue = db.session.scalars(
        sa.select(DialogueQuestion).where(DialogueQuestion.session_id == session.id,
                                          DialogueQuestion.state.in_(FILTERS[state]))
        .options(joinedload(DialogueQuestion.answer)).order_by(*SORTS[sort]).limit(QUEUE_LIMIT)).unique().all()
    counts = dict(db.session.execute(sa.select(DialogueQuestion.state, sa.func.count())
                                     .where(DialogueQuestion.session_id == session.id)
                                     .group_by(DialogueQuestion.state)).all())
    newest = db.session.scalar(sa.select(sa.func.max(DialogueQuestion.id))
                               .where(DialogueQuestion.session_id == session.id))
    filter_counts = {name: sum(counts.get(s, 0) for s in states) for name, states in FILTERS.items()}
    tag = live.etag(session.id, session.version, newest)
    response = render("dialogue/console.html", "dialogue/_queue.html", status=status, session=session, queue=queue,
                      filter_counts=filter_counts, state=state, sort=sort, filters=FILTERS, drafts=drafts or {},
                      tag=tag, revisions=_revision_counts(session), html_to_editable=html_to_editable)
    if live.is_poll("queue"):
        response.headers["ETag"] = tag
    return response


def _revision_counts(session):
    """How many times each answer of the session was corrected, by question."""
    return dict(db.session.execute(
        sa.select(DialogueAnswer.question_id, sa.func.count(DialogueAnswerRevision.id))
        .join(DialogueAnswerRevision, DialogueAnswerRevision.answer_id == DialogueAnswer.id)
        .join(DialogueQuestion, DialogueQuestion.id == DialogueAnswer.question_id)
        .where(DialogueQuestion.session_id == session.id).group_by(DialogueAnswer.question_id)).all())


def _official(session, form):
    """The official chosen in the form, if they take part in this session."""
    official = db.session.get(DialogueOfficial, form.get("official", type=int) or 0)
    return official if official is not None and official.session_id == session.id else None


def _edit_answer(question, form):
    """Correct the published answer of a question (the earlier text is kept as a revision)."""
    if question.answer is None:
        raise services.DialogueError(_("This question has no answer yet."))
    services.edit_answer(question.answer, form.get("answer", ""), current_user, _official(question.session, form))


ACTIONS = {
    "approve": lambda q, f: services.approve(q, current_user),
    "shortlist": lambda q, f: services.shortlist(q, current_user),
    "unshortlist": lambda q, f: services.shortlist(q, current_user, on=False),
    "hide": lambda q, f: services.hide(q, current_user, f.get("reason", "")),
    "edit_wording": lambda q, f: services.edit_wording(q, current_user, f.get("body", "")),
    "categorise": lambda q, f: services.categorise(q, current_user, f.get("category", "")),
    "merge": lambda q, f: services.merge(q, db.session.get(DialogueQuestion, f.get("into", type=int) or 0),
                                         current_user),
    "current": lambda q, f: services.set_current(q.session, q, current_user),
    "uncurrent": lambda q, f: services.set_current(q.session, None, current_user),
    "publish": lambda q, f: services.publish_answer(q, _official(q.session, f), f.get("answer", ""), current_user),
    "edit_answer": _edit_answer,
}

DONE = {
    "approve": lambda: _("The question is now public."),
    "shortlist": lambda: _("The question has been shortlisted."),
    "unshortlist": lambda: _("The question has been taken off the shortlist."),
    "hide": lambda: _("The question has been hidden."),
    "edit_wording": lambda: _("The public wording has been saved; the original is kept."),
    "categorise": lambda: _("The category has been saved."),
    "merge": lambda: _("The question has been merged; its votes moved over."),
    "current": lambda: _("This question is now shown as being answered."),
    "uncurrent": lambda: _("No question is shown as being answered now."),
    "publish": lambda: _("The answer has been published."),
    "edit_answer": lambda: _("The correction has been published; the earlier text is kept."),
}


@bp.route("/doi-thoai/<int:session_id>/dieu-hanh/cau-hoi/<int:question_id>/<action>", methods=["POST"])
@role_required(*OFFICIAL_ROLES)
def console_act(session_id, question_id, action):
    """One step with one question; a step that is not allowed now is refused with a clear message."""
    if action not in ACTIONS:
        abort(404)
    session = _load(session_id)
    question = db.session.get(DialogueQuestion, question_id)
    if question is None or question.session_id != session.id:
        abort(404)
    try:
        ACTIONS[action](question, request.form)
    except services.DialogueError as error:
        db.session.rollback()
        flash(str(error), "error")
        # The console again with what was typed, rather than lose an answer in a redirect.
        return _console_page(_load(session_id), drafts={(question_id, action): request.form}, status=409)
    if action == "publish":
        _tell_asker(question)
    db.session.commit()
    flash(DONE[action](), "success")
    state, sort = _queue_args()
    return redirect(url_for("dialogue.console", session_id=session.id, state=state, sort=sort,
                            _anchor=f"q-{question.id}"), 303)


def _tell_asker(question):
    """Queue an e-mail to the asker (when they gave one) saying their question was answered, sent after the
    response; in the portal's own language, whatever language the moderator's screen is in."""
    if not question.asker_email:
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        url = url_for("dialogue.session_detail", session_id=question.session_id, _anchor=f"q-{question.id}",
                      _external=True)
        body = render_template("email/dialogue_answered.txt", question=question, session=question.session,
                               answer=question.answer, url=url)
        subject = _("Your question in the online dialogue “%(title)s” has been answered",
                    title=question.session.title[:100])
    notifications.queue("dialogue.answered", question.asker_email, subject, body)
    notifications.deliver_after_response()
