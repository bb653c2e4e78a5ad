"""Tables of data quality: rules per resource, runs, results per rule and the rows behind them.

See ``quality_domain`` for what each rule kind checks and ``quality`` for the use cases.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tongban.db import Base, UTCDateTime, str_enum
from tongban.kernel.clock import now

BigId = BigInteger().with_variant(Integer, "sqlite")


class RuleKind(StrEnum):
    COMPLETENESS = "completeness"  # a field holds a value
    VALIDITY = "validity"  # a value fits its data element (type, validator, code list)
    UNIQUENESS = "uniqueness"  # no two records share the key fields
    FRESHNESS = "freshness"  # data is as recent as the resource's update cycle promises
    CROSS_FIELD = "cross_field"  # two fields of a row compare as stated (R&D ≤ revenue)
    CROSS_RESOURCE = "cross_resource"  # a field agrees with another resource's for the subject


class RunTrigger(StrEnum):
    INGEST = "ingest"
    SCHEDULE = "schedule"
    MANUAL = "manual"


class RunStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class QualityRule(Base):
    """One quality rule of one resource: built in (from the fields' elements) or a steward's own."""

    __tablename__ = "quality_rules"
    __table_args__ = (Index("ix_quality_rules_resource_active", "resource_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), doc="Resource the rule checks.")
    field: Mapped[str] = mapped_column(
        String(100), default="", doc="Field it checks (left side of a comparison); empty if resource-wide."
    )
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind), doc="What kind of check it is.")
    params: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc="Parameters of the kind, e.g. {op, right, factor} of a cross-field rule."
    )
    name: Mapped[str] = mapped_column(
        String(200), default="", doc="Steward's name for the rule; empty: described from kind and fields."
    )
    weight: Mapped[int] = mapped_column(default=1, doc="Weight in the resource's score (1–10).")
    built_in: Mapped[bool] = mapped_column(default=False, doc="Generated from the resource's elements.")
    active: Mapped[bool] = mapped_column(default=True, doc="Inactive rules are kept but not run.")
    created_by: Mapped[str] = mapped_column(String(100), default="", doc="Who defined it.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was defined.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="Last change.")


class QualityRun(Base):
    """One run of a resource's active rules over all its current records, and its score."""

    __tablename__ = "quality_runs"
    __table_args__ = (Index("ix_quality_runs_resource_status", "resource_id", "status", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), doc="Resource checked.")
    trigger: Mapped[RunTrigger] = mapped_column(
        str_enum(RunTrigger), doc="After a load, on the schedule, or started by a steward."
    )
    load_id: Mapped[int | None] = mapped_column(
        ForeignKey("loads.id"), doc="Load that asked for the run (ingest runs)."
    )
    status: Mapped[RunStatus] = mapped_column(
        str_enum(RunStatus), default=RunStatus.PENDING, index=True, doc="Pending, done or failed."
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, doc="When it was asked for.")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When checking began.")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="When checking ended.")
    rows_checked: Mapped[int] = mapped_column(default=0, doc="Current records (and held-back rows) read.")
    rules_run: Mapped[int] = mapped_column(default=0, doc="Active rules applied.")
    score: Mapped[float | None] = mapped_column(doc="Weighted mean of the rule scores, 0–100; empty if none.")
    actor_label: Mapped[str] = mapped_column(String(100), default="", doc="Who or what started it.")
    error: Mapped[str] = mapped_column(Text, default="", doc="Why a failed run failed.")


class QualityResult(Base):
    """The outcome of one rule in one run."""

    __tablename__ = "quality_results"
    __table_args__ = (UniqueConstraint("run_id", "rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quality_runs.id"), index=True, doc="The run.")
    rule_id: Mapped[int] = mapped_column(ForeignKey("quality_rules.id"), index=True, doc="The rule.")
    checked: Mapped[int] = mapped_column(default=0, doc="Rows (or subjects) the rule applied to.")
    failed: Mapped[int] = mapped_column(default=0, doc="Of those, how many failed.")
    score: Mapped[float | None] = mapped_column(doc="passed / checked × 100; empty when nothing was checked.")


class QualityIssue(Base):
    """A failing row behind a result (at most ``SAMPLE_LIMIT`` per rule and run)."""

    __tablename__ = "quality_issues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("quality_results.id"), index=True, doc="The result.")
    record_key: Mapped[str] = mapped_column(
        String(200), default="", doc="Key of the failing record; empty for a held-back or repeated row."
    )
    subject: Mapped[str | None] = mapped_column(String(30), doc="USCC or resident ID concerned, if any.")
    value: Mapped[str] = mapped_column(String(300), default="", doc="The offending value(s), as text.")
    message: Mapped[str] = mapped_column(String(300), doc="Why it failed: message id.")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="Parameters of the message.")
