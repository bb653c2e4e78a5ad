"""Role-matrix rows of data quality: a published resource of 厦门市市场监管局 with a load (so it
has built-in rules and a run). Readers are stewards, leaders and administrators within their
remit; only the providing department's steward defines, edits and runs rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, valid_uscc
from tests.support.hub import make_resource
from tests.support.matrix import Row, World, api, expect, page

from tongban.exchange import loads
from tongban.governance.quality_models import QualityRule, RuleKind

CODE = "350200-SCJGJ-QMATRIX"
BASE = "/workbench/governance/quality"
API = "/api/v1/governance/quality"

READERS = expect("403", steward="ok", leader="ok", admins="ok")
XIAMEN_READERS = expect("403", steward="ok", leader="ok", admin="ok", province_admin="ok", fz_admin="scope")
MANAGERS = expect("403", steward="ok")
MANAGERS_OF_A_VISIBLE_RULE = expect("403", steward="ok", fz_admin="scope")  # read first, then manage

RESOURCE = "{quality_resource:matrix}"
RULE = "{quality_rule:matrix}"
RULE_FORM = {"kind": "completeness", "field": "营业收入", "weight": "1", "name": ""}

ROWS: list[Row] = [
    Row("GET", BASE, page(READERS)),
    Row("GET", f"{BASE}.xlsx", page(READERS)),
    Row("GET", f"{BASE}/resources/{{resource_id}}", page(XIAMEN_READERS), url=f"{BASE}/resources/{RESOURCE}"),
    Row(
        "POST",
        f"{BASE}/resources/{{resource_id}}/run",
        page(MANAGERS),
        url=f"{BASE}/resources/{RESOURCE}/run",
        form={},
    ),
    Row(
        "GET",
        f"{BASE}/resources/{{resource_id}}/rules/new",
        page(MANAGERS),
        url=f"{BASE}/resources/{RESOURCE}/rules/new",
    ),
    Row(
        "POST",
        f"{BASE}/resources/{{resource_id}}/rules",
        page(MANAGERS),
        url=f"{BASE}/resources/{RESOURCE}/rules",
        form=RULE_FORM,
    ),
    Row("GET", f"{BASE}/rules/{{rule_id}}", page(XIAMEN_READERS), url=f"{BASE}/rules/{RULE}"),
    Row("GET", f"{BASE}/rules/{{rule_id}}.xlsx", page(XIAMEN_READERS), url=f"{BASE}/rules/{RULE}.xlsx"),
    Row(
        "GET",
        f"{BASE}/rules/{{rule_id}}/edit",
        page(MANAGERS_OF_A_VISIBLE_RULE),
        url=f"{BASE}/rules/{RULE}/edit",
    ),
    Row("POST", f"{BASE}/rules/{{rule_id}}", page(MANAGERS), url=f"{BASE}/rules/{RULE}", form=RULE_FORM),
    Row(
        "POST",
        f"{BASE}/rules/{{rule_id}}/active",
        page(MANAGERS),
        url=f"{BASE}/rules/{RULE}/active",
        form={"active": "1"},
    ),
    Row("GET", f"{API}/scores", api(READERS)),
    Row("GET", f"{API}/resources/{{resource_id}}", api(XIAMEN_READERS), url=f"{API}/resources/{RESOURCE}"),
    Row(
        "POST",
        f"{API}/resources/{{resource_id}}/rules",
        api(MANAGERS),
        url=f"{API}/resources/{RESOURCE}/rules",
        json={"kind": "completeness", "field": "纳税额"},
    ),
    Row(
        "POST", f"{API}/resources/{{resource_id}}/runs", api(MANAGERS), url=f"{API}/resources/{RESOURCE}/runs"
    ),
    Row(
        "PATCH",
        f"{API}/rules/{{rule_id}}",
        api(MANAGERS_OF_A_VISIBLE_RULE),
        url=f"{API}/rules/{RULE}",
        json={"weight": 1},
    ),
    Row("GET", f"{API}/rules/{{rule_id}}/issues", api(XIAMEN_READERS), url=f"{API}/rules/{RULE}/issues"),
]


def build(session: Session, world: World) -> None:
    resource = make_resource(session, provider_code="350200-SCJGJ", code=CODE, name="质量矩阵资源")
    loads.load_rows(
        session,
        SYSTEM,
        CODE,
        [
            {
                "统一社会信用代码": valid_uscc("91350200MA8QMATX1"),
                "年度": 2025,
                "营业收入": 1,
                "纳税额": None,
            },
            {"统一社会信用代码": valid_uscc("91350200MA8QMATX2"), "年度": 2025, "营业收入": 2, "纳税额": 1},
        ],
    )
    rule = session.scalar(
        select(QualityRule.id).where(
            QualityRule.resource_id == resource.id,
            QualityRule.kind == RuleKind.COMPLETENESS,
            QualityRule.field == "纳税额",
        )
    )
    assert rule is not None
    world.ids["quality_resource:matrix"] = resource.id
    world.ids["quality_rule:matrix"] = rule
