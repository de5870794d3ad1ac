"""The data layer's guarantees: NFC text without NUL bytes, SQLite tuned for concurrent writers."""
import unicodedata
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utcnow():
    """The current time in UTC, without tzinfo, as every timestamp is stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def normalize_text(value):
    """Return text in Unicode NFC; refuse a NUL byte, which PostgreSQL cannot store."""
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError("text contains a NUL byte")
    return unicodedata.normalize("NFC", value)


class NFCString(TypeDecorator):
    """A VARCHAR whose values are stored in NFC, so that search and uniqueness see one spelling."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return normalize_text(value)


class NFCText(NFCString):
    """A TEXT column with the same NFC guarantee."""

    impl = sa.Text
    cache_ok = True


def _wants_write_lock(conn):
    """Whether a SQLite transaction should take the write lock up front."""
    option = conn.get_execution_options().get("sqlite_immediate")
    if option is not None:
        return option
    if has_request_context():
        return request.method not in SAFE_METHODS
    return True


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, record):
    """WAL lets readers run beside a writer; the busy timeout makes writers queue instead of failing."""
    import sqlite3

    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin); pysqlite's own handling defers it too late.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Writing requests take the lock at BEGIN, so a read can never be upgraded into 'database is locked'."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock(conn) else "BEGIN")


def contains_nul(value):
    """Whether a value from a request (str, list or dict, nested) holds a NUL byte."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_nul(v) for v in value)
    return False


def request_has_nul():
    """Whether the current request carries a NUL byte in its path, query, form or JSON body."""
    if "\x00" in request.path or contains_nul(list(request.args.items(multi=True))):
        return True
    if request.method in SAFE_METHODS:
        return False
    if request.is_json:
        return contains_nul(request.get_json(silent=True))
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return contains_nul(list(request.form.items(multi=True)))
    return False


def database_answers(session):
    """Whether the database answers a trivial query."""
    try:
        session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        session.rollback()
        return False


# Objects the migrations create by hand for one database only (the full-text index); not in the models.
UNMODELLED = ("search_fts", "ix_search_document_fts")


def include_in_schema_comparison(obj, name, type_, reflected, compare_to):
    """Leave the hand-made full-text objects out when comparing the models with the database."""
    return not (name or "").startswith(UNMODELLED)
