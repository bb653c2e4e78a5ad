"""A world for "我的政策": the profiles test hub (the demo enterprise with revenue, qualifications,
registration), a second enterprise with its own user, five items published by 工信局 (drafted by
policy_officer, approved by policy_reviewer) and both enterprises re-matched.

On 2026-05-10 (the frozen date) the demo enterprise is, for

- ``big``   (20万, group 稳增长, closes 2026-12-31): eligible;
- ``extra`` (8万, group 稳增长, closes 2026-11-30): eligible — the lower of the group;
- ``range`` (10万 + up to 20万, closes 2026-09-30): likely (net profit unknown, no department has it);
- ``soon``  (5万, 免申即享, closes 2026-05-20): eligible, closing soon;
- ``miss``  (50万, revenue ≥ threshold just above its figure): not matched — a near miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.policy.world import item_fields, policy_fields
from tests.profiles.world import OTHER, make_world
from tests.support.actors import SYSTEM, actor
from tongban.db import transaction
from tongban.demo.organisations import DEMO_PASSWORD
from tongban.kernel.accounts import service as accounts
from tongban.kernel.clock import clock
from tongban.kernel.permissions import Role
from tongban.policy import matching, service
from tongban.profiles import rules_rows

TODAY = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
IN_CITY = "registered_region within 厦门市"


@dataclass(frozen=True)
class PortalWorld:
    uscc: str
    other: str
    codes: dict[str, str]  # name → item code
    revenue_fen: int  # the demo enterprise's revenue last year, as matching reads it
    miss_gap_fen: int  # how much revenue ``miss`` needs more


def _publish(session: Session, policy_id: int, **fields: Any) -> str:
    officer, reviewer = actor(session, "policy_officer"), actor(session, "policy_reviewer")
    version = service.create_item(session, officer, policy_id, item_fields(**fields))
    service.submit(session, officer, version.id)
    service.approve(session, reviewer, version.id)
    return service.get_item(session, version.item_id).code


def make_portal_world(factory: sessionmaker[Session]) -> PortalWorld:
    clock.freeze(TODAY)
    world = make_world(factory)
    with transaction(factory) as session:
        accounts.create_user(
            session,
            SYSTEM,
            username="other_enterprise",
            display_name="另一家企业",
            password=DEMO_PASSWORD,
            role=Role.ENTERPRISE,
            uscc=OTHER,
            enterprise_name="厦门另一家科技有限公司",
            must_change_password=False,
        )
    with transaction(factory) as session:
        revenue = rules_rows.rules_row(session, world.uscc).get("revenue@2025")
        assert isinstance(revenue, int)
        threshold_wan = revenue // 1_000_000 + 30  # 30万 or a little more above the figure
        policy = service.create_policy(session, actor(session, "policy_officer"), policy_fields())
        codes = {
            "big": _publish(
                session,
                policy.id,
                title="规模以上工业企业稳增长奖励",
                condition_text=f"{IN_CITY} and revenue[last_year] >= 2000万",
                amount_text="20万",
                exclusive_group="稳增长",
                window_closes=date(2026, 12, 31),
            ),
            "extra": _publish(
                session,
                policy.id,
                title="工业企业增产增效补助",
                condition_text=f"{IN_CITY} and revenue[last_year] >= 1000万",
                amount_text="8万",
                exclusive_group="稳增长",
                window_closes=date(2026, 11, 30),
                support_types=("subsidy", "finance"),
            ),
            "range": _publish(
                session,
                policy.id,
                title="盈利企业研发投入补助",
                condition_text=f"{IN_CITY} and net_profit[last_year] >= 100万",
                amount_text="10万 + up_to(20万)",
                window_closes=date(2026, 9, 30),
                support_types=("innovation",),
            ),
            "soon": _publish(
                session,
                policy.id,
                title="高新技术企业认定奖励",
                condition_text=f"{IN_CITY} and has(qualifications, high_tech)",
                amount_text="5万",
                window_closes=date(2026, 5, 20),
                no_application=True,
                support_types=("honour",),
            ),
            "miss": _publish(
                session,
                policy.id,
                title="骨干工业企业奖励",
                condition_text=f"{IN_CITY} and revenue[last_year] >= {threshold_wan}万",
                amount_text="50万",
                window_closes=date(2026, 12, 31),
            ),
        }
    with transaction(factory) as session:
        matching.rematch_subject(session, world.uscc)
        matching.rematch_subject(session, OTHER)
    return PortalWorld(world.uscc, OTHER, codes, revenue, threshold_wan * 1_000_000 - revenue)
