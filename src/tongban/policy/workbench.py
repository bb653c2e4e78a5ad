"""What the publishing workbench reads: policies of the officer's remit with their items' states
(filtered, paged, exported), one policy, item or version checked against the officer's remit,
the departments to choose from, a version's changes against the live one, the review page.

Writing goes through ``service``; this module only reads (and checks who may read).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tongban.kernel.errors import N_, NotFound
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation, OrgKind
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import service
from tongban.policy.domain import ItemState, VersionState
from tongban.policy.models import ItemVersion, Policy, PolicyItem

# The list's state filter: an item state, or a policy with a version being drafted or reviewed.
STATE_FILTERS = ("draft", "in_review", "published", "withdrawn", "expired", "unpublished")
EXPORT_LIMIT = 5000


def _org_path(session: Session, org_id: int) -> str:
    return orgs.get(session, org_id).path


def readable_policy(session: Session, actor: Actor, policy_id: int) -> Policy:
    policy = service.get_policy(session, policy_id)
    require(actor, Permission.POLICY_READ, org_path=_org_path(session, policy.org_id))
    return policy


def readable_item(session: Session, actor: Actor, item_id: int) -> PolicyItem:
    item = service.get_item(session, item_id)
    require(actor, Permission.POLICY_READ, org_path=_org_path(session, item.org_id))
    return item


def version_by_number(session: Session, actor: Actor, item_id: int, number: int) -> ItemVersion:
    readable_item(session, actor, item_id)
    for version in service.versions_of(session, item_id):
        if version.number == number:
            return version
    raise NotFound(N_("There is no such version of a policy item."), code="version_not_found")


def departments(session: Session) -> list[Organisation]:
    """Active departments, for the handling-department choice."""
    statement = select(Organisation).where(Organisation.kind == OrgKind.DEPARTMENT, Organisation.active)
    return list(session.scalars(statement.order_by(Organisation.code)))


def departments_in_scope(session: Session, actor: Actor) -> list[Organisation]:
    statement = select(Organisation).where(
        Organisation.kind == OrgKind.DEPARTMENT, Organisation.id.in_(orgs.org_ids_in_scope(actor))
    )
    return list(session.scalars(statement.order_by(Organisation.code)))


# --- the policy list --------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyFilter:
    state: str = ""
    org_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class PolicyRow:
    policy: Policy
    department: str
    items: int
    states: dict[str, int] = field(default_factory=dict)  # item states and open versions


def _filtered(actor: Actor, filters: PolicyFilter) -> Select[Any]:
    statement = select(Policy).where(Policy.org_id.in_(orgs.org_ids_in_scope(actor)))
    if filters.org_id is not None:
        statement = statement.where(Policy.org_id == filters.org_id)
    if filters.text.strip():
        pattern = f"%{filters.text.strip()}%"
        statement = statement.where(Policy.title.like(pattern) | Policy.doc_number.like(pattern))
    state = filters.state
    if state in ("draft", "in_review"):
        states = (
            (VersionState.DRAFT, VersionState.REJECTED) if state == "draft" else (VersionState.IN_REVIEW,)
        )
        holding = (
            select(PolicyItem.policy_id)
            .join(ItemVersion, ItemVersion.item_id == PolicyItem.id)
            .where(ItemVersion.state.in_(states))
        )
        statement = statement.where(Policy.id.in_(holding))
    elif state in STATE_FILTERS:
        holding = select(PolicyItem.policy_id).where(PolicyItem.state == ItemState(state))
        statement = statement.where(Policy.id.in_(holding))
    return statement.order_by(Policy.id.desc())


def _rows(session: Session, policies: list[Policy]) -> list[PolicyRow]:
    ids = [p.id for p in policies]
    item_states: dict[int, Counter[str]] = {i: Counter() for i in ids}
    if ids:
        for policy_id, state in session.execute(
            select(PolicyItem.policy_id, PolicyItem.state).where(PolicyItem.policy_id.in_(ids))
        ):
            item_states[policy_id][state.value] += 1
        open_versions = session.execute(
            select(PolicyItem.policy_id, ItemVersion.state)
            .join(ItemVersion, ItemVersion.item_id == PolicyItem.id)
            .where(PolicyItem.policy_id.in_(ids), ItemVersion.state.in_(service.OPEN_STATES))
        )
        for policy_id, version_state in open_versions:
            key = "in_review" if version_state is VersionState.IN_REVIEW else "draft"
            item_states[policy_id][key] += 1
    names: dict[int, str] = {}
    if policies:
        org_ids = {p.org_id for p in policies}
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        ):
            names[org_id] = name
    rows = []
    for policy in policies:
        counts = item_states[policy.id]
        total = sum(counts[s.value] for s in ItemState)
        rows.append(PolicyRow(policy, names.get(policy.org_id, ""), total, dict(counts)))
    return rows


def list_policies(
    session: Session, actor: Actor, filters: PolicyFilter, page: int = 1, page_size: int = 20
) -> Page[PolicyRow]:
    """Policies of the departments in the actor's remit, newest first, with their items' states."""
    require(actor, Permission.POLICY_READ)
    result: Page[Policy] = paginate(session, _filtered(actor, filters), page, page_size)
    return Page(_rows(session, result.items), result.total, result.page, result.page_size)


def export_policies(session: Session, actor: Actor, filters: PolicyFilter) -> list[PolicyRow]:
    require(actor, Permission.POLICY_READ)
    policies = list(session.scalars(_filtered(actor, filters).limit(EXPORT_LIMIT)))
    return _rows(session, policies)


# --- items and versions -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item: PolicyItem
    current: ItemVersion  # the open version if any, else the live one, else the latest
    open: ItemVersion | None
    live: ItemVersion | None


def items_with_versions(session: Session, policy_id: int) -> list[ItemRow]:
    rows = []
    for item in service.items_of(session, policy_id):
        versions = service.versions_of(session, item.id)
        open_version = next((v for v in versions if v.state in service.OPEN_STATES), None)
        live = next((v for v in versions if v.id == item.live_version_id), None)
        current = open_version or live or versions[-1]
        rows.append(ItemRow(item, current, open_version, live))
    return rows


DIFF_FIELDS = (
    "title",
    "summary",
    "condition_text",
    "amount_text",
    "support_types",
    "industries",
    "sizes",
    "window_opens",
    "window_closes",
    "handling_org_id",
    "materials",
    "exclusive_group",
    "annual_budget_fen",
    "no_application",
)


def changed_fields(old: ItemVersion | None, new: ItemVersion) -> list[tuple[str, Any, Any]]:
    """(field, old value, new value) for each field that differs from the live version."""
    if old is None or old.id == new.id:
        return []
    return [
        (name, getattr(old, name), getattr(new, name))
        for name in DIFF_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]


def reviewable(session: Session, actor: Actor, version_id: int) -> tuple[ItemVersion, PolicyItem, Policy]:
    """A version with its item and policy, for a reviewer of the issuing department."""
    version = service.get_version(session, version_id)
    item = service.get_item(session, version.item_id)
    require(actor, Permission.POLICY_REVIEW, org_path=_org_path(session, item.org_id))
    return version, item, service.get_policy(session, item.policy_id)
