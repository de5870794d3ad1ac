"""A prototype measured by bench/live_transport.py, not part of the portal: the unchanged live poll answered in
front of Flask.

`dialogue.live.unchanged()` already answers an unchanged poll with one primary-key read, but only after the whole
Flask request has been set up (session cookie, Flask-Login, Flask-Limiter, guards) and through the ORM session
(pool pre-ping, BEGIN/ROLLBACK). This WSGI wrapper answers the same poll - same conditions, same entity tag, same
304 - from the same database before any of that, with one prepared read on a pooled connection. Anything it is not
sure of goes on to the portal unchanged. Nothing is kept in the process between requests: the version is read
from the database every time, so any worker on any server answers the same.

    gunicorn --config gunicorn.conf.py "bench.poll_gate:create_gated_app()"
"""
import re
from urllib.parse import parse_qs

import sqlalchemy as sa

# The live region and the projector poll their own page (dialogue/routes.py); HX-Target names the fragment.
POLLED = re.compile(r"^/doi-thoai/(\d+)(/trinh-chieu)?$")
TARGETS = {None: "#live", "/trinh-chieu": "#projector"}
HEADERS = [("Vary", "HX-Target, HX-Request, Cookie"), ("X-Content-Type-Options", "nosniff"),
           ("X-Frame-Options", "DENY"), ("Referrer-Policy", "strict-origin-when-cross-origin")]


class PollGate:
    """WSGI middleware: 304 for a live poll whose If-None-Match names the session's current version."""

    def __init__(self, app):
        self.app = app
        self.inner = app.wsgi_app
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        # Its own small pool: no pre-ping (a failed read falls through to the portal, which has one), autocommit.
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                                       pool_size=4, max_overflow=4)
        self.query = ("SELECT state, version FROM dialogue_session WHERE id = "
                      + ("%s" if self.engine.dialect.name == "postgresql" else "?"))
        self.secure = bool(app.config.get("SESSION_COOKIE_SECURE"))

    def __call__(self, environ, start_response):
        tag = self._unchanged(environ)
        if tag is None:
            return self.inner(environ, start_response)
        headers = [("ETag", tag), ("Cache-Control", "no-store" if environ.get("HTTP_COOKIE") else "no-cache"),
                   *HEADERS]
        if self.secure:
            headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        start_response("304 NOT MODIFIED", headers)
        return []

    def _unchanged(self, environ):
        sent = environ.get("HTTP_IF_NONE_MATCH")
        if not sent or environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_HX_REQUEST") != "true":
            return None
        if environ.get("HTTP_HX_REQUEST_TYPE", "partial") != "partial" or environ.get("HTTP_HX_BOOSTED") == "true":
            return None
        found = POLLED.match(environ.get("PATH_INFO", ""))
        if not found or not environ.get("HTTP_HX_TARGET", "").endswith(TARGETS[found.group(2)]):
            return None
        if "\x00" in environ.get("PATH_INFO", "") or "%00" in environ.get("QUERY_STRING", "") or any(
                "\x00" in v for values in parse_qs(environ.get("QUERY_STRING", "")).values() for v in values):
            return None  # the portal refuses it with its own error page
        session_id = int(found.group(1))
        try:
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(self.query, (session_id,))
                row = cursor.fetchone()
                cursor.close()
            finally:
                connection.close()
        except Exception:  # noqa: BLE001  (the portal answers instead, and reports the database's state)
            return None
        if row is None or row[0] == "draft":
            return None
        tag = f'"{session_id}-{row[1]}"'
        # If-None-Match: a list of entity tags or *, compared as the portal does (strong tags only)
        offered = {part.strip() for part in sent.split(",")}
        return tag if tag in offered or "*" in offered else None


def create_gated_app():
    """The portal behind the gate."""
    from app import create_app

    app = create_app()
    app.wsgi_app = PollGate(app)
    return app
