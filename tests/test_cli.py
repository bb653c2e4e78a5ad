"""The `tongban` command line, run in-process against the test database."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.support.actors import dump_database
from tongban.cli import app as cli_app
from tongban.db import current_revision, head_revision
from tongban.demo.organisations import DEMO_PASSWORD
from tongban.kernel.accounts import tokens
from tongban.kernel.accounts.models import User
from tongban.kernel.i18n import translate
from tongban.kernel.orgs.models import Organisation

TOKEN = re.compile(r"\btb_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose `tongban` uses the test database."""
    monkeypatch.setenv("TONGBAN_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "cli-data"))
    yield CliRunner()


def _run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(cli_app, list(args))
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result.output


def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        return (
            session.scalar(select(func.count()).select_from(User)) or 0,
            session.scalar(select(func.count()).select_from(Organisation)) or 0,
        )


def test_demo_loads_once_and_prints_the_log_ins(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    first = _run(cli, "demo")
    after_first = _counts(session_factory)
    assert after_first[0] >= 11 and after_first[1] >= 27
    second = _run(cli, "demo")
    assert _counts(session_factory) == after_first
    for output in (first, second):
        assert DEMO_PASSWORD in output
        for username in ("admin", "officer", "steward", "enterprise", "citizen", "fz_officer"):
            assert re.search(rf"^\s+{username}\s", output, re.MULTILINE), username
        for label in ("Platform administrator", "Department officer", "Enterprise user"):
            assert translate(label, language="zh-CN") in output


def test_db_status_says_the_schema_is_current(cli: CliRunner, engine: Engine) -> None:
    output = _run(cli, "db", "status")
    assert "up to date" in output
    assert current_revision(engine) == head_revision()
    assert str(head_revision()) in output


def test_users_create_refuses_a_bad_uscc_with_the_reason_in_chinese(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    before = _counts(session_factory)
    output = _run(
        cli,
        "users",
        "create",
        "newboss",
        "--role",
        "enterprise",
        "--name",
        "新老板",
        "--uscc",
        "91350200MA31KH5N2X",
        "--enterprise-name",
        "厦门新公司",
        "--password",
        "Temporary2026",
        code=1,
    )
    reason = translate(
        "The check character should be {expected}, not {actual}.", language="zh-CN", expected="6", actual="X"
    )
    assert reason in output
    assert "uscc" in output
    assert _counts(session_factory) == before


def test_users_create_makes_an_account_that_can_log_in(
    cli: CliRunner, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    output = _run(
        cli,
        "users",
        "create",
        "xmofficer",
        "--role",
        "officer",
        "--name",
        "新科员",
        "--org",
        "350200-SCJGJ",
        "--password",
        "Temporary2026",
    )
    assert "xmofficer" in output
    from tongban.kernel.accounts import service as accounts

    with session_factory() as session:
        outcome = accounts.authenticate(session, "xmofficer", "Temporary2026", accounts.LoginPolicy())
        assert outcome.user is not None and outcome.user.org is not None
        assert outcome.user.org.code == "350200-SCJGJ" and outcome.user.must_change_password
    _run(
        cli,
        "users",
        "create",
        "nobody",
        "--role",
        "king",
        "--name",
        "x",
        "--password",
        "Temporary2026",
        code=1,
    )


def test_tokens_are_printed_once_and_revoked(
    cli: CliRunner, engine: Engine, demo_city: dict[str, Any], session_factory: sessionmaker[Session]
) -> None:
    output = _run(
        cli,
        "tokens",
        "create",
        "--org",
        "350200-SCJGJ",
        "--name",
        "市场监管业务系统",
        "--permission",
        "org.read",
        "--days",
        "30",
    )
    secrets = TOKEN.findall(output)
    assert len(secrets) == 1
    secret = secrets[0]
    assert secret not in dump_database(engine)
    token_id = int(re.search(r"token id (\d+)", output).group(1))  # type: ignore[union-attr]
    with session_factory() as session:
        caller = tokens.actor_for_token(session, secret)
        assert caller is not None and caller.org_id == demo_city["350200-SCJGJ"].id
    assert f"{token_id}" in _run(cli, "tokens", "revoke", str(token_id))
    with session_factory() as session:
        assert tokens.actor_for_token(session, secret) is None
    again = _run(cli, "tokens", "revoke", str(token_id), code=1)
    assert translate("This token is already revoked.", language="zh-CN") in again


def test_tokens_create_refuses_rights_a_token_cannot_have(cli: CliRunner, demo_city: dict[str, Any]) -> None:
    output = _run(
        cli, "tokens", "create", "--org", "350200-SCJGJ", "--name", "x", "--permission", "user.manage", code=1
    )
    assert "permissions" in output
    assert not TOKEN.search(output)


def test_audit_verify_passes_after_the_demo(cli: CliRunner) -> None:
    _run(cli, "demo")
    assert "intact" in _run(cli, "audit", "verify")


# --- serve and the schema ---------------------------------------------------------------------------


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """uvicorn.run is replaced so `tongban serve` returns instead of serving."""
    import uvicorn

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = os.environ.get("TONGBAN_TEST_DATABASE_URL")
    if not url:
        pytest.skip("TONGBAN_TEST_DATABASE_URL is not set")
    name = f"tongban_empty_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_serve_upgrades_sqlite_but_refuses_an_unmigrated_postgresql(
    backend: str,
    empty_database: str,
    no_serving: list[tuple[Any, ...]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", empty_database)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path / "serve-data"))
    runner = CliRunner()
    result = runner.invoke(cli_app, ["serve", "--port", "8765"])
    probe = create_engine(empty_database)
    try:
        if backend == "sqlite":
            assert result.exit_code == 0, result.output
            assert current_revision(probe) == head_revision()  # the embedded database was created
            assert len(no_serving) == 1 and no_serving[0][1]["port"] == 8765
        else:
            assert result.exit_code == 1
            assert "tongban db upgrade" in result.output
            assert "数据库" in result.output
            assert no_serving == []
            assert current_revision(probe) is None  # nothing was changed
            # after the upgrade the same command serves
            upgraded = runner.invoke(cli_app, ["db", "upgrade"])
            assert upgraded.exit_code == 0, upgraded.output
            assert runner.invoke(cli_app, ["serve"]).exit_code == 0
            assert len(no_serving) == 1
    finally:
        probe.dispose()
