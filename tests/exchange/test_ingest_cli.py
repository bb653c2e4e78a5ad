"""`tongban ingest …` against the test database: load a file, add a pull source, pull."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.exchange.test_ingest_service import CODE, HEADER, A, B, resource
from typer.testing import CliRunner

from tongban.cli import app as cli_app
from tongban.exchange import records


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "cli-data"))
    yield CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(cli_app, list(args))
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result.output


def test_load_a_file_from_the_command_line(
    cli: CliRunner, db: Session, demo_city: dict[str, Any], tmp_path: Path
) -> None:
    res = resource(db)
    path = tmp_path / "经营信息.csv"
    path.write_text(
        "\n".join([HEADER + ",备注", f"{A},2025,100,1,,x", f"{B},2025,?,1,,"]) + "\n", "utf-8-sig"
    )
    output = run(cli, "ingest", "file", str(path), "--resource", CODE, "--no-progress")
    assert "新增 new 1" in output and "隔离 quarantined 1" in output and "备注" in output
    assert "未变 unchanged 1" in run(cli, "ingest", "file", str(path), "--resource", CODE)
    db.rollback()  # a fresh snapshot after the commits of other sessions
    assert records.count_current(db, res.id) == 1
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("营业收入\n1\n", "utf-8")
    refused = run(cli, "ingest", "file", str(wrong), "--resource", CODE, code=1)
    assert "统一社会信用代码" in refused


def test_add_a_source_and_pull_it(
    cli: CliRunner, db: Session, demo_city: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = resource(db)
    source_db = tmp_path / "dept.sqlite3"
    with sqlite3.connect(source_db) as connection:
        connection.execute("CREATE TABLE t (uscc TEXT, year INTEGER, revenue TEXT, changed INTEGER)")
        connection.execute("INSERT INTO t VALUES (?, 2025, '100', 1)", (A,))
    monkeypatch.setenv("DEPT_DB", f"sqlite:///{source_db}")
    query = "SELECT uscc AS 统一社会信用代码, year AS 年度, revenue AS 营业收入, changed FROM t WHERE changed > :since"
    added = run(
        cli,
        "ingest",
        "add-source",
        "--resource",
        CODE,
        "--name",
        "部门库",
        "--env",
        "DEPT_DB",
        "--query",
        query,
        "--change-column",
        "changed",
        "--start",
        "0",
    )
    assert "部门库" in added
    assert "新增 new 1" in run(cli, "ingest", "pull", "部门库", "--no-progress")
    assert "部门库" in run(cli, "ingest", "sources")
    assert "no pull source is due" in run(cli, "ingest", "pull")
    monkeypatch.delenv("DEPT_DB")
    assert "DEPT_DB" in run(cli, "ingest", "pull", "部门库", code=1)
    db.rollback()  # a fresh snapshot after the commits of other sessions
    assert records.count_current(db, res.id) == 1
