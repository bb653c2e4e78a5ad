"""The demo city's policies: at least 40 items from at least 8 policies, every example clause
(E1–E10) among them with its rule file's text, windows in every state but closed, published with
four eyes, idempotent, and — over the `make demo` city — matched and delivered so that the demo
enterprise has several eligible items."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.support.actors import actions, user

from tongban.catalog.service import seed_standard_elements
from tongban.demo.hub import load_city, pick_demo_subjects, register_city_resources
from tongban.demo.organisations import DEPARTMENTS, seed
from tongban.demo.policies import (
    RULES_DIR,
    load_demo_policies,
    publish_demo_policies,
    publish_policies,
    rule_file_texts,
)
from tongban.demo.profiles import prepare_profiles
from tongban.kernel.audit.models import AuditEvent
from tongban.kernel.clock import Clock
from tongban.kernel.permissions import Actor
from tongban.notify.models import InboxMessage
from tongban.policy import jobs, matching
from tongban.policy import service as policy_service
from tongban.policy.domain import SUPPORT_TYPES, VersionState, WindowState, window_state
from tongban.policy.models import ItemVersion, Match, Policy, PolicyItem
from tongban.rules.files import read_rule_file

DAY = date(2026, 9, 15)  # after the city's extraction date (30 June of its reference year)
DEMO_DEPARTMENTS = {f"{region}-{suffix}" for region, suffix, _ in DEPARTMENTS}


@pytest.fixture
def no_job_queue(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Publishing schedules a match run after commit; the tests run matching themselves."""
    queued: list[Any] = []
    monkeypatch.setattr(jobs.match_items, "schedule", lambda *a, **k: queued.append((a, k)))
    return queued


def test_at_least_forty_items_from_eight_policies_and_every_rule_checks() -> None:
    policies = load_demo_policies(DAY)
    items = [item for policy in policies for item in policy.items]
    assert len(policies) >= 8 and len(items) >= 40
    assert len({p.fields.doc_number for p in policies}) == len(policies)
    for item in items:
        rule = policy_service.compile_rule(item.fields.condition_text, item.fields.amount_text)
        assert rule.condition is not None, item.title
        assert item.fields.support_types and set(item.fields.support_types) <= set(SUPPORT_TYPES)
        assert not item.handling or item.handling in DEMO_DEPARTMENTS
    assert sum(item.fields.no_application for item in items) >= 3
    groups = Counter(item.fields.exclusive_group for item in items if item.fields.exclusive_group)
    assert groups and all(count >= 2 for count in groups.values())
    # Each document has a full text of numbered articles or points, not a one-line stub.
    assert all(len(p.fields.full_text.splitlines()) >= 6 and len(p.fields.full_text) > 400 for p in policies)


def test_every_example_clause_is_an_item_with_its_rule_file_text() -> None:
    items = [item for policy in load_demo_policies(DAY) for item in policy.items]
    files = sorted(RULES_DIR.glob("e*.rules"))
    assert len(files) == 10
    for path in files:
        using = [item for item in items if item.rule_file == path.name]
        assert len(using) == 1, path.name
        condition, amount = rule_file_texts(path.name)
        assert using[0].fields.condition_text == condition and using[0].fields.amount_text == amount
        text = path.read_text("utf-8")
        assert condition.splitlines()[0] in text
        from_file = read_rule_file(path).rule
        assert policy_service.compile_rule(condition, amount) == from_file


@pytest.mark.parametrize("day", [DAY, date(2027, 2, 28), date(2030, 12, 31)])
def test_windows_are_open_closing_soon_or_upcoming_never_closed(day: date) -> None:
    states = Counter(
        window_state(item.fields.window_opens, item.fields.window_closes, day)
        for policy in load_demo_policies(day)
        for item in policy.items
    )
    assert states[WindowState.CLOSED] == 0
    assert states[WindowState.OPEN] >= 20
    assert 3 <= states[WindowState.CLOSING_SOON] <= 12
    assert 1 <= states[WindowState.UPCOMING] <= 6


def test_publishing_uses_four_eyes_and_runs_once(
    session_factory: sessionmaker[Session], demo_city: dict[str, Any], no_job_queue: list[Any]
) -> None:
    expected = load_demo_policies()
    total, created, published = publish_policies(session_factory)
    assert (total, created) == (len(expected), len(expected))
    assert published == sum(len(p.items) for p in expected)
    with session_factory() as session:
        officer, reviewer = user(session, "policy_officer"), user(session, "policy_reviewer")
        versions = session.scalars(select(ItemVersion)).all()
        assert len(versions) == published
        assert all(v.state is VersionState.PUBLISHED for v in versions)
        assert {(v.submitted_by_id, v.reviewed_by_id) for v in versions} == {(officer.id, reviewer.id)}
        assert len(policy_service.live_items(session)) == published
        gxj = demo_city["350200-GXJ"].id
        assert {p.org_id for p in session.scalars(select(Policy))} == {gxj}
        handled = {v.handling_org_id for v in versions} - {None}
        assert {demo_city["350200-RSJ"].id, demo_city["350200-KJJ"].id} <= handled
        # The audit chain: each item submitted by the officer and published by the reviewer.
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["policy_item.submit", "policy_item.publish"]))
        ).all()
        by_action = Counter((e.action, e.actor_label) for e in events)
        assert by_action == {
            ("policy_item.submit", "policy_officer"): published,
            ("policy_item.publish", "policy_reviewer"): published,
        }
        before = len(actions(session))
    assert publish_policies(session_factory) == (total, 0, 0)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PolicyItem)) == published
        assert len(actions(session)) == before


def test_make_demo_city_gets_matches_and_inbox_messages(
    session_factory: sessionmaker[Session],
    generated_city: tuple[Any, Any],
    frozen_clock: Clock,
    no_job_queue: list[Any],
    tmp_path: Path,
) -> None:
    frozen_clock.freeze(datetime(DAY.year, DAY.month, DAY.day, 2, 0, tzinfo=UTC))
    city = generated_city[1].root
    system = Actor.system("demo")
    with session_factory() as session:
        seed(session, pick_demo_subjects(city))
        seed_standard_elements(session, system)
        register_city_resources(session, system)
        session.commit()
    load_city(session_factory, system, city)
    prepare_profiles(session_factory, system, tmp_path / "snapshots")

    first = publish_demo_policies(session_factory)
    assert first.created == first.policies >= 8 and first.items_live >= 40
    assert first.matches > 0 and first.notifications_sent > 0
    with session_factory() as session:
        enterprise = user(session, "enterprise")
        assert enterprise.uscc is not None
        found = matching.matches_of_subject(session, enterprise.uscc)
        statuses = Counter(m.status for m in found)
        assert statuses["eligible"] >= 4 and statuses["likely"] >= 1
        # Every item matches some of the city's enterprises, none matches all of them.
        per_item = Counter(
            session.scalars(select(Match.item_id).where(Match.status.in_(["eligible", "likely"])))
        )
        assert len(per_item) == first.items_live and max(per_item.values()) < 2000
        inbox = session.scalar(
            select(func.count()).select_from(InboxMessage).where(InboxMessage.user_id == enterprise.id)
        )
        assert inbox and inbox >= statuses["eligible"]

    again = publish_demo_policies(session_factory)
    assert (again.created, again.items_published, again.items_live) == (0, 0, first.items_live)
    assert again.notifications_sent == 0
    with session_factory() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(InboxMessage).where(InboxMessage.user_id == enterprise.id)
            )
            == inbox
        )
