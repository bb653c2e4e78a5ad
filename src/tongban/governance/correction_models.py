"""Tables of conflicts between departments and of corrections (数据纠错 / 异议).

See ``conflicts`` (finding conflicts, resolution rules, manual decisions) and ``corrections``
(tickets: file, accept, reject, withdraw) for the use cases.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime, str_enum
from tongban.governance.conflicts_domain import ResolutionKind
from tongban.governance.corrections_domain import Status as CorrectionStatus
from tongban.kernel.clock import now

BigId = BigInteger().with_variant(Integer, "sqlite")


class ConflictRule(Base):
    """How the value of one data element is resolved when departments disagree."""

    __tablename__ = "conflict_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    element_key: Mapped[str] = mapped_column(String(60), unique=True, doc="Data element (its key).")
    kind: Mapped[ResolutionKind] = mapped_column(
        str_enum(ResolutionKind), doc="Authoritative source, most recent value, or manual decision."
    )
    authoritative_resource: Mapped[str | None] = mapped_column(
        String(60), doc="Resource code whose value wins, for an authoritative rule."
    )
    note: Mapped[str] = mapped_column(Text, default="", doc="Why this rule (shown to stewards).")
    updated_by: Mapped[str] = mapped_column(String(100), default="", doc="Who set it last.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was set last.")


class ConflictDecision(Base):
    """A steward's or administrator's decision of which value is right for one subject and element."""

    __tablename__ = "conflict_decisions"
    __table_args__ = (UniqueConstraint("subject", "element_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(30), index=True, doc="USCC or resident ID.")
    element_key: Mapped[str] = mapped_column(String(60), doc="Data element (its key).")
    resource_code: Mapped[str] = mapped_column(String(60), doc="Resource whose value was chosen.")
    department: Mapped[str] = mapped_column(String(200), doc="Name of the department providing it.")
    value: Mapped[str] = mapped_column(Text, doc="The chosen value, canonical JSON.")
    recorded_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), doc="valid_from of the record version that held the chosen value."
    )
    note: Mapped[str] = mapped_column(Text, default="", doc="Why this value (the decider's note).")
    decided_by: Mapped[str] = mapped_column(String(100), doc="Who decided.")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When.")


class Conflict(Base):
    """Two resources holding different current values of one element for one subject (found by a scan)."""

    __tablename__ = "conflicts"
    __table_args__ = (
        UniqueConstraint("element_key", "subject", "resource_a", "resource_b"),
        Index("ix_conflicts_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    element_key: Mapped[str] = mapped_column(String(60), index=True, doc="Data element (its key).")
    subject: Mapped[str] = mapped_column(String(30), doc="USCC or resident ID the values are about.")
    resource_a: Mapped[str] = mapped_column(String(60), doc="First resource (code), in code order.")
    org_a_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True, doc="Its department.")
    field_a: Mapped[str] = mapped_column(String(100), doc="Its field holding the value.")
    record_key_a: Mapped[str] = mapped_column(String(200), doc="Its record holding the value.")
    value_a: Mapped[str] = mapped_column(Text, doc="Its current value, canonical JSON.")
    recorded_a: Mapped[datetime] = mapped_column(UTCDateTime(), doc="When that value was recorded.")
    resource_b: Mapped[str] = mapped_column(String(60), doc="Second resource (code).")
    org_b_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True, doc="Its department.")
    field_b: Mapped[str] = mapped_column(String(100), doc="Its field holding the value.")
    record_key_b: Mapped[str] = mapped_column(String(200), doc="Its record holding the value.")
    value_b: Mapped[str] = mapped_column(Text, doc="Its current value, canonical JSON.")
    recorded_b: Mapped[datetime] = mapped_column(UTCDateTime(), doc="When that value was recorded.")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Scan that found it.")


class CorrectionDeadline(Base):
    """How many working days a department has to decide a correction (default when absent)."""

    __tablename__ = "correction_deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), unique=True, doc="The owning department."
    )
    working_days: Mapped[int] = mapped_column(doc="Working days from filing to the deadline.")
    updated_by: Mapped[str] = mapped_column(String(100), default="", doc="Who set it.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When.")


class Correction(Base):
    """A dispute of one value of one record (数据纠错 / 异议), decided by the owning department's steward."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_org_status", "org_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disputant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id"), index=True, doc="Account that filed the dispute."
    )
    disputant_label: Mapped[str] = mapped_column(String(100), doc="Its name at the time.")
    subject: Mapped[str] = mapped_column(String(30), index=True, doc="USCC or resident ID disputed.")
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id"), index=True, doc="Resource holding it."
    )
    resource_code: Mapped[str] = mapped_column(String(60), doc="That resource's code.")
    record_key: Mapped[str] = mapped_column(String(200), doc="Record disputed within the resource.")
    field: Mapped[str] = mapped_column(String(100), doc="Field disputed (its name in the resource).")
    element_key: Mapped[str] = mapped_column(String(60), doc="Data element the field is bound to.")
    attribute: Mapped[str] = mapped_column(
        String(100), default="", doc="Profile attribute the dispute started from, if any."
    )
    disputed_value: Mapped[str] = mapped_column(Text, doc="The value as recorded when filed, canonical JSON.")
    proposed_value: Mapped[str] = mapped_column(Text, doc="The value the disputant says is right, as typed.")
    explanation: Mapped[str] = mapped_column(Text, doc="Why the value is wrong (the disputant's words).")
    attachment_path: Mapped[str] = mapped_column(
        String(300), default="", doc="Stored file, relative to data_dir/attachments; empty if none."
    )
    attachment_name: Mapped[str] = mapped_column(String(200), default="", doc="Original file name.")
    attachment_size: Mapped[int] = mapped_column(default=0, doc="Its size in bytes.")
    attachment_type: Mapped[str] = mapped_column(String(100), default="", doc="Its content type.")
    status: Mapped[CorrectionStatus] = mapped_column(
        str_enum(CorrectionStatus),
        default=CorrectionStatus.OPEN,
        index=True,
        doc="Open, accepted, rejected or withdrawn.",
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), doc="Department that owns the resource and decides."
    )
    deadline: Mapped[date] = mapped_column(Date, index=True, doc="Last working day to decide (local date).")
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="When the daily check found it past its deadline."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was filed.")
    decided_by: Mapped[str] = mapped_column(
        String(100), default="", doc="Steward who decided, or the withdrawer."
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When it was closed.")
    reason: Mapped[str] = mapped_column(Text, default="", doc="Why rejected (or a note on acceptance).")
    load_id: Mapped[int | None] = mapped_column(
        ForeignKey("loads.id"), doc="Correction load that wrote the new record version."
    )
