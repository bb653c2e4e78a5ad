"""What starts matching: publishing runs a match (the job queue, immediate in tests); a profile
change through ingest re-matches that enterprise only, notifying new pairs; a failure there never
undoes the profile change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.policy.matching_world import (
    E1_LIKE,
    HULI,
    WAN,
    Hub,
    Queued,
    publish,
    rows,
)
from tests.profiles.world import OTHER, REGISTRATIONS, TAXPAYERS, push, registration
from tests.support.web import api_headers, log_in
from tongban.jobs import huey
from tongban.policy import jobs, matching, service
from tongban.policy.models import Match, MatchRun
from tongban.profiles import rules_rows

CAPITAL = "registered_capital >= 1000万 or registered_region within 思明区"


@pytest.fixture
def immediate(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]) -> Iterator[None]:
    monkeypatch.setattr(jobs, "sessions", lambda: session_factory)
    huey.immediate = True
    yield
    huey.immediate = False


def test_publishing_starts_a_match_run(
    hub: Hub, queued: Queued, immediate: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the hub fixture held runs back; let publication start them
    monkeypatch.setattr(jobs, "sessions", lambda: hub.factory)
    from tongban.policy import delivery

    monkeypatch.setattr(delivery, "queue_for_matches", lambda *args: 0)
    e1 = publish(hub.factory, E1_LIKE, "20万")
    with hub.factory() as session:
        run = session.scalars(select(MatchRun)).one()
        version = service.get_item(session, e1).live_version_id
    assert (run.trigger, run.item_ids, run.state, run.items_done) == ("publish", [e1], "done", [e1])
    assert {(r[2], r[3]) for r in rows(hub.factory)} == {(hub.uscc, "eligible"), (OTHER, "likely")}
    assert {r[1] for r in rows(hub.factory)} == {version}


def test_an_edit_replacing_the_live_version_rematches_it(
    hub: Hub, queued: Queued, immediate: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "sessions", lambda: hub.factory)
    from tongban.policy import delivery

    monkeypatch.setattr(delivery, "queue_for_matches", lambda *args: 0)
    e1 = publish(hub.factory, E1_LIKE, "20万")
    from tests.policy.world import item_fields
    from tests.support.actors import actor
    from tongban.db import transaction

    with transaction(hub.factory) as session:
        officer, reviewer = actor(session, "policy_officer"), actor(session, "policy_reviewer")
        fields = item_fields(condition_text=E1_LIKE, amount_text="30万")
        second = service.edit_item(session, officer, e1, fields)
        service.submit(session, officer, second.id)
        service.approve(session, reviewer, second.id)
        second_id = second.id
    with hub.factory() as session:
        triggers = list(session.scalars(select(MatchRun.trigger).order_by(MatchRun.id)))
    assert triggers == ["publish", "edit"]
    assert {(r[1], r[2], r[4]) for r in rows(hub.factory)} == {
        (second_id, hub.uscc, 30 * WAN),
        (second_id, OTHER, 30 * WAN),
    }


def test_a_profile_change_rematches_that_enterprise_only(hub: Hub, queued: Queued) -> None:
    e1 = publish(hub.factory, E1_LIKE, "20万")
    capital = publish(hub.factory, CAPITAL, "5万")
    huli = publish(hub.factory, HULI)
    run_id = matching.run(hub.factory, "manual")
    with hub.factory() as session:
        mine_before = {
            (m.id, m.run_id, m.matched_at)
            for m in session.scalars(select(Match).where(Match.subject == hub.uscc))
        }
        version = service.get_item(session, capital).live_version_id
    queued.clear()
    # 市场监管局 loads a new registration of the other enterprise: its capital is now 2000万.
    push(hub.factory, REGISTRATIONS, registration(OTHER, capital="2000", region="350206"))
    with hub.factory() as session:
        mine_after = {
            (m.id, m.run_id, m.matched_at)
            for m in session.scalars(select(Match).where(Match.subject == hub.uscc))
        }
        theirs = {m.item_id: m for m in session.scalars(select(Match).where(Match.subject == OTHER))}
    assert mine_after == mine_before and len(mine_before) == 2
    assert set(theirs) == {e1, capital, huli}
    assert (theirs[capital].status, theirs[capital].amount_low, theirs[capital].run_id) == (
        "eligible",
        5 * WAN,
        None,
    )
    assert theirs[e1].status == "likely" and theirs[e1].run_id is None
    assert theirs[e1].open_atoms == ["tax_region within 350200", "revenue[last_year] >= 2500万"]
    assert queued == [(capital, version, (OTHER,))]  # only the new pair is notified
    assert run_id


def test_a_profile_change_that_completes_data_turns_likely_into_eligible(hub: Hub, queued: Queued) -> None:
    e1 = publish(hub.factory, E1_LIKE, "20万")
    matching.run(hub.factory, "manual")
    queued.clear()
    push(
        hub.factory,
        TAXPAYERS,
        {
            "纳税人识别号": OTHER,
            "纳税人名称": "厦门湖里新材料有限公司",
            "注册地址": "厦门市湖里区",
            "行政区划": "350206",
            "主管税务机关": "国家税务总局厦门市湖里区税务局",
            "行业": "C3912",
            "纳税人状态": "正常",
            "纳税信用等级": "B",
        },
    )
    with hub.factory() as session:
        found = session.scalars(select(Match).where(Match.subject == OTHER, Match.item_id == e1)).one()
    assert found.status == "likely" and found.open_atoms == ["revenue[last_year] >= 2500万"]
    assert queued == []  # matched before for this version: no second notification


def test_a_failing_rematch_never_undoes_the_profile_change(
    hub: Hub, queued: Queued, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    publish(hub.factory, HULI)
    matching.run(hub.factory, "manual")

    def broken(session: Session, subject: str) -> list[Match]:
        session.execute(delete(Match))
        raise RuntimeError(f"cannot match {subject}")

    monkeypatch.setattr(matching, "rematch_subject", broken)
    push(hub.factory, REGISTRATIONS, registration(OTHER, capital="2000", region="350206"))
    with hub.factory() as session:
        assert rules_rows.rules_row(session, OTHER)["registered_capital"] == 2_000_000_000
    assert {r[2] for r in rows(hub.factory)} == {OTHER}  # the savepoint undid the half-done work
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "re-matching after a profile change failed" in messages and OTHER not in messages


def test_withdrawing_deletes_matches_in_the_same_transaction(hub: Hub, queued: Queued) -> None:
    e1 = publish(hub.factory, E1_LIKE, "20万")
    matching.run(hub.factory, "manual")
    from tests.support.actors import actor

    with hub.factory() as session:
        service.withdraw(session, actor(session, "policy_reviewer"), e1, "政策调整")
        assert session.scalars(select(Match)).all() == []
        session.rollback()
    assert len(rows(hub.factory)) == 2  # rolled back together with the withdrawal


def test_officers_start_and_follow_runs_through_the_api(
    hub: Hub, queued: Queued, immediate: None, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    e1 = publish(hub.factory, E1_LIKE, "20万")
    monkeypatch.setattr(jobs, "sessions", lambda: hub.factory)
    with hub.factory() as session:
        code = service.get_item(session, e1).code
    log_in(client, "enterprise")
    assert client.get("/api/v1/policy/matching/runs").status_code == 403
    client.post("/logout", headers=api_headers(client))
    client.cookies.clear()
    log_in(client, "tax_officer")  # another department
    refused = client.post("/api/v1/policy/matching/runs", json={"item": code}, headers=api_headers(client))
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    client.cookies.clear()
    log_in(client, "policy_reviewer")
    missing = client.post(
        "/api/v1/policy/matching/runs", json={"item": "ZC-1999-9999"}, headers=api_headers(client)
    )
    assert missing.status_code == 404 and missing.json()["code"] == "item_not_found"
    started = client.post("/api/v1/policy/matching/runs", json={"item": code}, headers=api_headers(client))
    assert started.status_code == 202 and started.json()["trigger"] == "manual"
    listed = client.get("/api/v1/policy/matching/runs").json()
    assert listed["total"] == 1
    run = listed["items"][0]
    assert (run["id"], run["state"], run["items_done"], run["matches"]) == (
        started.json()["id"],
        "done",
        [e1],
        2,
    )
    assert client.get(f"/api/v1/policy/matching/runs/{run['id']}").json()["enterprises"] == 2
    assert client.get("/api/v1/policy/matching/runs/999999").status_code == 404
    assert {(r[2], r[3]) for r in rows(hub.factory)} == {(hub.uscc, "eligible"), (OTHER, "likely")}
