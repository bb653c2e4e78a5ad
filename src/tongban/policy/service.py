"""Use cases of publishing (发布): register a policy, draft its items, submit, review with a
preview of who qualifies, publish, edit as a new version, withdraw, expire.

Officers of the issuing department draft and review; a version is approved by another officer
than its submitter (four eyes). Publishing announces ``ItemPublished`` (matching reacts after
commit); withdrawal and expiry announce ``ItemEnded``. Every step is audited in the same
transaction. Old versions stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.catalog import search
from tongban.kernel import events
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now, today
from tongban.kernel.errors import N_, NotFound, PermissionDenied
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import domain
from tongban.policy.domain import Action, ItemFields, ItemState, PolicyFields, VersionState
from tongban.policy.events import ItemEnded, ItemPublished
from tongban.policy.models import ItemVersion, Policy, PolicyItem
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.errors import RuleInvalid
from tongban.rules.parser import parse_rule
from tongban.rules.printer import describe_zh
from tongban.rules.typecheck import check_rule

OPEN_STATES = (VersionState.DRAFT, VersionState.REJECTED, VersionState.IN_REVIEW)


# --- rules ---------------------------------------------------------------------------------------


def compile_rule(condition_text: str, amount_text: str = "") -> ast.Rule:
    """Parse and type-check an item's condition and amount; ``RuleInvalid`` lists every problem
    (each with its part and span)."""
    rule = parse_rule(condition_text, amount_text or None)
    return check_rule(
        rule, builtin_registry(), condition_text=condition_text, amount_text=amount_text or None
    )


def rule_of(version: ItemVersion) -> ast.Rule | None:
    return ast.Rule.from_json(version.rule) if version.rule else None


# --- policies ------------------------------------------------------------------------------------


def _department(session: Session, actor: Actor, permission: Permission) -> Organisation:
    require(actor, permission)
    if actor.org_id is None:
        raise PermissionDenied(N_("Only officers of a department can do this."), code="no_department")
    org = orgs.get(session, actor.org_id)
    require(actor, permission, org_path=org.path)
    return org


def _check_org(session: Session, actor: Actor, permission: Permission, org_id: int) -> Organisation:
    org = orgs.get(session, org_id)
    require(actor, permission, org_path=org.path)
    return org


def create_policy(session: Session, actor: Actor, fields: PolicyFields) -> Policy:
    org = _department(session, actor, Permission.POLICY_DRAFT)
    clean = domain.check_policy(fields)
    policy = Policy(org_id=org.id, created_by_id=actor.id, **clean.__dict__)
    session.add(policy)
    session.flush()
    audit.record(session, actor, "policy.create", "policy", policy.id, {"title": policy.title})
    return policy


def update_policy(session: Session, actor: Actor, policy_id: int, fields: PolicyFields) -> Policy:
    policy = get_policy(session, policy_id)
    _check_org(session, actor, Permission.POLICY_DRAFT, policy.org_id)
    clean = domain.check_policy(fields)
    for name, value in clean.__dict__.items():
        setattr(policy, name, value)
    policy.updated_at = now()
    audit.record(session, actor, "policy.update", "policy", policy.id, {"title": policy.title})
    return policy


def get_policy(session: Session, policy_id: int) -> Policy:
    policy = session.get(Policy, policy_id)
    if policy is None:
        raise NotFound(N_("There is no such policy."), code="policy_not_found")
    return policy


def list_policies(session: Session, actor: Actor, page: int = 1, page_size: int = 20) -> Page[Policy]:
    """The policies of the departments in the actor's remit, newest first."""
    require(actor, Permission.POLICY_READ)
    statement = select(Policy).where(Policy.org_id.in_(orgs.org_ids_in_scope(actor)))
    return paginate(session, statement.order_by(Policy.id.desc()), page, page_size)


def items_of(session: Session, policy_id: int) -> list[PolicyItem]:
    return list(
        session.scalars(select(PolicyItem).where(PolicyItem.policy_id == policy_id).order_by(PolicyItem.id))
    )


