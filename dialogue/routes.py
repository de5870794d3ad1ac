"""Public pages of the online dialogue sessions: the list, a session live, its questions and votes, the
projector view. The moderators' console is in console.py."""
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from database import utcnow
from extensions import db, limiter
from feedback import public
from public_forms import submission_limits
from web import is_htmx, is_partial_request, render

from . import bp, live, media, services
from .public_forms import CHECKED_FIELDS, DialogueAskForm


@bp.route("/doi-thoai")
def session_list():
    """Sessions live now (first), upcoming and past."""
    return render("dialogue/session_list.html", **live.session_lists())


@bp.route("/doi-thoai/<int:session_id>")
def session_detail(session_id):
    """A session: details, the ask form while questions are open, and its live region (also its poll)."""
    return live.unchanged(session_id, "live") or _detail_page(live.public_session_or_404(session_id))


def _detail_page(session, form=None, status=None):
    """The session page, or only its live region for the poller; form is the ask form as sent."""
    if form is None and services.questions_open(session):
        form = _ask_form()
    view = live.live_view(session)
    response = render("dialogue/session_detail.html", "dialogue/_live.html", status=status, session=session,
                      form=form, view=view, news=live.news(view, request.args), stream=media.embed_url(session),
                      votes_open=services.votes_open(session), now_utc=utcnow(),
                      may_run=services.may_run(current_user, session))
    if live.is_poll("live"):
        response.headers["ETag"] = view.tag
    return _allow_stream(response, session)


def _ask_form():
    """The ask form, with a fresh idempotency key the first time it is shown."""
    form = DialogueAskForm()
    form.prepare()
    return form


ask_limits = submission_limits("dialogue-ask", "DIALOGUE_ASK_LIMIT_PER_IP", "DIALOGUE_ASK_LIMIT_PER_CONTACT")


@bp.route("/doi-thoai/<int:session_id>/dat-cau-hoi", methods=["GET", "POST"])
@ask_limits
def ask(session_id):
    """Send a question to a session; a retry or a double click never makes a second one."""
    session = live.public_session_or_404(session_id)
    if request.method == "GET":
        return redirect(url_for("dialogue.session_detail", session_id=session.id, _anchor="ask"))
    form = _ask_form()
    if services.find_question_by_key(form.idempotency_key.data or "") is not None or form.website.data:
        return _asked(session)  # the same form again, or the honeypot: thanks, and nothing stored
    if not services.questions_open(session):
        flash(_("Questions are not accepted for this session now."), "error")
        return _detail_page(session, status=409)
    if form.validate_on_submit():
        _create_once(session, form)
        return _asked(session)
    return _detail_page(session, form)


def _create_once(session, form):
    """Store the question; when a twin request won the race, the twin's question stands."""
    try:
        services.submit_question(session, form.idempotency_key.data, form.body.data, form.name.data,
                                 form.anonymous.data, form.email.data, form.phone.data)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        services.find_question_by_key(form.idempotency_key.data) or abort(409)
        return
    ask_limits.stored()


def _asked(session):
    """Back to the session with thanks."""
    flash(_("Thank you. Your question has been received; it appears here once a moderator has approved it."),
          "success")
    return redirect(url_for("dialogue.session_detail", session_id=session.id, _anchor="ask"))


@bp.route("/doi-thoai/<int:session_id>/dat-cau-hoi/kiem-tra", methods=["POST"])
def ask_check(session_id):
    """Check one field of the ask form as the person types; answers only that field's message."""
    live.public_session_or_404(session_id)
    name = request.args.get("field", "")
    if name not in CHECKED_FIELDS:
        abort(400)
    form = _ask_form()
    form.validate()
    return render("feedback/_field_error.html", field_id=form[name].id, errors=form[name].errors)


@bp.route("/doi-thoai/<int:session_id>/cau-hoi-tuong-tu")
def similar(session_id):
    """Questions of the session like the one being typed (as the person types, or as a page without JS)."""
    session = live.public_session_or_404(session_id)
    questions, terms = live.similar_questions(session, request.args.get("body", "")[:2000])
    base = "" if is_partial_request() else url_for("dialogue.session_detail", session_id=session.id)
    return render("dialogue/similar.html", "dialogue/_similar.html", session=session, questions=questions,
                  terms=terms, base=base)


@bp.route("/doi-thoai/<int:session_id>/cau-hoi/<int:question_id>/binh-chon", methods=["POST"])
@limiter.limit(lambda: current_app.config["DIALOGUE_VOTE_LIMIT_PER_IP"], scope="dialogue-vote")
def question_vote(session_id, question_id):
    """Upvote a question, or take the vote back: one per person or browser."""
    session = live.public_session_or_404(session_id)
    question = live.public_question_or_404(session, question_id)
    if not services.votes_open(session):
        if is_htmx():  # a page left open past the end: the button gives way to the final count
            return render("dialogue/_vote.html", status=409, session=session, question=question, votes_open=False)
        flash(_("Voting has closed for this session."), "error")
        return _detail_page(session, status=409)
    voted = services.toggle_vote(question, public.voter_key())
    db.session.commit()
    if is_htmx():
        response = render("dialogue/_vote.html", session=session, question=question, pressed=voted,
                          votes_open=True)
    else:
        flash(_("Your vote has been counted.") if voted else _("Your vote has been withdrawn."), "success")
        response = redirect(url_for("dialogue.session_detail", session_id=session.id, _anchor=f"q-{question.id}"),
                            303)
    return public.remember_voter(response)


@bp.route("/doi-thoai/<int:session_id>/trinh-chieu")
def projector(session_id):
    """For the room's screen: the current question and its answer in large type, kept up to date."""
    if response := live.unchanged(session_id, "projector"):
        return response
    session = live.public_session_or_404(session_id)
    view = live.live_view(session, with_votes=False)
    response = render("dialogue/projector.html", "dialogue/_projector.html", session=session, view=view)
    if live.is_poll("projector"):
        response.headers["ETag"] = view.tag
    return response


@bp.after_request
def _vary_on_target(response):
    """One URL answers a page or one of its fragments, chosen by HX-Target."""
    response.vary.add("HX-Target")
    return response


def _allow_stream(response, session):
    """Let this page frame the stream's host, and only this page."""
    if session.stream_url and media.embed_url(session):
        response.headers["Content-Security-Policy"] = media.content_security_policy()
    return response


@bp.app_context_processor
def _dialogue_links():
    """Links to the management side's pages, only when those routes exist (they may land later)."""
    return {"dialogue_link": _optional_url, "poll_interval": live.POLL_INTERVAL}


def _optional_url(endpoint, session):
    """The address of an optional dialogue page of a session, or None."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, session_id=session.id)
    except BuildError:
        return None


from . import console  # noqa: E402,F401  (registers the console's routes on the same blueprint)
