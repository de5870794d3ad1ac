"""The moderators' management of dialogue sessions: the list, create and edit, moving the state; and the
public cover image."""
import sqlalchemy as sa
from flask import abort, flash, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _, lazy_gettext as _l, to_user_timezone, to_utc
from flask_login import current_user
from sqlalchemy.orm import joinedload

import audit
from accounts.auth import role_required
from accounts.models import Agency, Role, Topic
from extensions import db
from web import render

from . import bp, media, services
from .forms import MAX_OFFICIALS, SessionForm
from .models import (DialogueAnswer, DialogueOfficial, DialogueQuestion, DialogueQuestionState as Q,
                     DialogueSession, SessionState as S)

MODERATORS = (Role.MODERATOR, Role.ADMIN)
MOVE_LABELS = {S.ANNOUNCED: _l("Announce"), S.DRAFT: _l("Back to draft"), S.LIVE: _l("Go live"),
               S.ENDED: _l("End the session")}
MOVED = {
    S.ANNOUNCED: _l("The session has been announced: it is public, and questions are accepted in its window."),
    S.DRAFT: _l("The session is a draft again and no longer public."),
    S.LIVE: _l("The session is live."),
    S.ENDED: _l("The session has ended; its transcript is public."),
}
STATES = {state.value: state for state in S}
TIMES = ("starts_at", "ends_at", "questions_open_at", "questions_close_at")


@bp.route("/quan-ly/doi-thoai")
@role_required(*MODERATORS)
def manage_list():
    """Every session, drafts included, latest first, with its state, dates and actions."""
    return _list_page(STATES.get(request.args.get("state", "")))


def _list_page(state=None, status=None):
    """The list of sessions, filtered by state when one is given."""
    stmt = (sa.select(DialogueSession).options(joinedload(DialogueSession.host_agency))
            .order_by(DialogueSession.starts_at.desc(), DialogueSession.id.desc()).limit(300))
    sessions = db.session.scalars(stmt.where(DialogueSession.state == state) if state else stmt).all()
    counts = {(sid, qstate): n for sid, qstate, n in db.session.execute(
        sa.select(DialogueQuestion.session_id, DialogueQuestion.state, sa.func.count())
        .where(DialogueQuestion.session_id.in_([s.id for s in sessions]))
        .group_by(DialogueQuestion.session_id, DialogueQuestion.state))}
    return render("dialogue/manage_list.html", sessions=sessions, state=state, states=list(S), counts=counts,
                  moves=services.SESSION_MOVES, move_labels=MOVE_LABELS, Q=Q, status=status)


@bp.route("/quan-ly/doi-thoai/moi", methods=["GET", "POST"])
@role_required(*MODERATORS)
def manage_new():
    """Create a session; it starts as a draft that only moderators see."""
    form = _session_form()
    if _validated(form):
        session = DialogueSession(state=S.DRAFT, created_by_id=current_user.id)
        db.session.add(session)
        save_session(session, form, current_user)
        db.session.commit()
        flash(_("The session has been saved as a draft."), "success")
        return redirect(url_for("dialogue.manage_list"), 303)
    form.add_spare_rows()
    return render("dialogue/manage_form.html", form=form, session=None, **_form_context())


@bp.route("/quan-ly/doi-thoai/<int:session_id>/sua", methods=["GET", "POST"])
@role_required(*MODERATORS)
def manage_edit(session_id):
    """Edit a session in any state; viewers of a public one see the change."""
    session = db.session.get(DialogueSession, session_id) or abort(404)
    form = _session_form(session)
    if _validated(form):
        replaced = save_session(session, form, current_user)
        db.session.commit()
        media.discard_cover(replaced)
        flash(_("The session has been saved."), "success")
        return redirect(url_for("dialogue.manage_list"), 303)
    form.add_spare_rows()
    return render("dialogue/manage_form.html", form=form, session=session, **_form_context(session))


@bp.route("/quan-ly/doi-thoai/<int:session_id>/trang-thai", methods=["POST"])
@role_required(*MODERATORS)
def manage_move(session_id):
    """Announce, take back to draft, go live or end; an impossible move is refused with 409."""
    session = db.session.get(DialogueSession, session_id) or abort(404)
    # The target state is a form field (or in the query string, which the access table uses).
    to_state = STATES.get(request.values.get("to", "")) or abort(400)
    try:
        services.move_session(session, to_state, current_user)
    except services.DialogueError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _list_page(status=409)
    db.session.commit()
    flash(str(MOVED[to_state]), "success")
    if request.form.get("back") == "edit":
        return redirect(url_for("dialogue.manage_edit", session_id=session_id), 303)
    return redirect(url_for("dialogue.manage_list"), 303)