# --- items and versions --------------------------------------------------------------------------


def _public_code(item_id: int) -> str:
    """The item's public code from its id (ZC-2026-0001): unique without counting, so two officers
    creating items at the same moment cannot collide."""
    return f"ZC-{today().year}-{item_id:04d}"


def search_document(policy: Policy, version: ItemVersion) -> str:
    """The item's search tokens: its title, summary, conditions in words, materials, the policy."""
    rule = rule_of(version)
    described = describe_zh(rule.condition, builtin_registry()) if rule else ""
    labels = [domain.SUPPORT_TYPES[t] for t in version.support_types if t in domain.SUPPORT_TYPES]
    return search.document(
        [
            version.title,
            version.summary,
            described,
            *version.materials,
            *labels,
            policy.title,
            policy.doc_number,
            policy.issuer,
        ]
    )


def _fill(session: Session, version: ItemVersion, fields: ItemFields) -> None:
    for name in (
        "title",
        "summary",
        "condition_text",
        "amount_text",
        "window_opens",
        "window_closes",
        "handling_org_id",
        "exclusive_group",
        "annual_budget_fen",
        "no_application",
    ):
        setattr(version, name, getattr(fields, name))
    version.support_types = list(fields.support_types)
    version.industries = list(fields.industries)
    version.sizes = list(fields.sizes)
    version.materials = list(fields.materials)
    # A draft may hold rule text that does not check yet; submitting requires that it does.
    version.rule = None
    if fields.condition_text:
        with suppress(RuleInvalid):
            version.rule = compile_rule(fields.condition_text, fields.amount_text).to_json()
    version.updated_at = now()
    item = session.get(PolicyItem, version.item_id)
    assert item is not None
    version.search_text = search_document(get_policy(session, item.policy_id), version)


def create_item(session: Session, actor: Actor, policy_id: int, fields: ItemFields) -> ItemVersion:
    """A new item with its first version, a draft."""
    policy = get_policy(session, policy_id)
    _check_org(session, actor, Permission.POLICY_DRAFT, policy.org_id)
    clean = domain.check_item(fields)
    item = PolicyItem(
        policy_id=policy.id, code=f"new-{uuid4().hex}", org_id=policy.org_id, state=ItemState.UNPUBLISHED
    )
    session.add(item)
    session.flush()
    item.code = _public_code(item.id)
    version = ItemVersion(
        item_id=item.id, number=1, state=VersionState.DRAFT, title=clean.title, created_by_id=actor.id
    )
    session.add(version)
    _fill(session, version, clean)
    session.flush()
    audit.record(
        session,
        actor,
        "policy_item.create",
        "policy_item",
        item.id,
        {"code": item.code, "title": clean.title},
    )
    return version


def get_item(session: Session, item_id: int) -> PolicyItem:
    item = session.get(PolicyItem, item_id)
    if item is None:
        raise NotFound(N_("There is no such policy item."), code="item_not_found")
    return item


def get_item_by_code(session: Session, code: str) -> PolicyItem:
    item = session.scalar(select(PolicyItem).where(PolicyItem.code == code))
    if item is None:
        raise NotFound(N_("There is no such policy item."), code="item_not_found")
    return item


def get_version(session: Session, version_id: int) -> ItemVersion:
    version = session.get(ItemVersion, version_id)
    if version is None:
        raise NotFound(N_("There is no such version of a policy item."), code="version_not_found")
    return version


def versions_of(session: Session, item_id: int) -> list[ItemVersion]:
    return list(
        session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.number)
        )
    )


def open_version(session: Session, item_id: int) -> ItemVersion | None:
    """The version being drafted or reviewed, if any (at most one at a time)."""
    return session.scalar(
        select(ItemVersion).where(ItemVersion.item_id == item_id, ItemVersion.state.in_(OPEN_STATES))
    )


