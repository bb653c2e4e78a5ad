"""JSON API of the resource catalog: search and export, register, edit, publish, retire, versions.

A resource is named in paths by its id or its code (``350200-SWJ-0001``). The list is also the
catalog's JSON export: every item carries its fields with their data elements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tongban.catalog import resources as service
from tongban.catalog.models import (
    DataElement,
    ElementType,
    OpenType,
    Resource,
    ResourceStatus,
    ResourceType,
    ResourceVersion,
    Sensitivity,
    SharingType,
    SubjectKind,
    UpdateCycle,
)
from tongban.catalog.resources_domain import FieldDraft, ResourceDraft
from tongban.kernel.permissions import Actor
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/resources", tags=["data resources"])

Ref = Annotated[str, Path(max_length=60, description="Resource id or code, e.g. 350200-SWJ-0001.")]


class FieldIn(BaseModel):
    name: str = Field(max_length=100, examples=["营业收入"])
    element: str = Field(
        max_length=60, description="Data element key or identifier.", examples=["annual_revenue"]
    )
    is_key: bool = False
    is_subject: bool = False
    required: bool = False
    description: str = Field(default="", max_length=4000)
    unit: str = Field(
        default="", max_length=20, description="Unit the provider writes values in (万元 for a 元 element)."
    )


class ResourceIn(BaseModel):
    name: str = Field(max_length=200, examples=["企业年度纳税信息"])
    abstract: str = Field(max_length=4000)
    resource_type: ResourceType
    subject_kind: SubjectKind
    sharing_type: SharingType
    sharing_condition: str = Field(default="", max_length=4000)
    open_type: OpenType
    update_cycle: UpdateCycle
    full_coverage: bool = False
    fields: list[FieldIn] = Field(max_length=300)

    def draft(self) -> ResourceDraft:
        return ResourceDraft(
            name=self.name,
            abstract=self.abstract,
            resource_type=self.resource_type.value,
            subject_kind=self.subject_kind.value,
            sharing_type=self.sharing_type.value,
            sharing_condition=self.sharing_condition,
            open_type=self.open_type.value,
            update_cycle=self.update_cycle.value,
            full_coverage=self.full_coverage,
            fields=tuple(FieldDraft(**f.model_dump()) for f in self.fields),
        )


class ResourceCreate(ResourceIn):
    provider_org_id: Id
    code: str | None = Field(
        default=None, max_length=60, description="Left out: the department's next code, e.g. 350200-SWJ-0007."
    )


class FieldOut(BaseModel):
    position: int
    name: str
    element: str = Field(description="Data element key.")
    element_identifier: str
    element_name: str
    data_type: ElementType
    sensitivity: Sensitivity
    is_key: bool
    is_subject: bool
    required: bool
    description: str
    unit: str = ""


class ProviderOut(BaseModel):
    id: int
    code: str
    name: str


class DraftOut(BaseModel):
    """A pending edit of a published resource, as it will be published (version n+1)."""

    version: int
    name: str
    abstract: str
    resource_type: ResourceType
    subject_kind: SubjectKind
    sharing_type: SharingType
    sharing_condition: str
    open_type: OpenType
    update_cycle: UpdateCycle
    full_coverage: bool
    fields: list[FieldIn]


class ResourceOut(BaseModel):
    id: int
    code: str
    name: str
    provider: ProviderOut
    abstract: str
    resource_type: ResourceType
    subject_kind: SubjectKind
    sharing_type: SharingType
    sharing_condition: str
    open_type: OpenType
    update_cycle: UpdateCycle
    full_coverage: bool
    status: ResourceStatus
    version: int
    published_at: datetime | None
    updated_at: datetime
    fields: list[FieldOut]
    pending: DraftOut | None = Field(
        default=None, description="Unpublished edit; shown to those who manage the resource."
    )


class ResourcePage(BaseModel):
    items: list[ResourceOut]
    total: int
    page: int
    page_size: int


class VersionOut(BaseModel):
    version: int
    published_at: datetime
    published_by: str
    snapshot: dict[str, Any] = Field(description="Metadata and fields as published.")


def _field(field: Any) -> FieldOut:
    element: DataElement = field.element
    return FieldOut(
        position=field.position,
        name=field.name,
        element=element.key,
        element_identifier=element.identifier,
        element_name=element.name_zh,
        data_type=element.data_type,
        sensitivity=element.sensitivity,
        is_key=field.is_key,
        is_subject=field.is_subject,
        required=field.required,
        description=field.description,
        unit=field.unit,
    )


def _out(resource: Resource, actor: Actor) -> ResourceOut:
    pending = None
    if resource.pending and service.may_manage(actor, resource):
        draft = ResourceDraft.from_json(resource.pending)
        pending = DraftOut(
            **{**draft.to_json(), "fields": [FieldIn(**f.__dict__) for f in draft.fields]},
            version=resource.version + 1,
        )
    return ResourceOut(
        id=resource.id,
        code=resource.code,
        name=resource.name,
        provider=ProviderOut(
            id=resource.provider.id, code=resource.provider.code, name=resource.provider.name
        ),
        abstract=resource.abstract,
        resource_type=resource.resource_type,
        subject_kind=resource.subject_kind,
        sharing_type=resource.sharing_type,
        sharing_condition=resource.sharing_condition,
        open_type=resource.open_type,
        update_cycle=resource.update_cycle,
        full_coverage=resource.full_coverage,
        status=resource.status,
        version=resource.version,
        published_at=resource.published_at,
        updated_at=resource.updated_at,
        fields=[_field(f) for f in resource.fields],
        pending=pending,
    )


def _version(version: ResourceVersion) -> VersionOut:
    return VersionOut(
        version=version.version,
        published_at=version.published_at,
        published_by=version.published_by,
        snapshot=version.snapshot,
    )


@router.get("", response_model=ResourcePage, summary="Search and filter the catalog (its JSON export)")
def list_resources(
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(
        default=None, max_length=100, description="Chinese or English words; all must match."
    ),
    provider_org_id: Id | None = None,
    resource_type: ResourceType | None = None,
    sharing_type: SharingType | None = None,
    element: str | None = Query(
        default=None, max_length=60, description="Bound data element, key or identifier."
    ),
    status: ResourceStatus | None = Query(
        default=None, description="Left out: drafts you manage and published."
    ),
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> ResourcePage:
    filters = service.ResourceFilter(
        query=q,
        provider_org_id=provider_org_id,
        resource_type=resource_type,
        sharing_type=sharing_type,
        element=element,
        status=status,
    )
    result = service.search_resources(db, actor, filters, page=page, page_size=page_size)
    return ResourcePage(
        items=[_out(r, actor) for r in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("", response_model=ResourceOut, status_code=201, summary="Register a resource (as a draft)")
def register_resource(body: ResourceCreate, db: DB, actor: CurrentActor) -> ResourceOut:
    resource = service.register_resource(
        db, actor, provider_org_id=body.provider_org_id, draft=body.draft(), code=body.code
    )
    return _out(resource, actor)


@router.get("/{ref}", response_model=ResourceOut, summary="One resource with its fields")
def get_resource(ref: Ref, db: DB, actor: CurrentActor) -> ResourceOut:
    return _out(service.get_resource(db, actor, ref), actor)


@router.put(
    "/{ref}",
    response_model=ResourceOut,
    summary="Replace metadata and fields (a draft in place; a published resource as a pending edit)",
)
def update_resource(ref: Ref, body: ResourceIn, db: DB, actor: CurrentActor) -> ResourceOut:
    return _out(service.update_resource(db, actor, ref, body.draft()), actor)


@router.post("/{ref}/publish", response_model=ResourceOut, summary="Publish the draft or the pending edit")
def publish_resource(ref: Ref, db: DB, actor: CurrentActor) -> ResourceOut:
    return _out(service.publish_resource(db, actor, ref), actor)


@router.post("/{ref}/discard", response_model=ResourceOut, summary="Drop the pending edit")
def discard_changes(ref: Ref, db: DB, actor: CurrentActor) -> ResourceOut:
    return _out(service.discard_changes(db, actor, ref), actor)


@router.post("/{ref}/retire", response_model=ResourceOut, summary="Retire the resource")
def retire_resource(ref: Ref, db: DB, actor: CurrentActor) -> ResourceOut:
    return _out(service.retire_resource(db, actor, ref), actor)


@router.get(
    "/{ref}/versions", response_model=list[VersionOut], summary="Every published version, newest first"
)
def list_versions(ref: Ref, db: DB, actor: CurrentActor) -> list[VersionOut]:
    return [_version(v) for v in service.list_versions(db, actor, ref)]


@router.get("/{ref}/versions/{version}", response_model=VersionOut, summary="One published version")
def get_version(ref: Ref, version: Id, db: DB, actor: CurrentActor) -> VersionOut:
    return _version(service.get_version(db, actor, ref, version))
