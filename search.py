"""Diacritic-insensitive full-text search, the same on SQLite (FTS5) and PostgreSQL (GIN over tsvector)."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import NFCText
from extensions import db


class SearchDocument(db.Model):
    """The searchable text of one published object, folded (no marks, đ→d, lower case) by fold()."""

    __tablename__ = "search_document"
    __table_args__ = (sa.UniqueConstraint("kind", "object_id", name="uq_search_document_object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[int]
    folded: Mapped[str] = mapped_column(NFCText)
    published_at: Mapped[Optional[datetime]]
