"""Online dialogue sessions, the officials taking part, the public's questions, votes and live answers."""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Agency, Topic, User, portable_enum
from database import NFCString, NFCText, utcnow
from extensions import db


class SessionState(enum.StrEnum):
    """draft → announced (questions open) → live → ended (archive)."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    LIVE = "live"
    ENDED = "ended"

    @property
    def label(self):
        """The state as users read it."""
        return SESSION_STATE_LABELS[self]


SESSION_STATE_LABELS = {
    SessionState.DRAFT: _l("Draft"),
    SessionState.ANNOUNCED: _l("Upcoming"),
    SessionState.LIVE: _l("Live now"),
    SessionState.ENDED: _l("Ended"),
}


class DialogueQuestionState(enum.StrEnum):
    """Where a question sent to a session stands."""

    NEW = "new"                  # waiting for moderation
    APPROVED = "approved"        # public, can be voted on
    SHORTLISTED = "shortlisted"  # public, picked for the officials
    ANSWERED = "answered"        # public, with its answer
    HIDDEN = "hidden"            # taken off the public list (rejected, or merged into another)

    @property
    def label(self):
        """The state as users read it."""
        return QUESTION_STATE_LABELS[self]


QUESTION_STATE_LABELS = {
    DialogueQuestionState.NEW: _l("New"),
    DialogueQuestionState.APPROVED: _l("Approved"),
    DialogueQuestionState.SHORTLISTED: _l("Shortlisted"),
    DialogueQuestionState.ANSWERED: _l("Answered"),
    DialogueQuestionState.HIDDEN: _l("Hidden"),
}

PUBLIC_QUESTION_STATES = (DialogueQuestionState.APPROVED, DialogueQuestionState.SHORTLISTED,
                          DialogueQuestionState.ANSWERED)


class DialogueSession(db.Model):
    """A scheduled public dialogue between officials and the people, kept afterwards as an archive."""

    __tablename__ = "dialogue_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("questions_close_at > questions_open_at", name="window_closes_after_opening"),
        sa.Index("ix_dialogue_session_state_starts", "state", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(NFCString(200))
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topic.id"))
    host_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    description_html: Mapped[str] = mapped_column(NFCText, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    questions_open_at: Mapped[datetime]
    questions_close_at: Mapped[datetime]
    stream_url: Mapped[Optional[str]] = mapped_column(NFCString(300))
    cover_image: Mapped[Optional[str]] = mapped_column(sa.String(64))
    state: Mapped[SessionState] = mapped_column(portable_enum(SessionState, "session_state"),
                                                default=SessionState.DRAFT)
    current_question_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("dialogue_question.id", use_alter=True, ondelete="SET NULL"))
    # Bumped by every change a viewer can see; live pages poll it (one indexed read) to know whether to refetch.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Topic] = relationship()
    host_agency: Mapped[Agency] = relationship()
    officials: Mapped[list["DialogueOfficial"]] = relationship(
        order_by="DialogueOfficial.position_order, DialogueOfficial.id", back_populates="session",
        cascade="all, delete-orphan")
    current_question: Mapped[Optional["DialogueQuestion"]] = relationship(foreign_keys=[current_question_id],
                                                                          post_update=True)


class DialogueOfficial(db.Model):
    """An official taking part in a session: name and position (chức vụ)."""

    __tablename__ = "dialogue_official"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue_session.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(NFCString(120))
    position: Mapped[str] = mapped_column(NFCString(200))
    position_order: Mapped[int] = mapped_column(default=0)

    session: Mapped[DialogueSession] = relationship(back_populates="officials")


class DialogueQuestion(db.Model):
    """A question sent to a session. Contact data is private; the name may be shown as anonymous."""

    __tablename__ = "dialogue_question"
    __table_args__ = (
        sa.CheckConstraint("vote_count >= 0", name="votes_not_negative"),
        sa.Index("ix_dialogue_question_session_state", "session_id", "state", "vote_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue_session.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    body: Mapped[str] = mapped_column(NFCText)
    public_body: Mapped[Optional[str]] = mapped_column(NFCText)
    asker_name: Mapped[str] = mapped_column(NFCString(120))
    anonymous: Mapped[bool] = mapped_column(default=False)
    asker_email: Mapped[Optional[str]] = mapped_column(NFCString(254))
    asker_phone: Mapped[Optional[str]] = mapped_column(NFCString(20))
    state: Mapped[DialogueQuestionState] = mapped_column(
        portable_enum(DialogueQuestionState, "dialogue_question_state"), default=DialogueQuestionState.NEW)
    category: Mapped[Optional[str]] = mapped_column(NFCString(80))
    merged_into_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dialogue_question.id"))
    hidden_reason: Mapped[Optional[str]] = mapped_column(NFCString(300))
    vote_count: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[Optional[datetime]]
    answered_at: Mapped[Optional[datetime]]

    session: Mapped[DialogueSession] = relationship(foreign_keys=[session_id])
    answer: Mapped[Optional["DialogueAnswer"]] = relationship(back_populates="question", uselist=False)

    @property
    def shown_body(self):
        """The question as the public sees it: the moderator's wording when there is one."""
        return self.public_body or self.body


class DialogueVote(db.Model):
    """One upvote per person or browser, kept unique by the database."""

    __tablename__ = "dialogue_vote"
    __table_args__ = (sa.UniqueConstraint("question_id", "voter_key", name="uq_dialogue_vote_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue_question.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DialogueAnswer(db.Model):
    """An official's answer to a question, published live, in sanitized light rich text."""

    __tablename__ = "dialogue_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue_question.id", ondelete="CASCADE"), unique=True)
    official_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("dialogue_official.id", ondelete="SET NULL"))
    body_html: Mapped[str] = mapped_column(NFCText)
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    typed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    question: Mapped[DialogueQuestion] = relationship(back_populates="answer")
    official: Mapped[Optional[DialogueOfficial]] = relationship()


class DialogueAnswerRevision(db.Model):
    """The earlier text of an answer edited after publication, kept for the record."""

    __tablename__ = "dialogue_answer_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue_answer.id", ondelete="CASCADE"), index=True)
    body_html: Mapped[str] = mapped_column(NFCText)
    edited_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)

    edited_by: Mapped[Optional[User]] = relationship()
