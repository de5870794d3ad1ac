"""E-mail notifications through an outbox: a message is stored with the change that caused it, then sent."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import NFCString, NFCText, utcnow
from extensions import db


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent, or sent. Stored in the same transaction as its cause, so none is lost."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    to_address: Mapped[str] = mapped_column(NFCString(254))
    subject: Mapped[str] = mapped_column(NFCString(200))
    body: Mapped[str] = mapped_column(NFCText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(NFCString(500))
