"""Follow-ups of survey answers: the agency's list of dissatisfied answers and comments to look into, and the
leader's note that closes one. Comments stay with the agency: moderators do not see this list."""
import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from accounts.auth import role_required
from accounts.models import Agency, Role
from extensions import db
from web import is_htmx, render

from . import bp, survey
from .survey_models import Dossier, SurveyFollowUp, SurveyResponse

PER_PAGE = 50
STATES = ("open", "closed", "all")


def _agency_scope():
    """The agency whose follow-ups the user sees: their own, or for an administrator the one asked for (or all)."""
    if current_user.role is Role.ADMIN:
        return request.args.get("agency", type=int)
    return current_user.agency_id


def may_close(user, follow_up):
    """The agency's leaders close its follow-ups; administrators any."""
    return user.role is Role.ADMIN or (user.role is Role.LEADER and user.agency_id == follow_up.agency_id)


def _listing(agency_id, state, page):
    """One page of follow-ups, open ones first, oldest first; and how many there are, and how many are open."""
    scope = [SurveyFollowUp.agency_id == agency_id] if agency_id else []
    stmt = sa.select(SurveyFollowUp).where(*scope)
    if state == "open":
        stmt = stmt.where(SurveyFollowUp.closed_at.is_(None))
    elif state == "closed":
        stmt = stmt.where(SurveyFollowUp.closed_at.is_not(None))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(
        stmt.options(joinedload(SurveyFollowUp.response).options(
                         joinedload(SurveyResponse.dossier).joinedload(Dossier.procedure),
                         selectinload(SurveyResponse.details)),
                     joinedload(SurveyFollowUp.agency), joinedload(SurveyFollowUp.closed_by))
        .order_by(SurveyFollowUp.closed_at.is_not(None), SurveyFollowUp.opened_at, SurveyFollowUp.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).unique().all()
    open_count = db.session.scalar(sa.select(sa.func.count(SurveyFollowUp.id))
                                   .where(*scope, SurveyFollowUp.closed_at.is_(None)))
    return items, count, open_count


def reasons(response):
    """What the applicant marked as going badly and well, and the criteria their answers did not meet."""
    bad, good, unmet = [], [], []
    labels = dict(survey.TAGS)
    for detail in response.details:
        if detail.item.startswith("tag:"):
            (bad if detail.value == "bad" else good).append(str(labels.get(detail.item[4:], detail.item[4:])))
        elif detail.item in survey.CRITERIA_BY_KEY:
            criterion = survey.CRITERIA_BY_KEY[detail.item]
            skip = survey.NOT_COUNTED.get(criterion.key, ())
            if detail.value not in criterion.good and detail.value not in skip:
                unmet.append((str(criterion.label), str(dict(criterion.choices).get(detail.value, detail.value))))
    return {"bad": bad, "good": good, "unmet": unmet}


def rating_label(response):
    """The overall rating as the applicant chose it."""
    return dict(survey.levels(response.scale)).get(response.rating, response.rating)


def _page(failed=None, status=None):
    """The follow-up list; failed = (follow-up id, message, note as typed) after a refused close without htmx."""
    state = request.args.get("state", "open")
    state = state if state in STATES else "open"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    agency_id = _agency_scope()
    items, count, open_count = _listing(agency_id, state, page)
    agencies = db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all() \
        if current_user.role is Role.ADMIN else []
    return render("follow_ups/follow_ups.html", items=items, count=count, open_count=open_count, state=state,
                  page=page, pages=max(1, -(-count // PER_PAGE)), agency_id=agency_id, agencies=agencies,
                  failed=failed, status=status, **_helpers())


def _helpers():
    return {"reasons": reasons, "rating_label": rating_label, "may_close": may_close}


@bp.route("/can-bo/danh-gia/theo-doi")
@role_required(Role.STAFF, Role.LEADER, Role.ADMIN)
def follow_ups():
    """The agency's follow-ups: open ones first, oldest first; filter open, closed or all."""
    return _page()


@bp.route("/can-bo/danh-gia/theo-doi/<int:follow_up_id>/dong", methods=["POST"])
@role_required(Role.LEADER, Role.ADMIN)
def follow_up_close(follow_up_id):
    """Close a follow-up with a note of what was done (the agency's leader, or an administrator)."""
    follow_up = db.session.get(SurveyFollowUp, follow_up_id) or abort(404)
    if not may_close(current_user, follow_up):
        abort(403)
    note = request.form.get("note", "")
    try:
        survey.close_follow_up(follow_up, current_user, note)
    except survey.SurveyError as error:
        db.session.rollback()
        follow_up = db.session.get(SurveyFollowUp, follow_up_id)
        status = 422 if follow_up.is_open else 409
        if is_htmx():
            return render("follow_ups/_item.html", item=follow_up, error=str(error), note=note, status=status,
                          **_helpers())
        if not follow_up.is_open:  # closed meanwhile: no form to show the message by, so it heads the page
            flash(str(error), "error")
        return _page(failed=(follow_up_id, str(error), note), status=status)
    db.session.commit()
    if is_htmx():
        return render("follow_ups/_item.html", item=follow_up, just_closed=True, **_helpers())
    flash(_("The follow-up has been closed."), "success")
    return redirect(url_for("feedback.follow_ups"), 303)
