"""The audit log: who did what to which object, and when. Services record; the request commits."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from database import NFCString, utcnow
from extensions import db


class AuditEntry(db.Model):
    """One recorded action of a staff member, leader, moderator, administrator or the system."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[Optional[str]] = mapped_column(sa.String(40))
    object_id: Mapped[Optional[int]]
    details: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    ip: Mapped[Optional[str]] = mapped_column(NFCString(64))


def record(action, obj=None, actor=None, **details):
    """Add an audit entry for an action on obj by actor (the signed-in user by default)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    # current_user is a proxy: record the object behind it, so the entry says "User".
    obj = obj._get_current_object() if hasattr(obj, "_get_current_object") else obj
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        details=details or None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
