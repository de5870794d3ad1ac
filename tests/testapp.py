"""Building the app under test on a fresh database of the configured kind (PORTAL_TEST_DB)."""
import os

import sqlalchemy as sa

from app import create_app

TEST_DB = os.environ.get("PORTAL_TEST_DB", "sqlite")
PASSWORD = "mật khẩu thử nghiệm 2026"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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

    import tempfile
    from pathlib import Path

    uploads = Path(tempfile.mkdtemp(prefix="portal-uploads-"))
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": uploads, **overrides})
    with app.app_context():
        upgrade()
    return app


def all_at_once(calls):
    """Run the calls in threads released together; return the errors raised (a duplicate row or a locked
    database would surface here)."""
    import threading

    barrier, errors = threading.Barrier(len(calls)), []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
