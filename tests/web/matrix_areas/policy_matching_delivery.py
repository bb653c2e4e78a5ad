"""Role-matrix rows of matching (/api/v1/policy/matching), the delivery funnel
(/workbench/policies/items/{id}/funnel) and notification preferences (/account/notifications).

Match runs are platform-wide: any holder of policy.read lists and reads them; starting one for
an item needs policy.review in the item's department. The funnel is read within the item's
department's remit (officers of the department, administrators and leaders of its region).
Preferences are any logged-in account's own."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM
from tests.support.matrix import Row, World, api, expect, page
from tests.web.matrix_areas.policy_publish import (
    GXJ_READERS,
    GXJ_WRITERS,
    READERS,
    SCJ_READERS,
    SCJ_WRITERS,
    new_item,
    new_policy,
)

from tongban.policy import matching, service

RUNS = "/api/v1/policy/matching/runs"
FUNNEL = "/workbench/policies/items/{item_id}/funnel"

ROWS: list[Row] = [
    # --- matching -------------------------------------------------------------------------
    Row("GET", RUNS, api(READERS)),
    Row("GET", RUNS + "/{run_id}", api(READERS), url=RUNS + "/{run:matrix}"),
    Row("POST", RUNS, api(GXJ_WRITERS), json={"item": "{code:delivery_gxj}"}, label="工信局"),
    Row("POST", RUNS, api(SCJ_WRITERS), json={"item": "{code:delivery_scj}"}, label="市场监管局"),
    # --- delivery funnel ------------------------------------------------------------------
    Row(
        "GET",
        FUNNEL,
        page(GXJ_READERS),
        url="/workbench/policies/items/{item:delivery_gxj}/funnel",
        label="工信局",
    ),
    Row(
        "GET",
        FUNNEL,
        page(SCJ_READERS),
        url="/workbench/policies/items/{item:delivery_scj}/funnel",
        label="市场监管局",
    ),
    Row(
        "GET",
        FUNNEL + ".xlsx",
        page(GXJ_READERS),
        url="/workbench/policies/items/{item:delivery_gxj}/funnel.xlsx",
        label="工信局",
    ),
    Row(
        "GET",
        FUNNEL + ".xlsx",
        page(SCJ_READERS),
        url="/workbench/policies/items/{item:delivery_scj}/funnel.xlsx",
        label="市场监管局",
    ),
    # --- notification preferences ---------------------------------------------------------
    Row("GET", "/account/notifications", page(expect("ok"))),
    Row(
        "POST",
        "/account/notifications",
        page(expect("ok")),
        form={"topics": "subsidy", "quiet_start": "22:00", "quiet_end": "07:00"},
    ),
]


def build(session: Session, world: World) -> None:
    """A published item of each department, and one finished-or-queued match run."""
    for department in ("gxj", "scj"):
        item_id, _ = new_item(session, department, new_policy(session, department), "published")
        world.ids[f"item:delivery_{department}"] = item_id
        world.values[f"code:delivery_{department}"] = service.get_item(session, item_id).code
    world.ids["run:matrix"] = matching.start_run(session, SYSTEM).id
