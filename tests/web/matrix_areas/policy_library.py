"""Role-matrix rows of the public policy library (/policies, /api/v1/library): one published
item of 工信局. Anyone reads it and uses its calculator, logged in or not, with or without a
token; the calculator's POST carries the CSRF token like any form or script of the site."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.support.matrix import Row, World, expect
from tests.web.matrix_areas.policy_publish import new_item, new_policy

from tongban.policy import service

EVERYONE = expect("ok")
CODE = "{item:library}"

ROWS: list[Row] = [
    # --- pages ----------------------------------------------------------------------------
    Row("GET", "/policies", EVERYONE, url="/policies?q=工业"),
    Row("GET", "/policies/{code}", EVERYONE, url=f"/policies/{CODE}"),
    Row("GET", "/policies/{code}/calculator", EVERYONE, url=f"/policies/{CODE}/calculator"),
    Row(
        "POST",
        "/policies/{code}/calculator",
        EVERYONE,
        url=f"/policies/{CODE}/calculator",
        form={"registered_region": "350203"},
    ),
    # --- API ------------------------------------------------------------------------------
    Row("GET", "/api/v1/library/items", EVERYONE, url="/api/v1/library/items?q=工业"),
    Row("GET", "/api/v1/library/items/{code}", EVERYONE, url=f"/api/v1/library/items/{CODE}"),
    Row(
        "POST",
        "/api/v1/library/items/{code}/calculate",
        EVERYONE,
        url=f"/api/v1/library/items/{CODE}/calculate",
        json={"registered_region": "350203"},
    ),
]


def build(session: Session, world: World) -> None:
    item_id, _ = new_item(session, "gxj", new_policy(session, "gxj"), "published")
    world.values["item:library"] = service.get_item(session, item_id).code
