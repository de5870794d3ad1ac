"""The agencies' desk of dossiers: the list with its filters, one dossier with its survey answer, handing the
result over at a counter, and the printable result slip with the survey's QR code."""
from dataclasses import dataclass, replace
from datetime import date, timezone

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

import audit
from accounts.auth import OFFICIAL_ROLES, role_required
from accounts.models import Agency, Role
from database import utcnow
from extensions import db
from web import render

from . import bp, counters, dossiers, survey
from .survey_models import Channel, Dossier, ServiceCounter, SurveyResponse

PER_PAGE = 20
STATES = {
    "completed": _l("Completed"),
    "late": _l("Completed late"),
    "open": _l("In progress"),
    "overdue": _l("Overdue now"),
}
ANSWERS = {"answered": _l("Answered"), "unanswered": _l("Not answered")}
TIMELINESS = {
    "early": _l("Early"),
    "on_time": _l("On time"),
    "late": _l("Late"),
    "in_progress": _l("In progress"),
    "overdue": _l("Overdue"),
}
AGENCY_ROLES = (Role.STAFF, Role.LEADER)


def _local_day(moment):
    """The Vietnamese calendar day of a stored (UTC, naive) time."""
    return moment.replace(tzinfo=timezone.utc).astimezone(dossiers.LOCAL_ZONE).date()


def timeliness(dossier, now=None):
    """Early, on time or late for a completed dossier; in progress or overdue for an open one (None without a
    due time). Early means completed on a day before the due day, as the one-stop shops count it."""
    if dossier.due_at is None:
        return None
    if dossier.completed_at is None:
        return "overdue" if dossier.due_at < (now or utcnow()) else "in_progress"
    if dossier.completed_at > dossier.due_at:
        return "late"
    return "early" if _local_day(dossier.completed_at) < _local_day(dossier.due_at) else "on_time"


def _escape_like(text):
    """Text matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _date_arg(args, name):
    """A yyyy-mm-dd date from the query string, or None when absent or malformed."""
    try:
        return date.fromisoformat(args.get(name, "").strip())
    except ValueError:
        return None


@dataclass
class DossierFilter:
    """The filters of the dossier list, read from the query string (anything unexpected is ignored)."""

    q: str = ""
    state: str = ""
    answer: str = ""
    channel: str = ""
    agency: int | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args):
        """Read the filters of a request."""
        state, answer, channel = args.get("state", ""), args.get("answer", ""), args.get("channel", "")
        return cls(q=args.get("q", "").strip()[:64], state=state if state in STATES else "",
                   answer=answer if answer in ANSWERS else "",
                   channel=channel if channel in {c.value for c in Channel} else "",
                   agency=args.get("agency", type=int), since=_date_arg(args, "since"),
                   until=_date_arg(args, "until"), page=max(1, min(args.get("page", 1, type=int) or 1, 10000)))

    def args(self, **changes):
        """The query string of this list with some values changed (for links)."""
        values = {**{k: getattr(self, k) for k in ("q", "state", "answer", "channel", "agency", "page")},
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None, **changes}
        return {k: v for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}

    @property
    def active(self):
        """Whether any filter narrows the list."""
        return any((self.q, self.state, self.answer, self.channel, self.agency, self.since, self.until))

    def where(self, stmt):
        """Apply the filters; each one reads an indexed column or a short range of the agency's rows."""
        if self.agency:
            stmt = stmt.where(Dossier.agency_id == self.agency)
        if self.q:
            # An exact code or the start of one; codes are printed in capitals, people may type them otherwise.
            prefixes = {self.q, self.q.upper()}
            stmt = stmt.where(sa.or_(*(Dossier.code.like(_escape_like(p) + "%", escape="\\") for p in prefixes)))
        if self.state == "completed":
            stmt = stmt.where(Dossier.completed_on.is_not(None))
        elif self.state == "late":
            stmt = stmt.where(Dossier.completed_on.is_not(None), Dossier.completed_at > Dossier.due_at)
        elif self.state == "open":
            stmt = stmt.where(Dossier.completed_on.is_(None))
        elif self.state == "overdue":
            stmt = stmt.where(Dossier.completed_on.is_(None), Dossier.due_at < utcnow())
        answered = sa.exists().where(SurveyResponse.dossier_id == Dossier.id)
        if self.answer == "answered":
            stmt = stmt.where(answered)
        elif self.answer == "unanswered":
            stmt = stmt.where(~answered)
        if self.channel:
            stmt = stmt.where(Dossier.channel == Channel(self.channel))
        if self.since:
            stmt = stmt.where(Dossier.completed_on >= self.since)
        if self.until:
            stmt = stmt.where(Dossier.completed_on <= self.until)
        return stmt


