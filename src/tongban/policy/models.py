"""Tables of policies (政策), their items (政策条款 / 申报事项) in versions, matches of enterprises to
items, match runs, and the delivery funnel.

Use cases: ``service`` (publish), ``matching`` (match runs), ``library`` (public search),
``portal`` ("我的政策"), ``delivery`` (notifications and reminders).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now
from tongban.policy.domain import ItemState, PolicyLevel, VersionState

BigId = BigInteger().with_variant(Integer, "sqlite")


class Policy(Base):
    """A policy document as issued: the container of its items."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True, doc="Issuing department.")
    title: Mapped[str] = mapped_column(String(300), doc="Title of the document.")
    doc_number: Mapped[str] = mapped_column(String(100), default="", doc="Document number (文号).")
    issuer: Mapped[str] = mapped_column(String(200), doc="Issuing authority as printed (may be joint).")
    region_code: Mapped[str] = mapped_column(
        String(12), index=True, doc="GB/T 2260 code of the region it covers."
    )
    level: Mapped[PolicyLevel] = mapped_column(
        str_enum(PolicyLevel), doc="National, provincial, municipal, district."
    )
    issued_on: Mapped[date | None] = mapped_column(Date, doc="Date of issue.")
    effective_on: Mapped[date | None] = mapped_column(Date, doc="Takes effect on.")
    expires_on: Mapped[date | None] = mapped_column(Date, doc="Stops applying after this day.")
    full_text: Mapped[str] = mapped_column(Text, default="", doc="Full text of the document.")
    source_url: Mapped[str] = mapped_column(String(500), default="", doc="Where it was published.")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), doc="Who registered it.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was registered.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was last edited.")


class PolicyAttachment(Base):
    """A file attached to a policy (the signed PDF, an application form template …)."""

    __tablename__ = "policy_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True, doc="Policy it belongs to.")
    filename: Mapped[str] = mapped_column(String(200), doc="Name as uploaded.")
    content_type: Mapped[str] = mapped_column(String(100), doc="Media type.")
    size: Mapped[int] = mapped_column(Integer, doc="Bytes.")
    sha256: Mapped[str] = mapped_column(String(64), doc="Digest of the content.")
    path: Mapped[str] = mapped_column(String(300), doc="Stored file, relative to the data directory.")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), doc="Who uploaded it.")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When.")


class PolicyItem(Base):
    """One item (the smallest unit an enterprise applies for or receives); content in versions."""

    __tablename__ = "policy_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True, doc="Policy it comes from.")
    code: Mapped[str] = mapped_column(String(40), unique=True, doc="Stable public code (ZC-2026-0001).")
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True, doc="Issuing department.")
    state: Mapped[ItemState] = mapped_column(
        str_enum(ItemState), default=ItemState.UNPUBLISHED, index=True, doc="As the public sees it."
    )
    live_version_id: Mapped[int | None] = mapped_column(
        Integer, doc="The published version, if any (a version id; no foreign key: versions point here)."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was created.")


class ItemVersion(Base):
    """One version of an item's content: conditions, amount and everything shown to enterprises."""

    __tablename__ = "policy_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"), Index("ix_policy_item_versions_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("policy_items.id"), index=True, doc="Item.")
    number: Mapped[int] = mapped_column(Integer, doc="1, 2, … per item.")
    state: Mapped[VersionState] = mapped_column(str_enum(VersionState), doc="Draft … published … superseded.")
    title: Mapped[str] = mapped_column(String(300), doc="Title of the item.")
    summary: Mapped[str] = mapped_column(Text, default="", doc="What the enterprise gets, in plain words.")
    condition_text: Mapped[str] = mapped_column(Text, default="", doc="Eligibility in the rules language.")
    amount_text: Mapped[str] = mapped_column(Text, default="", doc="Amount formula in the rules language.")
    rule: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="Canonical type-checked rule tree (rules/ast.py); empty while the texts do not check."
    )
    support_types: Mapped[list[str]] = mapped_column(JSON, default=list, doc="Keys of domain.SUPPORT_TYPES.")
    industries: Mapped[list[str]] = mapped_column(JSON, default=list, doc="GB/T 4754 codes it is meant for.")
    sizes: Mapped[list[str]] = mapped_column(JSON, default=list, doc="Enterprise size codes it is meant for.")
    window_opens: Mapped[date | None] = mapped_column(Date, doc="Applications open on.")
    window_closes: Mapped[date | None] = mapped_column(Date, doc="Applications close after this day.")
    handling_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), doc="Department that handles applications."
    )
    materials: Mapped[list[str]] = mapped_column(JSON, default=list, doc="Required materials, one per entry.")
    exclusive_group: Mapped[str] = mapped_column(
        String(60), default="", doc="Items sharing a group are not paid together (就高不重复)."
    )
    annual_budget_fen: Mapped[int | None] = mapped_column(BigInteger, doc="Annual budget in fen.")
    no_application: Mapped[bool] = mapped_column(
        Boolean, default=False, doc="免申即享: granted without applying."
    )
    search_text: Mapped[str] = mapped_column(Text, default="", doc="Space-separated jieba tokens for search.")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), doc="Author of this version.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was started.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Last edit.")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), doc="Who submitted it.")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When it was submitted.")
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), doc="Who approved or rejected it."
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When.")
    review_note: Mapped[str] = mapped_column(Text, default="", doc="The reviewer's note or reason.")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When it went live.")
    ended_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), doc="Superseded, withdrawn or expired then."
    )
    preview: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="Who qualifies now (counts, total, by district and industry), computed on submission."
    )


