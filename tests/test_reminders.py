"""Agencies are reminded by e-mail of questions due within two working days, once per question."""
from datetime import timedelta

import sqlalchemy as sa

import workdays
from accounts.models import Role
from extensions import db
from feedback.models import QuestionState
from notifications import OutboxMessage


def _reminders():
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "question.due_soon")).all()


def test_staff_and_leaders_are_reminded_of_a_question_due_soon_once(app, make_agency, make_user, make_question):
    agency = make_agency()
    staff = make_user(Role.STAFF, agency=agency)
    leader = make_user(Role.LEADER, agency=agency)
    make_user(Role.STAFF, agency=agency, active=False)
    question = make_question(QuestionState.ASSIGNED, agency=agency, title="Hỏi về lệ phí trước bạ xe máy")
    question.due_on = workdays.add_working_days(workdays.today(), 1)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["questions", "remind"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    mails = _reminders()
    assert sorted(m.to_address for m in mails) == sorted([staff.email, leader.email])
    assert "Hỏi về lệ phí trước bạ xe máy" in mails[0].subject
    assert f"/can-bo/hoi-dap/{question.id}" in mails[0].body
    runner.invoke(args=["questions", "remind"])
    assert len(_reminders()) == 2  # not again the next day


def test_questions_due_later_answered_or_overdue_are_not_reminded(app, make_agency, make_user, make_question):
    agency = make_agency()
    make_user(Role.STAFF, agency=agency)
    later = make_question(QuestionState.ASSIGNED, agency=agency)
    later.due_on = workdays.add_working_days(workdays.today(), 5)
    answered = make_question(QuestionState.PUBLISHED, agency=agency)
    answered.due_on = workdays.today()
    overdue = make_question(QuestionState.DRAFTED, agency=agency)
    overdue.due_on = workdays.today() - timedelta(days=3)
    db.session.commit()
    app.test_cli_runner().invoke(args=["questions", "remind"])
    assert _reminders() == []


def test_holidays_are_added_on_the_command_line_and_move_due_dates(app):
    from datetime import date

    runner = app.test_cli_runner()
    result = runner.invoke(args=["holidays", "add", "2026-12-31", "Nghỉ bù cuối năm"])
    assert result.exit_code == 0, result.output
    assert "2026-12-31" in runner.invoke(args=["holidays", "list"]).output
    assert workdays.add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 1)  # Wednesday; Thursday 31/12 is off
    again = runner.invoke(args=["holidays", "add", "2026-12-31", "Lần nữa"])
    assert again.exit_code != 0 and "already" in again.output
    bad = runner.invoke(args=["holidays", "add", "31/12/2026", "Sai định dạng"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
