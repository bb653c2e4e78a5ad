"""Builders for data-hub tests: a published resource bound to standard elements, in one call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.catalog.models import (
    DataElement,
    OpenType,
    Resource,
    ResourceField,
    ResourceStatus,
    ResourceType,
    SharingType,
    SubjectKind,
    UpdateCycle,
)
from tongban.catalog.service import seed_standard_elements
from tongban.kernel.clock import now
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.permissions import Actor


@dataclass(frozen=True)
class F:
    """A field: column name, element key, and its role in the record key."""

    name: str
    element: str
    key: bool = False
    subject: bool = False
    required: bool = False


TAX_FIELDS = (
    F("统一社会信用代码", "uscc", subject=True),
    F("年度", "patents", key=True),  # an integer element stands in for the year column
    F("营业收入", "annual_revenue"),
    F("纳税额", "tax_paid"),
)


def make_resource(
    session: Session,
    *,
    provider_code: str = "350200-SWJ",
    code: str = "350200-SWJ-0001",
    name: str = "企业年度纳税信息",
    fields: tuple[F, ...] = TAX_FIELDS,
    sharing_type: SharingType = SharingType.CONDITIONAL,
    subject_kind: SubjectKind = SubjectKind.USCC,
    full_coverage: bool = False,
) -> Resource:
    """A published resource; seeds the standard data elements when they are missing."""
    if session.scalar(select(DataElement.id).limit(1)) is None:
        seed_standard_elements(session, Actor.system("test"))
    provider = session.scalar(select(Organisation).where(Organisation.code == provider_code))
    assert provider is not None, f"no organisation {provider_code}: use the demo_city fixture"
    elements = {e.key: e for e in session.scalars(select(DataElement))}
    resource = Resource(
        code=code,
        name=name,
        provider_org_id=provider.id,
        abstract="",
        resource_type=ResourceType.DEPARTMENT,
        subject_kind=subject_kind,
        sharing_type=sharing_type,
        open_type=OpenType.NOT_OPEN,
        update_cycle=UpdateCycle.YEARLY,
        full_coverage=full_coverage,
        status=ResourceStatus.PUBLISHED,
        published_at=now(),
    )
    resource.fields = [
        ResourceField(
            position=i, name=f.name, element_id=elements[f.element].id, is_key=f.key, is_subject=f.subject,
            required=f.required,
        )
        for i, f in enumerate(fields)
    ]
    session.add(resource)
    session.flush()
    return resource
