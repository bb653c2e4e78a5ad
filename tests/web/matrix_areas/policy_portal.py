"""Role-matrix rows of "我的政策": one item of 工信局 published (policy_officer drafts, policy_reviewer
approves). Only the enterprise's own users reach the list, the explanation, near misses and
calendar; a person (citizen) and staff are refused; naming another enterprise is ``other``."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.policy.world import item_fields, policy_fields
from tests.support.actors import actor
from tests.support.matrix import Row, World, api, expect, page

from tongban.policy import service

ENTERPRISE = expect("403", enterprise="ok", enterprise2="ok")
ITEM = "{item:portal}"

ROWS: list[Row] = [
    Row("GET", "/portal/policies", page(ENTERPRISE)),
    Row("GET", "/portal/policies/{code}", page(ENTERPRISE), url=f"/portal/policies/{ITEM}"),
    Row("GET", "/api/v1/portal/policies", api(ENTERPRISE)),
    Row("GET", "/api/v1/portal/policies/near-misses", api(ENTERPRISE)),
    Row("GET", "/api/v1/portal/policies/calendar", api(ENTERPRISE)),
    Row("GET", "/api/v1/portal/policies/{code}", api(ENTERPRISE), url=f"/api/v1/portal/policies/{ITEM}"),
]


def build(session: Session, world: World) -> None:
    officer, reviewer = actor(session, "policy_officer"), actor(session, "policy_reviewer")
    policy = service.create_policy(session, officer, policy_fields())
    version = service.create_item(session, officer, policy.id, item_fields())
    service.submit(session, officer, version.id)
    service.approve(session, reviewer, version.id)
    world.values["item:portal"] = service.get_item(session, version.item_id).code
