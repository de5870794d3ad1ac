"""Administrators' pages: accounts (roles, deactivation, obliging two-factor sign-in) and the e-mail outbox."""
import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from notifications import OutboxMessage
from web import render

from . import bp, services
from .auth import role_required
from .models import Role, User

PER_PAGE = 50
OUTBOX_SHOWN = 100


@bp.route("/quan-tri/nguoi-dung")
@role_required(Role.ADMIN)
def admin_users():
    """All accounts, officials first, with their state and actions."""
    query = request.args.get("q", "").strip()
    stmt = sa.select(User).order_by(User.role == Role.CITIZEN, User.role, User.email).limit(PER_PAGE)
    if query:
        stmt = stmt.where(sa.or_(User.email.contains(query.lower(), autoescape=True),
                                 User.display_name.contains(query, autoescape=True)))
    users = db.session.scalars(stmt).all()
    return render("admin/users.html", "admin/_user_rows.html", users=users, query=query)


def _target_user(user_id):
    """Load the user an administrator acts on; nobody acts on their own account here."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        abort(403)
    return user


@bp.route("/quan-tri/nguoi-dung/<int:user_id>/trang-thai", methods=["POST"])
@role_required(Role.ADMIN)
def admin_set_active(user_id):
    """Deactivate a user (signing them out everywhere at once) or activate them again."""
    user = _target_user(user_id)
    active = request.form.get("active") == "1"
    services.set_active(user, active, current_user)
    db.session.commit()
    if active:
        flash(_("%(email)s can sign in again.", email=user.email), "success")
    else:
        flash(_("%(email)s is deactivated and has been signed out.", email=user.email), "success")
    return redirect(url_for("accounts.admin_users"))


@bp.route("/quan-tri/nguoi-dung/<int:user_id>/xac-thuc-hai-lop", methods=["POST"])
@role_required(Role.ADMIN)
def admin_require_two_factor(user_id):
    """Oblige an official to sign in with two factors, or lift the obligation."""
    user = _target_user(user_id)
    required = request.form.get("required") == "1"
    try:
        services.set_two_factor_required(user, required, current_user)
    except services.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.admin_users"))
    db.session.commit()
    if required:
        flash(_("%(email)s must now sign in with two factors.", email=user.email), "success")
    else:
        flash(_("Two-factor sign-in is optional again for %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.admin_users"))


@bp.route("/quan-tri/thu-di")
@role_required(Role.ADMIN)
def admin_outbox():
    """The latest e-mail, newest first: what was sent, and what waits for another attempt and why."""
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    messages = db.session.scalars(stmt.limit(OUTBOX_SHOWN)).all()
    return render("admin/outbox.html", messages=messages, shown=OUTBOX_SHOWN)
