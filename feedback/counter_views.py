"""Counters of the one-stop shop and their tablets: the leaders' list of counters, pairing a tablet, and the
tablet's own screen, which shows the one-tap survey of the dossier just handed over at its counter.

A tablet holds no account: pairing signs the staff member out on it and leaves only the device's random token
in a cookie that is sent to the tablet's own addresses and nowhere else.
"""
import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.auth import role_required, sign_out
from accounts.models import Agency, Role
from dialogue.live import etag, is_poll
from extensions import db
from notifications import deliver_after_response
from web import render

from . import bp, counters, survey
from .survey_models import CounterDevice, Dossier, ServiceCounter, SurveyVia

DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
TABLET_PATH = "/quay-danh-gia"
THANKS_ARG = "cam-on"
THANKS_SECONDS = 4


# --- the leaders' list of counters -------------------------------------------------------------------------------

def _agency_for_management():
    """The agency whose counters are managed: a leader's own; the one an administrator chose (or None)."""
    if current_user.role is Role.LEADER:
        return db.session.get(Agency, current_user.agency_id) or abort(403)
    agency_id = request.values.get("agency", type=int)
    return db.session.get(Agency, agency_id) if agency_id else None


def _back_to_list(agency):
    """The list of counters again (an administrator keeps the agency chosen)."""
    if current_user.role is Role.ADMIN:
        return redirect(url_for("feedback.counters", agency=agency.id), 303)
    return redirect(url_for("feedback.counters"), 303)


def _counter_of(agency, counter_id):
    """A counter of this agency, or 404."""
    counter = db.session.get(ServiceCounter, counter_id or 0)
    if counter is None or counter.agency_id != agency.id:
        abort(404)
    return counter


COUNTER_ACTIONS = {
    "add": lambda agency, form: counters.add_counter(agency, form.get("name"), current_user),
    "rename": lambda agency, form: counters.rename_counter(_counter_of(agency, form.get("counter", type=int)),
                                                           form.get("name"), current_user),
    "close": lambda agency, form: counters.set_counter_open(_counter_of(agency, form.get("counter", type=int)),
                                                            False, current_user),
    "reopen": lambda agency, form: counters.set_counter_open(_counter_of(agency, form.get("counter", type=int)),
                                                             True, current_user),
}
DONE = {
    "add": lambda: _("The counter has been added."),
    "rename": lambda: _("The counter has been renamed."),
    "close": lambda: _("The counter has been closed: its tablets no longer show surveys."),
    "reopen": lambda: _("The counter is open again."),
}


@bp.route("/can-bo/quay", methods=["GET", "POST"], endpoint="counters")
@role_required(Role.LEADER, Role.ADMIN)
def counters_page():
    """The counters of an agency's one-stop shop and their paired tablets: add, rename, close, reopen."""
    agency = _agency_for_management()
    failed = None
    if request.method == "POST":
        if agency is None:
            abort(400)
        action = request.form.get("action", "")
        if action not in COUNTER_ACTIONS:
            abort(400)
        try:
            COUNTER_ACTIONS[action](agency, request.form)
        except counters.CounterError as error:
            db.session.rollback()
            failed = {"action": action, "counter": request.form.get("counter", type=int),
                      "name": request.form.get("name", ""), "message": str(error)}
        else:
            db.session.commit()
            flash(DONE[action](), "success")
            return _back_to_list(agency)
    rows = counters.all_counters_of(agency.id) if agency else []
    agencies = db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all() \
        if current_user.role is Role.ADMIN else []
    return render("counter/counters.html", status=422 if failed else None, agency=agency, rows=rows,
                  devices=counters.paired_devices([c.id for c in rows]), agencies=agencies, failed=failed)


@bp.route("/can-bo/quay/thiet-bi/<int:device_id>/huy", methods=["POST"])
@role_required(Role.LEADER, Role.ADMIN)
def counter_unpair(device_id):
    """Stop a tablet from showing surveys (lost, replaced or moved); nothing happens twice."""
    device = db.session.get(CounterDevice, device_id)
    if device is None:  # already gone (a second click, or a page left open)
        flash(_("This tablet is no longer paired."), "info")
        return redirect(url_for("feedback.counters", agency=request.form.get("agency", type=int)), 303)
    agency = device.counter.agency
    if current_user.role is Role.LEADER and agency.id != current_user.agency_id:
        abort(403)
    counters.unpair(device, current_user)
    db.session.commit()
    flash(_("The tablet has been unpaired: it no longer shows surveys."), "success")
    return _back_to_list(agency)