def live_version(session: Session, item: PolicyItem) -> ItemVersion | None:
    return session.get(ItemVersion, item.live_version_id) if item.live_version_id else None


def fields_of(version: ItemVersion) -> ItemFields:
    return ItemFields(
        title=version.title,
        summary=version.summary,
        condition_text=version.condition_text,
        amount_text=version.amount_text,
        support_types=tuple(version.support_types),
        industries=tuple(version.industries),
        sizes=tuple(version.sizes),
        window_opens=version.window_opens,
        window_closes=version.window_closes,
        handling_org_id=version.handling_org_id,
        materials=tuple(version.materials),
        exclusive_group=version.exclusive_group,
        annual_budget_fen=version.annual_budget_fen,
        no_application=version.no_application,
    )


def edit_item(session: Session, actor: Actor, item_id: int, fields: ItemFields) -> ItemVersion:
    """Change the open draft (a returned one becomes a draft again), or start a new version
    from the live one; a version in review cannot be edited."""
    item = get_item(session, item_id)
    _check_org(session, actor, Permission.POLICY_DRAFT, item.org_id)
    clean = domain.check_item(fields)
    version = open_version(session, item.id)
    if version is None:
        number = max((v.number for v in versions_of(session, item.id)), default=0) + 1
        version = ItemVersion(
            item_id=item.id,
            number=number,
            state=VersionState.DRAFT,
            title=clean.title,
            created_by_id=actor.id,
        )
        session.add(version)
    else:
        version.state = domain.next_state(version.state, Action.EDIT)
    _fill(session, version, clean)
    session.flush()
    audit.record(session, actor, "policy_item.edit", "policy_item", item.id, {"version": version.number})
    return version


def submit(session: Session, actor: Actor, version_id: int) -> ItemVersion:
    """Send a draft for review: the rule texts must check; the preview is computed now."""
    from tongban.policy import preview

    version = get_version(session, version_id)
    item = get_item(session, version.item_id)
    _check_org(session, actor, Permission.POLICY_DRAFT, item.org_id)
    target = domain.next_state(version.state, Action.SUBMIT)
    rule = compile_rule(version.condition_text, version.amount_text)
    version.rule = rule.to_json()
    version.state = target
    version.submitted_by_id = actor.id
    version.submitted_at = now()
    version.preview = preview.compute(session, rule, today())
    audit.record(session, actor, "policy_item.submit", "policy_item", item.id, {"version": version.number})
    return version


def review_queue(session: Session, actor: Actor, page: int = 1, page_size: int = 20) -> Page[ItemVersion]:
    """Versions waiting for review in the actor's remit, oldest first."""
    require(actor, Permission.POLICY_REVIEW)
    statement = (
        select(ItemVersion)
        .join(PolicyItem, PolicyItem.id == ItemVersion.item_id)
        .where(
            ItemVersion.state == VersionState.IN_REVIEW, PolicyItem.org_id.in_(orgs.org_ids_in_scope(actor))
        )
        .order_by(ItemVersion.submitted_at)
    )
    return paginate(session, statement, page, page_size)


def approve(session: Session, actor: Actor, version_id: int, note: str = "") -> ItemVersion:
    """Publish a version in review; the version it replaces is superseded."""
    version = get_version(session, version_id)
    item = get_item(session, version.item_id)
    _check_org(session, actor, Permission.POLICY_REVIEW, item.org_id)
    domain.check_reviewer(version.submitted_by_id, actor.id)
    version.state = domain.next_state(version.state, Action.APPROVE)
    moment = now()
    previous = live_version(session, item)
    if previous is not None and previous.state is VersionState.PUBLISHED:
        previous.state = domain.next_state(previous.state, Action.SUPERSEDE)
        previous.ended_at = moment
    version.reviewed_by_id = actor.id
    version.reviewed_at = moment
    version.review_note = note.strip()[: domain.NOTE_LIMIT]
    version.published_at = moment
    item.live_version_id = version.id
    item.state = ItemState.PUBLISHED
    session.flush()
    audit.record(
        session,
        actor,
        "policy_item.publish",
        "policy_item",
        item.id,
        {"version": version.number, "replaces": previous.number if previous else None},
    )
    events.publish(session, ItemPublished(item.id, version.id, previous.id if previous else None))
    return version


