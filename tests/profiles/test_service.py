"""Profiles as a service, on both databases: loads refresh profiles through the event, lineage,
conflicts, the platform's use in "who used my data", and who may read which profile."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.profiles.world import REGISTRATIONS, RETURNS, World, annual_return, make_world, push, registration
from tests.support.actors import actor
from tongban.exchange import usage
from tongban.exchange.models import AccessKind
from tongban.kernel import events
from tongban.kernel.errors import PermissionDenied, ValidationFailed
from tongban.profiles import service
from tongban.profiles.events import ProfileChanged
from tongban.profiles.models import ProfileValue


@pytest.fixture
def world(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> World:
    return make_world(session_factory)


def values(db: Session, subject: str) -> dict[tuple[str, int | None], ProfileValue]:
    db.expire_all()
    rows = db.scalars(select(ProfileValue).where(ProfileValue.subject == subject))
    return {(r.attribute, r.year): r for r in rows}


def test_loads_build_the_profile_with_lineage(db: Session, world: World) -> None:
    found = values(db, world.uscc)
    capital = found[("registered_capital", None)]
    assert capital.value == 500 * 10_000 * 100  # 500万元 in fen
    assert capital.source_resource == REGISTRATIONS and capital.source_field == "注册资本（万元）"
    assert capital.source_department == "厦门市市场监督管理局" and capital.recorded_at is not None
    assert found[("revenue", 2024)].value == 2_100_000_025
    assert found[("qualifying_hires", 2025)].value == 1  # a related person matching the condition
    assert found[("qualifications", None)].value == {
        "above_scale_industrial": {"since": "2025-01-01", "until": "2025-12-31"},  # 统计's list, by year
        "high_tech": {"since": "2023-12-12", "until": "2026-12-11"},  # three years from the certificate
    }
    assert found[("serious_dishonesty", None)].value is False  # a complete list without the firm
    assert {y for (k, y) in found if k == "revenue"} == {2023, 2024, 2025}


def test_conflicts_are_resolved_with_their_reason(db: Session, world: World) -> None:
    found = values(db, world.uscc)
    industry = found[("industry", None)]
    assert industry.conflict and industry.reason == "authoritative"  # 市场监管's base register wins
    assert industry.value == "3911" and industry.source_resource == REGISTRATIONS
    revenue = found[("revenue", 2025)]  # 税务 26,000,000 vs 统计 25,500 千元
    assert revenue.conflict and revenue.reason == "most_recent"


def test_a_changed_record_updates_the_profile_through_the_event(
    db: Session, session_factory: sessionmaker[Session], world: World
) -> None:
    seen: list[ProfileChanged] = []
    events.subscribe(ProfileChanged, lambda _s, e: seen.append(e))
    try:
        push(session_factory, REGISTRATIONS, registration(world.uscc, capital="800"))
    finally:
        events._handlers[ProfileChanged].clear()
    assert values(db, world.uscc)[("registered_capital", None)].value == 800 * 1_000_000
    assert seen == [ProfileChanged(world.uscc, ("registered_capital",))]


def test_an_unchanged_reload_changes_nothing(
    db: Session, session_factory: sessionmaker[Session], world: World
) -> None:
    seen: list[ProfileChanged] = []
    events.subscribe(ProfileChanged, lambda _s, e: seen.append(e))
    try:
        push(session_factory, RETURNS, annual_return(world.uscc, 2023, "18000000"))
    finally:
        events._handlers[ProfileChanged].clear()
    assert seen == []


def test_the_platforms_reads_appear_in_who_used_my_data(db: Session, world: World) -> None:
    entries = usage.my_usage(db, actor(db, "enterprise")).items
    platform = [e for e in entries if e.kind is AccessKind.PLATFORM]
    assert platform and all(e.purpose == "企业画像" and e.grant_id is not None for e in platform)
    assert {"注册资本（万元）", "住所所在行政区划"} <= {f for e in platform for f in e.fields}


def test_a_staff_read_is_logged_and_shows_lineage(db: Session, world: World) -> None:
    officer = actor(db, "officer")
    before = len(usage.my_usage(db, actor(db, "enterprise")).items)
    profile = service.get_profile(db, officer, world.uscc)
    db.commit()
    assert len(usage.my_usage(db, actor(db, "enterprise")).items) > before
    capital = next(a for a in profile.attributes if a.attribute.key == "registered_capital").values[0]
    assert capital.display == "500.00" and capital.source_department == "厦门市市场监督管理局"
    assert capital.freshness == "fresh"
    industry = next(a for a in profile.attributes if a.attribute.key == "industry").values[0]
    assert industry.conflict and "authoritative" in industry.reason_label


def test_an_enterprise_sees_only_its_own_profile(db: Session, world: World) -> None:
    from tests.profiles.world import OTHER

    own = service.get_profile(db, actor(db, "enterprise"), world.uscc)
    assert own.subject == world.uscc
    with pytest.raises(PermissionDenied):
        service.get_profile(db, actor(db, "enterprise"), OTHER)
    with pytest.raises(PermissionDenied):  # 福州's officer: the firm is registered in 厦门
        service.get_profile(db, actor(db, "fz_officer"), world.uscc)
    with pytest.raises(PermissionDenied):
        service.get_profile(db, actor(db, "citizen"), world.uscc)


def test_self_declared_values_fill_gaps_only(db: Session, world: World) -> None:
    enterprise = actor(db, "enterprise")
    changed = service.declare_value(db, enterprise, attribute="net_profit", raw="1200000", year=2025)
    db.commit()
    assert changed == ["net_profit"]
    row = values(db, world.uscc)[("net_profit", 2025)]
    assert row.self_declared and row.value == 120_000_000 and row.source_resource == ""
    with pytest.raises(ValidationFailed):  # a department provides it: dispute instead
        service.declare_value(db, enterprise, attribute="registered_capital", raw="1")
    with pytest.raises(ValidationFailed):
        service.declare_value(db, enterprise, attribute="export_share", raw="lots", year=2025)


def test_without_grants_nothing_is_read(
    session_factory: sessionmaker[Session], db: Session, demo_city: dict[str, Any]
) -> None:
    world = make_world(session_factory, grants=False)
    assert values(db, world.uscc) == {}
    assert not [e for e in usage.my_usage(db, actor(db, "enterprise")).items if e.kind is AccessKind.PLATFORM]
