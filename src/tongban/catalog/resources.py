"""Use cases of the resource catalog (政务信息资源目录): register, edit, publish, retire, search.

Versions: a resource is registered as a draft (version 1) whose row and fields are edited in
place until it is first published. From then on the row and its fields are the *published*
shape, which ingest and access read (``schema_of``); an edit is kept aside in
``Resource.pending`` and becomes version n+1 when published. Every published version is
snapshotted in ``ResourceVersion``, so any of them stays readable.

Permissions: anyone with ``catalog.read`` reads published and retired resources; drafts and
pending edits are seen and changed only by the provider department's data stewards and the
platform administrators whose region holds it (``resource.manage`` within scope).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tongban.catalog import resources_domain as domain
from tongban.catalog import search
from tongban.catalog.models import (
    DataElement,
    OpenType,
    Resource,
    ResourceField,
    ResourceStatus,
    ResourceType,
    ResourceVersion,
    SharingType,
    SubjectKind,
    UpdateCycle,
)
from tongban.catalog.resources_domain import (
    ElementFacts,
    ResourceDraft,
    live_draft,
    snapshot_of,
    working_draft,
)
from tongban.catalog.schema import ResourceSchema, schema_of
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, Conflict, FieldProblem, InvalidTransition, NotFound, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation, OrgKind
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require

EXPORT_LIMIT = 10_000


@dataclass(frozen=True)
class ResourceFilter:
    """Search words and filters; ``status`` None means drafts (that one may see) and published."""

    query: str | None = None
    provider_org_id: int | None = None
    resource_type: ResourceType | None = None
    sharing_type: SharingType | None = None
    element: str | None = None  # key or identifier of a data element some field binds to
    status: ResourceStatus | None = None


# --- reading ------------------------------------------------------------------------------------


def may_manage(actor: Actor, resource: Resource) -> bool:
    """May the actor edit, publish and retire this resource (and see its drafts)?"""
    return actor.has(Permission.RESOURCE_MANAGE) and actor.can_act_for(resource.provider.path)


def _find(session: Session, ref: int | str) -> Resource:
    resource: Resource | None = None
    if isinstance(ref, int):
        resource = session.get(Resource, ref)
    else:
        resource = session.scalar(select(Resource).where(Resource.code == ref))
        if resource is None and ref.isascii() and ref.isdigit() and len(ref) < 10:
            resource = session.get(Resource, int(ref))
    if resource is None:
        raise NotFound(N_("Data resource not found."), code="resource_not_found")
    return resource


def lookup(session: Session, ref: int | str, *, published: bool = False) -> Resource:
    """A resource by id or code for other contexts' services, which check their own rights: a
    department's system may hold data.ingest or data.access without catalog.read."""
    resource = _find(session, ref.strip() if isinstance(ref, str) else ref)
    if published and resource.status is not ResourceStatus.PUBLISHED:
        raise NotFound(N_("Data resource not found."), code="resource_not_found")
    return resource


def get_resource(session: Session, actor: Actor, ref: int | str) -> Resource:
    """One resource by id or code; a draft only for those who manage it."""
    require(actor, Permission.CATALOG_READ)
    resource = _find(session, ref)
    if resource.status is ResourceStatus.DRAFT:
        require(actor, Permission.RESOURCE_MANAGE, org_path=resource.provider.path)
    return resource


def _managed(session: Session, actor: Actor, ref: int | str) -> Resource:
    require(actor, Permission.CATALOG_READ)
    resource = _find(session, ref)
    require(actor, Permission.RESOURCE_MANAGE, org_path=resource.provider.path)
    return resource


