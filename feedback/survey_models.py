"""Completed dossiers reported by the one-stop-shop system, and what their applicants say about the service.

The applicant's contact data (name, phone, e-mail) is private: it serves only to find the survey of a dossier
by its code, and is never shown on a public page, a scorecard or an export.
"""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Agency, Topic, User, portable_enum
from database import NFCString, NFCText, utcnow
from extensions import db


class Channel(enum.StrEnum):
    """How the dossier was submitted and its result returned."""

    ONLINE = "online"
    COUNTER = "counter"
    POSTAL = "postal"

    @property
    def label(self):
        """The channel as users read it."""
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online"),
    Channel.COUNTER: _l("At the counter"),
    Channel.POSTAL: _l("By post"),
}


class SurveyVia(enum.StrEnum):
    """How the applicant reached the survey."""

    LINK = "link"      # the link or QR code of the result slip
    CODE = "code"      # dossier code plus phone or e-mail on record
    TABLET = "tablet"  # the tablet at the counter

    @property
    def label(self):
        """The way in as users read it."""
        return VIA_LABELS[self]


VIA_LABELS = {
    SurveyVia.LINK: _l("Link or QR code"),
    SurveyVia.CODE: _l("Dossier code"),
    SurveyVia.TABLET: _l("Counter tablet"),
}


