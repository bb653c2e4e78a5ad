""" "我的政策" pages and JSON API: the ranked list with tabs, badges and near misses, the calendar,
the explanation page with its actions, the English switch, another enterprise refused without a
leak, the empty state, and "viewed" counted once however often the page is opened."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.policy.portal_world import TODAY, PortalWorld, make_portal_world
from tests.profiles.world import REGISTRATIONS, make_world
from tests.support.html import attributes, has, text, texts
from tests.support.web import log_in
from tongban.config import Settings
from tongban.kernel.accounts.models import User
from tongban.kernel.clock import clock
from tongban.notify import outbox
from tongban.notify.models import InboxMessage
from tongban.policy.models import Engagement
from tongban.rules.explain import money_text


@pytest.fixture
def world(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> PortalWorld:
    return make_portal_world(session_factory)


def row_codes(html: str) -> list[str]:
    return [row["data-code"] for row in attributes(html, "policy-row")]


def test_the_list_ranks_marks_and_filters(client: TestClient, world: PortalWorld) -> None:
    c = world.codes
    log_in(client, "enterprise")
    html = client.get("/portal/policies").text
    assert row_codes(html) == [c["big"], c["extra"], c["range"], c["soon"]]
    rows = {row["data-code"]: row for row in attributes(html, "policy-row")}
    assert rows[c["big"]]["data-best"] == "true" and rows[c["extra"]]["data-best"] == "false"
    assert rows[c["big"]]["data-group"] == "稳增长" == rows[c["extra"]]["data-group"]
    assert len(attributes(html, "badge-exclusive")) == 2 and len(attributes(html, "badge-best")) == 1
    assert (
        len(attributes(html, "badge-closing-soon")) == 1
        and len(attributes(html, "badge-no-application")) == 1
    )
    assert texts(html, "item-amount")[:3] == ["20万元", "8万元", "10万元 ～ 30万元"]
    assert attributes(html, "inbox-link")[0]["href"] == "/inbox"
    assert text(html, "near-miss-message") == f"营业收入还差{money_text(world.miss_gap_fen)}"
    assert attributes(html, "near-miss")[0]["data-code"] == c["miss"]

    closing = client.get("/portal/policies", params={"sort": "closing"}).text
    assert row_codes(closing) == [c["soon"], c["range"], c["big"], c["extra"]]
    likely = client.get("/portal/policies", params={"tab": "likely"}).text
    assert row_codes(likely) == [c["range"]]
    assert attributes(likely, "tab-likely")[0].get("aria-current") == "page"
    assert client.get("/portal/policies", params={"sort": "nonsense"}).status_code == 422


def test_the_calendar_view_shows_closing_days(client: TestClient, world: PortalWorld) -> None:
    log_in(client, "enterprise")
    html = client.get("/portal/policies", params={"view": "calendar"}).text
    assert [m["data-month"] for m in attributes(html, "calendar-month")] == ["2026-05", "2026-06", "2026-07"]
    events = attributes(html, "cal-event")
    assert [(e["data-kind"], e["data-code"]) for e in events] == [("closes", world.codes["soon"])]
    assert has(html, "cal-day-2026-05-20") and not has(html, "policies-table")


def test_the_explanation_page_lists_conditions_sources_and_actions(
    client: TestClient, world: PortalWorld
) -> None:
    log_in(client, "enterprise")
    html = client.get(f"/portal/policies/{world.codes['range']}").text
    assert attributes(html, "item-status")[0]["data-status"] == "likely"
    assert [c["data-value"] for c in attributes(html, "condition")] == ["true", "unknown"]
    assert texts(html, "value-source")[0] == f"（来源：厦门市市场监督管理局 · {REGISTRATIONS}）"
    provide = urlparse(attributes(html, "provide-net_profit@2025")[0]["href"])
    assert (provide.path, provide.fragment) == ("/portal/profile", "declared")
    dispute = urlparse(attributes(html, "dispute-registered_region")[0]["href"])
    assert dispute.path == "/portal/corrections/new"
    assert parse_qs(dispute.query)["resource"] == [REGISTRATIONS]
    assert has(html, "provide-missing-net_profit@2025")

    missed = client.get(f"/portal/policies/{world.codes['miss']}").text
    assert attributes(missed, "item-status")[0]["data-status"] == "ineligible"
    assert text(missed, "near-miss") == f"营业收入还差{money_text(world.miss_gap_fen)}"
    assert "year=2025" in attributes(missed, "dispute-revenue@2025")[0]["href"]
    assert client.get("/portal/policies/ZC-1999-9999").status_code == 404


def test_english_switch_shows_english_text(client: TestClient, world: PortalWorld) -> None:
    log_in(client, "enterprise")
    client.get("/lang/en?next=/portal/policies")
    html = client.get(f"/portal/policies/{world.codes['miss']}").text
    assert '<html lang="en">' in html
    assert text(html, "near-miss").startswith("revenue needs CNY ")
    assert attributes(html, "item-status")[0]["data-status"] == "ineligible"
    assert text(html, "item-status") == "Not eligible"
    listing = client.get("/portal/policies").text
    assert text(listing, "near-miss-message").startswith("revenue needs CNY ")
    api = client.get("/api/v1/portal/policies").json()
    assert api["items"][0]["amount"]["text"] == "CNY 200,000"


def test_the_api_answers_list_explanation_near_misses_and_calendar(
    client: TestClient, world: PortalWorld
) -> None:
    c = world.codes
    log_in(client, "enterprise")
    listing = client.get("/api/v1/portal/policies", params={"sort": "closing"}).json()
    assert [i["code"] for i in listing["items"]] == [c["soon"], c["range"], c["big"], c["extra"]]
    assert listing["counts"] == {"all": 4, "eligible": 3, "likely": 1, "closing_soon": 1}
    ranged = next(i for i in listing["items"] if i["code"] == c["range"])
    assert ranged["amount"] == {"low_fen": 10_000_000, "high_fen": 30_000_000, "text": "10万元 ～ 30万元"}
    explained = client.get(f"/api/v1/portal/policies/{c['range']}").json()
    assert explained["item"]["status"] == "likely"
    assert [a["ok"] for a in explained["conditions"]] == [True, None]
    region = explained["conditions"][0]["values"][0]
    assert region["department"] == "厦门市市场监督管理局" and region["resource"] == REGISTRATIONS
    assert explained["conditions"][1]["values"][0]["provide_url"].startswith("/portal/profile?")
    misses = client.get("/api/v1/portal/policies/near-misses").json()
    assert [m["item"]["code"] for m in misses] == [c["miss"]]
    assert misses[0]["message"] == f"营业收入还差{money_text(world.miss_gap_fen)}"
    calendar = client.get("/api/v1/portal/policies/calendar", params={"months": 2}).json()
    assert [(e["day"], e["kind"], e["code"]) for e in calendar["events"]] == [
        ("2026-05-20", "closes", c["soon"])
    ]
    bad = client.get("/api/v1/portal/policies", params={"sort": "cheapest"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    missing = client.get("/api/v1/portal/policies/ZC-1999-9999")
    assert missing.status_code == 404 and missing.json()["code"] == "item_not_found"


def test_another_enterprise_is_refused_and_nothing_leaks(client: TestClient, world: PortalWorld) -> None:
    log_in(client, "other_enterprise")
    refused = client.get("/api/v1/portal/policies", params={"uscc": world.uscc})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "other_enterprise"
    explained = client.get(f"/api/v1/portal/policies/{world.codes['big']}", params={"uscc": world.uscc})
    assert explained.status_code == 403 and world.uscc not in explained.text
    own = client.get(f"/api/v1/portal/policies/{world.codes['big']}").json()
    assert own["item"]["status"] == "likely"  # its own data: revenue unknown
    assert world.uscc not in str(own) and money_text(world.revenue_fen) not in str(own)
    page = client.get(f"/portal/policies/{world.codes['big']}").text
    assert world.uscc not in page
    client.get("/logout")
    log_in(client, "policy_officer")
    assert client.get("/portal/policies").status_code == 403
    assert client.get("/api/v1/portal/policies").status_code == 403


def test_viewed_is_recorded_once_however_often_the_page_is_opened(
    client: TestClient, world: PortalWorld, db: Session
) -> None:
    log_in(client, "enterprise")
    for _ in range(3):
        assert client.get(f"/portal/policies/{world.codes['big']}").status_code == 200
    log_in(client, "enterprise2")  # a colleague of the same enterprise
    assert client.get(f"/portal/policies/{world.codes['big']}").status_code == 200
    client.get(f"/api/v1/portal/policies/{world.codes['extra']}")  # the API is not a page view
    viewed = db.scalar(
        select(func.count())
        .select_from(Engagement)
        .where(Engagement.subject == world.uscc, Engagement.step == "viewed")
    )
    assert viewed == 1


def test_the_empty_state_explains_and_points_to_the_library(
    client: TestClient, session_factory: sessionmaker[Session], demo_city: dict[str, Any]
) -> None:
    clock.freeze(TODAY)
    make_world(session_factory)
    log_in(client, "enterprise")
    html = client.get("/portal/policies").text
    assert has(html, "policies-empty") and not has(html, "policies-table")
    assert attributes(html, "empty-reason")[0]["data-reason"] == "no-items"
    assert attributes(html, "empty-library")[0]["href"] == "/policies"
    assert has(html, "near-misses-empty")


def test_following_the_notification_link_counts_as_opened_once(
    client: TestClient,
    world: PortalWorld,
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    outbox.send_due(session_factory, settings=settings)  # the inbox messages matching queued
    link = db.scalar(
        select(InboxMessage.link)
        .join(User, User.id == InboxMessage.user_id)
        .where(
            User.username == "enterprise",
            InboxMessage.link.like(f"/portal/policies/{world.codes['big']}?n=%"),
        )
    )
    assert link is not None
    log_in(client, "enterprise")
    for _ in range(2):
        assert client.get(link).status_code == 200
    assert client.get(f"/portal/policies/{world.codes['big']}?n=forged.token").status_code == 200
    db.rollback()  # a fresh look at what the requests wrote
    opened = db.scalar(
        select(func.count())
        .select_from(Engagement)
        .where(Engagement.subject == world.uscc, Engagement.step == "opened")
    )
    assert opened == 1