def _scope(user, stmt):
    """Only the dossiers this user may list: staff and leaders only ever see their own agency's."""
    if user.role in AGENCY_ROLES:
        if user.agency_id is None:
            abort(403)
        return stmt.where(Dossier.agency_id == user.agency_id)
    return stmt


def may_handle(user, dossier):
    """Whether user may see this dossier and its applicant's contact: its agency's staff and leaders,
    moderators and administrators."""
    if user.role in AGENCY_ROLES:
        return user.agency_id == dossier.agency_id
    return user.role in (Role.MODERATOR, Role.ADMIN)


def may_see_answer(user, dossier):
    """The survey answer is the agency's own business (and the administrators')."""
    return user.role is Role.ADMIN or (user.role in AGENCY_ROLES and user.agency_id == dossier.agency_id)


def may_hand_over(user, dossier):
    """Only the agency's own staff and leaders give results at its counters."""
    return user.role in AGENCY_ROLES and user.agency_id == dossier.agency_id


def _load(dossier_id):
    """The dossier, if the signed-in official may handle it."""
    dossier = db.session.get(Dossier, dossier_id) or abort(404)
    if not may_handle(current_user, dossier):
        abort(403)
    return dossier


@bp.route("/can-bo/ho-so")
@role_required(*OFFICIAL_ROLES)
def dossier_list():
    """The dossiers of the agency (of every agency for moderators), newest first, with filters."""
    own = current_user.role in AGENCY_ROLES
    listing = DossierFilter.from_args(request.args)
    if own:
        listing = replace(listing, agency=None)  # the scope below decides
    stmt = _scope(current_user, listing.where(sa.select(Dossier)))
    total = db.session.scalar(_scope(current_user, listing.where(sa.select(sa.func.count(Dossier.id)))))
    rows = db.session.scalars(
        stmt.options(joinedload(Dossier.procedure), joinedload(Dossier.agency), joinedload(Dossier.response))
        .order_by(Dossier.id.desc()).offset((listing.page - 1) * PER_PAGE).limit(PER_PAGE)).unique().all()
    agencies = [] if own else db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()
    return render("dossiers/dossier_list.html", "dossiers/_dossier_results.html", listing=listing, rows=rows,
                  total=total, pages=max(1, -(-total // PER_PAGE)), agencies=agencies, own=own, now=utcnow(),
                  states=STATES, answers=ANSWERS, channels=list(Channel), timeliness=timeliness,
                  labels=TIMELINESS, may_see_answer=may_see_answer, rating_label=rating_label,
                  agency_name=current_user.agency.name if own else None,
                  may_import=current_user.role in (Role.STAFF, Role.LEADER, Role.ADMIN))


def rating_label(response):
    """The overall rating of an answer as users read it."""
    return dict(survey.levels(response.scale)).get(response.rating, response.rating)


def _answer_view(response):
    """The answer as the agency reads it: rating label, criteria answered, reasons good and bad, comment."""
    details = {d.item: d.value for d in response.details}
    criteria = []
    for criterion in survey.CRITERIA:
        if criterion.key in details:
            value = details[criterion.key]
            criteria.append((criterion.label, dict(criterion.choices).get(value, value),
                             value in criterion.good, value in survey.NOT_COUNTED.get(criterion.key, ())))
    tags = dict(survey.TAGS)
    good = [tags[key] for key in tags if details.get(f"tag:{key}") == "good"]
    bad = [tags[key] for key in tags if details.get(f"tag:{key}") == "bad"]
    return {"rating": rating_label(response),
            "criteria": criteria, "good": good, "bad": bad}


@bp.route("/can-bo/ho-so/<int:dossier_id>")
@role_required(*OFFICIAL_ROLES)
def dossier_detail(dossier_id):
    """One dossier: its data, the applicant's contact, its survey, the slip, and handing the result over."""
    dossier = _load(dossier_id)
    has_contact = any((dossier.applicant_name, dossier.applicant_phone, dossier.applicant_email))
    if has_contact:
        audit.record("dossier.contact_view", dossier)
        db.session.commit()
    response = dossier.response
    show_answer = response is not None and may_see_answer(current_user, dossier)
    hand_over = may_hand_over(current_user, dossier)
    return render("dossiers/dossier_detail.html", dossier=dossier, response=response, show_answer=show_answer,
                  answer=_answer_view(response) if show_answer else None, has_contact=has_contact,
                  counters=counters.counters_of(dossier.agency_id) if hand_over else [], hand_over=hand_over,
                  state=timeliness(dossier), labels=TIMELINESS, links=slip_links(dossier))


@bp.route("/can-bo/ho-so/<int:dossier_id>/trao-ket-qua", methods=["POST"])
@role_required(*AGENCY_ROLES)
def dossier_hand_over(dossier_id):
    """Record that the result was handed over at a counter, so that the counter's tablet shows the survey."""
    dossier = _load(dossier_id)
    if not may_hand_over(current_user, dossier):
        abort(403)
    counter = db.session.get(ServiceCounter, request.form.get("counter", type=int) or 0)
    try:
        if counter is None:
            raise counters.CounterError(_("Choose the counter where the result is handed over."))
        counters.hand_over(dossier, counter, current_user)
    except counters.CounterError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Handed over at %(counter)s: its tablet now shows the survey of dossier %(code)s.",
                counter=counter.name, code=dossier.code), "success")
    return redirect(url_for("feedback.dossier_detail", dossier_id=dossier_id), 303)


