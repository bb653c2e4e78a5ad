"""Profile pages: "我的企业画像" with lineage and dispute links, self-declaring, the workbench search
and profile, the snapshot page; and the JSON API."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.profiles.world import OTHER, REGISTRATIONS, World, make_world
from tests.support.html import attributes, has, text
from tests.support.web import log_in, post_form
from tongban.profiles import jobs


@pytest.fixture
def world(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> World:
    return make_world(session_factory)


def test_my_profile_shows_values_with_lineage_and_dispute_links(client: TestClient, world: World) -> None:
    log_in(client, "enterprise")
    page = client.get("/portal/profile")
    assert page.status_code == 200
    html = page.text
    assert text(html, "attr-registered_capital-value").startswith("500.00 ")  # 万元
    assert text(html, "attr-registered_capital-source") == "厦门市市场监督管理局"
    assert text(html, "attr-registered_capital-time")
    assert text(html, "attr-registered_capital-freshness")
    assert has(html, "attr-industry-conflict")  # 市场监管 and 税务 disagree; the reason is given
    assert text(html, "attr-industry-reason")
    assert has(html, "attr-revenue-2024-value")  # yearly values: the last three years
    link = attributes(html, "dispute-registered_capital")[0]["href"]
    url = urlparse(link)
    assert url.path == "/portal/corrections/new"
    assert parse_qs(url.query) == {
        "subject": [world.uscc],
        "resource": [REGISTRATIONS],
        "field": ["注册资本（万元）"],
        "attribute": ["registered_capital"],
    }
    assert "year=2025" in attributes(html, "dispute-revenue")[0]["href"]
    assert not has(html, "dispute-net_profit")  # no department provides it: nothing to dispute


def test_an_enterprise_declares_a_missing_value(client: TestClient, world: World) -> None:
    log_in(client, "enterprise")
    response = post_form(
        client, "/portal/profile/declare", {"attribute": "net_profit", "year": "2025", "value": "1200000"}
    )
    assert response.status_code == 303
    html = client.get("/portal/profile").text
    assert has(html, "attr-net_profit-self-declared")
    assert text(html, "attr-net_profit-value").startswith("2025 120.00 ")
    refused = post_form(
        client, "/portal/profile/declare", {"attribute": "net_profit", "year": "", "value": "1"}
    )
    assert refused.status_code == 422 and has(refused.text, "error-year")


def test_staff_find_an_enterprise_and_open_its_profile(client: TestClient, world: World) -> None:
    log_in(client, "officer")
    found = client.get("/workbench/profiles", params={"q": world.uscc}).text
    assert has(found, f"profile-link-{world.uscc}")
    by_name = client.get("/workbench/profiles", params={"q": "鹭江"}).text
    assert has(by_name, f"profile-link-{world.uscc}")
    html = client.get(f"/workbench/profiles/{world.uscc}").text
    assert text(html, "attr-registered_region-value") == "350203"
    assert (
        urlparse(attributes(html, "dispute-registered_capital")[0]["href"]).path
        == "/workbench/corrections/new"
    )
    assert client.get(f"/workbench/profiles/{OTHER}").status_code == 200


def test_the_enterprise_cannot_open_another_profile(client: TestClient, world: World) -> None:
    log_in(client, "enterprise")
    assert client.get(f"/api/v1/profiles/{OTHER}").status_code == 403
    own = client.get(f"/api/v1/profiles/{world.uscc}").json()
    capital = next(a for a in own["attributes"] if a["key"] == "registered_capital")
    assert capital["values"][0]["value"] == 500_000_000
    assert capital["values"][0]["source_department"] == "厦门市市场监督管理局"


def test_administrators_rebuild_the_snapshot(
    client: TestClient,
    world: World,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(jobs.rebuild_snapshot, "schedule", lambda args, delay: queued.append(args))
    monkeypatch.setattr(jobs, "sessions", lambda: session_factory)
    monkeypatch.setattr(jobs, "snapshot_root", lambda: tmp_path)
    log_in(client, "admin")
    assert has(client.get("/workbench/profiles/snapshot").text, "snapshot-empty")
    response = post_form(client, "/workbench/profiles/snapshot")
    assert response.status_code == 303 and len(queued) == 1
    jobs.rebuild_snapshot.call_local(*queued[0])
    html = client.get("/workbench/profiles/snapshot").text
    assert attributes(html, "snapshot-row")[0]["data-rows"] == "2"
    latest = client.get("/api/v1/profiles/snapshot/latest").json()
    assert latest["row_count"] == 2 and latest["source_versions"]
