"""Demo data: the province's agencies and fields, and one account for each role."""
import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from accounts import services
from accounts.models import Agency, AgencyKind, Role, Topic, User
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
    """Create whatever of the demo data is missing; never changes or removes what exists."""
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
    db.session.commit()


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
        load_demo()
        click.echo("Demo data loaded.")
    print_accounts()
