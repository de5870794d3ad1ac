"""The migrations build exactly the models' schema, on SQLite and PostgreSQL; the database keeps its promises."""
import threading
import unicodedata

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from accounts.models import Agency, AgencyKind, Role, User
from database import include_in_schema_comparison
from extensions import db
from testapp import database_url, is_postgresql, make_test_app


def _differences(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                          "include_object": include_in_schema_comparison})
        return compare_metadata(context, db.metadata)


@pytest.mark.no_db_transaction
def test_migrating_an_empty_database_gives_exactly_the_models_schema(app):
    assert _differences(app) == []


@pytest.mark.no_db_transaction
def test_migrations_go_down_and_up_again_cleanly(tmp_path):
    app = make_test_app(database_url(tmp_path, "portal_migrations"))
    with app.app_context():
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() in ([], ["alembic_version"])
        upgrade()
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()


def test_text_is_stored_in_nfc(make_agency):
    decomposed = unicodedata.normalize("NFD", "Sở Văn hóa, Thể thao và Du lịch")
    agency = make_agency(name=decomposed)
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Agency.name).where(Agency.id == agency.id))
    assert stored == unicodedata.normalize("NFC", decomposed)
    assert stored != decomposed


def test_the_database_refuses_staff_without_an_agency(make_user):
    user = make_user(Role.CITIZEN)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(User).where(User.id == user.id).values(role=Role.STAFF.value))
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_an_unknown_role(make_user):
    user = make_user()
    with pytest.raises((sa.exc.IntegrityError, sa.exc.StatementError)):
        db.session.execute(sa.text("UPDATE user_account SET role = 'king' WHERE id = :id"), {"id": user.id})
        db.session.flush()
    db.session.rollback()


def test_agency_codes_are_unique_in_the_database(make_agency):
    make_agency(code="SO-A")
    db.session.add(Agency(code="SO-A", name="Trùng mã", kind=AgencyKind.DEPARTMENT))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.no_db_transaction
def test_concurrent_writers_never_see_database_is_locked(tmp_path):
    """Eight browsers signing in at once (each sign-in writes) all succeed, on either database."""
    from accounts import services

    app = make_test_app(database_url(tmp_path, "portal_concurrency"), LOGIN_ATTEMPTS_PER_IP="10000 per minute")
    with app.app_context():
        agency = services.create_agency("SO-X", "Sở X")
        for n in range(8):
            services.create_user(f"w{n}@example.vn", "mật khẩu thử nghiệm 2026", Role.STAFF, agency.code)
        db.session.commit()
        db.session.remove()
    results, errors = [], []

    def worker(n):
        client = app.test_client()
        try:
            for _ in range(15):
                response = client.post("/dang-nhap", data={"email": f"w{n}@example.vn",
                                                           "password": "mật khẩu thử nghiệm 2026"})
                results.append(response.status_code)
                client.post("/dang-xuat")
        except Exception as error:  # a locked database would surface here or as a 500
            errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [302] * 120
    with app.app_context():
        from accounts.models import UserSession

        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 120
        db.engine.dispose()


@pytest.mark.skipif(not is_postgresql(), reason="only on PostgreSQL")
def test_postgresql_goes_through_psycopg3_with_pre_ping(app):
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"
        assert db.engine.pool._pre_ping is True