def reject(session: Session, actor: Actor, version_id: int, reason: str) -> ItemVersion:
    version = get_version(session, version_id)
    item = get_item(session, version.item_id)
    _check_org(session, actor, Permission.POLICY_REVIEW, item.org_id)
    why = domain.require_reason(reason)
    version.state = domain.next_state(version.state, Action.REJECT)
    version.reviewed_by_id = actor.id
    version.reviewed_at = now()
    version.review_note = why
    audit.record(session, actor, "policy_item.reject", "policy_item", item.id, {"version": version.number})
    return version


def _end(session: Session, actor: Actor, item: PolicyItem, action: Action, reason: str) -> ItemVersion:
    version = live_version(session, item)
    if version is None:
        raise domain.ItemClosed(state=item.state.value)
    version.state = domain.next_state(version.state, action)
    version.ended_at = now()
    item.state = ItemState.WITHDRAWN if action is Action.WITHDRAW else ItemState.EXPIRED
    ended = "withdrawn" if action is Action.WITHDRAW else "expired"
    audit.record(
        session,
        actor,
        f"policy_item.{ended}",
        "policy_item",
        item.id,
        {"version": version.number, "reason": reason},
        org_id=item.org_id,
    )
    events.publish(session, ItemEnded(item.id, version.id, ended))
    return version


def withdraw(session: Session, actor: Actor, item_id: int, reason: str) -> ItemVersion:
    item = get_item(session, item_id)
    _check_org(session, actor, Permission.POLICY_REVIEW, item.org_id)
    return _end(session, actor, item, Action.WITHDRAW, domain.require_reason(reason))


def expire_due(session: Session, on: date | None = None) -> list[int]:
    """Mark live items whose window or policy has ended as expired (nightly); their ids."""
    day = on or today()
    rows = session.execute(
        select(PolicyItem, ItemVersion, Policy)
        .join(ItemVersion, ItemVersion.id == PolicyItem.live_version_id)
        .join(Policy, Policy.id == PolicyItem.policy_id)
        .where(PolicyItem.state == ItemState.PUBLISHED)
    ).all()
    ended: list[int] = []
    for item, version, policy in rows:
        if domain.is_expired(version.window_closes, policy.expires_on, day):
            _end(session, Actor.system("expiry"), item, Action.EXPIRE, "window or policy ended")
            ended.append(item.id)
    return ended


# --- what matching and the public read -----------------------------------------------------------


@dataclass(frozen=True)
class LiveItem:
    """A published item as matching, the library and the portal read it."""

    item: PolicyItem
    version: ItemVersion
    policy: Policy
    rule: ast.Rule | None


def live_items(session: Session, item_ids: Sequence[int] | None = None) -> list[LiveItem]:
    """Every published item (or those of ``item_ids`` that are), with its live version."""
    statement = (
        select(PolicyItem, ItemVersion, Policy)
        .join(ItemVersion, ItemVersion.id == PolicyItem.live_version_id)
        .join(Policy, Policy.id == PolicyItem.policy_id)
        .where(PolicyItem.state == ItemState.PUBLISHED)
        .order_by(PolicyItem.id)
    )
    if item_ids is not None:
        statement = statement.where(PolicyItem.id.in_(list(item_ids)))
    return [LiveItem(i, v, p, rule_of(v)) for i, v, p in session.execute(statement).all()]


def copy_fields(version: ItemVersion, **changes: Any) -> ItemFields:
    """The version's fields with some changed (for an edit that starts from the live version)."""
    return replace(fields_of(version), **changes)
