"""Tables of notifications: the in-app inbox, the outbox with its channels, delivery preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime
from tongban.kernel.clock import now

BigId = BigInteger().with_variant(Integer, "sqlite")


class InboxMessage(Base):
    """One message to one account, shown in its inbox until read (and after)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, doc="Recipient account.")
    subject: Mapped[str] = mapped_column(String(200), doc="One-line subject, in the recipient's language.")
    body: Mapped[str] = mapped_column(Text, default="", doc="Message text, in the recipient's language.")
    link: Mapped[str] = mapped_column(String(300), default="", doc="Same-site path to what it is about.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was sent.")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When the recipient read it.")


class OutboxMessage(Base):
    """A notification waiting for, or done with, delivery on one channel (inbox, e-mail, SMS).

    ``dedupe_key`` makes a notification exist once (say one per enterprise × item version ×
    channel), however often the code that queues it runs; the sender claims a row, sends, and
    marks it sent, so a restarted worker resumes where the killed one stopped.
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True, doc="One notification per key.")
    channel: Mapped[str] = mapped_column(String(10), doc="inbox, email or sms.")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, doc="Recipient account.")
    address: Mapped[str] = mapped_column(String(200), default="", doc="E-mail address or mobile number.")
    topic: Mapped[str] = mapped_column(String(40), default="", doc="What it is about (a support type …).")
    subject: Mapped[str] = mapped_column(String(200), doc="One-line subject, in the recipient's language.")
    body: Mapped[str] = mapped_column(Text, default="", doc="Message text, in the recipient's language.")
    link: Mapped[str] = mapped_column(String(300), default="", doc="Same-site path to what it is about.")
    state: Mapped[str] = mapped_column(
        String(10), default="pending", doc="pending, sending, sent, failed, skipped."
    )
    not_before: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=now, doc="Not sent before (quiet hours)."
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="Send attempts so far.")
    last_error: Mapped[str] = mapped_column(Text, default="", doc="Why the last attempt failed.")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When a sender took it.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was queued.")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When the channel accepted it.")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When the recipient opened it.")


class DeliveryPreference(Base):
    """How an account wants to be told: channels beside the inbox, topics, quiet hours."""

    __tablename__ = "notify_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, doc="Account.")
    email: Mapped[bool] = mapped_column(default=True, doc="Also by e-mail (when an address is on file).")
    sms: Mapped[bool] = mapped_column(default=False, doc="Also by SMS (when a mobile number is on file).")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list, doc="Support types wanted; empty: all.")
    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00", doc="Local time quiet hours start.")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00", doc="Local time quiet hours end.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Last change.")
