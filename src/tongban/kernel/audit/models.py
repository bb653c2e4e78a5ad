"""The hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(
        BigInteger, unique=True, doc="Position in the chain, 1, 2, 3 … without gaps."
    )
    occurred_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), index=True, doc="When the change was made (UTC)."
    )
    actor_kind: Mapped[str] = mapped_column(String(20), doc="user, token, system or anonymous.")
    actor_id: Mapped[int | None] = mapped_column(doc="User or token id, when there is one.")
    actor_label: Mapped[str] = mapped_column(String(100), doc="User name or token name at the time.")
    org_id: Mapped[int | None] = mapped_column(index=True, doc="Organisation the change concerns.")
    action: Mapped[str] = mapped_column(String(80), index=True, doc="Dotted action name, e.g. org.rename.")
    object_type: Mapped[str] = mapped_column(String(50), doc="Kind of object changed or read.")
    object_id: Mapped[str] = mapped_column(String(80), index=True, doc="Its id.")
    summary: Mapped[str] = mapped_column(
        Text, doc="Canonical JSON summary of the change; no secrets or personal data."
    )
    request_id: Mapped[str | None] = mapped_column(String(40), doc="Request that caused it.")
    prev_hash: Mapped[str] = mapped_column(String(64), doc="Hash of the previous event.")
    hash: Mapped[str] = mapped_column(String(64), doc="SHA-256 over this event's fields and prev_hash.")


class AuditHead(Base):
    """A single row holding the chain's last position; locked while appending."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, doc="Always 1.")
    seq: Mapped[int] = mapped_column(BigInteger, doc="Seq of the last event (0 when empty).")
    hash: Mapped[str] = mapped_column(String(64), doc="Hash of the last event (genesis when empty).")
