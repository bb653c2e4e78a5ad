"""Tables of notifications: the in-app inbox (an outbox with e-mail and SMS channels comes later)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
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
