"""Shared set-up for policy tests: the demo organisations and accounts, a policy of 工信局 with
one item drafted from a demo rule file (E1, 首次规上奖励)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tests.support.actors import actor
from tongban.policy import service
from tongban.policy.domain import ItemFields, PolicyFields, PolicyLevel

E1_CONDITION = (
    "registered_region within 厦门市 and tax_region within 厦门市\n"
    "and industry within [B, C, D]\n"
    "and revenue[last_year] >= 2000万\n"
    "and first_time(revenue >= 2000万, last_year)"
)


def policy_fields(**changes: object) -> PolicyFields:
    values: dict[str, object] = {
        "title": "厦门市促进工业稳增长若干措施",
        "doc_number": "厦府规〔2026〕3号",
        "issuer": "厦门市人民政府",
        "region_code": "350200",
        "level": PolicyLevel.MUNICIPAL,
        "issued_on": date(2026, 3, 1),
        "effective_on": date(2026, 3, 1),
        "expires_on": date(2028, 12, 31),
        "full_text": "第三条 对注册地和纳税地均在本市、上年度主营业务收入首次达到2000万元的工业企业，给予一次性奖励20万元。",
    }
    values.update(changes)
    return PolicyFields(**values)  # type: ignore[arg-type]


def item_fields(**changes: object) -> ItemFields:
    values: dict[str, object] = {
        "title": "工业企业首次达到规模以上一次性奖励",
        "summary": "首次达到规模以上的工业企业，一次性奖励20万元。",
        "condition_text": E1_CONDITION,
        "amount_text": "20万",
        "support_types": ("subsidy",),
        "industries": ("B", "C", "D"),
        "sizes": (),
        "window_opens": date(2026, 4, 1),
        "window_closes": date(2026, 12, 31),
        "handling_org_id": None,
        "materials": ("营业执照复印件", "上年度财务报表"),
        "exclusive_group": "",
        "annual_budget_fen": 500_000_000,
        "no_application": False,
    }
    values.update(changes)
    return ItemFields(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Drafted:
    policy_id: int
    item_id: int
    version_id: int


def draft_e1(session: Session) -> Drafted:
    officer = actor(session, "policy_officer")
    policy = service.create_policy(session, officer, policy_fields())
    version = service.create_item(session, officer, policy.id, item_fields())
    return Drafted(policy.id, version.item_id, version.id)
