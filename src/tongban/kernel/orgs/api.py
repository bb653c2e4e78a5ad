"""JSON API of the organisation tree."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from tongban.kernel.orgs import service
from tongban.kernel.orgs.models import OrgKind, RegionLevel
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/orgs", tags=["organisations"])


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: OrgKind
    level: RegionLevel
    region_code: str
    parent_id: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


class OrgPage(BaseModel):
    items: list[OrgOut]
    total: int
    page: int
    page_size: int


class OrgCreate(BaseModel):
    kind: Literal["region", "department"]
    name: str = Field(max_length=200)
    parent_id: Id | None = None
    code: str = Field(
        max_length=20, description="Region: six-digit GB/T 2260 code. Department: short code such as SCJGJ."
    )


class OrgUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    active: bool | None = None


@router.get("", response_model=OrgPage, summary="List organisations")
def list_orgs(
    db: DB,
    actor: CurrentActor,
    parent_id: Id | None = None,
    kind: OrgKind | None = None,
    q: str | None = Query(default=None, max_length=100),
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> OrgPage:
    result = service.list_orgs(
        db, actor, parent_id=parent_id, kind=kind, query=q, page=page, page_size=page_size
    )
    return OrgPage(
        items=[OrgOut.model_validate(o) for o in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("", response_model=OrgOut, status_code=201, summary="Create a region or department")
def create_org(body: OrgCreate, db: DB, actor: CurrentActor) -> OrgOut:
    if body.kind == "region":
        org = service.create_region(db, actor, code=body.code, name=body.name, parent_id=body.parent_id)
    else:
        org = service.create_department(
            db, actor, parent_id=body.parent_id or 0, code_suffix=body.code, name=body.name
        )
    return OrgOut.model_validate(org)


@router.get("/{org_id}", response_model=OrgOut, summary="One organisation")
def get_org(org_id: Id, db: DB, actor: CurrentActor) -> OrgOut:
    return OrgOut.model_validate(service.read(db, actor, org_id))


@router.patch("/{org_id}", response_model=OrgOut, summary="Rename, deactivate or reactivate")
def update_org(org_id: Id, body: OrgUpdate, db: DB, actor: CurrentActor) -> OrgOut:
    org = service.read(db, actor, org_id)
    if body.name is not None:
        org = service.rename(db, actor, org_id, body.name)
    if body.active is not None:
        org = service.set_active(db, actor, org_id, body.active)
    return OrgOut.model_validate(org)
