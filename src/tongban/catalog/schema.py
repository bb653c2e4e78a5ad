"""A resource's shape as ingest and access need it: pure, detached from the database.

Ingest validates rows with it and builds record keys; the access API uses it to pick granted
fields and mask personal ones. Build one with ``schema_of(resource)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tongban.catalog.domain import ElementSpec, unit_factor
from tongban.catalog.models import Resource, Sensitivity, SharingType, SubjectKind

KEY_SEPARATOR = "|"
PERSONAL = frozenset({Sensitivity.PERSONAL, Sensitivity.SENSITIVE_PERSONAL})


@dataclass(frozen=True)
class FieldSchema:
    name: str
    element_key: str
    spec: ElementSpec
    sensitivity: Sensitivity
    is_key: bool
    is_subject: bool
    required: bool
    unit_factor: Decimal = Decimal(1)  # multiply numbers read from the source by this

    @property
    def is_personal(self) -> bool:
        return self.sensitivity in PERSONAL


@dataclass(frozen=True)
class ResourceSchema:
    resource_id: int
    code: str
    name: str
    provider_org_id: int
    subject_kind: SubjectKind
    sharing_type: SharingType
    full_coverage: bool
    version: int
    fields: tuple[FieldSchema, ...]

    def field(self, name: str) -> FieldSchema | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def subject_field(self) -> FieldSchema | None:
        return next((f for f in self.fields if f.is_subject), None)

    @property
    def key_fields(self) -> tuple[FieldSchema, ...]:
        """Fields that identify a record: the subject first, then the other key fields in order."""
        subject = [f for f in self.fields if f.is_subject]
        others = [f for f in self.fields if f.is_key and not f.is_subject]
        return tuple(subject + others)

    def record_key(self, values: dict[str, Any]) -> str:
        """The record's key within the resource, from validated values: '9135…|2025'."""
        return KEY_SEPARATOR.join(
            "" if values.get(f.name) is None else str(values[f.name]) for f in self.key_fields
        )


def schema_of(resource: Resource) -> ResourceSchema:
    fields = tuple(
        FieldSchema(
            name=f.name,
            element_key=f.element.key,
            spec=ElementSpec(
                f.element.data_type,
                f.element.max_length,
                f.element.code_list,
                f.element.validator,
                f.element.unit,
            ),
            sensitivity=f.element.sensitivity,
            is_key=f.is_key,
            is_subject=f.is_subject,
            required=f.required or f.is_key or f.is_subject,
            unit_factor=unit_factor(f.unit, f.element.unit) or Decimal(1),
        )
        for f in resource.fields
    )
    return ResourceSchema(
        resource_id=resource.id,
        code=resource.code,
        name=resource.name,
        provider_org_id=resource.provider_org_id,
        subject_kind=resource.subject_kind,
        sharing_type=resource.sharing_type,
        full_coverage=resource.full_coverage,
        version=resource.version,
        fields=fields,
    )