class MatchRun(Base):
    """One run of matching: which items over which enterprises, how far it got."""

    __tablename__ = "policy_match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20), doc="publish, edit, nightly, profile or manual.")
    item_ids: Mapped[list[int] | None] = mapped_column(JSON, doc="Items matched; empty: every live item.")
    state: Mapped[str] = mapped_column(
        String(20), default="running", index=True, doc="running, done or failed."
    )
    evaluation_date: Mapped[date] = mapped_column(Date, doc="Date the rules were evaluated at.")
    snapshot_id: Mapped[int | None] = mapped_column(Integer, doc="Profile snapshot read (profiles).")
    enterprises: Mapped[int] = mapped_column(Integer, default=0, doc="Enterprises evaluated.")
    matches: Mapped[int] = mapped_column(Integer, default=0, doc="Eligible and likely pairs stored.")
    items_done: Mapped[list[int]] = mapped_column(
        JSON, default=list, doc="Items whose matches are stored (resume)."
    )
    engine_seconds: Mapped[float] = mapped_column(Float, default=0.0, doc="Time in the rules engine.")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Start.")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="End.")
    error: Mapped[str] = mapped_column(Text, default="", doc="Why it failed.")


class Match(Base):
    """An enterprise that is eligible for, or likely eligible for, a live item version."""

    __tablename__ = "policy_matches"
    __table_args__ = (
        UniqueConstraint("item_id", "subject"),
        Index("ix_policy_matches_subject", "subject"),
        Index("ix_policy_matches_version", "version_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("policy_items.id"), doc="Item.")
    version_id: Mapped[int] = mapped_column(Integer, doc="Item version evaluated.")
    subject: Mapped[str] = mapped_column(String(30), doc="USCC of the enterprise.")
    status: Mapped[str] = mapped_column(String(10), doc="eligible or likely.")
    amount_low: Mapped[int | None] = mapped_column(BigInteger, doc="Lowest amount in fen (none: no formula).")
    amount_high: Mapped[int | None] = mapped_column(
        BigInteger, doc="Highest amount in fen (none: unbounded)."
    )
    open_atoms: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Conditions still unknown, as text."
    )
    run_id: Mapped[int | None] = mapped_column(
        Integer, doc="Match run that stored it (none: single re-match)."
    )
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When.")


class Engagement(Base):
    """One step of the delivery funnel for an enterprise and an item version: notified, opened,
    viewed, applied (matched is the match itself). Each step is counted once."""

    __tablename__ = "policy_engagements"
    __table_args__ = (
        UniqueConstraint("version_id", "subject", "step"),
        Index("ix_policy_engagements_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("policy_items.id"), doc="Item.")
    version_id: Mapped[int] = mapped_column(Integer, doc="Item version.")
    subject: Mapped[str] = mapped_column(String(30), doc="USCC of the enterprise.")
    step: Mapped[str] = mapped_column(String(10), doc="notified, opened, viewed or applied.")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it first happened.")
