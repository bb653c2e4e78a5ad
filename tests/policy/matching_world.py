"""Shared set-up of the matching tests: two enterprises loaded through ingest with a profile
snapshot (the hub), published items, and what matching hands to delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.policy.world import item_fields, policy_fields
from tests.profiles.world import make_world
from tests.support.actors import actor
from tongban.db import transaction
from tongban.kernel.clock import Clock
from tongban.policy import delivery, jobs, service
from tongban.policy.models import Match, MatchRun
from tongban.profiles import snapshot

MOMENT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
WAN = 1_000_000  # fen in 1万元

# E1-like: registered and taxed in the city, industrial, last year's revenue over a threshold.
E1_LIKE = (
    "registered_region within 厦门市 and tax_region within 厦门市\n"
    "and industry within [B, C, D] and revenue[last_year] >= 2500万"
)
# E2-like: high-tech enterprises of 思明区, 10% of last year's R&D, at most 100万.
E2_LIKE = "registered_region within 思明区 and has(qualifications, high_tech)"
E2_AMOUNT = "min(10% * rd_expense[last_year], 100万)"
HULI = "registered_region within 湖里区"  # no amount formula


@dataclass(frozen=True)
class Hub:
    factory: sessionmaker[Session]
    uscc: str  # the demo enterprise (eligible for E1-like and E2-like)
    snapshots: Path


Queued = list[tuple[int, int, tuple[str, ...]]]


def spy_delivery(monkeypatch: pytest.MonkeyPatch) -> Queued:
    """Record what matching hands to delivery (item, version, subjects)."""
    calls: Queued = []

    def spy(session: Session, item_id: int, version_id: int, subjects: Any) -> int:
        calls.append((item_id, version_id, tuple(subjects)))
        return len(subjects)

    monkeypatch.setattr(delivery, "queue_for_matches", spy)
    return calls


def make_hub(
    factory: sessionmaker[Session], clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Hub:
    """Two enterprises loaded through ingest and a snapshot of their profiles; publishing does
    not start runs by itself here (the tests run them)."""
    clock.freeze(MOMENT)
    monkeypatch.setattr(jobs, "match_items", lambda *args, **kwargs: None)
    world = make_world(factory)
    snapshot.build_snapshot(factory, tmp_path / "snapshots", label="test")
    return Hub(factory, world.uscc, tmp_path / "snapshots")


def publish(factory: sessionmaker[Session], condition: str, amount: str = "", title: str = "事项") -> int:
    """A published item of 工信局 with the condition and amount; its id."""
    with transaction(factory) as session:
        officer, reviewer = actor(session, "policy_officer"), actor(session, "policy_reviewer")
        policy = service.create_policy(session, officer, policy_fields())
        fields = item_fields(title=title, condition_text=condition, amount_text=amount)
        version = service.create_item(session, officer, policy.id, fields)
        service.submit(session, officer, version.id)
        service.approve(session, reviewer, version.id)
        return version.item_id


Row = tuple[int, int, str, str, int | None, int | None, tuple[str, ...]]


def rows(factory: sessionmaker[Session]) -> set[Row]:
    """Every stored match, without ids, run and time."""
    with factory() as session:
        return {
            (m.item_id, m.version_id, m.subject, m.status, m.amount_low, m.amount_high, tuple(m.open_atoms))
            for m in session.scalars(select(Match))
        }


def get_run(factory: sessionmaker[Session], run_id: int) -> MatchRun:
    with factory() as session:
        found = session.get(MatchRun, run_id)
        assert found is not None
        return found
