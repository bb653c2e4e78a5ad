"""Tables of the data hub: records with history, loads, quarantine, pull sources, sharing, access log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now

BigId = BigInteger().with_variant(Integer, "sqlite")


class Record(Base):
    """One version of one record of a resource. The current version has no ``valid_to``.

    A record is identified within its resource by ``record_key`` (the subject plus any other
    key fields, e.g. the year). A changed row closes the current version and adds a new one,
    so any past state can be read; the id is monotonic and serves as the change-feed cursor.
    """

    __tablename__ = "records"
    __table_args__ = (
        Index(
            "uq_records_current_key",
            "resource_id",
            "record_key",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index(
            "ix_records_current_subject",
            "subject",
            "resource_id",
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_records_history", "resource_id", "record_key", "valid_from"),
        Index("ix_records_feed", "resource_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id"), doc="Resource the record belongs to."
    )
    record_key: Mapped[str] = mapped_column(
        String(200), doc="Key within the resource: subject and key fields joined by |."
    )
    subject: Mapped[str | None] = mapped_column(
        String(30), doc="USCC or resident ID the record is about, if any."
    )
    data: Mapped[str] = mapped_column(Text, doc="Canonical JSON of the validated values, by field name.")
    row_hash: Mapped[str] = mapped_column(String(32), doc="Hash of data; equal hash means unchanged.")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), doc="When this version became current.")
    valid_to: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="When it was superseded; empty while current."
    )
    load_id: Mapped[int | None] = mapped_column(
        ForeignKey("loads.id"), index=True, doc="Load that brought it."
    )


class LoadSource(StrEnum):
    UPLOAD = "upload"
    PULL = "pull"
    PUSH = "push"
    CORRECTION = "correction"


class LoadStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Load(Base):
    """One ingest run and its report (read, new, changed, unchanged, quarantined)."""

    __tablename__ = "loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id"), index=True, doc="Resource loaded into."
    )
    source: Mapped[LoadSource] = mapped_column(str_enum(LoadSource), doc="Upload, pull, push or correction.")
    source_name: Mapped[str] = mapped_column(
        String(300), default="", doc="File name, pull source or pushing system."
    )
    status: Mapped[LoadStatus] = mapped_column(
        str_enum(LoadStatus), default=LoadStatus.RUNNING, doc="Running, done or failed."
    )
    rows_read: Mapped[int] = mapped_column(default=0, doc="Rows read from the source.")
    rows_new: Mapped[int] = mapped_column(default=0, doc="Records seen for the first time.")
    rows_changed: Mapped[int] = mapped_column(default=0, doc="Records with a new version.")
    rows_unchanged: Mapped[int] = mapped_column(default=0, doc="Rows identical to the current version.")
    rows_quarantined: Mapped[int] = mapped_column(default=0, doc="Rows held back with their reasons.")
    rows_duplicate: Mapped[int] = mapped_column(
        default=0, doc="Rows repeating an earlier row of the load (same key, same values)."
    )
    rows_held: Mapped[int] = mapped_column(
        default=0, doc="Of the quarantined rows, those already open in quarantine (not stored twice)."
    )
    columns_unknown: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Source columns that match no field (ignored)."
    )
    columns_missing: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Optional fields the source did not provide (stored empty)."
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Start.")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="End.")
    actor_label: Mapped[str] = mapped_column(String(100), default="", doc="Who started it.")
    error: Mapped[str] = mapped_column(Text, default="", doc="Why a failed load failed.")


class QuarantineStatus(StrEnum):
    OPEN = "open"
    RESUBMITTED = "resubmitted"
    DISCARDED = "discarded"


class QuarantinedRow(Base):
    """A row that failed validation, kept with its reasons until fixed or discarded."""

    __tablename__ = "quarantined_rows"
    __table_args__ = (Index("ix_quarantined_rows_raw", "resource_id", "raw_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("loads.id"), index=True, doc="Load it came with.")
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id"), index=True, doc="Resource it was meant for."
    )
    row_number: Mapped[int] = mapped_column(doc="Position in the source (1 = first data row).")
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The row as received, by column name.")
    raw_hash: Mapped[str] = mapped_column(
        String(32), default="", doc="Hash of raw: a reloaded bad row is not quarantined twice."
    )
    problems: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, doc="[{field, message, params}] — why it was held back."
    )
    status: Mapped[QuarantineStatus] = mapped_column(
        str_enum(QuarantineStatus),
        default=QuarantineStatus.OPEN,
        index=True,
        doc="Open, resubmitted or discarded.",
    )
    resolved_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="When it was resubmitted or discarded."
    )
    resolved_by: Mapped[str] = mapped_column(String(100), default="", doc="By whom.")
    resolution_load_id: Mapped[int | None] = mapped_column(
        ForeignKey("loads.id"), doc="Correction load that applied the fixed row."
    )
    note: Mapped[str] = mapped_column(Text, default="", doc="Why it was discarded.")


class PullSource(Base):
    """A department database the hub pulls from on a schedule, incrementally on a change column."""

    __tablename__ = "pull_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True, doc="Resource it feeds.")
    name: Mapped[str] = mapped_column(
        String(100), unique=True, doc="Name shown to stewards and given to `tongban ingest pull`."
    )
    connection_env: Mapped[str] = mapped_column(
        String(100), doc="Environment variable holding the SQLAlchemy URL (secrets stay out of the database)."
    )
    query: Mapped[str] = mapped_column(
        Text, doc="SELECT returning the resource's fields by name; :since binds the last change value."
    )
    change_column: Mapped[str] = mapped_column(
        String(100), default="", doc="Column that grows with every change, for incremental pulls."
    )
    last_change_value: Mapped[str] = mapped_column(
        String(100), default="", doc="Largest change value seen so far."
    )
    interval_minutes: Mapped[int] = mapped_column(default=1440, doc="How often to pull.")
    active: Mapped[bool] = mapped_column(default=True, doc="Paused sources are not pulled.")
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="Last pull.")
    last_load_id: Mapped[int | None] = mapped_column(ForeignKey("loads.id"), doc="Report of the last pull.")


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class SharingRequest(Base):
    """A consumer department asks for fields of a resource, for a purpose, on a legal basis."""

    __tablename__ = "sharing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id"), index=True, doc="Resource requested."
    )
    consumer_org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True, doc="Department that will use the data."
    )
    requested_by: Mapped[str] = mapped_column(String(100), doc="User or system that asked.")
    purpose: Mapped[str] = mapped_column(Text, doc="What the data is for (用途).")
    legal_basis: Mapped[str] = mapped_column(Text, doc="Law, regulation or document that allows it (依据).")
    serves: Mapped[str] = mapped_column(
        String(200), default="", doc="Service matter or policy it serves, if any."
    )
    fields: Mapped[list[str]] = mapped_column(JSON, doc="Field names asked for.")
    allow_sensitive: Mapped[bool] = mapped_column(
        default=False, doc="Asks for personal fields unmasked (always needs the provider's decision)."
    )
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus),
        default=RequestStatus.PENDING,
        index=True,
        doc="Pending, approved, rejected or withdrawn.",
    )
    decided_by: Mapped[str] = mapped_column(String(100), default="", doc="Steward who decided.")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When.")
    reason: Mapped[str] = mapped_column(
        Text, default="", doc="Reason for a rejection or for granting fewer fields."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was asked.")


class Grant(Base):
    """Permission for a consumer department to use fields of a resource, for a purpose, until a date."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_requests.id"), index=True, doc="Request it answers."
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True, doc="Resource.")
    consumer_org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True, doc="Department allowed."
    )
    fields: Mapped[list[str]] = mapped_column(JSON, doc="Field names allowed.")
    allow_sensitive: Mapped[bool] = mapped_column(
        default=False, doc="Personal fields unmasked (otherwise masked)."
    )
    purpose: Mapped[str] = mapped_column(Text, doc="The purpose it was granted for.")
    expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="End of the grant; empty means until revoked."
    )
    revoked_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="Revoked then; effective from the next request."
    )
    revoked_by: Mapped[str] = mapped_column(String(100), default="", doc="Who revoked it.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was granted.")


