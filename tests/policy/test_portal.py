""" "我的政策" as a service, on both databases: ranking by amount and by closing date, exclusion
groups, tabs, the explanation with sources and actions, near misses, the calendar, who may look,
the platform's use of the profile in "who used my data", and the "viewed" funnel step."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.policy.portal_world import PortalWorld, make_portal_world
from tests.profiles.world import REGISTRATIONS
from tests.support.actors import actor
from tongban.exchange import usage
from tongban.exchange.models import AccessKind
from tongban.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from tongban.policy import portal, portal_explain, service
from tongban.policy.models import Engagement
from tongban.rules.explain import money_text


@pytest.fixture
def world(session_factory: sessionmaker[Session], demo_city: dict[str, Any]) -> PortalWorld:
    return make_portal_world(session_factory)


def codes(items: list[portal.PortalItem]) -> list[str]:
    return [i.code for i in items]


def test_ranked_by_amount_with_the_exclusion_group_together(db: Session, world: PortalWorld) -> None:
    c = world.codes
    found = portal.my_policies(db, actor(db, "enterprise"))
    # 20万 and 8万 share a group and come together, the higher first; the range ranks by its 10万
    assert codes(found.items) == [c["big"], c["extra"], c["range"], c["soon"]]
    by_code = {i.code: i for i in found.items}
    assert by_code[c["big"]].best_in_group and not by_code[c["extra"]].best_in_group
    assert found.groups == {"稳增长": tuple(sorted([c["big"], c["extra"]]))}
    assert by_code[c["range"]].status == "likely"
    assert (by_code[c["range"]].amount_low, by_code[c["range"]].amount_high) == (10_000_000, 30_000_000)
    assert by_code[c["soon"]].closing_soon and by_code[c["soon"]].no_application
    assert all(i.just_published for i in found.items)
    assert found.counts == {"all": 4, "eligible": 3, "likely": 1, "closing_soon": 1}
    # what counts: the higher of the group, the range's low end, the rest
    assert found.total_low_fen == 20_000_000 + 10_000_000 + 5_000_000
    assert c["miss"] not in codes(found.items)


def test_ranked_by_closing_date_and_filtered_by_tab(db: Session, world: PortalWorld) -> None:
    c = world.codes
    enterprise = actor(db, "enterprise")
    closing = portal.my_policies(db, enterprise, "closing")
    assert codes(closing.items) == [c["soon"], c["range"], c["big"], c["extra"]]
    assert codes(portal.my_policies(db, enterprise, filter="likely").items) == [c["range"]]
    assert codes(portal.my_policies(db, enterprise, filter="closing_soon").items) == [c["soon"]]
    assert codes(portal.my_policies(db, enterprise, filter="eligible").items) == [
        c["big"],
        c["extra"],
        c["soon"],
    ]
    assert codes(portal.my_policies(db, enterprise, support_type="innovation").items) == [c["range"]]
    with pytest.raises(ValidationFailed):
        portal.my_policies(db, enterprise, "cheapest")


def test_a_withdrawn_item_leaves_the_list(db: Session, world: PortalWorld) -> None:
    item = service.get_item_by_code(db, world.codes["soon"])
    service.withdraw(db, actor(db, "policy_reviewer"), item.id, "政策调整")
    found = portal.my_policies(db, actor(db, "enterprise"))
    assert world.codes["soon"] not in codes(found.items)
    with pytest.raises(NotFound):
        portal_explain.my_item(db, actor(db, "enterprise"), world.codes["soon"])


def test_the_explanation_lists_conditions_with_sources_and_actions(db: Session, world: PortalWorld) -> None:
    found = portal_explain.my_item(db, actor(db, "enterprise"), world.codes["range"], language="zh-CN")
    assert found.item.status == "likely" and found.matched
    marks = [c.mark for c in found.conditions]
    assert marks == ["✓", "?"]
    region = found.conditions[0].values[0]
    assert region.known and region.department == "厦门市市场监督管理局" and region.resource == REGISTRATIONS
    dispute = urlparse(region.dispute_url)
    assert dispute.path == "/portal/corrections/new"
    assert parse_qs(dispute.query) == {
        "subject": [world.uscc],
        "resource": [REGISTRATIONS],
        "field": ["住所所在行政区划"],
        "attribute": ["registered_region"],
    }
    profit = found.conditions[1].values[0]
    assert not profit.known and profit.column == "net_profit@2025"
    provide = urlparse(profit.provide_url)
    assert provide.path == "/portal/profile" and provide.fragment == "declared"
    assert parse_qs(provide.query) == {"attribute": ["net_profit"], "year": ["2025"]}
    assert [m.column for m in found.missing] == ["net_profit@2025"]
    assert any(line.startswith("缺少数据") and "净利润" in line for line in found.lines)


def test_a_missed_threshold_says_how_far_and_offers_a_dispute(db: Session, world: PortalWorld) -> None:
    found = portal_explain.my_item(db, actor(db, "enterprise"), world.codes["miss"], language="zh-CN")
    assert found.item.status == "ineligible" and not found.matched
    assert found.near_miss == f"营业收入还差{money_text(world.miss_gap_fen)}"
    failing = found.conditions[1]
    assert failing.mark == "✗" and failing.near_miss == found.near_miss
    revenue = failing.values[0]
    assert revenue.column == "revenue@2025" and revenue.known and revenue.dispute_url
    assert "year=2025" in revenue.dispute_url and not revenue.provide_url
    english = portal_explain.my_item(db, actor(db, "enterprise"), world.codes["miss"], language="en")
    assert english.near_miss.startswith("revenue needs CNY ")


def test_near_misses_are_items_one_threshold_away(db: Session, world: PortalWorld) -> None:
    misses = portal_explain.near_misses(db, actor(db, "enterprise"), language="zh-CN")
    assert [m.item.code for m in misses] == [world.codes["miss"]]
    miss = misses[0]
    assert miss.message == f"营业收入还差{money_text(world.miss_gap_fen)}"
    assert "万元" in miss.message and miss.gap == world.miss_gap_fen
    assert miss.item.amount_low == 50_000_000 and miss.item.status == "eligible"


def test_reading_the_profile_is_in_who_used_my_data(db: Session, world: PortalWorld) -> None:
    enterprise = actor(db, "enterprise")

    def platform_uses() -> int:
        db.expire_all()
        return len([e for e in usage.my_usage(db, enterprise).items if e.kind is AccessKind.PLATFORM])

    before = platform_uses()
    portal_explain.my_item(db, enterprise, world.codes["big"])
    db.commit()
    assert platform_uses() > before


def test_the_calendar_shows_opening_and_closing_days(db: Session, world: PortalWorld) -> None:
    found = portal.calendar(db, actor(db, "enterprise"), 3)
    assert (found.start, found.end) == (date(2026, 5, 1), date(2026, 7, 31))
    assert [(m.year, m.month) for m in found.months] == [(2026, 5), (2026, 6), (2026, 7)]
    closes = found.days[date(2026, 5, 20)]
    assert [(e.kind, e.item.code) for e in closes] == [("closes", world.codes["soon"])]
    assert date(2026, 9, 30) not in found.days  # beyond three months
    longer = portal.calendar(db, actor(db, "enterprise"), 5)
    assert [e.item.code for e in longer.days[date(2026, 9, 30)]] == [world.codes["range"]]
    with pytest.raises(ValidationFailed):
        portal.calendar(db, actor(db, "enterprise"), 40)


def test_only_the_enterprise_itself_may_look(db: Session, world: PortalWorld) -> None:
    other = actor(db, "other_enterprise")
    with pytest.raises(PermissionDenied) as refused:
        portal.my_policies(db, other, subject=world.uscc)
    assert refused.value.code == "other_enterprise"
    with pytest.raises(PermissionDenied):
        portal_explain.my_item(db, other, world.codes["big"], subject=world.uscc)
    with pytest.raises(PermissionDenied):
        portal_explain.near_misses(db, other, subject=world.uscc)
    with pytest.raises(PermissionDenied):
        portal.my_policies(db, actor(db, "policy_officer"))
    own = portal.my_policies(db, other)
    assert own.subject == world.other
    assert all(i.status == "likely" for i in own.items)  # its revenue and qualifications are unknown
    # the colleague of the same enterprise sees the same list
    assert codes(portal.my_policies(db, actor(db, "enterprise2")).items) == codes(
        portal.my_policies(db, actor(db, "enterprise")).items
    )


def test_viewed_is_recorded_once_and_only_for_a_match(db: Session, world: PortalWorld) -> None:
    enterprise = actor(db, "enterprise")
    assert portal.record_view(db, enterprise, world.codes["big"]) is True
    assert portal.record_view(db, enterprise, world.codes["big"]) is False
    assert portal.record_view(db, enterprise, world.codes["miss"]) is False  # not matched
    db.commit()
    steps = db.scalars(
        select(Engagement).where(Engagement.subject == world.uscc, Engagement.step == "viewed")
    )
    item = service.get_item_by_code(db, world.codes["big"])
    assert [(s.item_id, s.version_id) for s in steps] == [(item.id, item.live_version_id)]
