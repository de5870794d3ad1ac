"""The portal with a server-sent events stream of a session's live updates, for measuring it against polling.

Served by gunicorn with gevent workers (one greenlet per open stream):

    gunicorn --config gunicorn.conf.py -k gevent -w 2 --worker-connections 20000 --max-requests 0 \
        "bench.sse_app:create_sse_app()"

How a change reaches every viewer, whichever worker or server holds the viewer's stream:

* publishing: every visible change already goes through `dialogue.services.bump()`, an UPDATE of the session's
  version. `install_publisher()` notes those UPDATEs (a SQLAlchemy `do_orm_execute` event) and, once the
  transaction has committed (`after_commit`), reads the committed version and publishes it on the Redis channel
  `dialogue:live:<session id>`. Nothing is published for a change that was rolled back, and any process that
  changes a session (a console request in any worker, the command line, a script) publishes, with no change
  to the services.
* fan-out: each worker process holds ONE Redis subscriber connection (pattern `dialogue:live:*`), started on the
  first stream it serves; a message wakes that process's streams of the session, which send
  `event: changed` with the version. Nothing but a cache of the latest version lives in the process: a stream
  starts from the version in the database, and a worker re-reads the versions of the sessions it streams every
  few seconds (one query per worker) and after a lost Redis connection, so a lost message delays viewers by a
  few seconds at worst instead of forever.
* the stream: `GET /doi-thoai/<id>/su-kien?v=<version shown>` (or `Last-Event-ID` on reconnect); a comment line
  every 15 s keeps proxies from closing it; `retry: 2000` makes a browser reconnect within the 3 s promise.
"""
import logging
import os
import threading
import time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, request
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

CHANNEL_PREFIX = "dialogue:live:"
HEARTBEAT_SECONDS = float(os.environ.get("SSE_HEARTBEAT_SECONDS", "15"))
RESYNC_SECONDS = float(os.environ.get("SSE_RESYNC_SECONDS", "5"))
RETRY_MS = 2000
# A read outside a GET request: on SQLite, BEGIN without the write lock (database.py takes it by default), or a
# worker would wait for a writer with the whole process blocked.
READ_ONLY = {"sqlite_immediate": False}

log = logging.getLogger("bench.sse")


class Hub:
    """One per worker process: the latest version of each streamed session, and the streams waiting on it."""

    def __init__(self):
        self.app = None
        self.versions = {}    # session id -> newest version known to this process
        self.waiting = {}     # session id -> Event set (and replaced) when the version moves on
        self.streams = {}     # session id -> open streams in this process
        self.lock = threading.Lock()
        self.started = False
        self.subscribed = threading.Event()

    def start(self, app):
        """Subscribe to Redis once per process (on the first stream, so after gunicorn forked the worker)."""
        with self.lock:
            if self.started:
                return
            self.started, self.app = True, app
        threading.Thread(target=self._listen, name="live-subscriber", daemon=True).start()
        threading.Thread(target=self._resync_loop, name="live-resync", daemon=True).start()

    def changed(self, session_id, version):
        """A newer version of a session: wake its streams in this process."""
        with self.lock:
            if version <= self.versions.get(session_id, 0):
                return
            self.versions[session_id] = version
            event = self.waiting.pop(session_id, None)
        if event is not None:
            event.set()

    def wait(self, session_id, known, timeout):
        """Wait until the session's version is past known; the version then, or None after timeout."""
        with self.lock:
            current = self.versions.get(session_id, 0)
            if current > known:
                return current
            event = self.waiting.get(session_id)
            if event is None:
                event = self.waiting[session_id] = threading.Event()
        if not event.wait(timeout):
            return None
        return self.versions.get(session_id, 0)

    def opened(self, session_id):
        with self.lock:
            self.streams[session_id] = self.streams.get(session_id, 0) + 1

    def closed(self, session_id):
        with self.lock:
            left = self.streams.get(session_id, 1) - 1
            if left:
                self.streams[session_id] = left
            else:
                self.streams.pop(session_id, None)

    def _listen(self):
        """The process's one subscriber connection; reconnects (and re-reads versions) after a failure."""
        import redis

        url = self.app.config.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        while True:
            try:
                client = redis.Redis.from_url(url, health_check_interval=30)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self.subscribed.set()
                try:
                    self.resync()  # whatever was published while this process was not listening
                except Exception:  # noqa: BLE001
                    log.exception("live updates: re-reading versions failed")
                for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    try:
                        session_id = int(message["channel"].rsplit(b":", 1)[1])
                        version = int(message["data"])
                    except (ValueError, IndexError):
                        continue
                    self.changed(session_id, version)
            except Exception:  # noqa: BLE001  (keep listening whatever happened; say it in the log)
                log.exception("live updates: Redis subscription lost; reconnecting")
                self.subscribed.clear()
                time.sleep(1)

    def _resync_loop(self):
        while True:
            time.sleep(RESYNC_SECONDS)
            try:
                self.resync()
            except Exception:  # noqa: BLE001
                log.exception("live updates: re-reading versions failed")

    def resync(self):
        """Read the versions of the sessions this process streams (one query) and wake what moved on."""
        with self.lock:
            ids = list(self.streams)
        if not ids:
            return
        from dialogue.models import DialogueSession
        from extensions import db

        with self.app.app_context(), db.engine.connect().execution_options(**READ_ONLY) as connection:
            rows = connection.execute(sa.select(DialogueSession.id, DialogueSession.version)
                                      .where(DialogueSession.id.in_(ids))).all()
        for session_id, version in rows:
            self.changed(session_id, version)