class Procedure(db.Model):
    """An administrative procedure (thủ tục hành chính), known by its national code when the sender gives one."""

    __tablename__ = "procedure"
    __table_args__ = (
        sa.Index("uq_procedure_code", "code", unique=True,
                 sqlite_where=sa.text("code IS NOT NULL"), postgresql_where=sa.text("code IS NOT NULL")),
        sa.Index("uq_procedure_name_without_code", "name", unique=True,
                 sqlite_where=sa.text("code IS NULL"), postgresql_where=sa.text("code IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Optional[str]] = mapped_column(NFCString(40))
    name: Mapped[str] = mapped_column(NFCString(300))
    topic_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("topic.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Optional[Topic]] = relationship()

    def __repr__(self):
        return f"<Procedure {self.code or self.name[:30]}>"


class ApiKey(db.Model):
    """A key the one-stop-shop system sends as a Bearer token. Only its SHA-256 is stored."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NFCString(120))
    prefix: Mapped[str] = mapped_column(sa.String(16))  # shown to admins to tell keys apart
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"), index=True)  # None: any agency
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    last_used_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]
    revoked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    agency: Mapped[Optional[Agency]] = relationship()

    @property
    def active(self):
        """Whether the key is still accepted."""
        return self.revoked_at is None

    def may_post_for(self, agency_id):
        """A key bound to an agency reports only that agency's dossiers."""
        return self.agency_id is None or self.agency_id == agency_id


class ServiceCounter(db.Model):
    """A desk of an agency's one-stop shop, where a tablet may show the survey of the dossier just handed over."""

    __tablename__ = "service_counter"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(NFCString(80))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()


class CounterDevice(db.Model):
    """A tablet paired with a counter by a staff member. It holds no account: only this device's token."""

    __tablename__ = "counter_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("service_counter.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    paired_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    paired_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]

    counter: Mapped[ServiceCounter] = relationship()


class Dossier(db.Model):
    """A dossier (hồ sơ) of an administrative procedure, as the one-stop-shop system reported it."""

    __tablename__ = "dossier"
    __table_args__ = (
        sa.CheckConstraint("due_at IS NULL OR due_at >= received_at", name="due_after_received"),
        sa.CheckConstraint("completed_at IS NULL OR completed_at >= received_at", name="completed_after_received"),
        sa.Index("ix_dossier_agency_completed", "agency_id", "completed_on"),
        sa.Index("ix_dossier_procedure_completed", "procedure_id", "completed_on"),
        sa.Index("ix_dossier_completed", "completed_on"),
        sa.Index("ix_dossier_counter_handed_over", "counter_id", "handed_over_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(NFCString(64), unique=True)  # mã hồ sơ
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("procedure.id"))
    topic_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("topic.id"), index=True)  # lĩnh vực
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"))
    channel: Mapped[Channel] = mapped_column(portable_enum(Channel, "dossier_channel"))
    received_at: Mapped[datetime]
    due_at: Mapped[Optional[datetime]]
    completed_at: Mapped[Optional[datetime]]
    completed_on: Mapped[Optional[date]]  # the Vietnamese calendar day of completion: periods and months
    applicant_name: Mapped[Optional[str]] = mapped_column(NFCString(120))
    applicant_phone: Mapped[Optional[str]] = mapped_column(sa.String(20))
    applicant_email: Mapped[Optional[str]] = mapped_column(NFCString(254))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # of the reported data, to tell a repeat from a change
    survey_token: Mapped[str] = mapped_column(sa.String(64), unique=True)  # random; not derived from the code
    source: Mapped[str] = mapped_column(sa.String(10))  # api, csv
    api_key_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("api_key.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    counter_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("service_counter.id"))
    handed_over_at: Mapped[Optional[datetime]]

    procedure: Mapped[Procedure] = relationship()
    topic: Mapped[Optional[Topic]] = relationship()
    agency: Mapped[Agency] = relationship()
    counter: Mapped[Optional[ServiceCounter]] = relationship()
    response: Mapped[Optional["SurveyResponse"]] = relationship(back_populates="dossier", uselist=False)

    @property
    def completed(self):
        """Whether the result has been given: only then can the applicant rate the service."""
        return self.completed_at is not None

    @property
    def on_time(self):
        """Completed by the due time (None while open or without a due time)."""
        if self.completed_at is None or self.due_at is None:
            return None
        return self.completed_at <= self.due_at

    def __repr__(self):
        return f"<Dossier {self.code}>"


class SurveyResponse(db.Model):
    """The one answer a dossier may get. The unique dossier_id keeps it one under concurrent submissions."""

    __tablename__ = "survey_response"
    __table_args__ = (
        sa.CheckConstraint("scale IN (3, 5)", name="known_scale"),
        sa.CheckConstraint("rating >= 1 AND rating <= scale", name="rating_on_scale"),
        sa.Index("ix_survey_response_agency_answered", "agency_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="CASCADE"), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"))
    scale: Mapped[int] = mapped_column(sa.SmallInteger)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    satisfied: Mapped[bool]     # "hài lòng" or "rất hài lòng"
    dissatisfied: Mapped[bool]  # "không hài lòng" (and "rất không hài lòng" on five levels)
    via: Mapped[SurveyVia] = mapped_column(portable_enum(SurveyVia, "survey_via"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    details_at: Mapped[Optional[datetime]]  # when the optional criteria, reasons and comment were sent
    comment: Mapped[Optional[str]] = mapped_column(NFCText)

    dossier: Mapped[Dossier] = relationship(back_populates="response")
    details: Mapped[list["SurveyDetail"]] = relationship(back_populates="response", cascade="all, delete-orphan",
                                                         order_by="SurveyDetail.id")
    follow_up: Mapped[Optional["SurveyFollowUp"]] = relationship(back_populates="response", uselist=False)


class SurveyDetail(db.Model):
    """One optional answer: a criterion (item = its key) or a reason tag (item = "tag:<key>", value good/bad)."""

    __tablename__ = "survey_detail"
    __table_args__ = (sa.UniqueConstraint("response_id", "item"), sa.Index("ix_survey_detail_item", "item", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_response.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[str] = mapped_column(sa.String(20))

    response: Mapped[SurveyResponse] = relationship(back_populates="details")


class FollowUpReason(enum.StrEnum):
    """Why an answer needs the agency's attention."""

    DISSATISFIED = "dissatisfied"
    COMMENT = "comment"

    @property
    def label(self):
        """The reason as users read it."""
        return FOLLOW_UP_LABELS[self]


FOLLOW_UP_LABELS = {
    FollowUpReason.DISSATISFIED: _l("Dissatisfied"),
    FollowUpReason.COMMENT: _l("Comment"),
}


class SurveyFollowUp(db.Model):
    """An answer the agency's leaders must look into and close with a note."""

    __tablename__ = "survey_follow_up"
    __table_args__ = (sa.Index("ix_survey_follow_up_agency_open", "agency_id", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_response.id", ondelete="CASCADE"), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"))
    reason: Mapped[FollowUpReason] = mapped_column(portable_enum(FollowUpReason, "follow_up_reason"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[Optional[datetime]]
    closed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[Optional[str]] = mapped_column(NFCText)

    response: Mapped[SurveyResponse] = relationship(back_populates="follow_up")
    agency: Mapped[Agency] = relationship()
    closed_by: Mapped[Optional[User]] = relationship()

    @property
    def is_open(self):
        """Whether a leader still has to close it."""
        return self.closed_at is None
