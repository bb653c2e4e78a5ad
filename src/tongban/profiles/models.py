"""Tables of enterprise profiles: where attributes come from, the values with their lineage,
values enterprises declared themselves, links to related records, and snapshot manifests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime
from tongban.kernel.clock import now

BigId = BigInteger().with_variant(Integer, "sqlite")


class AttributeSource(Base):
    """One way an attribute is derived from a resource's records (seeded from attribute_sources.json)."""

    __tablename__ = "profile_attribute_sources"
    __table_args__ = (Index("ix_profile_sources_attribute", "attribute", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attribute: Mapped[str] = mapped_column(String(60), doc="Attribute key in the registry (revenue).")
    position: Mapped[int] = mapped_column(default=0, doc="Order among the attribute's sources.")
    resource_code: Mapped[str] = mapped_column(String(60), index=True, doc="Resource read (350200-SWJ-0002).")
    spec: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="Field or element, aggregation, year field, conditions, tag rules (see docs/profiles.md)."
    )
    active: Mapped[bool] = mapped_column(default=True, doc="Inactive sources are ignored.")


class ProfileValue(Base):
    """One attribute value (one year of a yearly attribute) of a subject, with its lineage."""

    __tablename__ = "profile_values"
    __table_args__ = (Index("ix_profile_values_subject", "subject", "attribute", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(30), doc="USCC of the enterprise.")
    attribute: Mapped[str] = mapped_column(String(60), doc="Attribute key.")
    year: Mapped[int | None] = mapped_column(doc="Calendar year of a yearly attribute; empty otherwise.")
    value: Mapped[Any] = mapped_column(
        JSON,
        nullable=True,
        doc="Value in canonical form: fen, count, float, bool, ISO date, code, or {tag: {since, until}}.",
    )
    source_resource: Mapped[str] = mapped_column(
        String(60), default="", doc="Resource code the value came from (empty when self-declared)."
    )
    source_department: Mapped[str] = mapped_column(
        String(200), default="", doc="Name of the department providing that resource."
    )
    source_field: Mapped[str] = mapped_column(String(100), default="", doc="Field name in that resource.")
    record_id: Mapped[int | None] = mapped_column(BigInteger, doc="Record version the value was read from.")
    recorded_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="valid_from of that record version (when the hub recorded it)."
    )
    conflict: Mapped[bool] = mapped_column(default=False, doc="Departments held different values.")
    reason: Mapped[str] = mapped_column(
        String(40), default="", doc="Resolution reason (conflicts_domain.Reason) or 'self_declared'."
    )
    self_declared: Mapped[bool] = mapped_column(default=False, doc="Supplied by the enterprise itself.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When this row was written.")


class SelfDeclaredValue(Base):
    """A value an enterprise supplied for an attribute no department provides to the platform."""

    __tablename__ = "profile_self_declared"
    __table_args__ = (Index("ix_profile_self_declared_subject", "subject", "attribute", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(30), doc="USCC of the enterprise.")
    attribute: Mapped[str] = mapped_column(String(60), doc="Attribute key.")
    year: Mapped[int | None] = mapped_column(doc="Year for a yearly attribute; empty otherwise.")
    value: Mapped[Any] = mapped_column(JSON, nullable=True, doc="Declared value in canonical form.")
    declared_by: Mapped[str] = mapped_column(String(100), doc="Name of the user who declared it.")
    user_id: Mapped[int | None] = mapped_column(doc="Account that declared it.")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When.")


class ProfileLink(Base):
    """A related record (a person's hire) that counts towards an enterprise's attribute."""

    __tablename__ = "profile_links"
    __table_args__ = (
        Index("ix_profile_links_subject", "subject", "resource_id"),
        Index("uq_profile_links_record", "resource_id", "record_key", "subject", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(30), doc="USCC of the enterprise the record relates to.")
    resource_id: Mapped[int] = mapped_column(doc="Resource of the related record.")
    record_key: Mapped[str] = mapped_column(String(200), doc="Key of the related record in that resource.")


class SnapshotManifest(Base):
    """One build of the columnar snapshot of all profiles (Parquet)."""

    __tablename__ = "profile_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    built_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=now, index=True, doc="When it finished."
    )
    path: Mapped[str] = mapped_column(Text, doc="Parquet file written.")
    row_count: Mapped[int] = mapped_column(BigInteger, doc="Enterprises (rows) in it.")
    column_count: Mapped[int] = mapped_column(default=0, doc="Columns in it.")
    evaluation_date: Mapped[str] = mapped_column(String(10), doc="Date whose history window it holds.")
    source_versions: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="Per resource code: the latest record id (change-feed cursor) it includes."
    )
    duration_seconds: Mapped[float] = mapped_column(Float, doc="How long the build took.")
    built_by: Mapped[str] = mapped_column(String(100), default="", doc="Who or what started it.")
