"""Profiles as the rules engine reads them: the latest snapshot for batch matching, and one
enterprise's current profile as a row (with where each value came from) for re-matching and
explanations. Service functions of the profiles context for the policy context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.kernel.clock import today
from tongban.profiles import domain
from tongban.profiles.attributes import builtin_registry
from tongban.profiles.models import SnapshotManifest
from tongban.profiles.service import compute
from tongban.profiles.snapshot import read_snapshot
from tongban.profiles.sources import cached_plan, log_use, use_drafts
from tongban.rules import columns

_table_cache: dict[str, pa.Table] = {}


@dataclass(frozen=True)
class SnapshotTable:
    """The latest snapshot as an Arrow table (columns in the rules/columns.py layout, plus
    ``subject``), with the manifest it came from."""

    manifest_id: int
    evaluation_date: date
    table: pa.Table


def snapshot_table(session: Session) -> SnapshotTable | None:
    """The latest snapshot, read once per process and kept while it stays the latest (the
    platform's own use: building the snapshot logged the reads); None before the first build."""
    manifest = session.scalar(select(SnapshotManifest).order_by(SnapshotManifest.id.desc()).limit(1))
    if manifest is None or not Path(manifest.path).exists():
        return None
    table = _table_cache.get(manifest.path)
    if table is None:
        table = read_snapshot(manifest.path)
        _table_cache.clear()
        _table_cache[manifest.path] = table
    return SnapshotTable(manifest.id, date.fromisoformat(manifest.evaluation_date), table)


def rules_row(session: Session, subject: str, at: date | None = None) -> dict[str, object]:
    """One enterprise's current profile in the flat layout the rules engine reads (the same
    row the snapshot would hold; self-declared values are left out)."""
    return domain.to_row(builtin_registry(), compute(session, subject), at or today())


@dataclass(frozen=True)
class RulesProfile:
    row: dict[str, object]
    sources: dict[str, dict[str, Any]]  # column → where the value came from (or would come from)
    held: frozenset[str]  # attributes some department provides


def rules_profile(
    session: Session, subject: str, at: date, *, label: str, request_id: str = ""
) -> RulesProfile:
    """The row of ``rules_row`` with each value's source, for an explanation shown to the
    enterprise; the resources read are logged as the platform's use under ``label`` ("who used
    my data"). A column without a value names the first source that could provide it."""
    entries = compute(session, subject)
    row = domain.to_row(builtin_registry(), entries, at)
    plan_, _ = cached_plan(session)
    sources: dict[str, dict[str, Any]] = {}
    for spec in plan_.specs:
        sources.setdefault(
            spec.attribute,
            {"department": spec.department, "resource": spec.resource, "field": spec.field, "known": False},
        )
    read: set[str] = set()
    for (key, year), entry in entries.items():
        if entry.self_declared or entry.source is None or entry.value is None:
            continue
        source = entry.source
        column = columns.yearly(key, year) if year is not None else key
        sources[column] = {
            "department": source.department,
            "resource": source.resource,
            "field": source.field,
            "recorded_at": source.recorded_at.isoformat() if source.recorded_at else None,
            "year": year,
            "known": True,
        }
        read.add(source.resource)
    used = {r.resource_id for r in plan_.readable if r.spec.resource in read}
    log_use(session, use_drafts(plan_, used, [subject], label=label, request_id=request_id))
    return RulesProfile(row, sources, frozenset(plan_.attributes_held()))
