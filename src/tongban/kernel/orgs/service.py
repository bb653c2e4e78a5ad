"""Use cases of the organisation tree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tongban.kernel.audit import service as audit
from tongban.kernel.errors import N_, Conflict, FieldProblem, NotFound, ValidationFailed
from tongban.kernel.orgs import domain
from tongban.kernel.orgs.models import Organisation, OrgKind
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, Role, require


def get(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(N_("Organisation not found."), code="org_not_found")
    return org


def read(session: Session, actor: Actor, org_id: int) -> Organisation:
    """One organisation, for anyone who may read the directory."""
    require(actor, Permission.ORG_READ)
    return get(session, org_id)


def get_by_code(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(N_("Organisation not found."), code="org_not_found")
    return org


def scope_path_for(org: Organisation, role: Role, session: Session) -> str:
    """Administrators and leaders act within their region; everyone else within their own unit."""
    if role in (Role.ADMIN, Role.LEADER) and org.kind is OrgKind.DEPARTMENT and org.parent_id:
        return get(session, org.parent_id).path
    return org.path


def org_ids_in_scope(actor: Actor) -> Select[int]:
    return select(Organisation.id).where(Organisation.path.startswith(actor.scope_path or "/-none-/"))


def _ensure_unique_code(session: Session, code: str) -> None:
    if session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise Conflict(N_("The code {code_value} is already in use."), code="org_code_taken", code_value=code)


def _ensure_nearest_parent(session: Session, code: str, parent: Organisation) -> None:
    """A region goes under the nearest region above it that exists (350203 under 厦门市, not 福建省)."""
    skipped = domain.skipped_codes(code, parent.code)
    nearer = session.scalar(
        select(Organisation)
        .where(Organisation.code.in_(skipped), Organisation.kind == OrgKind.REGION)
        .order_by(Organisation.code.desc())
        .limit(1)
    )
    if nearer is not None:
        raise ValidationFailed(
            fields=[
                FieldProblem(
                    "parent_id",
                    N_("Region {code} belongs under {parent}."),
                    {"code": code, "parent": f"{nearer.name} ({nearer.code})"},
                )
            ]
        )


def _ensure_parent_active(parent: Organisation) -> None:
    if not parent.active:
        raise ValidationFailed(fields=[FieldProblem("parent_id", N_("This organisation is deactivated."))])


def _add(session: Session, org: Organisation, parent: Organisation | None) -> Organisation:
    org.path = "/"
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def create_region(
    session: Session, actor: Actor, *, code: str, name: str, parent_id: int | None
) -> Organisation:
    parent = get(session, parent_id) if parent_id is not None else None
    if parent is None:
        require(actor, Permission.ORG_MANAGE, org_path="/")
    else:
        require(actor, Permission.ORG_MANAGE, org_path=parent.path)
    code = code.strip()
    level = domain.check_region_placement(
        code, parent.code if parent else None, parent.kind if parent else None
    )
    if parent is not None:
        _ensure_nearest_parent(session, code, parent)
        _ensure_parent_active(parent)
    _ensure_unique_code(session, code)
    org = _add(
        session,
        Organisation(
            code=code,
            name=domain.clean_name(name),
            kind=OrgKind.REGION,
            level=level,
            region_code=code,
            parent_id=parent.id if parent else None,
        ),
        parent,
    )
    audit.record(
        session, actor, "org.create", "organisation", org.id, {"code": code, "name": org.name}, org_id=org.id
    )
    return org


def create_department(
    session: Session, actor: Actor, *, parent_id: int, code_suffix: str, name: str
) -> Organisation:
    parent = get(session, parent_id)
    require(actor, Permission.ORG_MANAGE, org_path=parent.path)
    if parent.kind is not OrgKind.REGION:
        raise ValidationFailed(fields=[FieldProblem("parent_id", N_("A department belongs to a region."))])
    _ensure_parent_active(parent)
    code = domain.department_code(parent.code, code_suffix)
    _ensure_unique_code(session, code)
    org = _add(
        session,
        Organisation(
            code=code,
            name=domain.clean_name(name),
            kind=OrgKind.DEPARTMENT,
            level=parent.level,
            region_code=parent.region_code,
            parent_id=parent.id,
        ),
        parent,
    )
    audit.record(
        session, actor, "org.create", "organisation", org.id, {"code": code, "name": org.name}, org_id=org.id
    )
    return org


def _managed(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = get(session, org_id)
    require(actor, Permission.ORG_MANAGE, org_path=org.path)
    return org


def rename(session: Session, actor: Actor, org_id: int, name: str) -> Organisation:
    org = _managed(session, actor, org_id)
    new_name = domain.clean_name(name)
    if new_name != org.name:
        old = org.name
        org.name = new_name
        audit.record(
            session, actor, "org.rename", "organisation", org.id, {"from": old, "to": new_name}, org_id=org.id
        )
    return org


def set_active(session: Session, actor: Actor, org_id: int, active: bool) -> Organisation:
    org = _managed(session, actor, org_id)
    if not active and (org.path == actor.scope_path or org.id == actor.org_id):
        raise Conflict(N_("You cannot deactivate the organisation you administer."), code="org_own_scope")
    if active and org.parent_id is not None and not get(session, org.parent_id).active:
        raise Conflict(N_("Reactivate the organisation above it first."), code="org_parent_inactive")
    if not active:
        active_child = session.scalar(
            select(Organisation.id)
            .where(Organisation.parent_id == org.id, Organisation.active.is_(True))
            .limit(1)
        )
        if active_child is not None:
            raise Conflict(N_("Deactivate the organisations under it first."), code="org_has_active_children")
    if org.active != active:
        org.active = active
        action = "org.activate" if active else "org.deactivate"
        audit.record(session, actor, action, "organisation", org.id, {"code": org.code}, org_id=org.id)
    return org


def list_orgs(
    session: Session,
    actor: Actor,
    *,
    parent_id: int | None = None,
    kind: OrgKind | None = None,
    query: str | None = None,
    include_inactive: bool = True,
    page: int = 1,
    page_size: int = 50,
) -> Page[Organisation]:
    """The organisation directory, ordered as a tree. Any staff member may read it."""
    require(actor, Permission.ORG_READ)
    statement: Select[Any] = select(Organisation)
    if parent_id is not None:
        statement = statement.where(Organisation.parent_id == parent_id)
    if kind is not None:
        statement = statement.where(Organisation.kind == kind)
    if query:
        pattern = f"%{query.strip()}%"
        statement = statement.where(or_(Organisation.name.like(pattern), Organisation.code.like(pattern)))
    if not include_inactive:
        statement = statement.where(Organisation.active.is_(True))
    # Codes sort as a tree: a region, its departments, then each region under it.
    return paginate(session, statement.order_by(Organisation.code), page, page_size)


def manageable_regions(session: Session, actor: Actor) -> list[Organisation]:
    """Regions under which the actor may create organisations (for forms)."""
    if not actor.has(Permission.ORG_MANAGE) or actor.scope_path is None:
        return []
    statement = (
        select(Organisation)
        .where(Organisation.kind == OrgKind.REGION, Organisation.path.startswith(actor.scope_path))
        .order_by(Organisation.code)
    )
    return list(session.scalars(statement))


def ancestors(session: Session, org: Organisation) -> list[Organisation]:
    """Root first, the organisation itself excluded (for breadcrumbs and full names)."""
    ids = [int(part) for part in org.path.strip("/").split("/") if part][:-1]
    if not ids:
        return []
    by_id = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]
