"""Test harness: both databases, an app client, a movable clock, and a browser.

Every test that takes the ``engine`` (or anything built on it) runs once on SQLite and once
on PostgreSQL when ``TONGBAN_TEST_DATABASE_URL`` is set. Each test gets a clean database:
SQLite from a migrated template file, PostgreSQL from a per-worker database that is
truncated before the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tongban.app import create_app
from tongban.config import Settings
from tongban.db import Base, make_engine, make_session_factory, upgrade
from tongban.kernel.accounts import domain as account_domain
from tongban.kernel.audit.models import GENESIS_HASH
from tongban.kernel.clock import Clock, clock
from tongban.models import import_all_models
from tongban.wiring import connect_contexts

pytest_plugins = ["tests.support.browser"]

POSTGRES_URL = os.environ.get("TONGBAN_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]

# Cheap Argon2 parameters keep account-heavy tests fast; production uses the library defaults.
account_domain.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
import_all_models()
connect_contexts()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("TONGBAN_TEST_DATABASE_URL is not set")
    admin_url = make_url(POSTGRES_URL)
    # The process id keeps two test runs on the same server (two checkouts, two engineers)
    # from dropping each other's databases.
    name = f"tongban_test_{_worker()}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin_url.set(database=name).render_as_string(hide_password=False))
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(engine: Engine) -> None:
    """Empty every table and restart the ids. DELETE, not TRUNCATE: on the few rows a test
    leaves, DELETE takes milliseconds where TRUNCATE takes half a second (new files per table)."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))
        connection.execute(text("DELETE FROM policy_search"))  # the library's index, outside the models
        sequences = connection.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).scalars()
        for sequence in list(sequences):
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        # The chains' head rows, as the migrations create them.
        for head in ("audit_head", "access_log_head"):
            connection.execute(
                text(f"INSERT INTO {head} (id, seq, hash) VALUES (1, 0, :genesis)"), {"genesis": GENESIS_HASH}
            )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tongban.sqlite3"
        shutil.copyfile(template, path)
        sqlite_engine = make_engine(f"sqlite:///{path}")
        yield sqlite_engine
        sqlite_engine.dispose()
    else:
        pg_engine: Engine = request.getfixturevalue("postgres_engine")
        _truncate(pg_engine)
        yield pg_engine


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking; tests commit when the code under test would."""
    session = session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production", language="zh-CN"
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Any:
    return create_app(settings, engine)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def frozen_clock() -> Iterator[Clock]:
    """The platform clock; tests freeze or move it, and it is reset afterwards."""
    yield clock
    clock.reset()


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture
def demo_city(session_factory: sessionmaker[Session]) -> dict[str, Any]:
    """The demo organisations and accounts, committed; returns organisations by code."""
    from tongban.demo.organisations import seed
    from tongban.kernel.orgs.models import Organisation

    with session_factory() as session:
        seed(session)
        session.commit()
        return {org.code: org for org in session.query(Organisation).all()}