@bp.route("/doi-thoai/<int:session_id>/anh-bia")
def cover(session_id):
    """A session's cover image, for everyone once the session is public (a draft's only for moderators)."""
    session = db.session.get(DialogueSession, session_id) or abort(404)
    draft = session.state is S.DRAFT
    if not media.is_stored_cover(session.cover_image) or (draft and not _is_moderator()):
        abort(404)
    response = send_from_directory(media.cover_dir(), session.cover_image, max_age=0 if draft else media.COVER_MAX_AGE,
                                   mimetype=media.cover_mimetype(session.cover_image))
    if draft:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _is_moderator():
    """Whether the signed-in user manages sessions."""
    return current_user.is_authenticated and current_user.role in MODERATORS


def _session_form(session=None):
    """The session form with its choices, filled from the session on a first display."""
    answered = set() if session is None else set(db.session.scalars(
        sa.select(DialogueAnswer.official_id).join(DialogueOfficial).where(DialogueOfficial.session_id == session.id)))
    data = _form_data(session) if session is not None and request.method == "GET" else None
    form = SessionForm(data=data, answered_official_ids=answered)
    topics = db.session.execute(sa.select(Topic.id, Topic.name).order_by(Topic.name)).all()
    agencies = db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()
    form.topic.choices = [(0, _("— Choose a field —"))] + [tuple(t) for t in topics]
    form.host_agency.choices = [(0, _("— Choose an agency —"))] + [tuple(a) for a in agencies]
    return form


def _form_data(session):
    """What the form shows for a stored session: times in Vietnam time, the description as typed."""
    from feedback.workflow import html_to_editable

    data = {name: to_user_timezone(getattr(session, name)).replace(tzinfo=None) for name in TIMES}
    return {**data, "title": session.title, "topic": session.topic_id, "host_agency": session.host_agency_id,
            "description": html_to_editable(session.description_html), "stream_url": session.stream_url or "",
            "officials": [{"official_id": str(o.id), "name": o.name, "position": o.position}
                          for o in session.officials]}


def _validated(form):
    """Validate a sent form; an image that passed its checks is kept even when other fields did not."""
    valid = form.validate_on_submit()
    if form.checked_cover is not None:
        form.pending_cover.data = media.store_cover(*form.checked_cover)
    return valid


def _form_context(session=None):
    """What the form page shows besides the form."""
    return {"max_officials": MAX_OFFICIALS, "stream_hosts": ", ".join(media.stream_hosts()),
            "cover_url": media.cover_url(session) if session else None,
            "moves": services.SESSION_MOVES, "move_labels": MOVE_LABELS}


def save_session(session, form, actor):
    """Store a valid form in the session, recorded in the audit log; return a cover file no longer used."""
    creating = session.id is None
    session.title = form.title.data
    session.topic_id = form.topic.data
    session.host_agency_id = form.host_agency.data
    session.description_html = services.sanitized_description(form.description.data)
    for name in TIMES:
        setattr(session, name, to_utc(getattr(form, name).data))
    session.stream_url = form.stream_url.data or None
    previous = session.cover_image
    if form.pending_cover.data:
        session.cover_image = form.pending_cover.data
    elif form.remove_cover.data:
        session.cover_image = None
    _sync_officials(session, [entry.form for entry in form.officials.entries])
    db.session.flush()
    audit.record("dialogue.session_create" if creating else "dialogue.session_edit", session, actor=actor)
    if session.state is not S.DRAFT:
        services.bump(session)
    return previous if previous != session.cover_image else None


def _sync_officials(session, rows):
    """Update officials in place (answers keep pointing at them), add new rows, drop rows emptied."""
    existing = {str(o.id): o for o in session.officials}
    sent = {row.official_id.data for row in rows}
    kept = []
    for order, row in enumerate(rows, start=1):
        official = existing.pop(row.official_id.data or "", None)  # each official matches one row at most
        if row.is_empty:
            continue
        official = official or DialogueOfficial()
        official.name, official.position, official.position_order = row.name.data, row.position.data, order
        kept.append(official)
    # Officials whose row was not sent at all stay; only a row sent empty removes its official.
    kept += [official for key, official in existing.items() if key not in sent]
    session.officials = kept