def _filtered(actor: Actor, filters: ResourceFilter) -> Select[Any]:
    require(actor, Permission.CATALOG_READ)
    statement = select(Resource)
    if filters.status is not None:
        statement = statement.where(Resource.status == filters.status)
    else:
        statement = statement.where(Resource.status != ResourceStatus.RETIRED)
    drafts_visible = actor.has(Permission.RESOURCE_MANAGE) and actor.scope_path is not None
    if drafts_visible:
        statement = statement.where(
            or_(
                Resource.status != ResourceStatus.DRAFT,
                Resource.provider_org_id.in_(orgs.org_ids_in_scope(actor)),
            )
        )
    else:
        statement = statement.where(Resource.status != ResourceStatus.DRAFT)
    if filters.provider_org_id is not None:
        statement = statement.where(Resource.provider_org_id == filters.provider_org_id)
    if filters.resource_type is not None:
        statement = statement.where(Resource.resource_type == filters.resource_type)
    if filters.sharing_type is not None:
        statement = statement.where(Resource.sharing_type == filters.sharing_type)
    if filters.element:
        element_ids = select(DataElement.id).where(
            or_(DataElement.key == filters.element, DataElement.identifier == filters.element.upper())
        )
        bound = select(ResourceField.resource_id).where(ResourceField.element_id.in_(element_ids))
        statement = statement.where(Resource.id.in_(bound))
    if filters.query and filters.query.strip():
        statement = statement.where(search.matches(Resource.search_text, filters.query))
    return statement.order_by(Resource.code)


def search_resources(
    session: Session,
    actor: Actor,
    filters: ResourceFilter | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
) -> Page[Resource]:
    """Browse and search the catalog in Chinese, filtered; all query words must match."""
    return paginate(session, _filtered(actor, filters or ResourceFilter()), page, page_size)


def export_resources(session: Session, actor: Actor, filters: ResourceFilter | None = None) -> list[Resource]:
    """Every resource the filters select (up to 10,000), for downloads."""
    statement = _filtered(actor, filters or ResourceFilter()).limit(EXPORT_LIMIT)
    return list(session.scalars(statement))


def list_versions(session: Session, actor: Actor, ref: int | str) -> list[ResourceVersion]:
    """Every published version, newest first."""
    resource = get_resource(session, actor, ref)
    statement = (
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource.id)
        .order_by(ResourceVersion.version.desc())
    )
    return list(session.scalars(statement))


def get_version(session: Session, actor: Actor, ref: int | str, version: int) -> ResourceVersion:
    resource = get_resource(session, actor, ref)
    found = session.scalar(
        select(ResourceVersion).where(
            ResourceVersion.resource_id == resource.id, ResourceVersion.version == version
        )
    )
    if found is None:
        raise NotFound(N_("This version of the resource does not exist."), code="resource_version_not_found")
    return found


def schema_for(session: Session, resource_id: int, *, published_only: bool = True) -> ResourceSchema:
    """The published shape other contexts (ingest, access) work with; they check their own rights."""
    resource = _find(session, resource_id)
    if published_only and resource.status is not ResourceStatus.PUBLISHED:
        raise InvalidTransition(N_("This resource is not published."), code="resource_not_published")
    return schema_of(resource)


def provider_choices(session: Session, actor: Actor) -> list[Organisation]:
    """Active departments the actor may register resources for (for forms)."""
    if not actor.has(Permission.RESOURCE_MANAGE) or actor.scope_path is None:
        return []
    statement = (
        select(Organisation)
        .where(
            Organisation.kind == OrgKind.DEPARTMENT,
            Organisation.active.is_(True),
            Organisation.path.startswith(actor.scope_path),
        )
        .order_by(Organisation.code)
    )
    return list(session.scalars(statement))


def provider_filter_choices(session: Session, actor: Actor) -> list[Organisation]:
    """Departments that provide at least one resource (for the catalog's filter)."""
    require(actor, Permission.CATALOG_READ)
    providers = select(Resource.provider_org_id).distinct()
    return list(
        session.scalars(
            select(Organisation).where(Organisation.id.in_(providers)).order_by(Organisation.code)
        )
    )


def element_choices(session: Session, also: Iterable[str] = ()) -> list[DataElement]:
    """Active data elements, plus the named ones (bound already, perhaps retired since)."""
    keys = list(also)
    statement = select(DataElement).where(or_(DataElement.active.is_(True), DataElement.key.in_(keys)))
    return list(session.scalars(statement.order_by(DataElement.identifier)))


# --- checking and applying a draft -------------------------------------------------------------


def _elements(session: Session, names: Iterable[str]) -> dict[str, DataElement]:
    """Elements by every name the draft uses for them (key or identifier)."""
    wanted = {n for n in names if n}
    if not wanted:
        return {}
    found = session.scalars(
        select(DataElement).where(
            or_(DataElement.key.in_(wanted), DataElement.identifier.in_({n.upper() for n in wanted}))
        )
    )
    by_name: dict[str, DataElement] = {}
    for element in found:
        for name in wanted:
            if name in (element.key, element.identifier) or name.upper() == element.identifier:
                by_name[name] = element
    return by_name