class AccessKind(StrEnum):
    READ = "read"  # one subject
    BULK = "bulk"  # a page of records
    CHANGES = "changes"  # change feed since a cursor
    VERIFY = "verify"  # yes/no/unknown answer, no data returned
    PLATFORM = "platform"  # the hub's own use (matching, pre-filling)


class AccessLogEntry(Base):
    """One access to shared data, or one refusal, in its own hash chain (group-committed)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_consumer_time", "consumer_org_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(
        BigInteger, unique=True, doc="Position in the access chain, without gaps."
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True, doc="When.")
    consumer_org_id: Mapped[int | None] = mapped_column(
        doc="Department that accessed (empty if unknown; indexed with the time)."
    )
    token_id: Mapped[int | None] = mapped_column(doc="API token (application) used.")
    actor_kind: Mapped[str] = mapped_column(
        String(20), default="token", doc="token, user, system (the platform's own use) or anonymous."
    )
    actor_label: Mapped[str] = mapped_column(String(100), doc="Application or user name at the time.")
    purpose: Mapped[str] = mapped_column(Text, default="", doc="Purpose of the grant used.")
    grant_id: Mapped[int | None] = mapped_column(index=True, doc="Grant relied on.")
    resource_id: Mapped[int | None] = mapped_column(index=True, doc="Resource accessed.")
    provider_org_id: Mapped[int | None] = mapped_column(
        index=True, doc="Department that provides the resource (for its steward's view)."
    )
    fields: Mapped[list[str]] = mapped_column(JSON, doc="Field names returned or asked about (never values).")
    subject_count: Mapped[int] = mapped_column(default=0, doc="How many subjects the access concerned.")
    kind: Mapped[AccessKind] = mapped_column(
        str_enum(AccessKind), doc="Read, bulk, changes, verify or platform use."
    )
    outcome: Mapped[str] = mapped_column(String(40), doc="ok, or the refusal code.")
    request_id: Mapped[str] = mapped_column(String(40), default="", doc="Request id.")
    prev_hash: Mapped[str] = mapped_column(String(64), doc="Hash of the previous entry.")
    hash: Mapped[str] = mapped_column(String(64), doc="SHA-256 over this entry and prev_hash.")


class AccessLogSubject(Base):
    """Which subjects an access concerned, so each person or enterprise can see who used their data."""

    __tablename__ = "access_log_subjects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No foreign key: the writer inserts an entry and its subjects in one transaction and the
    # chain's hash covers them (docs/decisions/0002-access-log-without-foreign-key.md).
    entry_seq: Mapped[int] = mapped_column(
        BigInteger, index=True, doc="The access, by its seq in the chain."
    )
    subject: Mapped[str] = mapped_column(String(30), index=True, doc="USCC or resident ID.")


class AccessLogHead(Base):
    """The access chain's last position (one row)."""

    __tablename__ = "access_log_head"

    id: Mapped[int] = mapped_column(primary_key=True, doc="Always 1.")
    seq: Mapped[int] = mapped_column(BigInteger, doc="Seq of the last entry (0 when empty).")
    hash: Mapped[str] = mapped_column(String(64), doc="Hash of the last entry.")
