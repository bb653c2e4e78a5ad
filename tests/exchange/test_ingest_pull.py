"""Pulling from a department database: a real scratch SQLite file, incremental on a change column."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.exchange.test_ingest_service import CODE, A, B, C, resource
from tests.support.actors import SYSTEM, actions, actor

from tongban.exchange import records, sources
from tongban.exchange.models import LoadSource, LoadStatus
from tongban.kernel.clock import Clock
from tongban.kernel.errors import Conflict, PermissionDenied, ValidationFailed

QUERY = (
    "SELECT uscc AS 统一社会信用代码, year AS 年度, revenue AS 营业收入, tax AS 纳税额, updated_at "
    "FROM tax_returns WHERE updated_at >= :since ORDER BY updated_at"
)


@pytest.fixture
def department_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sqlite3.Connection:
    """The tax department's own database, a file reached through an environment variable."""
    path = tmp_path / "tax_department.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE tax_returns (uscc TEXT, year INTEGER, revenue TEXT, tax NUMERIC, updated_at TEXT)"
    )
    connection.executemany(
        "INSERT INTO tax_returns VALUES (?, ?, ?, ?, ?)",
        [
            (A, 2025, "1000万", 10, "2026-01-05 10:00:00"),
            (B, 2025, "200", 2.5, "2026-01-06 11:00:00"),
            (C, 2025, "不详", 1, "2026-01-07 09:30:00"),
        ],
    )
    connection.commit()
    monkeypatch.setenv("TAX_DB_URL", f"sqlite:///{path}")
    return connection


def add(db: Session, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "resource_code": CODE,
        "name": "税务征管库",
        "connection_env": "TAX_DB_URL",
        "query": QUERY,
        "change_column": "updated_at",
        "start_value": "2000-01-01",
        "interval_minutes": 60,
    }
    options.update(overrides)
    source = sources.add_source(db, actor(db, "steward"), **options)
    db.commit()
    return source


def test_pull_is_incremental_on_the_change_column(
    db: Session, demo_city: dict[str, Any], department_db: sqlite3.Connection
) -> None:
    res = resource(db)
    source = add(db)
    steward = actor(db, "steward")
    first = sources.pull(db, steward, source)
    db.commit()
    assert first.source is LoadSource.PULL and first.source_name == "税务征管库"
    assert (first.rows_read, first.rows_new, first.rows_quarantined) == (3, 2, 1)
    assert first.columns_unknown == []  # the change column is not reported as unknown
    assert source.last_change_value == "2026-01-07 09:30:00"
    assert source.last_load_id == first.id and source.last_run_at is not None

    department_db.execute(
        "UPDATE tax_returns SET revenue = '250', updated_at = '2026-02-01 08:00:00' WHERE uscc = ?", (B,)
    )
    department_db.execute("INSERT INTO tax_returns VALUES (?, 2024, '90', 1, '2026-02-02 08:00:00')", (A,))
    department_db.commit()
    second = sources.pull(db, steward, source)
    db.commit()
    # Only rows changed since the last pull are read (>= also re-reads the last one: harmless).
    assert (second.rows_read, second.rows_new, second.rows_changed, second.rows_held) == (3, 1, 1, 1)
    assert source.last_change_value == "2026-02-02 08:00:00"
    assert records.current(db, res.id, f"{B}|2025").values["营业收入"] == "250"  # type: ignore[union-attr]

    third = sources.pull(db, steward, source)
    assert (third.rows_read, third.rows_unchanged) == (1, 1)
    assert actions(db).count("ingest.load") == 3


def test_pull_problems_are_explained(
    db: Session, demo_city: dict[str, Any], department_db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    resource(db)
    with pytest.raises(ValidationFailed) as bad:
        add(db, query="DELETE FROM tax_returns", connection_env="tax url", change_column="")
    assert {p.field for p in bad.value.fields} == {"query", "connection_env"}
    with pytest.raises(ValidationFailed):
        add(db, change_column="")  # :since without a change column
    source = add(db)
    with pytest.raises(Conflict) as exists:
        add(db)
    assert exists.value.code == "source_name_taken"
    with pytest.raises(PermissionDenied):
        sources.pull(db, actor(db, "officer"), source)
    monkeypatch.delenv("TAX_DB_URL")
    with pytest.raises(Conflict) as unset:
        sources.pull(db, SYSTEM, source)
    assert unset.value.code == "source_not_configured"
    monkeypatch.setenv("TAX_DB_URL", "sqlite:////nonexistent/dir/db.sqlite3")
    with pytest.raises(Conflict) as unreachable:
        sources.pull(db, SYSTEM, source)
    assert unreachable.value.code == "source_unreachable"
    db.rollback()


def test_a_failed_pull_does_not_advance_the_change_value(
    db: Session, demo_city: dict[str, Any], department_db: sqlite3.Connection
) -> None:
    resource(db)
    source = add(db)
    assert sources.pull(db, SYSTEM, source).status is LoadStatus.DONE
    before = source.last_change_value
    department_db.execute("DROP TABLE tax_returns")
    department_db.commit()
    with pytest.raises(Conflict):
        sources.pull(db, SYSTEM, source)
    assert source.last_change_value == before


def test_due_sources_follow_their_interval(
    session_factory: sessionmaker[Session],
    db: Session,
    demo_city: dict[str, Any],
    department_db: sqlite3.Connection,
    frozen_clock: Clock,
) -> None:
    resource(db)
    add(db)
    add(db, name="暂停的源")
    paused = sources.get_source(db, SYSTEM, "暂停的源")
    paused.active = False
    db.commit()
    assert [s.name for s in sources.due_sources(db)] == ["税务征管库"]
    outcomes = sources.pull_due(session_factory, SYSTEM)
    assert [(name, getattr(o, "rows_new", None)) for name, o in outcomes] == [("税务征管库", 2)]
    db.rollback()  # a fresh snapshot: the pull committed in its own session
    assert sources.due_sources(db) == []
    frozen_clock.advance(timedelta(minutes=61))
    assert [s.name for s in sources.due_sources(db)] == ["税务征管库"]
    assert [s.name for s in sources.list_sources(db, actor(db, "steward"))] == ["暂停的源", "税务征管库"]


def test_the_scheduled_job_pulls_due_sources(
    session_factory: sessionmaker[Session],
    db: Session,
    demo_city: dict[str, Any],
    department_db: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's every-minute job pulls what is due, with the worker's sessions."""
    from datetime import datetime

    from tongban.exchange import jobs
    from tongban.jobs import huey

    resource(db)
    add(db)
    db.commit()
    assert "exchange.pull_due" in [task.name for task in huey.read_periodic(datetime(2026, 11, 27, 9, 7))]
    monkeypatch.setattr(jobs, "sessions", lambda: session_factory)
    assert jobs.pull_due_sources.call_local() == 1
    db.rollback()
    assert sources.due_sources(db) == []
    assert jobs.pull_due_sources.call_local() == 0
