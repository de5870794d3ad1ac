"""Public pages of the question-and-answer service: ask, track, read, search, rate, feed and export."""
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.auth import role_required
from accounts.models import Agency, Role, Topic
from extensions import db, limiter
from notifications import deliver_after_response
from public_forms import submission_limits
from web import is_htmx, render

from . import asking, bp, public
from .forms import AskForm, HelpfulForm, TrackForm
from .models import Question

ASKED_KEY = "asked_question"


def _ask_form():
    """The ask form with its choices from the database."""
    form = AskForm()
    topics = db.session.execute(sa.select(Topic.id, Topic.name).order_by(Topic.name)).all()
    agencies = db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()
    form.topic.choices = [(0, _("— Choose a field —"))] + [tuple(t) for t in topics]
    form.agency.choices = [(0, _("— I don't know —"))] + [tuple(a) for a in agencies]
    form.prepare()
    return form


ask_limits = submission_limits("ask", "ASK_LIMIT_PER_IP", "ASK_LIMIT_PER_CONTACT")


@bp.route("/hoi-dap/dat-cau-hoi", methods=["GET", "POST"])
@ask_limits
def ask():
    """Ask a question: no account needed; a retry or a double click never makes a second question."""
    form = _ask_form()
    if request.method == "POST":
        existing = asking.find_by_key(form.idempotency_key.data or "")
        if existing is not None:  # the same form again: show what was made the first time
            session[ASKED_KEY] = existing.id
            return redirect(url_for("feedback.asked"))
        if form.website.data:  # the honeypot: answer as if all went well, store nothing
            return redirect(url_for("feedback.asked"))
    if form.validate_on_submit():
        try:
            checked = asking.check_files(form.attachments.data or [])
        except asking.AskError as error:
            form.attachments.errors = [str(error)]
        else:
            question = _create_once(form, checked)
            session[ASKED_KEY] = question.id
            return redirect(url_for("feedback.asked"))
    return render("feedback/ask.html", form=form)


def _create_once(form, checked):
    """Create the question; when a twin request won the race, return the twin's question."""
    try:
        question = asking.create_question(form, checked, current_user)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        question = asking.find_by_key(form.idempotency_key.data) or abort(409)
        return question
    ask_limits.stored()
    deliver_after_response()
    return question


@bp.route("/hoi-dap/dat-cau-hoi/kiem-tra", methods=["POST"])
def ask_check():
    """Check one field as the person types; answers only that field's message."""
    form = _ask_form()
    name = request.args.get("field", "")
    if name not in ("title", "body", "topic", "name", "email", "phone", "address"):
        abort(400)
    form.validate()
    return render("feedback/_field_error.html", field_id=form[name].id, errors=form[name].errors)


@bp.route("/hoi-dap/da-gui")
def asked():
    """Thanks, with the tracking code — shown only in the browser that asked."""
    question = db.session.get(Question, session.get(ASKED_KEY) or 0)
    return render("feedback/asked.html", question=question,
                  code=asking.format_code(question.tracking_code) if question else None)


@bp.route("/tra-cuu", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TRACK_LIMIT_PER_IP"], methods=["POST"], scope="track")
def track():
    """Follow a question with its code and the e-mail or phone given (sent by POST: no contact in URLs)."""
    form = TrackForm()
    question = None
    if form.validate_on_submit():
        code = asking.normalize_code(form.code.data)
        candidate = db.session.scalar(sa.select(Question).where(Question.tracking_code == code))
        if candidate is not None and asking.contact_matches(candidate, form.contact.data):
            question = candidate
        else:
            form.code.errors.append(_("No question matches this code and contact. Check both and try again."))
    return render("feedback/track.html", form=form, question=question,
                  timeline=public.timeline(question) if question else [])


@bp.route("/hoi-dap")
def question_list():
    """Answered questions, newest first; filters, search as you type, more loaded in place."""
    listing = public.Listing.from_args(request.args)
    page = listing.fetch()
    template = "feedback/_results.html"
    if is_htmx() and request.headers.get("HX-Target", "").endswith("more"):
        template = "feedback/_question_rows.html"
    return render("feedback/question_list.html", template, listing=listing, page=page,
                  topics=public.topic_choices(), agencies=public.agency_choices())


@bp.route("/hoi-dap/<int:question_id>")
def question_detail(question_id):
    """One answered question with its answer."""
    question = public.published_or_404(question_id)
    return render("feedback/question_detail.html", question=question, form=HelpfulForm(),
                  voted=public.has_voted(question))


@bp.route("/hoi-dap/<int:question_id>/huu-ich", methods=["POST"])
@limiter.limit("30 per minute", scope="helpful")
def question_helpful(question_id):
    """Was this answer helpful? One vote per person or browser."""
    question = public.published_or_404(question_id)
    helpful = request.form.get("helpful")
    if helpful not in ("yes", "no"):
        abort(400)
    recorded = public.vote(question, helpful == "yes")
    db.session.commit()
    if not is_htmx():
        flash(_("Thank you for your opinion.") if recorded else _("You have already given your opinion."),
              "success")
        response = redirect(url_for("feedback.question_detail", question_id=question.id))
    else:
        response = render("feedback/_helpful.html", question=question, voted=True, recorded=recorded)
    return public.remember_voter(response)


@bp.route("/hoi-dap/moi.atom")
def question_feed():
    """An Atom feed of the newest answers."""
    return public.atom_feed()


@bp.route("/hoi-dap/du-lieu.<any(csv, json):fmt>")
@limiter.limit("10 per minute", scope="export")
def question_export(fmt):
    """Open data: every published question and answer, without anyone's contact data."""
    return public.export(fmt)


@bp.route("/tai-khoan/cau-hoi")
@role_required(Role.CITIZEN)
def my_questions():
    """A citizen's own questions, newest first, with where each stands."""
    questions = db.session.scalars(sa.select(Question).where(Question.asker_user_id == current_user.id)
                                   .order_by(Question.submitted_at.desc(), Question.id.desc())).all()
    return render("feedback/my_questions.html", questions=questions)