def _facts(elements: dict[str, DataElement]) -> dict[str, ElementFacts]:
    return {
        name: ElementFacts(e.key, e.active, e.validator, e.sensitivity, e.unit)
        for name, e in elements.items()
    }


def _checked(
    session: Session, draft: ResourceDraft, published: Resource | None
) -> tuple[ResourceDraft, dict[str, DataElement]]:
    """Validate a draft; returns it with elements named by key, and the elements by key."""
    draft = draft.cleaned()
    elements = _elements(session, (f.element for f in draft.fields))
    facts = _facts(elements)
    kept = frozenset(f.element.key for f in published.fields) if published is not None else frozenset()
    domain.check_draft(draft, facts, kept_elements=kept)
    canonical = ResourceDraft.from_json(
        {
            **draft.to_json(),
            "fields": [{**f.__dict__, "element": elements[f.element].key} for f in draft.fields],
        }
    )
    if published is not None:
        domain.check_record_key_kept(
            domain.record_key_of(live_draft(published)), domain.record_key_of(canonical)
        )
    return canonical, {e.key: e for e in elements.values()}


def _search_text(
    code: str, provider: Organisation, draft: ResourceDraft, elements: dict[str, DataElement]
) -> str:
    parts = [code, provider.name, draft.name, draft.abstract]
    for f in draft.fields:
        element = elements[f.element]
        parts.extend((f.name, f.description, element.name_zh, element.name_en))
    return search.document(parts)


def _apply(
    resource: Resource, provider: Organisation, draft: ResourceDraft, elements: dict[str, DataElement]
) -> None:
    """Write a checked draft into the row and its fields (fields matched by name, kept in place)."""
    resource.name = draft.name
    resource.abstract = draft.abstract
    resource.resource_type = ResourceType(draft.resource_type)
    resource.subject_kind = SubjectKind(draft.subject_kind)
    resource.sharing_type = SharingType(draft.sharing_type)
    resource.sharing_condition = draft.sharing_condition
    resource.open_type = OpenType(draft.open_type)
    resource.update_cycle = UpdateCycle(draft.update_cycle)
    resource.full_coverage = draft.full_coverage
    existing = {f.name: f for f in resource.fields}
    fields: list[ResourceField] = []
    for position, item in enumerate(draft.fields):
        row = existing.get(item.name) or ResourceField(name=item.name)
        row.position = position
        row.element = elements[item.element]
        row.is_key = item.is_key
        row.is_subject = item.is_subject
        row.required = item.required
        row.description = item.description
        row.unit = item.unit
        fields.append(row)
    resource.fields = fields
    resource.search_text = _search_text(resource.code, provider, draft, elements)


def _changes(before: ResourceDraft, after: ResourceDraft) -> list[str]:
    old, new = before.to_json(), after.to_json()
    return sorted(name for name in new if old.get(name) != new[name])


# --- changing ----------------------------------------------------------------------------------


def _audit(session: Session, actor: Actor, action: str, resource: Resource, summary: dict[str, Any]) -> None:
    audit.record(session, actor, action, "resource", resource.code, summary, org_id=resource.provider_org_id)


def _provider(session: Session, actor: Actor, provider_org_id: int) -> Organisation:
    require(actor, Permission.RESOURCE_MANAGE)
    try:
        provider = orgs.get(session, provider_org_id)
    except NotFound:
        raise ValidationFailed(
            fields=[FieldProblem("provider_org_id", N_("Choose the department that provides the data."))]
        ) from None
    require(actor, Permission.RESOURCE_MANAGE, org_path=provider.path)
    if provider.kind is not OrgKind.DEPARTMENT or not provider.active:
        raise ValidationFailed(
            fields=[FieldProblem("provider_org_id", N_("Resources are provided by an active department."))]
        )
    return provider


