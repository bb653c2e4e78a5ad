"""The columnar snapshot: the rules/columns.py layout, readable by DuckDB, the same values as the
incremental profiles, and its manifest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.profiles.world import OTHER, World, make_world
from tongban.exchange.models import AccessKind, AccessLogEntry
from tongban.kernel.clock import today
from tongban.profiles import domain, service, snapshot
from tongban.profiles.attributes import builtin_registry
from tongban.profiles.models import SnapshotManifest
from tongban.rules import columns


@pytest.fixture
def world(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> World:
    return make_world(session_factory)


@pytest.fixture
def built(session_factory: sessionmaker[Session], world: World, tmp_path: Path) -> snapshot.Built:
    return snapshot.build_snapshot(session_factory, tmp_path / "snapshots", label="test")


def test_the_parquet_has_the_rules_layout(built: snapshot.Built) -> None:
    table = snapshot.read_snapshot(built.path)
    at = today()
    assert table.schema.names == [name for name, _ in snapshot.layout(builtin_registry(), at)]
    assert table.schema.field("subject").type == pa.string()
    assert table.schema.field("registered_capital").type == pa.int64()
    assert table.schema.field(columns.yearly("revenue", at.year - 1)).type == pa.int64()
    assert table.schema.field(columns.yearly("export_share", at.year - 1)).type == pa.float64()
    assert table.schema.field("established_on").type == pa.date32()
    assert table.schema.field("qualifications").type == pa.bool_()
    assert table.schema.field(columns.tag_since("qualifications", "high_tech")).type == pa.date32()
    years = [n for n in table.schema.names if n.startswith("revenue@")]
    assert len(years) == columns.HISTORY_YEARS + 1 >= 3


def test_duckdb_reads_it(built: snapshot.Built, world: World) -> None:
    found = duckdb.execute(
        f"SELECT registered_capital, \"qualifications#high_tech.since\" FROM read_parquet('{built.path}') "
        f"WHERE subject = '{world.uscc}'"
    ).fetchall()
    assert found == [(500_000_000, date(2023, 12, 12))]


def test_values_equal_the_incremental_profiles(db: Session, built: snapshot.Built, world: World) -> None:
    rows = {r["subject"]: r for r in snapshot.read_snapshot(built.path).to_pylist()}
    assert set(rows) == {world.uscc, OTHER}
    for subject, row in rows.items():
        incremental = domain.to_row(builtin_registry(), service.compute(db, subject), today())
        assert {k: v for k, v in incremental.items() if v is not None} == {
            k: v for k, v in row.items() if v is not None and k != "subject"
        }
    assert rows[OTHER]["qualifications"] is True  # complete lists: known to hold none
    assert rows[OTHER][columns.tag_since("qualifications", "high_tech")] is None


def test_the_manifest(db: Session, built: snapshot.Built) -> None:
    manifest = json.loads((built.path.parent / "manifest.json").read_text("utf-8"))
    assert manifest["rows"] == built.rows == 2
    assert manifest["evaluation_date"] == today().isoformat()
    assert manifest["source_versions"]["350200-SCJGJ-0001"] > 0
    assert "350200-TJJ-0001" not in manifest["source_versions"]  # not shared: never read
    stored = db.scalars(select(SnapshotManifest)).one()
    assert stored.row_count == 2 and stored.source_versions == manifest["source_versions"]
    assert stored.path == str(built.path)
    logged = db.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_label == "test")).all()
    assert logged and all(e.kind is AccessKind.PLATFORM and e.purpose == "企业画像" for e in logged)


def test_an_empty_hub_gives_an_empty_snapshot(
    session_factory: sessionmaker[Session], demo_city: dict[str, Any], tmp_path: Path
) -> None:
    built = snapshot.build_snapshot(session_factory, tmp_path)
    assert built.rows == 0 and snapshot.read_snapshot(built.path).num_rows == 0
