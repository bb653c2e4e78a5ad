"""Builders for data-hub tests: a published resource bound to standard elements, in one call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.catalog.models import DataElement, Resource, SharingType, SubjectKind
from tongban.catalog.resources_domain import FieldDraft
from tongban.catalog.service import seed_standard_elements
from tongban.demo.hub import publish_from_fields
from tongban.kernel.permissions import Actor

SYSTEM = Actor.system("test")


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
    F("年度", "reporting_year", key=True),
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
    """A published resource, made through the catalog service; seeds the standard data elements
    when they are missing."""
    if session.scalar(select(DataElement.id).limit(1)) is None:
        seed_standard_elements(session, SYSTEM)
    return publish_from_fields(
        session, SYSTEM, provider_code=provider_code, code=code, name=name,
        fields=[FieldDraft(f.name, f.element, f.key, f.subject, f.required) for f in fields],
        sharing_type=sharing_type.value, subject_kind=subject_kind.value, full_coverage=full_coverage,
    )
