"""JSON API of the data element registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from tongban.catalog import service
from tongban.catalog.models import DataElement, ElementType, Sensitivity
from tongban.kernel.i18n import translate
from tongban.web.deps import DB, CurrentActor, PageNumber

router = APIRouter(prefix="/api/v1/elements", tags=["data elements"])


class ElementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    identifier: str
    key: str
    name_zh: str
    name_en: str
    definition: str
    data_type: ElementType
    format: str
    max_length: int | None
    unit: str
    code_list: str | None
    validator: str | None
    sensitivity: Sensitivity
    standard_ref: str
    version: int
    active: bool
    updated_at: datetime


class ElementPage(BaseModel):
    items: list[ElementOut]
    total: int
    page: int
    page_size: int


class ElementCreate(BaseModel):
    identifier: str = Field(max_length=20, examples=["DE00901"])
    key: str = Field(max_length=60, examples=["export_value"])
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=150)
    definition: str = Field(max_length=2000)
    data_type: ElementType
    sensitivity: Sensitivity
    format: str = Field(default="", max_length=40)
    max_length: int | None = None
    unit: str = Field(default="", max_length=20)
    code_list: str | None = Field(default=None, max_length=40)
    validator: str | None = Field(default=None, max_length=20)
    standard_ref: str = Field(default="", max_length=100)


class ElementUpdate(BaseModel):
    name_zh: str | None = Field(default=None, max_length=100)
    name_en: str | None = Field(default=None, max_length=150)
    definition: str | None = Field(default=None, max_length=2000)
    format: str | None = Field(default=None, max_length=40)
    max_length: int | None = None
    unit: str | None = Field(default=None, max_length=20)
    sensitivity: Sensitivity | None = None
    standard_ref: str | None = Field(default=None, max_length=100)
    active: bool | None = None


class ValueIn(BaseModel):
    value: str | None = Field(default=None, max_length=10_000)


class ValueOut(BaseModel):
    valid: bool
    value: Any = Field(default=None, description="The canonical form of a valid value.")
    reason: str | None = None


def _out(element: DataElement) -> ElementOut:
    return ElementOut.model_validate(element)


@router.get("", response_model=ElementPage, summary="Browse and search data elements")
def list_elements(
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    data_type: ElementType | None = None,
    sensitivity: Sensitivity | None = None,
    include_retired: bool = False,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> ElementPage:
    result = service.list_elements(
        db,
        actor,
        query=q,
        data_type=data_type,
        sensitivity=sensitivity,
        include_retired=include_retired,
        page=page,
        page_size=page_size,
    )
    return ElementPage(
        items=[_out(e) for e in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("", response_model=ElementOut, status_code=201, summary="Add a data element")
def create_element(body: ElementCreate, db: DB, actor: CurrentActor) -> ElementOut:
    data = service.ElementInput(
        **{**body.model_dump(), "data_type": body.data_type.value, "sensitivity": body.sensitivity.value}
    )
    return _out(service.create_element(db, actor, data))


@router.get("/{identifier}", response_model=ElementOut, summary="One data element, by identifier or key")
def get_element(identifier: str, db: DB, actor: CurrentActor) -> ElementOut:
    return _out(service.get_element(db, actor, identifier))


@router.patch(
    "/{identifier}", response_model=ElementOut, summary="Change descriptive fields, retire or reactivate"
)
def update_element(identifier: str, body: ElementUpdate, db: DB, actor: CurrentActor) -> ElementOut:
    changes = body.model_dump(exclude_unset=True, exclude={"active"})
    element = (
        service.update_element(db, actor, identifier, changes)
        if changes
        else service.get_element(db, actor, identifier)
    )
    if body.active is not None:
        element = service.set_element_active(db, actor, identifier, body.active)
    return _out(element)


@router.post("/{identifier}/check", response_model=ValueOut, summary="Check a value against the element")
def check_value(identifier: str, body: ValueIn, db: DB, actor: CurrentActor) -> ValueOut:
    result = service.check_value(db, actor, identifier, body.value)
    value = result.value
    if isinstance(value, tuple):
        value = list(value)
    elif value is not None and not isinstance(value, bool | int | str):
        value = str(value)
    reason = translate(result.reason, **(result.params or {})) if result.reason else None
    return ValueOut(valid=result.valid, value=value, reason=reason)
