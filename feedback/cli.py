"""Scheduled work for questions: remind agencies of questions due soon (run daily from cron)."""
import click
import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask.cli import AppGroup
from flask_babel import gettext as _

import notifications
import workdays
from accounts.models import Role, User
from extensions import db

from .models import OPEN_STATES, Question, QuestionEvent

questions_cli = AppGroup("questions", help="Questions and answers.")


def remind_due_soon():
    """Queue one reminder per question due within the next working days, to its agency's staff and leaders."""
    today = workdays.today()
    horizon = workdays.add_working_days(today, current_app.config["DUE_SOON_WORKING_DAYS"])
    reminded = sa.select(QuestionEvent.question_id).where(QuestionEvent.action == "reminder")
    questions = db.session.scalars(
        sa.select(Question).where(Question.state.in_(OPEN_STATES), Question.due_on.between(today, horizon),
                                  Question.id.not_in(reminded))).all()
    for question in questions:
        people = db.session.scalars(sa.select(User.email).where(
            User.agency_id == question.agency_id, User.active.is_(True),
            User.role.in_((Role.STAFF, Role.LEADER)))).all()
        body = render_template("email/question_due_soon.txt", question=question,
                               url=url_for("feedback.work", question_id=question.id, _external=True))
        for email in people:
            notifications.queue("question.due_soon", email,
                                _("Due on %(date)s: %(title)s", date=question.due_on.strftime("%d/%m/%Y"),
                                  title=question.title), body)
        db.session.add(QuestionEvent(question_id=question.id, action="reminder", from_state=question.state.value,
                                     to_state=question.state.value, agency_id=question.agency_id))
    db.session.commit()
    return len(questions)


@questions_cli.command("remind")
def remind_command():
    """E-mail the agencies about questions due within two working days (once per question)."""
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        count = remind_due_soon()
    sent, failed = notifications.deliver_pending()
    click.echo(f"Reminded about {count} questions; e-mail sent {sent}, failed {failed}.")


holidays_cli = AppGroup("holidays", help="Public holidays, which do not count as working days.")


@holidays_cli.command("add")
@click.argument("day")
@click.argument("name")
def add_holiday(day, name):
    """Add a holiday: DAY as YYYY-MM-DD, then its NAME."""
    from datetime import date

    from .models import Holiday

    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise click.ClickException(f"Not a date: {day} (write it as YYYY-MM-DD).") from None
    if db.session.scalar(sa.select(Holiday.id).where(Holiday.day == parsed)):
        raise click.ClickException(f"{parsed.isoformat()} is already a holiday.")
    db.session.add(Holiday(day=parsed, name=name.strip() or "Ngày nghỉ"))
    db.session.commit()
    click.echo(f"Added holiday {parsed.isoformat()}: {name}")


@holidays_cli.command("list")
def list_holidays():
    """List the holidays, oldest first."""
    from .models import Holiday

    for holiday in db.session.scalars(sa.select(Holiday).order_by(Holiday.day)):
        click.echo(f"{holiday.day.isoformat()}  {holiday.name}")