hub = Hub()
bp = Blueprint("live_events", __name__)


@bp.route("/doi-thoai/<int:session_id>/su-kien")
def session_events(session_id):
    """The stream of a session's changes: `event: changed` with the version, whenever it moves on."""
    from flask import current_app

    from dialogue.models import DialogueSession, SessionState as S
    from extensions import db

    row = db.session.execute(sa.select(DialogueSession.state, DialogueSession.version)
                             .where(DialogueSession.id == session_id)).first()
    db.session.close()  # give the connection back now: the stream may stay open for hours
    if row is None or row.state is S.DRAFT:
        abort(404)
    if row.state is S.ENDED:
        return Response(status=204)  # nothing more will change: a browser does not reconnect after a 204
    shown = request.headers.get("Last-Event-ID") or request.args.get("v") or row.version
    try:
        shown = int(shown)
    except ValueError:
        abort(400)
    hub.start(current_app._get_current_object())
    hub.changed(session_id, row.version)

    def stream():
        sent = shown
        hub.opened(session_id)
        try:
            yield f"retry: {RETRY_MS}\n\n"
            while True:
                version = hub.wait(session_id, sent, HEARTBEAT_SECONDS)
                if version is None:
                    yield ":\n\n"  # heartbeat
                elif version > sent:
                    sent = version
                    yield f"id: {version}\nevent: changed\ndata: {version}\n\n"
        finally:
            hub.closed(session_id)

    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
    return response


def _bumped_session_ids(statement):
    """The ids in `WHERE dialogue_session.id = :id` of an UPDATE of the session table."""
    ids = set()
    where = getattr(statement, "whereclause", None)
    if where is None:
        return ids
    for node in visitors.iterate(where):
        if (isinstance(node, BinaryExpression) and node.operator is operators.eq
                and getattr(node.left, "key", None) == "id" and isinstance(node.right, BindParameter)):
            ids.add(int(node.right.value))
    return ids


def install_publisher(app):
    """Publish a session's committed version on Redis whenever a transaction moved it (see the module doc)."""
    import redis

    from dialogue.models import DialogueSession
    from extensions import db

    url = app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL must be set: it carries live updates between processes.")
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    table = DialogueSession.__table__

    def note_bump(state):
        statement = state.statement
        if state.is_update and getattr(getattr(statement, "table", None), "name", None) == table.name:
            state.session.info.setdefault("live_bumped", set()).update(_bumped_session_ids(statement))

    def publish(session):
        ids = session.info.pop("live_bumped", None)
        if not ids:
            return
        # the committed session itself may not run SQL here
        with db.engine.connect().execution_options(**READ_ONLY) as connection:
            rows = connection.execute(sa.select(table.c.id, table.c.version).where(table.c.id.in_(ids))).all()
        for session_id, version in rows:
            try:
                client.publish(f"{CHANNEL_PREFIX}{session_id}", version)
            except redis.RedisError:
                log.exception("live updates: could not publish version %s of session %s", version, session_id)

    def forget(session):
        session.info.pop("live_bumped", None)

    sa.event.listen(OrmSession, "do_orm_execute", note_bump)
    sa.event.listen(OrmSession, "after_commit", publish)
    sa.event.listen(OrmSession, "after_rollback", forget)


def create_sse_app():
    """The portal, its live-update stream, and the publisher of changes."""
    from app import create_app

    app = create_app()
    app.register_blueprint(bp)
    install_publisher(app)
    return app
