"""Questions from citizens, their answers, and everything that happens to them on the way."""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Agency, Topic, User, portable_enum
from database import NFCString, NFCText, utcnow
from extensions import db


class QuestionState(enum.StrEnum):
    """Where a question stands; the allowed moves are in feedback/workflow.py."""

    SUBMITTED = "submitted"          # waiting for a moderator
    REJECTED = "rejected"            # refused by a moderator, with a reason
    ASSIGNED = "assigned"            # with an agency, no answer yet
    DRAFTED = "drafted"              # an answer is being written
    PENDING_APPROVAL = "pending_approval"  # waiting for the agency's leader
    PUBLISHED = "published"          # answered and public
    FORWARDED = "forwarded"          # returned by the agency to the moderator, with a reason

    @property
    def label(self):
        """The state's name as users read it."""
        return STATE_LABELS[self]


STATE_LABELS = {
    QuestionState.SUBMITTED: _l("Awaiting moderation"),
    QuestionState.REJECTED: _l("Rejected"),
    QuestionState.ASSIGNED: _l("Received"),
    QuestionState.DRAFTED: _l("In progress"),
    QuestionState.PENDING_APPROVAL: _l("Awaiting leader approval"),
    QuestionState.PUBLISHED: _l("Answered"),
    QuestionState.FORWARDED: _l("Returned to the moderator"),
}

OPEN_STATES = (QuestionState.ASSIGNED, QuestionState.DRAFTED, QuestionState.PENDING_APPROVAL)


class RejectionReason(enum.StrEnum):
    """Why a moderator refused a question."""

    SPAM = "spam"
    ABUSIVE = "abusive"
    DUPLICATE = "duplicate"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def label(self):
        """The reason as users read it."""
        return REASON_LABELS[self]


REASON_LABELS = {
    RejectionReason.SPAM: _l("Spam or advertising"),
    RejectionReason.ABUSIVE: _l("Abusive or unlawful content"),
    RejectionReason.DUPLICATE: _l("Already asked and answered"),
    RejectionReason.OUT_OF_SCOPE: _l("Outside the portal's scope"),
}


class Question(db.Model):
    """A citizen's question. The asker's contact data is private: never on a public page, feed or export."""

    __tablename__ = "question"
    __table_args__ = (
        sa.CheckConstraint("asker_email IS NOT NULL OR asker_phone IS NOT NULL", name="has_contact"),
        sa.CheckConstraint("state != 'rejected' OR rejection_reason IS NOT NULL", name="rejection_has_reason"),
        sa.Index("ix_question_public_list", "state", "published_at", "id"),
        sa.Index("ix_question_agency_state_due", "agency_id", "state", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(NFCString(200))
    body: Mapped[str] = mapped_column(NFCText)
    public_title: Mapped[Optional[str]] = mapped_column(NFCString(200))
    public_body: Mapped[Optional[str]] = mapped_column(NFCText)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topic.id"), index=True)
    requested_agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"))
    agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"))
    state: Mapped[QuestionState] = mapped_column(portable_enum(QuestionState, "question_state"),
                                                 default=QuestionState.SUBMITTED)
    asker_name: Mapped[str] = mapped_column(NFCString(120))
    asker_email: Mapped[Optional[str]] = mapped_column(NFCString(254))
    asker_phone: Mapped[Optional[str]] = mapped_column(NFCString(20))
    asker_address: Mapped[Optional[str]] = mapped_column(NFCString(300))
    consent_publish: Mapped[bool] = mapped_column(default=False)
    asker_user_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    assigned_at: Mapped[Optional[datetime]]
    due_on: Mapped[Optional[date]]
    published_at: Mapped[Optional[datetime]]
    rejection_reason: Mapped[Optional[RejectionReason]] = mapped_column(
        portable_enum(RejectionReason, "rejection_reason"))
    rejection_note: Mapped[Optional[str]] = mapped_column(NFCText)
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("question.id"))
    claimed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    helpful_yes: Mapped[int] = mapped_column(default=0)
    helpful_no: Mapped[int] = mapped_column(default=0)

    topic: Mapped[Topic] = relationship()
    agency: Mapped[Optional[Agency]] = relationship(foreign_keys=[agency_id])
    requested_agency: Mapped[Optional[Agency]] = relationship(foreign_keys=[requested_agency_id])
    claimed_by: Mapped[Optional[User]] = relationship(foreign_keys=[claimed_by_id])
    duplicate_of: Mapped[Optional["Question"]] = relationship(remote_side=[id])
    answer: Mapped[Optional["Answer"]] = relationship(back_populates="question", uselist=False)
    events: Mapped[list["QuestionEvent"]] = relationship(order_by="QuestionEvent.id", back_populates="question")
    attachments: Mapped[list["Attachment"]] = relationship(order_by="Attachment.id", back_populates="question")

    @property
    def shown_title(self):
        """The title as the public sees it: the moderator's wording when there is one."""
        return self.public_title or self.title

    @property
    def shown_body(self):
        """The question as the public sees it: the moderator's wording when there is one."""
        return self.public_body or self.body


class Answer(db.Model):
    """An agency's answer to one question, in sanitized light rich text."""

    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), unique=True)
    body_html: Mapped[str] = mapped_column(NFCText, default="")
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    approved_at: Mapped[Optional[datetime]]
    published_at: Mapped[Optional[datetime]]

    question: Mapped[Question] = relationship(back_populates="answer")
    author: Mapped[Optional[User]] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[Optional[User]] = relationship(foreign_keys=[approved_by_id])


class QuestionEvent(db.Model):
    """One step in a question's history: who moved it from which state to which, when and why."""

    __tablename__ = "question_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[Optional[str]] = mapped_column(sa.String(20))
    to_state: Mapped[Optional[str]] = mapped_column(sa.String(20))
    agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"))
    note: Mapped[Optional[str]] = mapped_column(NFCText)

    question: Mapped[Question] = relationship(back_populates="events")
    actor: Mapped[Optional[User]] = relationship()
    agency: Mapped[Optional[Agency]] = relationship()


class InternalNote(db.Model):
    """A note on a question for the agency's staff and the moderators only."""

    __tablename__ = "internal_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(NFCText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Optional[User]] = relationship()


class Attachment(db.Model):
    """A file sent with a question, stored outside static/ under a generated name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(NFCString(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))

    question: Mapped[Question] = relationship(back_populates="attachments")


class HelpfulVote(db.Model):
    """'Was this answer helpful?' — one vote per person or browser, kept unique by the database."""

    __tablename__ = "helpful_vote"
    __table_args__ = (sa.UniqueConstraint("question_id", "voter_key", name="uq_helpful_vote_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(sa.String(64))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Holiday(db.Model):
    """A public holiday or day off: not a working day for due dates."""

    __tablename__ = "holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(NFCString(120))
