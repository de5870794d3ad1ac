"""Fixtures: the app on SQLite or PostgreSQL (PORTAL_TEST_DB), a database rolled back after each test,
factories with good defaults, and a signed-in client per role."""
import itertools
import os

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession

from accounts import services
from accounts.models import AgencyKind, Role, Topic
from app import create_app
from extensions import db, limiter

TEST_DB = os.environ.get("PORTAL_TEST_DB", "sqlite")
PASSWORD = "mật khẩu thử nghiệm 2026"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_report_header(config):
    """Say which database this run uses, so a log shows it."""
    kind = "sqlite" if TEST_DB == "sqlite" else "postgresql"
    return [f"portal test database: {kind}"]


def is_postgresql():
    """Whether this run tests on PostgreSQL."""
    return TEST_DB != "sqlite"


def database_url(tmp_dir, schema):
    """A URL for a fresh, empty database of the configured kind."""
    if TEST_DB == "sqlite":
        return f"sqlite:///{tmp_dir / (schema + '.sqlite3')}"
    from config import database_url as normalise

    url = sa.make_url(normalise(TEST_DB))
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a schema of our own in the given database, dropped and made anew
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    url = url.update_query_dict({"options": f"-csearch_path={schema},public"})
    return url.render_as_string(hide_password=False)


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses scrypt
    "RATELIMIT_STORAGE_URI": "memory://",
    "WTF_CSRF_ENABLED": False,  # switched on by the csrf fixture and in every browser test
}


def make_test_app(url, **overrides):
    """An app on url, with its schema built by the migrations."""
    from flask_migrate import upgrade

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **overrides})
    with app.app_context():
        upgrade()
    return app


def _fresh_request_globals(sender, **extra):
    """Tests run inside an app context that the test client reuses for every request; give each
    request an empty `g`, as it has in production (Flask-Login keeps the loaded user there)."""
    from flask import g

    g.__dict__.clear()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app under test, on a database made by the migrations."""
    from flask import request_started

    app = make_test_app(database_url(tmp_path_factory.mktemp("db"), "portal_test"))
    request_started.connect(_fresh_request_globals, app)
    yield app
    with app.app_context():
        db.engine.dispose()


class OneConnectionSession(FlaskSession):
    """Every query goes through the test's connection, inside its transaction."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run each test inside a transaction that is rolled back, so tests never see each other's data."""
    if "no_db_transaction" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({
            "bind": connection, "join_transaction_mode": "create_savepoint", "class_": OneConnectionSession,
        })
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def csrf(app):
    """Switch CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


_counter = itertools.count(1)


@pytest.fixture
def make_agency(app):
    """Create an agency; every argument has a good default."""
    def factory(code=None, name=None, kind=AgencyKind.DEPARTMENT, parent=None):
        n = next(_counter)
        agency = services.create_agency(code or f"AG-{n}", name or f"Sở Thử nghiệm {n}", kind,
                                        parent.code if parent else None)
        db.session.commit()
        return agency
    return factory


@pytest.fixture
def make_user(app, make_agency):
    """Create a user of a role; staff and leaders get an agency of their own unless one is given."""
    def factory(role=Role.CITIZEN, agency=None, email=None, password=PASSWORD, name=None, active=True):
        role = Role(role)
        if role.is_agency_role and agency is None:
            agency = make_agency()
        n = next(_counter)
        user = services.create_user(email or f"user{n}@example.vn", password, role,
                                    agency.code if agency else None, name or f"Người dùng {n}")
        user.active = active
        db.session.commit()
        return user
    return factory


@pytest.fixture
def make_topic(app):
    """Create a topic (lĩnh vực)."""
    def factory(name=None, slug=None):
        n = next(_counter)
        topic = Topic(slug=slug or f"linh-vuc-{n}", name=name or f"Lĩnh vực {n}")
        db.session.add(topic)
        db.session.commit()
        return topic
    return factory


class Auth:
    """Sign a test client in and out."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD, **kwargs):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/dang-nhap", data={"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/dang-xuat")


@pytest.fixture
def auth(client):
    """Sign-in helper for the test client."""
    return Auth(client)


@pytest.fixture
def login_as(client, auth, make_user):
    """Sign in a new user of the given role and return it."""
    def factory(role, **kwargs):
        user = make_user(role, **kwargs)
        response = auth.login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user
    return factory
