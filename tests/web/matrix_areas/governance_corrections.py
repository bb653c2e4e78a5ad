"""Role-matrix rows of conflicts, corrections and the inbox (see tests/support/matrix.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, actor, valid_uscc
from tests.support.hub import F, make_resource
from tests.support.matrix import Row, World, api, expect, page

from tongban.exchange import loads
from tongban.governance import conflicts, corrections
from tongban.notify import service as notify

CODE = "350200-SCJGJ-CORR"
TAX_CODE = "350200-SWJ-CORR"
FIELD = "住所"

PORTAL = expect("403", public="ok")
ENTERPRISE_ONLY = expect("403", enterprise="ok", enterprise2="ok")
FILERS = expect(
    "403", enterprise="ok", enterprise2="ok", citizen="other", officer="ok", steward="ok", fz_officer="ok"
)
STAFF_FILERS = expect("403", officer="ok", steward="ok", fz_officer="ok")
STAFF = expect(
    "403",
    officer="ok",
    steward="ok",
    leader="ok",
    admin="ok",
    province_admin="ok",
    fz_admin="ok",
    fz_officer="ok",
)
GOVERNANCE = expect("403", steward="ok", leader="ok", admin="ok", province_admin="ok", fz_admin="ok")
TICKET_READERS = expect(
    "403",
    enterprise="ok",
    enterprise2="ok",
    steward="ok",
    leader="ok",
    admin="ok",
    province_admin="ok",
    fz_admin="scope",
)
WORKBENCH_READERS = expect(
    "403", steward="ok", leader="ok", admin="ok", province_admin="ok", fz_admin="scope"
)
DECIDER = expect("403", steward="ok")
RESOLVERS = expect("403", admin="ok", province_admin="ok", fz_admin="ok")
SCOPED_RESOLVERS = expect("403", admin="ok", province_admin="ok", fz_admin="scope")
EVERYONE = expect("ok")
OWN_MESSAGE = expect("403", enterprise="ok")

NEW = "/portal/corrections/new?subject={uscc:enterprise}&resource=" + CODE + "&field=" + FIELD
FILING = {
    "subject": "{uscc:enterprise}",
    "resource": CODE,
    "field": FIELD,
    "proposed_value": "厦门市思明区矩阵路2号",
    "explanation": "已迁址。",
}

ROWS: list[Row] = [
    # --- portal ---------------------------------------------------------------------------
    Row("GET", "/portal/corrections", page(PORTAL)),
    Row(
        "GET",
        "/portal/corrections/new",
        page(expect("403", enterprise="ok", enterprise2="ok", citizen="other")),
        url=NEW,
    ),
    Row(
        "POST",
        "/portal/corrections/new",
        page(expect("403", enterprise="ok", enterprise2="ok", citizen="other")),
        form=FILING,
    ),
    Row(
        "GET",
        "/portal/corrections/{correction_id}",
        page(ENTERPRISE_ONLY),
        url="/portal/corrections/{correction:view}",
    ),
    Row(
        "GET",
        "/portal/corrections/{correction_id}/attachment",
        page(ENTERPRISE_ONLY),
        url="/portal/corrections/{correction:view}/attachment",
    ),
    Row(
        "POST",
        "/portal/corrections/{correction_id}/withdraw",
        page(ENTERPRISE_ONLY),
        url="/portal/corrections/{correction:withdraw}/withdraw",
    ),
    # --- workbench ------------------------------------------------------------------------
    Row("GET", "/workbench/corrections", page(STAFF)),
    Row("GET", "/workbench/corrections.xlsx", page(GOVERNANCE)),
    Row("GET", "/workbench/corrections/new", page(STAFF_FILERS), url=NEW.replace("/portal", "/workbench")),
    Row("POST", "/workbench/corrections/new", page(STAFF_FILERS), form=FILING),
    Row(
        "GET",
        "/workbench/corrections/{correction_id}",
        page(WORKBENCH_READERS),
        url="/workbench/corrections/{correction:view}",
    ),
    Row(
        "GET",
        "/workbench/corrections/{correction_id}/attachment",
        page(WORKBENCH_READERS),
        url="/workbench/corrections/{correction:view}/attachment",
    ),
    Row(
        "POST",
        "/workbench/corrections/{correction_id}/accept",
        page(DECIDER),
        url="/workbench/corrections/{correction:accept}/accept",
        form={"reason": ""},
    ),
    Row(
        "POST",
        "/workbench/corrections/{correction_id}/reject",
        page(DECIDER),
        url="/workbench/corrections/{correction:reject}/reject",
        form={"reason": "与登记一致"},
    ),
    Row(
        "POST",
        "/workbench/corrections/{correction_id}/withdraw",
        page(expect("403", officer="ok")),
        url="/workbench/corrections/{correction:officer}/withdraw",
    ),
    Row("GET", "/workbench/conflicts", page(GOVERNANCE)),
    Row("GET", "/workbench/conflicts.xlsx", page(GOVERNANCE)),
    Row("POST", "/workbench/conflicts/scan", page(GOVERNANCE)),
    Row(
        "POST",
        "/workbench/conflicts/{conflict_id}/decide",
        page(SCOPED_RESOLVERS),
        url="/workbench/conflicts/{conflict:address}/decide",
        form={"side": "a"},
    ),
    Row("GET", "/workbench/conflicts/rules", page(GOVERNANCE)),
    Row(
        "POST",
        "/workbench/conflicts/rules",
        page(RESOLVERS),
        form={"element": "registered_address", "kind": "most_recent"},
    ),
    # --- inbox ----------------------------------------------------------------------------
    Row("GET", "/inbox", page(EVERYONE)),
    Row("POST", "/inbox/{message_id}/read", page(OWN_MESSAGE), url="/inbox/{message:enterprise}/read"),
    Row("POST", "/inbox/read-all", page(EVERYONE)),
    # --- API ------------------------------------------------------------------------------
    Row("POST", "/api/v1/corrections", api(FILERS), json=FILING),
    Row(
        "GET",
        "/api/v1/corrections",
        api(expect("403", public="ok", officer="ok", steward="ok", fz_officer="ok")),
    ),
    Row(
        "GET",
        "/api/v1/corrections/{correction_id}",
        api(TICKET_READERS),
        url="/api/v1/corrections/{correction:view}",
    ),
    Row(
        "POST",
        "/api/v1/corrections/{correction_id}/accept",
        api(DECIDER),
        url="/api/v1/corrections/{correction:api_accept}/accept",
        json={},
    ),
    Row(
        "POST",
        "/api/v1/corrections/{correction_id}/reject",
        api(DECIDER),
        url="/api/v1/corrections/{correction:api_reject}/reject",
        json={"reason": "与登记一致"},
    ),
    Row(
        "POST",
        "/api/v1/corrections/{correction_id}/withdraw",
        api(ENTERPRISE_ONLY),
        url="/api/v1/corrections/{correction:api_withdraw}/withdraw",
    ),
    Row("GET", "/api/v1/conflicts", api(GOVERNANCE)),
    Row("GET", "/api/v1/conflicts/rules", api(GOVERNANCE)),
    Row(
        "PUT",
        "/api/v1/conflicts/rules/{element}",
        api(RESOLVERS),
        url="/api/v1/conflicts/rules/registered_address",
        json={"kind": "most_recent"},
    ),
    Row(
        "POST",
        "/api/v1/conflicts/{conflict_id}/decide",
        api(SCOPED_RESOLVERS),
        url="/api/v1/conflicts/{conflict:address}/decide",
        json={"side": "b"},
    ),
]


def build(session: Session, world: World) -> None:
    """A 市场监管 and a 税务 resource disagreeing on the demo enterprise's address, a conflict,
    tickets in every state the rows need, and a message in the enterprise user's inbox."""
    uscc = world.values["uscc:enterprise"]
    other = valid_uscc("91350200MA8CQRR01")
    fields = (F("统一社会信用代码", "uscc", subject=True), F(FIELD, "registered_address"))
    make_resource(session, provider_code="350200-SCJGJ", code=CODE, name="矩阵登记信息", fields=fields)
    make_resource(session, provider_code="350200-SWJ", code=TAX_CODE, name="矩阵纳税人信息", fields=fields)
    loads.load_rows(
        session,
        SYSTEM,
        CODE,
        [
            {"统一社会信用代码": uscc, FIELD: "厦门市思明区矩阵路1号"},
            {"统一社会信用代码": other, FIELD: "厦门市湖里区矩阵路3号"},
        ],
    )
    loads.load_rows(session, SYSTEM, TAX_CODE, [{"统一社会信用代码": uscc, FIELD: "厦门市湖里区旧址路9号"}])
    conflicts.scan(session, SYSTEM)
    found = conflicts.list_conflicts(
        session, SYSTEM, conflicts.ConflictFilter(subject=uscc, element_key="registered_address")
    )
    world.ids["conflict:address"] = found.items[0].conflict.id
    enterprise = actor(session, "enterprise")
    for name in ("view", "withdraw", "accept", "reject", "api_accept", "api_reject", "api_withdraw"):
        ticket = corrections.file_correction(
            session,
            enterprise,
            corrections.Filing(uscc, CODE, FIELD, f"厦门市思明区矩阵路{len(world.ids) + 10}号", "已迁址。"),
        )
        world.ids[f"correction:{name}"] = ticket.id
    filed = corrections.file_correction(
        session,
        actor(session, "officer"),
        corrections.Filing(other, CODE, FIELD, "厦门市湖里区矩阵路4号", "核实有误。"),
    )
    world.ids["correction:officer"] = filed.id
    message = notify.send_to_user(session, enterprise.id or 0, "矩阵消息", "内容", "/portal")
    world.ids["message:enterprise"] = message.id
