"""The command line of this domain: question reminders (daily from cron), holidays, and the API's keys."""
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


api_keys_cli = AppGroup("api-keys", help="Keys the one-stop-shop system uses to report dossiers.")


@api_keys_cli.command("create")
@click.option("--name", required=True, help="Who uses the key, e.g. 'Hệ thống một cửa tỉnh'.")
@click.option("--agency", "agency_code", default=None, help="Bind the key to one agency's dossiers (its code).")
def create_api_key(name, agency_code):
    """Create a key and print it once, alone on the last line; only its hash is kept."""
    from accounts.models import Agency
    from database import normalize_text

    from . import dossiers

    name = normalize_text(name).strip()
    if not name or len(name) > 120:
        raise click.ClickException("A key needs a name of 1 to 120 characters.")
    agency = None
    if agency_code:
        code = normalize_text(agency_code).strip().upper()
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == code))
        if agency is None:
            raise click.ClickException(f"Unknown agency: {agency_code}.")
    key, secret = dossiers.create_key(name, agency)
    db.session.commit()
    scope = f"agency {agency.code}" if agency else "every agency"
    click.echo(f"Created API key {key.id} ({key.prefix}…) '{name}' for {scope}.")
    click.echo("Copy it now: it is not shown again. Send it as 'Authorization: Bearer <key>'.")
    click.echo(secret)


@api_keys_cli.command("list")
def list_api_keys():
    """List the keys: id, prefix, agency, name, created, last used, and whether revoked."""
    from .survey_models import ApiKey

    def when(moment):
        return moment.strftime("%Y-%m-%d %H:%M") + " UTC" if moment else "-"

    for key in db.session.scalars(sa.select(ApiKey).order_by(ApiKey.id)):
        state = f"revoked {when(key.revoked_at)}" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.prefix}…\t{key.agency.code if key.agency else '(all agencies)'}\t{key.name}\t"
                   f"created {when(key.created_at)}\tlast used {when(key.last_used_at)}\t{state}")


@api_keys_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_api_key(key_id):
    """Stop accepting the key with this ID at once."""
    from . import dossiers
    from .survey_models import ApiKey

    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise click.ClickException(f"No API key has ID {key_id}.")
    if key.revoked_at is not None:
        raise click.ClickException(f"API key {key_id} is already revoked.")
    dossiers.revoke_key(key, None)
    db.session.commit()
    click.echo(f"Revoked API key {key.id} ({key.prefix}…) '{key.name}'.")
