"""Accounts, log-in sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.permissions import Role


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # One administrator per enterprise.
        Index(
            "uq_users_enterprise_admin",
            "uscc",
            unique=True,
            sqlite_where=text("is_enterprise_admin = 1"),
            postgresql_where=text("is_enterprise_admin"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(
        String(50), unique=True, doc="Log-in name, case-insensitive (stored lower-case)."
    )
    display_name: Mapped[str] = mapped_column(String(100), doc="Name shown in the interface.")
    password_hash: Mapped[str] = mapped_column(String(200), doc="Argon2id hash.")
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True, doc="What the account is for.")
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True, doc="Organisation of a staff account."
    )
    uscc: Mapped[str | None] = mapped_column(
        String(18), index=True, doc="Enterprise of an enterprise account (统一社会信用代码)."
    )
    enterprise_name: Mapped[str | None] = mapped_column(String(200), doc="Name of that enterprise.")
    is_enterprise_admin: Mapped[bool] = mapped_column(
        default=False, doc="Manages the other accounts of the enterprise."
    )
    ric: Mapped[str | None] = mapped_column(
        String(18), unique=True, doc="Resident ID number of a citizen account; personal data, never logged."
    )
    email: Mapped[str | None] = mapped_column(String(200), doc="Contact e-mail.")
    phone: Mapped[str | None] = mapped_column(String(20), doc="Contact mobile number.")
    language: Mapped[str | None] = mapped_column(String(10), doc="Preferred language, zh-CN or en.")
    active: Mapped[bool] = mapped_column(default=True, doc="Deactivated accounts cannot log in.")
    failed_logins: Mapped[int] = mapped_column(default=0, doc="Consecutive failed log-ins.")
    locked_until: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="Locked after repeated failures until then."
    )
    must_change_password: Mapped[bool] = mapped_column(
        default=False, doc="Set when an administrator chose the password."
    )
    password_changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=now, doc="Last password change."
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="Last successful log-in.")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=now, doc="When the account was created."
    )

    org: Mapped[Organisation | None] = relationship(lazy="joined")


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(
        String(64), primary_key=True, doc="SHA-256 of the session token kept in the cookie."
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, doc="Whose session."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Log-in time.")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), doc="Absolute end of the session.")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="Log-out or password change.")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), doc="What system uses it.")
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True, doc="Department the token acts for."
    )
    permissions: Mapped[list[str]] = mapped_column(JSON, doc="Granted permission names.")
    prefix: Mapped[str] = mapped_column(
        String(16), doc="Public first part of the token, to recognise it in lists."
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 of the whole token.")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), doc="Who created it.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was created.")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), doc="It stops working then.")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="Revoked then.")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="Last successful use.")

    org: Mapped[Organisation] = relationship(lazy="joined")