def _code(session: Session, provider: Organisation, code: str | None) -> str:
    if code and code.strip():
        chosen = code.strip()
        domain.check_code(chosen)
    else:
        # One registration at a time per department picks the next number (PostgreSQL row lock).
        session.execute(select(Organisation.id).where(Organisation.id == provider.id).with_for_update())
        taken = session.scalars(select(Resource.code).where(Resource.code.startswith(f"{provider.code}-")))
        chosen = domain.next_code(provider.code, taken)
    if session.scalar(select(Resource.id).where(Resource.code == chosen)) is not None:
        raise Conflict(
            N_("The code {code_value} is already in use."),
            code="resource_code_taken",
            fields=[
                FieldProblem("code", N_("The code {code_value} is already in use."), {"code_value": chosen})
            ],
            code_value=chosen,
        )
    return chosen


def register_resource(
    session: Session,
    actor: Actor,
    *,
    provider_org_id: int,
    draft: ResourceDraft,
    code: str | None = None,
) -> Resource:
    """A department's steward (or an administrator of its region) registers a draft resource."""
    problems: list[FieldProblem] = []
    try:
        provider = _provider(session, actor, provider_org_id)
    except ValidationFailed as error:
        problems.extend(error.fields)
    try:
        checked, elements = _checked(session, draft, None)
    except ValidationFailed as error:
        problems.extend(error.fields)
    if problems:
        raise ValidationFailed(fields=problems)
    resource = Resource(
        code=_code(session, provider, code),
        provider_org_id=provider.id,
        status=ResourceStatus.DRAFT,
        version=1,
    )
    _apply(resource, provider, checked, elements)
    session.add(resource)
    session.flush()
    _audit(
        session,
        actor,
        "resource.register",
        resource,
        {"name": resource.name, "provider": provider.code, "fields": len(checked.fields)},
    )
    return resource


def update_resource(session: Session, actor: Actor, ref: int | str, draft: ResourceDraft) -> Resource:
    """Edit a draft in place, or keep an edit of a published resource aside as version n+1."""
    resource = _managed(session, actor, ref)
    domain.ensure_editable(resource.status)
    published = resource if resource.status is ResourceStatus.PUBLISHED else None
    checked, elements = _checked(session, draft, published)
    if published is None:
        changed = _changes(live_draft(resource), checked)
        if changed:
            _apply(resource, resource.provider, checked, elements)
            session.flush()
            _audit(session, actor, "resource.update", resource, {"changed": changed})
        return resource
    changed = _changes(working_draft(resource), checked)
    if not changed:
        return resource
    pending = None if checked == live_draft(resource) else checked.to_json()
    resource.pending = pending
    session.flush()
    _audit(
        session,
        actor,
        "resource.update",
        resource,
        {"changed": changed, "pending_version": resource.version + 1 if pending else None},
    )
    return resource


def publish_resource(session: Session, actor: Actor, ref: int | str) -> Resource:
    """Publish the draft (version 1) or the pending edit (version n+1), snapshotting it."""
    resource = _managed(session, actor, ref)
    domain.ensure_publishable(resource.status, bool(resource.pending))
    if resource.status is ResourceStatus.DRAFT:
        checked, elements = _checked(session, live_draft(resource), None)
    else:
        assert resource.pending is not None
        checked, elements = _checked(session, ResourceDraft.from_json(resource.pending), resource)
        resource.version += 1
    _apply(resource, resource.provider, checked, elements)
    resource.pending = None
    resource.status = ResourceStatus.PUBLISHED
    resource.published_at = now()
    session.flush()
    session.add(
        ResourceVersion(
            resource_id=resource.id,
            version=resource.version,
            snapshot=snapshot_of(resource),
            published_at=resource.published_at,
            published_by=actor.label[:100],
        )
    )
    session.flush()
    _audit(session, actor, "resource.publish", resource, {"version": resource.version})
    return resource


def discard_changes(session: Session, actor: Actor, ref: int | str) -> Resource:
    """Drop the pending edit of a published resource (nothing happens when there is none)."""
    resource = _managed(session, actor, ref)
    if resource.pending:
        resource.pending = None
        session.flush()
        _audit(session, actor, "resource.discard", resource, {"version": resource.version + 1})
    return resource


def retire_resource(session: Session, actor: Actor, ref: int | str) -> Resource:
    """Take a resource out of the catalog; its published versions stay readable."""
    resource = _managed(session, actor, ref)
    domain.ensure_retirable(resource.status)
    previous = resource.status
    resource.status = ResourceStatus.RETIRED
    resource.pending = None
    session.flush()
    _audit(session, actor, "resource.retire", resource, {"was": previous.value, "version": resource.version})
    return resource
