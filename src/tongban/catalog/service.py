"""Use cases of the data element registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tongban.catalog import domain
from tongban.catalog.models import DataElement, ElementType, Sensitivity
from tongban.kernel.audit import service as audit
from tongban.kernel.errors import N_, Conflict, NotFound
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require

EDITABLE = ("name_zh", "name_en", "definition", "format", "max_length", "unit", "sensitivity", "standard_ref")


@dataclass(frozen=True)
class ElementInput:
    identifier: str
    key: str
    name_zh: str
    name_en: str
    definition: str
    data_type: str
    sensitivity: str
    format: str = ""
    max_length: int | None = None
    unit: str = ""
    code_list: str | None = None
    validator: str | None = None
    standard_ref: str = ""


def spec_of(element: DataElement) -> domain.ElementSpec:
    return domain.ElementSpec(
        element.data_type, element.max_length, element.code_list, element.validator, element.unit
    )


def list_elements(
    session: Session,
    actor: Actor,
    *,
    query: str | None = None,
    data_type: ElementType | None = None,
    sensitivity: Sensitivity | None = None,
    include_retired: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> Page[DataElement]:
    """Browse and search (Chinese or English names, definitions, identifiers, keys)."""
    require(actor, Permission.CATALOG_READ)
    statement = select(DataElement)
    if query and query.strip():
        pattern = f"%{query.strip()}%"
        statement = statement.where(
            or_(
                DataElement.name_zh.like(pattern),
                DataElement.name_en.ilike(pattern),
                DataElement.definition.like(pattern),
                DataElement.identifier.ilike(pattern),
                DataElement.key.ilike(pattern),
            )
        )
    if data_type is not None:
        statement = statement.where(DataElement.data_type == data_type)
    if sensitivity is not None:
        statement = statement.where(DataElement.sensitivity == sensitivity)
    if not include_retired:
        statement = statement.where(DataElement.active.is_(True))
    return paginate(session, statement.order_by(DataElement.identifier), page, page_size)


def get_element(session: Session, actor: Actor, identifier_or_key: str) -> DataElement:
    require(actor, Permission.CATALOG_READ)
    element = session.scalar(
        select(DataElement).where(
            or_(DataElement.identifier == identifier_or_key, DataElement.key == identifier_or_key)
        )
    )
    if element is None:
        raise NotFound(N_("Data element not found."), code="element_not_found")
    return element


def create_element(session: Session, actor: Actor, data: ElementInput) -> DataElement:
    require(actor, Permission.ELEMENT_MANAGE)
    fields: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.__dict__.items()}
    fields["identifier"] = fields["identifier"].upper()
    fields["code_list"] = fields["code_list"] or None
    fields["validator"] = fields["validator"] or None
    domain.check_definition(
        identifier=fields["identifier"],
        key=fields["key"],
        name_zh=fields["name_zh"],
        name_en=fields["name_en"],
        definition=fields["definition"],
        data_type=fields["data_type"],
        sensitivity=fields["sensitivity"],
        code_list=fields["code_list"],
        validator=fields["validator"],
        max_length=fields["max_length"],
    )
    taken = session.scalar(
        select(DataElement.id).where(
            or_(DataElement.identifier == fields["identifier"], DataElement.key == fields["key"])
        )
    )
    if taken is not None:
        raise Conflict(N_("An element with this identifier or key exists."), code="element_exists")
    element = DataElement(
        **{
            **fields,
            "data_type": ElementType(fields["data_type"]),
            "sensitivity": Sensitivity(fields["sensitivity"]),
        }
    )
    session.add(element)
    session.flush()
    audit.record(
        session,
        actor,
        "element.create",
        "data_element",
        element.identifier,
        {"key": element.key, "name": element.name_zh, "type": element.data_type.value},
    )
    return element


def update_element(session: Session, actor: Actor, identifier: str, changes: dict[str, Any]) -> DataElement:
    """Change descriptive fields; the type, code list and validator are fixed once bound."""
    element = get_element(session, actor, identifier)
    require(actor, Permission.ELEMENT_MANAGE)
    merged: dict[str, Any] = {name: changes.get(name, getattr(element, name)) for name in EDITABLE}
    domain.check_definition(
        identifier=element.identifier,
        key=element.key,
        name_zh=merged["name_zh"],
        name_en=merged["name_en"],
        definition=merged["definition"],
        data_type=element.data_type.value,
        sensitivity=str(merged["sensitivity"]),
        code_list=element.code_list,
        validator=element.validator,
        max_length=merged["max_length"],
    )
    changed = {}
    for name, value in merged.items():
        if name == "sensitivity":
            value = Sensitivity(value)
        if getattr(element, name) != value:
            changed[name] = str(value)
            setattr(element, name, value)
    if changed:
        element.version += 1
        audit.record(session, actor, "element.update", "data_element", element.identifier, changed)
    return element


def set_element_active(session: Session, actor: Actor, identifier: str, active: bool) -> DataElement:
    element = get_element(session, actor, identifier)
    require(actor, Permission.ELEMENT_MANAGE)
    if element.active != active:
        element.active = active
        element.version += 1
        audit.record(
            session,
            actor,
            "element.reactivate" if active else "element.retire",
            "data_element",
            element.identifier,
            {},
        )
    return element


def check_value(session: Session, actor: Actor, identifier: str, raw: str | None) -> domain.ValueCheck:
    """Validate a value against an element with the same validators and code lists as ingest."""
    return domain.check_value(spec_of(get_element(session, actor, identifier)), raw)


def standard_elements() -> list[ElementInput]:
    path = resources.files("tongban.catalog").joinpath("data/elements.json")
    rows: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["elements"]
    return [ElementInput(**row) for row in rows]


def seed_standard_elements(session: Session, actor: Actor) -> int:
    """Add the platform's standard elements that are missing; returns how many were added."""
    existing = set(session.scalars(select(DataElement.identifier)))
    added = 0
    for element in standard_elements():
        if element.identifier not in existing:
            create_element(session, actor, element)
            added += 1
    return added