@bp.route("/can-bo/ho-so/<int:dossier_id>/rut-khoi-may", methods=["POST"])
@role_required(*AGENCY_ROLES)
def dossier_withdraw(dossier_id):
    """Take the dossier off its counter's tablet (the applicant left without answering)."""
    dossier = _load(dossier_id)
    if not may_hand_over(current_user, dossier):
        abort(403)
    if dossier.handed_over_at is None:
        flash(_("This dossier is not shown on a tablet."), "info")
    else:
        counters.withdraw(dossier, current_user)
        db.session.commit()
        flash(_("The survey of dossier %(code)s is no longer shown on the tablet.", code=dossier.code), "success")
    return redirect(url_for("feedback.dossier_detail", dossier_id=dossier_id), 303)


def slip_links(dossier):
    """The survey link and its QR codes (SVG for print, PNG to download) printed on the result slip."""
    return {"survey": dossiers.survey_url(dossier), "svg": dossiers.qr_url(dossier, "svg"),
            "png": dossiers.qr_url(dossier, "png"),
            "by_code": url_for("feedback.survey_start", _external=True)}


@bp.route("/can-bo/ho-so/<int:dossier_id>/phieu")
@role_required(*OFFICIAL_ROLES)
def dossier_slip(dossier_id):
    """The result slip (phiếu) handed to the applicant: the survey's QR code and link, and how to rate by code.
    It carries no phone number or e-mail address."""
    dossier = _load(dossier_id)
    if not dossier.completed:
        flash(_("The result slip can be printed once the dossier is completed."), "error")
        return redirect(url_for("feedback.dossier_detail", dossier_id=dossier_id), 303)
    return render("dossiers/dossier_slip.html", dossier=dossier, links=slip_links(dossier))
