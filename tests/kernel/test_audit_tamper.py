"""Tampering with the audit table directly is detected, by the service and by `tongban audit verify`.

Each case changes the database with plain SQL, as someone with database access would, and
requires verification to name the first bad event and what happened to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, actor, org
from typer.testing import CliRunner

from tongban.cli import app as cli_app
from tongban.kernel.audit import service as audit
from tongban.kernel.audit.domain import EventFields, event_hash, verify_chain
from tongban.kernel.audit.models import GENESIS_HASH
from tongban.kernel.orgs import service as orgs

TARGET = 10  # a middle event of the chain


def _run(connection: Connection, sql: str, **params: Any) -> None:
    connection.execute(text(sql), params)


def _row_fields(connection: Connection, seq: int) -> EventFields:
    row = (
        connection.execute(text("SELECT * FROM audit_events WHERE seq = :seq"), {"seq": seq}).mappings().one()
    )
    occurred = row["occurred_at"]
    if isinstance(occurred, str):
        occurred = datetime.fromisoformat(occurred)
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    return EventFields(
        seq=row["seq"],
        occurred_at=occurred,
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        actor_label=row["actor_label"],
        org_id=row["org_id"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        summary=row["summary"],
        request_id=row["request_id"],
        prev_hash=row["prev_hash"],
    )


def _rehash(connection: Connection, seq: int, summary: str) -> None:
    """Change an event and recompute its own hash, as a careful forger would."""
    fields = replace(_row_fields(connection, seq), summary=summary)
    _run(
        connection,
        "UPDATE audit_events SET summary = :summary, hash = :hash WHERE seq = :seq",
        summary=fields.summary,
        hash=event_hash(fields),
        seq=seq,
    )


def _forge_after(connection: Connection, last: int) -> None:
    """Append a well-formed event with SQL, bypassing the audit service (and its head row)."""
    previous = connection.execute(
        text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": last}
    ).scalar_one()
    fields = replace(
        _row_fields(connection, last), seq=last + 1, prev_hash=previous, summary='{"forged":true}'
    )
    values = {k: v for k, v in fields.__dict__.items() if k != "occurred_at"}
    _run(
        connection,
        "INSERT INTO audit_events (seq, occurred_at, actor_kind, actor_id, actor_label, org_id, action,"
        " object_type, object_id, summary, request_id, prev_hash, hash) SELECT :seq, occurred_at, :actor_kind,"
        " :actor_id, :actor_label, :org_id, :action, :object_type, :object_id, :summary, :request_id, :prev_hash,"
        " :hash FROM audit_events WHERE seq = :last",
        **values,
        hash=event_hash(fields),
        last=last,
    )


def _swap(connection: Connection, first: int, second: int) -> None:
    _run(connection, "UPDATE audit_events SET seq = -1 WHERE seq = :s", s=first)
    _run(connection, "UPDATE audit_events SET seq = :a WHERE seq = :b", a=first, b=second)
    _run(connection, "UPDATE audit_events SET seq = :b WHERE seq = -1", b=second)


def _renumber_after_delete(connection: Connection, last: int) -> None:
    _run(connection, "DELETE FROM audit_events WHERE seq = :s", s=TARGET)
    for seq in range(TARGET + 1, last + 1):
        _run(connection, "UPDATE audit_events SET seq = :n WHERE seq = :o", n=seq - 1, o=seq)
    _run(connection, "UPDATE audit_head SET seq = :n", n=last - 1)


@dataclass(frozen=True)
class Case:
    tamper: Callable[[Connection, int], object]  # (connection, seq of the last event)
    seq: Callable[[int], int]  # the seq the report must name, from the seq of the last event
    kind: str


def _sql(statement: str, **params: Any) -> Callable[[Connection, int], None]:
    return lambda connection, last: _run(connection, statement, **({"target": TARGET, "last": last} | params))


def at_target(last: int) -> int:
    return TARGET


def at_last(last: int) -> int:
    return last


CASES: dict[str, Case] = {
    "summary changed": Case(
        _sql('UPDATE audit_events SET summary = \'{"name":"伪造"}\' WHERE seq = :target'),
        at_target,
        "altered",
    ),
    "actor changed": Case(
        _sql("UPDATE audit_events SET actor_label = 'someone_else' WHERE seq = :target"), at_target, "altered"
    ),
    "action changed": Case(
        _sql("UPDATE audit_events SET action = 'org.read' WHERE seq = :target"), at_target, "altered"
    ),
    "organisation changed": Case(
        _sql("UPDATE audit_events SET org_id = 999 WHERE seq = :target"), at_target, "altered"
    ),
    "link changed": Case(
        _sql("UPDATE audit_events SET prev_hash = :h WHERE seq = :target", h="f" * 64), at_target, "altered"
    ),
    "stored hash changed": Case(
        _sql("UPDATE audit_events SET hash = :h WHERE seq = :target", h="e" * 64), at_target, "altered"
    ),
    "middle event deleted": Case(_sql("DELETE FROM audit_events WHERE seq = :target"), at_target, "missing"),
    "two middle events deleted": Case(
        _sql("DELETE FROM audit_events WHERE seq IN (:target, :next)", next=TARGET + 1), at_target, "missing"
    ),
    "first event deleted": Case(_sql("DELETE FROM audit_events WHERE seq = 1"), lambda last: 1, "missing"),
    "last event deleted": Case(_sql("DELETE FROM audit_events WHERE seq = :last"), at_last, "missing"),
    "last two events deleted": Case(
        _sql("DELETE FROM audit_events WHERE seq >= :last - 1"), lambda last: last - 1, "missing"
    ),
    "every event deleted": Case(_sql("DELETE FROM audit_events"), lambda last: 1, "missing"),
    "two events swapped": Case(lambda c, last: _swap(c, TARGET, TARGET + 1), at_target, "reordered"),
    "distant events swapped": Case(lambda c, last: _swap(c, TARGET, last - 1), at_target, "reordered"),
    "event deleted and the rest renumbered": Case(_renumber_after_delete, at_target, "reordered"),
    "middle event changed and re-hashed": Case(
        lambda c, last: _rehash(c, TARGET, '{"name":"伪造"}'), at_target, "altered"
    ),
    "last event changed and re-hashed": Case(
        lambda c, last: _rehash(c, last, '{"name":"伪造"}'), at_last, "altered"
    ),
    "event added behind the chain's back": Case(_forge_after, lambda last: last + 1, "inserted"),
}


@pytest.fixture
def chain(db: Session, demo_city: dict[str, Any]) -> int:
    """A chain of a few dozen real events; returns the seq of the last one."""
    admin = actor(db, "admin")
    for name in ("厦门市统计局（一）", "厦门市统计局（二）", "厦门市统计局（三）"):
        orgs.rename(db, admin, org(db, "350200-TJJ").id, name)
    db.commit()
    report = audit.verify(db, SYSTEM)
    assert report.intact and report.checked > TARGET + 5
    return report.checked


def _tamper(engine: Engine, name: str, last: int) -> tuple[int, str]:
    case = CASES[name]
    with engine.begin() as connection:
        case.tamper(connection, last)
    return case.seq(last), case.kind


@pytest.mark.parametrize("name", list(CASES))
def test_tampering_is_detected_at_the_first_bad_event(
    engine: Engine, session_factory: Any, chain: int, name: str
) -> None:
    seq, kind = _tamper(engine, name, chain)
    with session_factory() as session:
        report = audit.verify(session, SYSTEM)
    assert not report.intact
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (seq, kind), report.problem


def test_verification_of_an_intact_chain_counts_every_event(session_factory: Any, chain: int) -> None:
    with session_factory() as session:
        report = audit.verify(session, SYSTEM)
    assert report.intact and report.checked == chain and report.problem is None


# --- the command line -------------------------------------------------------------------------


def _cli_env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    return {
        "TONGBAN_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TONGBAN_DATA_DIR": str(tmp_path / "cli-data"),
    }


@pytest.mark.parametrize(
    "name", ["summary changed", "middle event deleted", "two events swapped", "last event deleted"]
)
def test_cli_verify_exits_1_naming_the_event(
    engine: Engine, chain: int, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _cli_env(engine, tmp_path).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    intact = runner.invoke(cli_app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert f"{chain} events" in intact.output
    seq, kind = _tamper(engine, name, chain)
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"seq {seq}" in broken.output and kind in broken.output


def test_installed_command_verifies_the_chain(engine: Engine, chain: int, tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("tongban")
    environment = os.environ | _cli_env(engine, tmp_path)
    intact = subprocess.run(
        [str(command), "audit", "verify"], env=environment, capture_output=True, text=True, check=False
    )
    assert intact.returncode == 0, intact.stderr
    _tamper(engine, "summary changed", chain)
    broken = subprocess.run(
        [str(command), "audit", "verify"], env=environment, capture_output=True, text=True, check=False
    )
    assert broken.returncode == 1
    assert f"seq {TARGET}" in broken.stderr


# --- the rule itself, for any chain -------------------------------------------------------------

BASE = datetime(2026, 11, 27, tzinfo=UTC)
texts = st.text(max_size=12)
optional_ids = st.none() | st.integers(min_value=0, max_value=10**6)
contents = st.fixed_dictionaries(
    {
        "actor_kind": st.sampled_from(["user", "token", "system", "anonymous"]),
        "actor_id": optional_ids,
        "actor_label": texts,
        "org_id": optional_ids,
        "action": texts,
        "object_type": texts,
        "object_id": texts,
        "summary": texts.map(lambda s: json.dumps({"v": s}, ensure_ascii=False)),
        "request_id": st.none() | texts,
        "seconds": st.integers(min_value=0, max_value=10**8),
    }
)
MUTABLE = {
    "occurred_at": st.integers(min_value=1, max_value=10**6).map(lambda us: timedelta(microseconds=us)),
    "actor_kind": texts,
    "actor_id": optional_ids,
    "actor_label": texts,
    "org_id": optional_ids,
    "action": texts,
    "object_type": texts,
    "object_id": texts,
    "summary": texts,
    "request_id": st.none() | texts,
    "prev_hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
}

Chain = list[tuple[int, EventFields, str]]


def _build(items: list[dict[str, Any]]) -> tuple[Chain, tuple[int, str]]:
    chain_: Chain = []
    previous = GENESIS_HASH
    for seq, item in enumerate(items, start=1):
        values = dict(item)
        moment = BASE + timedelta(seconds=values.pop("seconds"))
        fields = EventFields(seq=seq, occurred_at=moment, prev_hash=previous, **values)
        previous = event_hash(fields)
        chain_.append((seq * 7, fields, previous))
    return chain_, (len(chain_), previous)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(contents, min_size=1, max_size=8), data=st.data())
def test_any_single_field_change_is_detected_at_that_event(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    chain_, head = _build(items)
    assert verify_chain(chain_, head, GENESIS_HASH).intact
    index = data.draw(st.integers(min_value=0, max_value=len(chain_) - 1))
    name = data.draw(st.sampled_from([*sorted(MUTABLE), "stored hash"]))
    event_id, fields, stored = chain_[index]
    if name == "stored hash":
        stored = data.draw(
            st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).filter(lambda h: h != stored)
        )
    elif name == "occurred_at":
        fields = replace(fields, occurred_at=fields.occurred_at + data.draw(MUTABLE[name]))
    else:
        old = getattr(fields, name)
        fields = replace(fields, **{name: data.draw(MUTABLE[name].filter(lambda v: v != old))})
    chain_[index] = (event_id, fields, stored)
    report = verify_chain(chain_, head, GENESIS_HASH)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (index + 1, "altered")


@settings(max_examples=100, deadline=None)
@given(items=st.lists(contents, min_size=1, max_size=8), data=st.data())
def test_any_deletion_is_detected_at_the_deleted_event(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    chain_, head = _build(items)
    index = data.draw(st.integers(min_value=0, max_value=len(chain_) - 1))
    del chain_[index]
    report = verify_chain(chain_, head, GENESIS_HASH)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (index + 1, "missing")


@settings(max_examples=100, deadline=None)
@given(items=st.lists(contents, min_size=2, max_size=8), data=st.data())
def test_any_swap_is_detected_at_the_earlier_position(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    chain_, head = _build(items)
    first = data.draw(st.integers(min_value=0, max_value=len(chain_) - 2))
    second = data.draw(st.integers(min_value=first + 1, max_value=len(chain_) - 1))
    (id_a, a, hash_a), (id_b, b, hash_b) = chain_[first], chain_[second]
    # the rows keep their content and hash but trade seq values, so they trade places in seq order
    chain_[first] = (id_b, replace(b, seq=a.seq), hash_b)
    chain_[second] = (id_a, replace(a, seq=b.seq), hash_a)
    report = verify_chain(chain_, head, GENESIS_HASH)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (first + 1, "reordered")


@settings(max_examples=50, deadline=None)
@given(items=st.lists(contents, min_size=0, max_size=8))
def test_an_untouched_chain_is_intact(items: list[dict[str, Any]]) -> None:
    chain_, head = _build(items)
    report = verify_chain(chain_, head, GENESIS_HASH)
    assert report.intact and report.checked == len(items)
