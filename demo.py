"""Demo data: the province's agencies and fields, and one account for each role."""
import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from accounts import services
from accounts.models import Agency, AgencyKind, Role, Topic, User
from demo_dialogue import load_dialogue
from demo_survey import load_survey_demo
from extensions import db

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")

DEMO_PASSWORD = "cong-tuong-tac-2026"

PROVINCE = ("UBND-TINH", "Ủy ban nhân dân tỉnh Gia Lai", AgencyKind.PROVINCE_OFFICE)
AGENCIES = [
    ("VP-UBND", "Văn phòng UBND tỉnh", AgencyKind.PROVINCE_OFFICE),
    ("SO-NV", "Sở Nội vụ", AgencyKind.DEPARTMENT),
    ("SO-VHTTDL", "Sở Văn hóa, Thể thao và Du lịch", AgencyKind.DEPARTMENT),
    ("SO-TTTT", "Sở Thông tin và Truyền thông", AgencyKind.DEPARTMENT),
    ("SO-TNMT", "Sở Tài nguyên và Môi trường", AgencyKind.DEPARTMENT),
    ("SO-TP", "Sở Tư pháp", AgencyKind.DEPARTMENT),
    ("SO-KHDT", "Sở Kế hoạch và Đầu tư", AgencyKind.DEPARTMENT),
    ("SO-XD", "Sở Xây dựng", AgencyKind.DEPARTMENT),
    ("SO-GDDT", "Sở Giáo dục và Đào tạo", AgencyKind.DEPARTMENT),
    ("SO-YT", "Sở Y tế", AgencyKind.DEPARTMENT),
    ("UBND-PLEIKU", "UBND thành phố Pleiku", AgencyKind.DISTRICT),
    ("UBND-ANKHE", "UBND thị xã An Khê", AgencyKind.DISTRICT),
    ("UBND-CHUPAH", "UBND huyện Chư Păh", AgencyKind.DISTRICT),
    ("UBND-DAKDOA", "UBND huyện Đak Đoa", AgencyKind.DISTRICT),
    ("UBND-KBANG", "UBND huyện Kbang", AgencyKind.DISTRICT),
]
TOPICS = [
    ("dat-dai", "Đất đai"), ("ho-tich", "Hộ tịch"), ("van-hoa", "Văn hóa"), ("the-thao", "Thể thao"),
    ("du-lich", "Du lịch"), ("xay-dung", "Xây dựng"), ("dau-tu", "Đầu tư"), ("giao-duc", "Giáo dục"),
    ("y-te", "Y tế"), ("lao-dong", "Lao động – việc làm"), ("thue-phi", "Thuế, phí và lệ phí"),
    ("giao-thong", "Giao thông vận tải"), ("thong-tin-truyen-thong", "Thông tin và truyền thông"),
    ("noi-vu", "Nội vụ"), ("tu-phap", "Tư pháp"), ("moi-truong", "Môi trường"),
]
ACCOUNTS = [
    ("admin@demo.gov.vn", Role.ADMIN, None, "Trần Minh Quản"),
    ("kiemduyet@demo.gov.vn", Role.MODERATOR, None, "Lê Thị Duyệt"),
    ("lanhdao.vhttdl@demo.gov.vn", Role.LEADER, "SO-VHTTDL", "Nguyễn Văn Lãnh"),
    ("canbo.vhttdl@demo.gov.vn", Role.STAFF, "SO-VHTTDL", "Phạm Thị Hương"),
    ("canbo.noivu@demo.gov.vn", Role.STAFF, "SO-NV", "Đặng Quốc Bảo"),
    ("congdan@demo.vn", Role.CITIZEN, None, "Hoàng Thị Lan"),
]


def load_demo():
    """Create whatever of the demo data is missing; never changes or removes what exists. Returns how many
    dossiers and survey answers it created."""
    existing_agencies = set(db.session.scalars(sa.select(Agency.code)))
    if PROVINCE[0] not in existing_agencies:
        services.create_agency(PROVINCE[0], PROVINCE[1], PROVINCE[2])
    for code, name, kind in AGENCIES:
        if code not in existing_agencies:
            services.create_agency(code, name, kind, PROVINCE[0])
    existing_topics = set(db.session.scalars(sa.select(Topic.slug)))
    for slug, name in TOPICS:
        if slug not in existing_topics:
            db.session.add(Topic(slug=slug, name=name))
    db.session.flush()
    existing_users = set(db.session.scalars(sa.select(User.email)))
    for email, role, agency, name in ACCOUNTS:
        if email not in existing_users:
            services.create_user(email, DEMO_PASSWORD, role, agency, name)
    services.find_agency("SO-VHTTDL").requires_approval = True  # so the leader's approval can be tried
    _load_holidays()
    _load_questions()
    load_dialogue()
    survey = load_survey_demo()
    db.session.commit()
    return survey


