"""Agency figures for questions: received, answered, on time, median working days, overdue now."""
import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user

import workdays
from accounts.auth import role_required
from accounts.models import Agency, Role
from extensions import db
from web import render

from . import bp
from .models import OPEN_STATES, Question, QuestionState


@dataclass
class AgencyFigures:
    """One agency's figures for a period."""

    agency: str
    received: int = 0
    answered: int = 0
    on_time: int = 0
    overdue_now: int = 0
    days: list = field(default_factory=list)

    @property
    def on_time_rate(self):
        """Share of answers given by the due date, in per cent (None with no answer)."""
        return round(100 * self.on_time / self.answered, 2) if self.answered else None

    @property
    def median_days(self):
        """Median working days from assignment to answer (None with no answer)."""
        return statistics.median(self.days) if self.days else None


def _period():
    """The period asked for (default: this year so far), as dates."""
    today = workdays.today()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = date(today.year, 1, 1)
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


def compute(start, end, agency_id=None):
    """Figures per agency for questions assigned or answered between start and end (inclusive)."""
    # Periods and due dates are Vietnamese calendar days; stored times are UTC.
    low, high = workdays.local_midnight_utc(start), workdays.local_midnight_utc(end + timedelta(days=1))
    stmt = sa.select(Question.agency_id, Question.assigned_at, Question.published_at, Question.due_on, Question.state) \
        .where(Question.agency_id.is_not(None),
               sa.or_(Question.assigned_at.between(low, high), Question.published_at.between(low, high),
                      Question.state.in_(OPEN_STATES)))
    if agency_id:
        stmt = stmt.where(Question.agency_id == agency_id)
    names = dict(db.session.execute(sa.select(Agency.id, Agency.name)).all())
    today = workdays.today()
    table = {}
    rows = db.session.execute(stmt).all()
    assigned_days = [workdays.local_date(r.assigned_at) for r in rows if r.assigned_at]
    holidays = workdays.holidays_between(min(assigned_days), max(end, today)) if assigned_days else set()
    for agency, assigned, published, due, state in rows:
        row = table.setdefault(agency, AgencyFigures(names.get(agency, "?")))
        if assigned and low <= assigned < high:
            row.received += 1
        if state is QuestionState.PUBLISHED and published and low <= published < high:
            row.answered += 1
            if due is None or workdays.local_date(published) <= due:
                row.on_time += 1
            if assigned:
                row.days.append(workdays.working_days_between(workdays.local_date(assigned),
                                                              workdays.local_date(published), holidays))
        if state in OPEN_STATES and due is not None and due < today:
            row.overdue_now += 1
    return sorted(table.values(), key=lambda r: r.agency)


@bp.route("/can-bo/thong-ke-hoi-dap")
@role_required(Role.LEADER, Role.MODERATOR, Role.ADMIN)
def figures():
    """The figures page; leaders see their own agency, moderators every agency; CSV with ?format=csv."""
    start, end = _period()
    agency_id = current_user.agency_id if current_user.role is Role.LEADER else None
    rows = compute(start, end, agency_id)
    if request.args.get("format") == "csv":
        return _csv(rows, start, end)
    return render("feedback/figures.html", rows=rows, start=start, end=end)


def _csv(rows, start, end):
    """The same figures as a spreadsheet file."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_("Agency"), _("Received"), _("Answered"), _("Answered on time (%)"),
                     _("Median working days to answer"), _("Overdue now")])
    for row in rows:
        writer.writerow([row.agency, row.received, row.answered,
                         "" if row.on_time_rate is None else row.on_time_rate,
                         "" if row.median_days is None else row.median_days, row.overdue_now])
    response = Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="hoi-dap-{start}-{end}.csv"'
    return response
