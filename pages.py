"""Pages that belong to no single service: the home page, the language switch and the health check."""
from flask import Blueprint, current_app, make_response, redirect, request
from flask_babel import gettext as _

from accounts.auth import safe_next
from database import database_answers
from extensions import db, limiter
from web import render

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """What can I do here? The three services, one screen on a phone."""
    from dialogue.live import home_session
    from feedback.public import latest_answers

    return render("home.html", latest=latest_answers(5), dialogue=home_session(), headline=_headline())


def _headline():
    """Province-wide share satisfied and on-time rate over the last 12 months, with its period (None without
    data): one aggregate query."""
    import workdays
    from feedback import scorecard

    start, end = scorecard.periods(workdays.today())["last_12_months"]
    figures = scorecard.headline(start, end)
    if not figures.responses and not (figures.on_time + figures.late):
        return None
    return {"figures": figures, "start": start, "end": end}


@bp.route("/ngon-ngu", methods=["POST"])
def set_language():
    """Switch the interface language; the addresses stay the same."""
    lang = request.form.get("lang", "")
    response = make_response(redirect(safe_next(request.form.get("next"))))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """200 while the database answers, 503 when it does not (for the load balancer)."""
    if database_answers(db.session):
        return {"status": "ok"}
    return {"status": "unavailable", "message": _("The database does not answer.")}, 503