HOLIDAYS_2026 = [
    ("2026-01-01", "Tết Dương lịch"), ("2026-02-16", "Tết Nguyên đán"), ("2026-02-17", "Tết Nguyên đán"),
    ("2026-02-18", "Tết Nguyên đán"), ("2026-02-19", "Tết Nguyên đán"), ("2026-02-20", "Tết Nguyên đán"),
    ("2026-04-27", "Giỗ Tổ Hùng Vương"), ("2026-04-30", "Ngày Giải phóng miền Nam"),
    ("2026-05-01", "Ngày Quốc tế Lao động"), ("2026-09-02", "Quốc khánh"), ("2026-09-01", "Quốc khánh"),
    ("2027-01-01", "Tết Dương lịch"),
]


def _load_holidays():
    """The public holidays, for due dates in working days."""
    from datetime import date

    from feedback.models import Holiday

    known = set(db.session.scalars(sa.select(Holiday.day)))
    for day, name in HOLIDAYS_2026:
        if date.fromisoformat(day) not in known:
            db.session.add(Holiday(day=date.fromisoformat(day), name=name))


def _load_questions():
    """Questions in every state, with answers for the published ones (once: skipped when any exists)."""
    from datetime import timedelta

    from database import utcnow
    from demo_questions import QUESTIONS
    from feedback import asking, workflow
    from feedback.models import Answer, Question, QuestionEvent, QuestionState

    if db.session.scalar(sa.select(sa.func.count(Question.id))):
        return
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    staff = db.session.scalar(sa.select(User).where(User.email == "canbo.vhttdl@demo.gov.vn"))
    moderator = db.session.scalar(sa.select(User).where(User.email == "kiemduyet@demo.gov.vn"))
    for n, (agency_code, topic, state, title, body, answer, asker, days_ago) in enumerate(QUESTIONS):
        asked = utcnow() - timedelta(days=days_ago + 2, hours=n)
        question = Question(
            tracking_code=asking.new_tracking_code(), idempotency_key=asking.new_idempotency_key(), title=title,
            body=body, topic=topics[topic], asker_name=asker, asker_email=f"nguoidan{n + 1}@example.vn",
            consent_publish=True, state=QuestionState(state), submitted_at=asked)
        db.session.add(question)
        db.session.add(QuestionEvent(question=question, action="submitted", to_state="submitted", at=asked))
        if agency_code:
            question.agency = services.find_agency(agency_code)
            question.assigned_at = asked + timedelta(hours=3)
            question.due_on = (asked + timedelta(days=14)).date()
            db.session.add(QuestionEvent(question=question, action="assign", from_state="submitted",
                                         to_state="assigned", agency_id=question.agency.id,
                                         at=question.assigned_at, actor_id=moderator.id if moderator else None))
        if answer:
            db.session.add(Answer(question=question, body_html=answer, author_id=staff.id if staff else None))
        if state == "published":
            question.published_at = utcnow() - timedelta(days=days_ago)
            db.session.add(QuestionEvent(question=question, action="publish", from_state="drafted",
                                         to_state="published", at=question.published_at,
                                         actor_id=staff.id if staff else None))
            db.session.flush()
            question.answer.published_at = question.published_at
            workflow.index_for_search(question)


def print_accounts():
    """Show the demo accounts, so that a developer can sign in at once."""
    click.echo("Demo accounts (password for all: %s):" % DEMO_PASSWORD)
    for email, role, agency, name in ACCOUNTS:
        where = f" — {agency}" if agency else ""
        click.echo(f"  {role.value:<10} {email}{where}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Load only into a database without any account.")
def load_command(if_empty):
    """Load the demo agencies, fields and accounts (idempotent)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Refusing to load demo accounts into a production portal.")
    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("The database already holds data; demo data not loaded.")
    else:
        dossiers, answers = load_demo()
        click.echo("Demo data loaded.")
        if dossiers:
            click.echo(f"  {dossiers} dossiers, {answers} survey answers.")
    print_accounts()
