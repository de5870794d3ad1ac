"""Users, roles, agencies, topics and the server-side record of each signed-in session."""
import enum
import hashlib
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import NFCString, utcnow
from extensions import db


class Role(enum.StrEnum):
    """What a user may do; see PRODUCT.md, Roles."""

    CITIZEN = "citizen"
    STAFF = "staff"
    LEADER = "leader"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def label(self):
        """The role's name as users read it."""
        return ROLE_LABELS[self]

    @property
    def is_agency_role(self):
        """Staff and leaders work for one agency."""
        return self in (Role.STAFF, Role.LEADER)

    @property
    def is_official(self):
        """Roles that act for the state, and may (or must) sign in with two factors."""
        return self is not Role.CITIZEN


ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.STAFF: _l("Agency staff"),
    Role.LEADER: _l("Agency leader"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}


class AgencyKind(enum.StrEnum):
    """Where an agency stands in the province's administration."""

    PROVINCE_OFFICE = "province_office"
    DEPARTMENT = "department"
    DISTRICT = "district"

    @property
    def label(self):
        """The kind's name as users read it."""
        return AGENCY_KIND_LABELS[self]


AGENCY_KIND_LABELS = {
    AgencyKind.PROVINCE_OFFICE: _l("Provincial office"),
    AgencyKind.DEPARTMENT: _l("Department"),
    AgencyKind.DISTRICT: _l("District People's Committee"),
}


def portable_enum(cls, name):
    """A portable enum column: a short string with a CHECK constraint on both databases."""
    return sa.Enum(
        cls, name=name, native_enum=False, create_constraint=True, length=20,
        values_callable=lambda e: [m.value for m in e], validate_strings=True,
    )


class Agency(db.Model):
    """A state body that answers questions: a department, a district People's Committee, an office."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(NFCString(32), unique=True)
    name: Mapped[str] = mapped_column(NFCString(200))
    kind: Mapped[AgencyKind] = mapped_column(portable_enum(AgencyKind, "agency_kind"))
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Optional["Agency"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Agency"]] = relationship(back_populates="parent", order_by="Agency.name")

    def __repr__(self):
        return f"<Agency {self.code}>"


class Topic(db.Model):
    """A field (lĩnh vực) that questions, sessions and procedures belong to."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(NFCString(120), unique=True)  # the one-stop-shop system names fields

    def __repr__(self):
        return f"<Topic {self.slug}>"


class User(UserMixin, db.Model):
    """A person who signs in: an optional citizen account or an official of the portal."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "role NOT IN ('staff', 'leader') OR agency_id IS NOT NULL", name="agency_role_has_agency"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(NFCString(254), unique=True)
    display_name: Mapped[str] = mapped_column(NFCString(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(portable_enum(Role, "role"), index=True)
    agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]
    totp_secret: Mapped[Optional[str]] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[Optional[datetime]]
    totp_last_counter: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    two_factor_required: Mapped[bool] = mapped_column(default=False)

    agency: Mapped[Optional[Agency]] = relationship()

    @property
    def is_active(self):
        """Flask-Login refuses inactive users."""
        return self.active

    @property
    def two_factor_enabled(self):
        """Whether signing in asks for a one-time code."""
        return self.totp_enabled_at is not None

    @property
    def must_set_up_two_factor(self):
        """An official whom an administrator obliged to use two factors, who has not yet."""
        return self.two_factor_required and not self.two_factor_enabled

    def has_role(self, *roles):
        """Whether the user holds one of the given roles."""
        return self.role in roles

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


def hash_token(token):
    """The stored form of a session token: a leaked table does not give working cookies."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(db.Model):
    """One signed-in browser. Ending it here signs that browser out, whatever its cookie says."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[Optional[datetime]]
    user_agent: Mapped[Optional[str]] = mapped_column(NFCString(200))

    user: Mapped[User] = relationship()

    def expired(self, now, idle, absolute):
        """Whether the session has ended, sat idle too long, or outlived its absolute limit."""
        return (
            self.ended_at is not None
            or now - self.last_seen_at > idle
            or now - self.created_at > absolute
        )
