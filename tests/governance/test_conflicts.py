"""Conflicts between departments on both databases: found, listed with both sides, resolved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.governance.conftest import (
    ADDRESS,
    INSURED,
    OLD_ADDRESS,
    OTHER,
    REGISTRATIONS,
    TAXPAYERS,
    UNITS,
    Hub,
)
from tests.support.actors import SYSTEM, actions, actor
from tongban.governance import conflicts
from tongban.governance.conflicts_domain import Reason, ResolutionKind, ResolutionRule
from tongban.kernel.errors import NotFound, PermissionDenied, ValidationFailed


def test_canonical_form_strips_folds_case_and_reads_numbers() -> None:
    assert conflicts.canonical("  Xiamen  Road ") == conflicts.canonical("xiamen road")
    assert conflicts.canonical("12.50") == conflicts.canonical(12.5) == conflicts.canonical("12.5")
    assert conflicts.canonical(12) == conflicts.canonical("12.0")
    assert conflicts.differ("甲", "乙") and not conflicts.differ("甲", None)


def test_scan_finds_the_address_and_headcount_conflicts_only(db: Session, hub: Hub) -> None:
    report = conflicts.scan(db, SYSTEM)
    page = conflicts.list_conflicts(db, SYSTEM)
    found = {(v.conflict.element_key, v.conflict.subject) for v in page.items}
    # the other company's address differs only in spacing, and its headcounts agree for 2025
    assert found == {("registered_address", hub.enterprise), ("employees", hub.enterprise)}
    assert report.conflicts == 2
    address = next(v for v in page.items if v.conflict.element_key == "registered_address")
    values = {c.resource_code: c.value for c in address.candidates}
    assert values == {REGISTRATIONS: ADDRESS, TAXPAYERS: OLD_ADDRESS}
    assert all(c.department for c in address.candidates)
    assert address.age_days(0) >= 0
    headcount = next(v for v in page.items if v.conflict.element_key == "employees")
    assert {c.resource_code: c.value for c in headcount.candidates} == {UNITS: 12, INSURED: 50}
    assert "conflicts.scan" in actions(db)
    assert OTHER not in {v.conflict.subject for v in page.items}


def test_rules_decide_the_value_and_the_reason(db: Session, hub: Hub) -> None:
    conflicts.scan(db, SYSTEM)
    admin = actor(db, "admin")
    conflicts.set_rule(
        db, admin, "registered_address", ResolutionKind.AUTHORITATIVE, REGISTRATIONS, "登记机关为准"
    )
    assert conflicts.resolution_rules(db)["registered_address"] == ResolutionRule(
        ResolutionKind.AUTHORITATIVE, REGISTRATIONS
    )
    assert conflicts.resolution_rules(db)["employees"].kind is ResolutionKind.MOST_RECENT
    view = conflicts.list_conflicts(
        db, admin, conflicts.ConflictFilter(element_key="registered_address")
    ).items[0]
    assert view.choice is not None and view.choice.value == ADDRESS
    assert view.choice.reason is Reason.AUTHORITATIVE

    conflicts.set_rule(db, admin, "registered_address", ResolutionKind.MANUAL)
    view = conflicts.get_conflict(db, admin, view.conflict.id)
    assert view.choice is not None and view.choice.reason is Reason.AWAITING_DECISION
    assert view.choice.value is None

    side = "a" if view.candidates[0].resource_code == TAXPAYERS else "b"
    conflicts.decide(db, admin, view.conflict.id, side, "企业提供了租赁合同")
    view = conflicts.get_conflict(db, admin, view.conflict.id)
    assert view.choice is not None and view.choice.reason is Reason.MANUAL_DECISION
    assert view.choice.value == OLD_ADDRESS and view.decided
    decided = conflicts.manual_decisions(db, [hub.enterprise])
    assert decided[(hub.enterprise, "registered_address")].resource_code == TAXPAYERS
    assert conflicts.manual_decisions(db, ["nobody"]) == {}
    assert {"conflicts.rule", "conflicts.decide"} <= set(actions(db))


def test_only_administrators_set_rules_and_decide(db: Session, hub: Hub) -> None:
    conflicts.scan(db, SYSTEM)
    steward = actor(db, "steward")
    with pytest.raises(PermissionDenied):
        conflicts.set_rule(db, steward, "registered_address", ResolutionKind.MOST_RECENT)
    conflict_id = conflicts.list_conflicts(db, steward).items[0].conflict.id
    with pytest.raises(PermissionDenied):
        conflicts.decide(db, steward, conflict_id, "a")
    with pytest.raises(PermissionDenied):
        conflicts.list_conflicts(db, actor(db, "enterprise"))
    admin = actor(db, "admin")
    with pytest.raises(ValidationFailed):
        conflicts.set_rule(db, admin, "registered_address", ResolutionKind.AUTHORITATIVE, UNITS)
    with pytest.raises(NotFound):
        conflicts.set_rule(db, admin, "no_such_element", ResolutionKind.MOST_RECENT)


def test_a_steward_sees_conflicts_of_its_department_and_filters_work(
    db: Session, hub: Hub, demo_city: dict[str, Any]
) -> None:
    conflicts.scan(db, SYSTEM)
    steward = actor(db, "steward")  # 市场监管
    mine = conflicts.list_conflicts(db, steward)
    assert {v.conflict.element_key for v in mine.items} == {"registered_address"}
    by_tax = conflicts.list_conflicts(db, SYSTEM, conflicts.ConflictFilter(org_id=demo_city["350200-RSJ"].id))
    assert {v.conflict.element_key for v in by_tax.items} == {"employees"}
    assert conflicts.list_conflicts(db, SYSTEM, conflicts.ConflictFilter(subject=OTHER)).total == 0
    assert len(conflicts.export_conflicts(db, SYSTEM)) == 2


def test_rules_list_defaults_for_every_shared_element(db: Session, hub: Hub) -> None:
    rules = {r.element_key: r for r in conflicts.list_rules(db, SYSTEM)}
    assert {"registered_address", "enterprise_name"} <= set(rules)
    assert rules["registered_address"].stored is None
    assert set(rules["registered_address"].resources) == {REGISTRATIONS, TAXPAYERS}


def test_a_scan_again_keeps_the_ids_and_drops_what_is_settled(db: Session, hub: Hub) -> None:
    conflicts.scan(db, SYSTEM)
    before = {v.conflict.element_key: v.conflict.id for v in conflicts.list_conflicts(db, SYSTEM).items}
    conflicts.scan(db, SYSTEM)
    after = {v.conflict.element_key: v.conflict.id for v in conflicts.list_conflicts(db, SYSTEM).items}
    assert after == before
    assert conflicts.last_scan(db) is not None
