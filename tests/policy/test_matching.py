"""Match runs: every enterprise of the profile snapshot against the live items — who is matched,
eligible or likely (with what is missing), for how much; idempotent; resumable after a failure
or a killed worker; an ended item's matches go."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.policy.matching_world import (
    E1_LIKE,
    E2_AMOUNT,
    E2_LIKE,
    HULI,
    WAN,
    Hub,
    Queued,
    Row,
    get_run,
    publish,
    rows,
)
from tests.profiles.world import OTHER
from tests.support.actors import actor
from tongban.db import transaction
from tongban.kernel.clock import Clock
from tongban.policy import delivery, jobs, matching, service
from tongban.policy.models import Match, MatchRun


def three_items(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    return (
        publish(factory, E1_LIKE, "20万", "首次规上奖励"),
        publish(factory, E2_LIKE, E2_AMOUNT, "研发补助"),
        publish(factory, HULI, "", "湖里区企业服务"),
    )


def expected(hub: Hub, e1: int, e2: int, huli: int, factory: sessionmaker[Session]) -> set[Row]:
    with factory() as session:
        version = {i: service.get_item(session, i).live_version_id for i in (e1, e2, huli)}
    return {
        (e1, version[e1], hub.uscc, "eligible", 20 * WAN, 20 * WAN, ()),
        (
            e1,
            version[e1],
            OTHER,
            "likely",
            20 * WAN,
            20 * WAN,
            ("tax_region within 350200", "revenue[last_year] >= 2500万"),
        ),
        (e2, version[e2], hub.uscc, "eligible", 8 * WAN, 8 * WAN, ()),  # 10% of 80万 R&D
        (huli, version[huli], OTHER, "eligible", None, None, ()),
    }


def test_a_run_matches_the_right_enterprises_with_status_and_amount(hub: Hub, queued: Queued) -> None:
    e1, e2, huli = three_items(hub.factory)
    run_id = matching.run(hub.factory, "manual")
    assert rows(hub.factory) == expected(hub, e1, e2, huli, hub.factory)
    done = get_run(hub.factory, run_id)
    assert done.state == "done" and done.error == ""
    assert (done.enterprises, done.matches) == (2, 4)
    assert sorted(done.items_done) == [e1, e2, huli]
    assert done.finished_at is not None and done.engine_seconds >= 0
    assert {(item, tuple(sorted(subjects))) for item, _, subjects in queued} == {
        (e1, tuple(sorted((hub.uscc, OTHER)))),
        (e2, (hub.uscc,)),
        (huli, (OTHER,)),
    }
    with hub.factory() as session:
        mine = matching.matches_of_subject(session, hub.uscc)
    assert [(m.item_id, m.status) for m in mine] == [(e1, "eligible"), (e2, "eligible")]
    assert all(m.run_id == run_id for m in mine)


def test_a_run_of_one_item_leaves_the_others(hub: Hub, queued: Queued) -> None:
    e1, e2, _ = three_items(hub.factory)
    matching.run(hub.factory, "publish", [e2])
    assert {(r[0], r[2]) for r in rows(hub.factory)} == {(e2, hub.uscc)}
    assert [item for item, _, _ in queued] == [e2]
    assert e1 not in get_run(hub.factory, matching.run(hub.factory, "publish", [e2])).items_done


def test_running_twice_gives_the_same_rows(hub: Hub, queued: Queued) -> None:
    three_items(hub.factory)
    first = matching.run(hub.factory, "manual")
    before = rows(hub.factory)
    second = matching.run(hub.factory, "manual")
    assert rows(hub.factory) == before and len(before) == 4
    with hub.factory() as session:
        assert set(session.scalars(select(Match.run_id))) == {second} != {first}
    assert get_run(hub.factory, second).matches == 4


def test_no_snapshot_no_matching(
    session_factory: sessionmaker[Session], demo_city: dict[str, Any], queued: Queued
) -> None:
    run_id = matching.run(session_factory, "manual")
    done = get_run(session_factory, run_id)
    assert (done.state, done.enterprises, done.matches) == ("done", 0, 0)


class Killed(BaseException):
    """The worker dies (not an error the run can record)."""


def failing_after(monkeypatch: pytest.MonkeyPatch, stored: int, error: BaseException) -> None:
    """Make storing raise once ``stored`` items have been stored."""
    real: Callable[..., None] = matching.store
    count = {"n": 0}

    def store(session: Session, item_id: int, found: Any) -> None:
        if count["n"] >= stored:
            raise error
        count["n"] += 1
        real(session, item_id, found)

    monkeypatch.setattr(matching, "store", store)


def test_a_failed_run_is_recorded_and_resumes_without_duplicates(
    hub: Hub, queued: Queued, monkeypatch: pytest.MonkeyPatch
) -> None:
    e1, e2, huli = three_items(hub.factory)
    failing_after(monkeypatch, 1, RuntimeError(f"duplicate key {hub.uscc}"))
    with pytest.raises(RuntimeError):
        matching.run(hub.factory, "manual")
    with hub.factory() as session:
        run_id = session.scalars(select(MatchRun.id)).one()
    failed = get_run(hub.factory, run_id)
    assert failed.state == "failed" and failed.items_done == [e1]
    assert hub.uscc not in failed.error and "RuntimeError" in failed.error
    assert {r[0] for r in rows(hub.factory)} == {e1}
    monkeypatch.undo()
    monkeypatch.setattr(delivery, "queue_for_matches", lambda *args: 0)
    assert matching.run(hub.factory, "manual", resume=run_id) == run_id
    resumed = get_run(hub.factory, run_id)
    assert resumed.state == "done" and resumed.error == ""
    assert sorted(resumed.items_done) == [e1, e2, huli] and resumed.matches == 4
    assert rows(hub.factory) == expected(hub, e1, e2, huli, hub.factory)


def test_a_killed_run_is_resumed_by_the_nightly_job(
    hub: Hub, queued: Queued, monkeypatch: pytest.MonkeyPatch, frozen_clock: Clock
) -> None:
    e1, e2, huli = three_items(hub.factory)
    failing_after(monkeypatch, 2, Killed())
    with pytest.raises(Killed):
        matching.run(hub.factory, "publish", [e1, e2, huli])
    with hub.factory() as session:
        killed_id = session.scalars(select(MatchRun.id)).one()
    killed = get_run(hub.factory, killed_id)
    assert killed.state == "running" and killed.items_done == [e1, e2]
    assert {r[0] for r in rows(hub.factory)} == {e1, e2}
    with hub.factory() as session:
        assert matching.unfinished_runs(session) == [killed_id]
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "sessions", lambda: hub.factory)
    monkeypatch.setattr(delivery, "queue_for_matches", lambda *args: 0)
    frozen_clock.advance(timedelta(hours=2))  # the nightly job leaves recent runs to their worker
    full = jobs.nightly.call_local()
    finished = get_run(hub.factory, killed_id)
    assert finished.state == "done" and sorted(finished.items_done) == [e1, e2, huli]
    assert get_run(hub.factory, full).trigger == "nightly" != finished.trigger
    assert rows(hub.factory) == expected(hub, e1, e2, huli, hub.factory)


def test_withdrawal_removes_the_items_matches(hub: Hub, queued: Queued) -> None:
    e1, e2, huli = three_items(hub.factory)
    matching.run(hub.factory, "manual")
    with transaction(hub.factory) as session:
        service.withdraw(session, actor(session, "policy_reviewer"), e1, "政策调整")
    assert {r[0] for r in rows(hub.factory)} == {e2, huli}
    with hub.factory() as session:
        assert [m.item_id for m in matching.matches_of_subject(session, hub.uscc)] == [e2]
    matching.run(hub.factory, "manual")  # an ended item is not matched again
    assert {r[0] for r in rows(hub.factory)} == {e2, huli}


def test_the_nightly_job_expires_items_and_drops_their_matches(
    hub: Hub, queued: Queued, frozen_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_items(hub.factory)
    matching.run(hub.factory, "manual")
    frozen_clock.freeze(datetime(2027, 1, 2, 2, 30, tzinfo=UTC))  # the windows closed on 2026-12-31
    monkeypatch.setattr(jobs, "sessions", lambda: hub.factory)
    jobs.nightly.call_local()
    assert rows(hub.factory) == set()
    with hub.factory() as session:
        assert service.live_items(session) == []


def test_a_run_without_an_item_covers_the_officers_department_only(hub: Hub, queued: Queued) -> None:
    three_items(hub.factory)  # all issued by 工信局
    with hub.factory() as session:
        own = matching.start_run(session, actor(session, "policy_reviewer"), None)
        other = matching.start_run(session, actor(session, "officer"), None)
        assert sorted(own.item_ids or []) == sorted(live.item.id for live in service.live_items(session))
        assert other.item_ids == []
        session.rollback()