# --- pairing a tablet ------------------------------------------------------------------------------------------

@bp.route("/can-bo/quay/<int:counter_id>/ghep-may", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.LEADER)
def counter_pair(counter_id):
    """Make this browser the tablet of a counter: the staff member is signed out and the device keeps only
    its own token."""
    counter = db.session.get(ServiceCounter, counter_id) or abort(404)
    if counter.agency_id != current_user.agency_id:
        abort(403)
    if request.method == "GET" or not counter.active:
        if request.method == "POST":
            flash(_("This counter is closed."), "error")
        return render("counter/pair.html", counter=counter, status=409 if request.method == "POST" else None)
    token = counters.pair(counter, current_user)
    db.session.commit()
    sign_out()
    flash(_("This device is now the tablet of %(counter)s. The survey appears here when a result is handed "
            "over at this counter.", counter=counter.name), "success")
    response = redirect(url_for("feedback.tablet"), 303)
    response.set_cookie(counters.DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE, path=TABLET_PATH, httponly=True,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False), samesite="Strict")
    return response


# --- the tablet --------------------------------------------------------------------------------------------------

def _device():
    """The paired tablet this browser is, or None."""
    return counters.device_for(request.cookies.get(counters.DEVICE_COOKIE))


def _unpaired():
    """This browser is not a tablet: how to make it one (and, for a signed-in staff member, the counters)."""
    choices = []
    if current_user.is_authenticated and current_user.role in (Role.STAFF, Role.LEADER):
        choices = counters.counters_of(current_user.agency_id)
    return render("counter/unpaired.html", "counter/_unpaired.html", choices=choices)


def _screen(device, message=None, status=None):
    """The tablet's screen: neutral, or the survey of the dossier waiting at its counter. A poller that
    already shows the current state gets 304."""
    counter = device.counter
    dossier = counters.waiting(counter)
    tag = etag("tablet", device.id, dossier.id if dossier else 0)
    poll = is_poll("tablet")
    if poll and request.if_none_match.contains(tag.strip('"')):
        response = make_response("", 304)
        response.headers["ETag"] = tag
        return response
    response = render("counter/tablet.html", "counter/_screen.html", status=status, counter=counter,
                      dossier=dossier, tag=tag, levels=survey.levels(), message=message,
                      thanks=not poll and not dossier and request.args.get(THANKS_ARG) == "1",
                      thanks_seconds=THANKS_SECONDS)
    if poll:
        response.headers["ETag"] = tag
    response.vary.add("HX-Target")  # one address: the page, or the fragment its poller asks for
    return response


@bp.route(TABLET_PATH)
def tablet():
    """The counter's tablet: a neutral screen until a result is handed over there, then that dossier's
    one-tap survey; kept up to date by a poll that costs a few small reads."""
    device = _device()
    if device is None:
        return _unpaired()
    counters.seen(device)  # only here: a write of its own must not wait behind a POST's own write lock
    return _screen(device)


@bp.route(TABLET_PATH + "/tra-loi", methods=["POST"])
def tablet_answer():
    """The applicant's tap on the tablet: stored for the dossier waiting at this counter, and only that one."""
    device = _device()
    if device is None:
        return redirect(url_for("feedback.tablet"), 303)
    dossier = db.session.get(Dossier, request.form.get("dossier", type=int) or 0)
    if dossier is not None and dossier.counter_id == device.counter_id and dossier.response is not None:
        return redirect(url_for("feedback.tablet", **{THANKS_ARG: 1}), 303)  # a second tap: already stored
    waiting = counters.waiting(device.counter)
    if dossier is None or waiting is None or waiting.id != dossier.id:
        return _screen(device, _("This survey is no longer shown at this counter."), 409)
    if request.form.get("rating") not in {str(value) for value, _label in survey.levels()}:
        return _screen(device, _("Choose one of the answers."), 422)
    response, _created = survey.answer(dossier, int(request.form["rating"]), SurveyVia.TABLET)
    db.session.commit()
    if response.dissatisfied:
        deliver_after_response()  # the leaders' alert
    return redirect(url_for("feedback.tablet", **{THANKS_ARG: 1}), 303)
