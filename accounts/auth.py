"""Who is signed in, and who may do what: sessions checked on the server, one role_required for views."""
from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from database import SAFE_METHODS, utcnow
from extensions import db, login_manager
from web import is_htmx, wants_json

from . import services
from .models import Role, UserSession

SESSION_TOKEN_KEY = "sid"
TOUCH_EVERY_SECONDS = 60


@login_manager.user_loader
def load_user(user_id):
    """Accept the cookie's user only while its server-side session is alive, fresh and the user active."""
    token = session.get(SESSION_TOKEN_KEY)
    record = services.find_session(token)
    if record is None or str(record.user_id) != str(user_id):
        return None
    now = utcnow()
    config = current_app.config
    if record.expired(now, config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]):
        session.clear()
        return None
    user = record.user
    if not user.active:
        return None
    if (now - record.last_seen_at).total_seconds() > TOUCH_EVERY_SECONDS:
        _touch(record.id, now)
    return user


def _touch(record_id, now):
    """Move the idle clock forward: on a page read in a short transaction of its own, so reading stays
    read-only; on a writing request inside its own transaction, which on SQLite already holds the write lock
    (a second connection would wait for it until it timed out)."""
    statement = sa.update(UserSession).where(UserSession.id == record_id).values(last_seen_at=now)
    bind = db.session.get_bind()
    if request.method not in SAFE_METHODS:
        db.session.execute(statement)
    elif isinstance(bind, sa.Engine):
        with bind.execution_options(sqlite_immediate=True).begin() as conn:
            conn.execute(statement)
    else:  # the session is bound to one connection (a test's transaction): write through it
        bind.execute(statement)


def sign_in(user):
    """Start a fresh server-side session for user (a new cookie, so a planted one is useless)."""
    lang = session.get("lang")
    session.clear()
    token = services.start_session(user, request.headers.get("User-Agent"))
    session[SESSION_TOKEN_KEY] = token
    session.permanent = True
    if lang:
        session["lang"] = lang
    login_user(user)


def sign_out():
    """End this browser's session on the server and forget it in the cookie."""
    services.end_session(session.get(SESSION_TOKEN_KEY))
    logout_user()
    session.clear()


def current_token():
    """The server-side session token of this browser."""
    return session.get(SESSION_TOKEN_KEY)


def safe_next(target, fallback="main.home"):
    """A local path to go to after signing in; anything pointing elsewhere falls back home."""
    if target:
        target = target.replace("\\", "/").strip()
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and not any(ord(c) < 32 for c in target)):
            return target
    return url_for(fallback)


@login_manager.unauthorized_handler
def unauthorized():
    """Anonymous visitor on a protected page: a page goes to sign-in; htmx and JSON get 401."""
    login_url = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        current = request.headers.get("HX-Current-URL")
        next_path = urlsplit(current).path if current else request.path
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = url_for("accounts.login", next=next_path)
        return response
    if wants_json():
        abort(401)
    flash(_("Please sign in to continue."), "info")
    return redirect(login_url)


def role_required(*roles):
    """Let a view run only for signed-in users holding one of roles (any signed-in user when empty)."""
    allowed = {Role(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return unauthorized()
            if allowed and current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # read by the tests that walk every route
        return wrapped

    return decorator


OFFICIAL_ROLES = (Role.STAFF, Role.LEADER, Role.MODERATOR, Role.ADMIN)
