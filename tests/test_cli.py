"""The command line for deployment scripts: creating agencies and users, and loading the demo data."""
import pytest
import sqlalchemy as sa
from flask_babel import gettext

from accounts.models import Agency, Role, Topic, User
from demo import ACCOUNTS, AGENCIES, DEMO_PASSWORD, TOPICS
from extensions import db
from testapp import PASSWORD


@pytest.fixture
def cli(app):
    """Run a command of the portal's CLI inside the test's database transaction."""
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))
    return invoke


def _agency(code):
    db.session.expire_all()
    return db.session.scalar(sa.select(Agency).where(Agency.code == code))


def _user(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _refused(result, message):
    """The command failed, said why, and left no traceback."""
    assert result.exit_code != 0, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output


# agencies create


def test_creating_an_agency_prints_it_and_stores_it(cli):
    result = cli("agencies", "create", "--code", "so-nv", "--name", "Sở Nội vụ")
    assert result.exit_code == 0, result.output
    assert "Created agency SO-NV: Sở Nội vụ" in result.output
    agency = _agency("SO-NV")
    assert agency.name == "Sở Nội vụ"
    assert agency.parent is None


def test_an_agency_can_be_created_under_a_parent(cli, make_agency):
    province = make_agency(code="UBND-TINH")
    result = cli("agencies", "create", "--code", "UBND-PLEIKU", "--name", "UBND thành phố Pleiku",
                 "--parent", "ubnd-tinh", "--kind", "district")
    assert result.exit_code == 0, result.output
    agency = _agency("UBND-PLEIKU")
    assert agency.parent_id == province.id
    assert agency.kind.value == "district"


def test_an_unknown_parent_is_refused(cli):
    result = cli("agencies", "create", "--code", "SO-XD", "--name", "Sở Xây dựng", "--parent", "KHONG-CO")
    _refused(result, gettext("Unknown agency: %(code)s.", code="KHONG-CO"))
    assert _agency("SO-XD") is None


def test_a_duplicate_agency_code_is_refused(cli, make_agency):
    make_agency(code="SO-TP", name="Sở Tư pháp")
    result = cli("agencies", "create", "--code", "so-tp", "--name", "Sở Tư pháp khác")
    _refused(result, gettext("An agency with code %(code)s already exists.", code="SO-TP"))
    assert _count(Agency) == 1
    assert _agency("SO-TP").name == "Sở Tư pháp"


def test_an_agency_code_with_spaces_is_refused(cli):
    result = cli("agencies", "create", "--code", "SO NV", "--name", "Sở Nội vụ")
    _refused(result, gettext("An agency code is 1 to 32 letters, digits, '-' or '_'."))
    assert _count(Agency) == 0


# users create


def test_creating_a_staff_user_prints_it_and_stores_it(cli, make_agency):
    agency = make_agency(code="SO-YT")
    result = cli("users", "create", "--email", "CanBo@Example.VN", "--password", PASSWORD, "--role", "staff",
                 "--agency", "so-yt", "--name", "Phạm Thị Hương")
    assert result.exit_code == 0, result.output
    assert "Created staff canbo@example.vn" in result.output
    user = _user("canbo@example.vn")
    assert user.role is Role.STAFF
    assert user.agency_id == agency.id
    assert user.display_name == "Phạm Thị Hương"


def test_a_user_created_on_the_command_line_can_sign_in(cli, auth):
    result = cli("users", "create", "--email", "admin@example.vn", "--password", PASSWORD, "--role", "ADMIN")
    assert result.exit_code == 0, result.output
    assert _user("admin@example.vn").role is Role.ADMIN
    assert auth.login("admin@example.vn").status_code == 302


def test_an_unknown_role_is_refused(cli):
    result = cli("users", "create", "--email", "a@example.vn", "--password", PASSWORD, "--role", "boss")
    _refused(result, gettext("Unknown role %(role)s; choose one of: %(roles)s.", role="boss",
                             roles="citizen, staff, leader, moderator, admin"))
    assert _user("a@example.vn") is None


def test_an_unknown_agency_is_refused(cli):
    result = cli("users", "create", "--email", "a@example.vn", "--password", PASSWORD, "--role", "staff",
                 "--agency", "KHONG-CO")
    _refused(result, gettext("Unknown agency: %(code)s.", code="KHONG-CO"))
    assert _user("a@example.vn") is None


def test_staff_without_an_agency_is_refused(cli):
    result = cli("users", "create", "--email", "a@example.vn", "--password", PASSWORD, "--role", "leader")
    _refused(result, gettext("Staff and leaders must belong to an agency (--agency CODE)."))
    assert _user("a@example.vn") is None


def test_a_duplicate_email_is_refused_whatever_its_case(cli, make_user):
    make_user(email="hoa@example.vn")
    result = cli("users", "create", "--email", "HOA@example.vn", "--password", PASSWORD, "--role", "moderator")
    _refused(result, gettext("An account with this e-mail address already exists."))
    assert _count(User) == 1
    assert _user("hoa@example.vn").role is Role.CITIZEN


@pytest.mark.parametrize("password, message", [
    ("ngắn quá", ("The password must have at least %(n)d characters.", {"n": 10})),
    ("1234567890", ("This password is too easy to guess; choose a longer phrase.", {})),
    ("hoa.nguyen@example.vn", ("The password must not be your e-mail address.", {})),
])
def test_a_weak_password_is_refused(cli, password, message):
    result = cli("users", "create", "--email", "hoa.nguyen@example.vn", "--password", password, "--role", "admin")
    text, values = message
    _refused(result, gettext(text, **values))
    assert _user("hoa.nguyen@example.vn") is None


def test_an_invalid_email_is_refused(cli):
    result = cli("users", "create", "--email", "not-an-address", "--password", PASSWORD, "--role", "citizen")
    _refused(result, gettext("Enter a valid e-mail address, for example ten@example.vn."))
    assert _count(User) == 0


def test_a_refused_command_leaves_nothing_half_made(cli, make_agency):
    make_agency(code="SO-NV")
    cli("users", "create", "--email", "a@example.vn", "--password", "1234567890", "--role", "staff",
        "--agency", "SO-NV")
    result = cli("users", "create", "--email", "a@example.vn", "--password", PASSWORD, "--role", "staff",
                 "--agency", "SO-NV")
    assert result.exit_code == 0, result.output
    assert _count(User) == 1


# demo load


def _counts():
    return _count(Agency), _count(User), _count(Topic)


def test_loading_the_demo_creates_every_agency_topic_and_account_and_prints_the_accounts(cli):
    result = cli("demo", "load")
    assert result.exit_code == 0, result.output
    assert _counts() == (len(AGENCIES) + 1, len(ACCOUNTS), len(TOPICS))
    assert DEMO_PASSWORD in result.output
    for email, role, agency, name in ACCOUNTS:
        assert email in result.output
        user = _user(email)
        assert user.role is role
        assert (user.agency.code if user.agency else None) == agency


def test_loading_the_demo_twice_changes_nothing_the_second_time(cli):
    assert cli("demo", "load").exit_code == 0
    before = _counts()
    result = cli("demo", "load")
    assert result.exit_code == 0, result.output
    assert _counts() == before
    assert "admin@demo.gov.vn" in result.output


def test_demo_accounts_can_sign_in_with_the_printed_password(cli, auth):
    cli("demo", "load")
    assert auth.login("congdan@demo.vn", password=DEMO_PASSWORD).status_code == 302


def test_loading_the_demo_if_empty_skips_a_database_with_users(cli, make_user):
    make_user(email="someone@example.vn")
    before = _counts()
    result = cli("demo", "load", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "The database already holds data; demo data not loaded." in result.output
    assert _counts() == before
    assert _user("admin@demo.gov.vn") is None


def test_loading_the_demo_if_empty_loads_into_an_empty_database(cli):
    result = cli("demo", "load", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert _counts() == (len(AGENCIES) + 1, len(ACCOUNTS), len(TOPICS))


def test_the_demo_refuses_to_load_into_production(app, cli):
    env_name = app.config["ENV_NAME"]
    app.config["ENV_NAME"] = "production"
    try:
        result = cli("demo", "load")
    finally:
        app.config["ENV_NAME"] = env_name
    _refused(result, "Refusing to load demo accounts into a production portal.")
    assert _counts() == (0, 0, 0)
