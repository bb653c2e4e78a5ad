"""Workbench pages to administer the organisation tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.orgs import service
from tongban.kernel.orgs.models import OrgKind
from tongban.kernel.permissions import Permission, require
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.forms import FORM_ERRORS, optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(prefix="/workbench/orgs", include_in_schema=False)


@router.get("")
def org_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    kind: str | None = None,
    page: PageNumber = 1,
) -> Response:
    kind_filter = OrgKind(kind) if kind in {k.value for k in OrgKind} else None
    result = service.list_orgs(db, actor, query=q, kind=kind_filter, page=page, page_size=50)
    return render(
        request,
        "orgs/list.html",
        {
            "layout": "workbench",
            "result": result,
            "q": q or "",
            "kind": kind or "",
            "can_manage": actor.has(Permission.ORG_MANAGE),
        },
    )


def _form_context(db: DB, actor: CurrentActor, values: dict[str, str]) -> dict[str, object]:
    return {"layout": "workbench", "regions": service.manageable_regions(db, actor), "values": values}


@router.get("/new")
def org_new(request: Request, db: DB, actor: CurrentActor, parent_id: Id | None = None) -> Response:
    require(actor, Permission.ORG_MANAGE)
    values = {"kind": "department", "parent_id": str(parent_id or ""), "code": "", "name": ""}
    return render(request, "orgs/form.html", _form_context(db, actor, values))


@router.post("/new")
def org_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    kind: Annotated[str, Form(max_length=20)] = "department",
    parent_id: Annotated[str, Form(max_length=20)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {"kind": kind, "parent_id": parent_id, "code": code, "name": name}
    parent = optional_int(parent_id)
    try:
        if kind == "region":
            org = service.create_region(db, actor, code=code, name=name, parent_id=parent)
        else:
            org = service.create_department(db, actor, parent_id=parent or 0, code_suffix=code, name=name)
    except FORM_ERRORS as error:
        db.rollback()
        return rerender_with_error(request, "orgs/form.html", _form_context(db, actor, values), error)
    return RedirectResponse(f"/workbench/orgs/{org.id}?saved=1", status_code=303)


@router.get("/{org_id}")
def org_detail(request: Request, db: DB, actor: CurrentActor, org_id: Id, saved: int = 0) -> Response:
    org = service.read(db, actor, org_id)
    children = service.list_orgs(db, actor, parent_id=org.id, page_size=200)
    return render(
        request,
        "orgs/detail.html",
        {
            "layout": "workbench",
            "org": org,
            "ancestors": service.ancestors(db, org),
            "children": children.items,
            "saved": bool(saved),
            "can_manage": actor.has(Permission.ORG_MANAGE) and actor.can_act_for(org.path),
        },
    )


@router.post("/{org_id}/rename")
def org_rename(
    request: Request,
    db: DB,
    actor: CurrentActor,
    org_id: Id,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        service.rename(db, actor, org_id, name)
    except FORM_ERRORS as error:
        db.rollback()
        org = service.read(db, actor, org_id)
        context = {
            "layout": "workbench",
            "org": org,
            "ancestors": service.ancestors(db, org),
            "children": [],
            "can_manage": True,
            "new_name": name,
        }
        return rerender_with_error(request, "orgs/detail.html", context, error)
    return RedirectResponse(f"/workbench/orgs/{org_id}?saved=1", status_code=303)


@router.post("/{org_id}/active")
def org_set_active(
    request: Request,
    db: DB,
    actor: CurrentActor,
    org_id: Id,
    active: Annotated[str, Form(max_length=5)] = "0",
) -> Response:
    try:
        service.set_active(db, actor, org_id, active == "1")
    except FORM_ERRORS as error:
        db.rollback()
        org = service.read(db, actor, org_id)
        context = {
            "layout": "workbench",
            "org": org,
            "ancestors": service.ancestors(db, org),
            "children": [],
            "can_manage": True,
        }
        return rerender_with_error(request, "orgs/detail.html", context, error)
    return RedirectResponse(f"/workbench/orgs/{org_id}?saved=1", status_code=303)
