"""Where profiles read from, and under which grants: the platform is a consumer like the others.

Attribute sources live in ``profile_attribute_sources`` (seeded from
``data/attribute_sources.json``). A source is *readable* when the platform — a 大数据局 (code
``…-DSJJ``) — holds an active grant on its resource covering every field the source reads. A
source without one is skipped: the attribute stays unknown (or, if no source is readable at
all, the enterprise may declare it). Every read of records for a profile is logged in the access
log as a platform use under that grant, so it appears in the enterprise's "who used my data".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources as package_files
from typing import Any

from sqlalchemy import Engine, event, func, or_, select
from sqlalchemy.orm import Session

from tongban.catalog.models import Resource
from tongban.catalog.schema import schema_of
from tongban.exchange.access_log import OK, AccessDraft, append_committed
from tongban.exchange.models import AccessKind, Grant
from tongban.governance.conflicts_domain import Candidate, ResolutionRule
from tongban.governance.correction_models import ConflictRule
from tongban.kernel.clock import now
from tongban.kernel.orgs.models import Organisation
from tongban.profiles.attributes import builtin_registry
from tongban.profiles.domain import SourceSpec, canonical
from tongban.profiles.models import AttributeSource

PLATFORM_SUFFIX = "-DSJJ"
PURPOSE = "企业画像"
LABEL = "企业画像（平台）"
_PENDING = "profiles.pending_access_log"
_LISTENING = "profiles.access_log_listening"


@cache
def builtin_sources() -> tuple[dict[str, Any], ...]:
    path = package_files.files("tongban.profiles").joinpath("data/attribute_sources.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return tuple(data["sources"])


def seed_sources(session: Session) -> int:
    """Store the built-in sources if none are stored yet; returns how many were added."""
    if session.scalar(select(AttributeSource.id).limit(1)) is not None:
        return 0
    positions: dict[str, int] = {}
    for item in builtin_sources():
        spec = SourceSpec.from_dict(item)
        position = positions.get(spec.attribute, 0)
        positions[spec.attribute] = position + 1
        session.add(
            AttributeSource(
                attribute=spec.attribute, position=position, resource_code=spec.resource, spec=spec.to_dict()
            )
        )
    session.flush()
    return len(builtin_sources())


@dataclass(frozen=True)
class ReadableSource:
    spec: SourceSpec
    resource_id: int
    provider_org_id: int
    update_cycle: str
    grant_id: int
    consumer_org_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The sources the platform may read now, and every source defined (for explanations)."""

    readable: tuple[ReadableSource, ...]
    defined: tuple[SourceSpec, ...]

    @property
    def specs(self) -> list[SourceSpec]:
        return [r.spec for r in self.readable]

    def by_resource(self) -> dict[int, list[ReadableSource]]:
        out: dict[int, list[ReadableSource]] = {}
        for source in self.readable:
            out.setdefault(source.resource_id, []).append(source)
        return out

    def attributes_held(self) -> set[str]:
        return {r.spec.attribute for r in self.readable}


def _stored_specs(session: Session) -> list[SourceSpec]:
    rows = session.scalars(
        select(AttributeSource)
        .where(AttributeSource.active.is_(True))
        .order_by(AttributeSource.attribute, AttributeSource.position, AttributeSource.id)
    )
    specs = [SourceSpec.from_dict(row.spec) for row in rows]
    return specs or [SourceSpec.from_dict(item) for item in builtin_sources()]


def platform_grants(session: Session, resource_ids: Iterable[int]) -> dict[int, Grant]:
    """The newest active grant per resource held by a platform organisation (…-DSJJ)."""
    moment = now()
    statement = (
        select(Grant)
        .join(Organisation, Organisation.id == Grant.consumer_org_id)
        .where(
            Grant.resource_id.in_(set(resource_ids)),
            Organisation.code.like(f"%{PLATFORM_SUFFIX}"),
            Grant.revoked_at.is_(None),
            or_(Grant.expires_at.is_(None), Grant.expires_at > moment),
        )
        .order_by(Grant.created_at, Grant.id)
    )
    return {grant.resource_id: grant for grant in session.scalars(statement)}


_CACHE: dict[tuple[str, int], tuple[tuple[Any, ...], Plan, dict[str, ResolutionRule]]] = {}


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """What the plan and the resolution rules depend on, in one round trip: grants, resources,
    sources, conflict rules (any change there makes a new plan)."""

    def scalar(statement: Any) -> Any:
        return statement.scalar_subquery()

    statement = select(
        scalar(select(func.max(Grant.id))),
        scalar(select(func.count(Grant.id)).where(Grant.revoked_at.is_not(None))),
        scalar(select(func.min(Grant.expires_at)).where(Grant.expires_at > now())),
        scalar(select(func.max(Resource.updated_at))),
        scalar(select(func.sum(Resource.version))),
        scalar(select(func.max(AttributeSource.id))),
        scalar(select(func.count(AttributeSource.id)).where(AttributeSource.active.is_(True))),
        scalar(select(func.max(ConflictRule.updated_at))),
        scalar(select(func.count(ConflictRule.id))),
    )
    return tuple(session.execute(statement).one())


def cached_plan(session: Session) -> tuple[Plan, dict[str, ResolutionRule]]:
    """The plan and the resolution rules by element, reused while nothing they depend on changed
    (the incremental refresh must stay within milliseconds)."""
    from tongban.governance import conflicts

    engine = _engine(session)
    key = (str(engine.url), id(engine))
    fingerprint = _fingerprint(session)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1], cached[2]
    made = plan(session)
    rules = conflicts.resolution_rules(session)
    _CACHE[key] = (fingerprint, made, rules)
    return made, rules


def plan(session: Session) -> Plan:
    """Resolve the sources against the catalog and the platform's grants."""
    specs = _stored_specs(session)
    codes = {s.resource for s in specs}
    found = {r.code: r for r in session.scalars(select(Resource).where(Resource.code.in_(codes)))}
    grants = platform_grants(session, [r.id for r in found.values()])
    readable: list[ReadableSource] = []
    defined: list[SourceSpec] = []
    for spec in specs:
        resource = found.get(spec.resource)
        if resource is None:
            defined.append(spec)
            continue
        schema = schema_of(resource)
        field = schema.field(spec.field) if spec.field else None
        spec = replace(
            spec,
            element=field.element_key if field else "",
            full_coverage=resource.full_coverage,
            department=resource.provider.name,
        )
        defined.append(spec)
        grant = grants.get(resource.id)
        needed = [f for f in spec.fields_read if schema.field(f) is not None]
        if grant is None or set(needed) - set(grant.fields) or len(needed) < len(spec.fields_read):
            continue
        readable.append(
            ReadableSource(
                spec,
                resource.id,
                resource.provider_org_id,
                resource.update_cycle.value,
                grant.id,
                grant.consumer_org_id,
                tuple(needed),
            )
        )
    return Plan(tuple(readable), tuple(defined))


# --- the access log ---------------------------------------------------------------------------------


def use_drafts(
    plan_: Plan,
    resource_ids: Iterable[int],
    subjects: Sequence[str],
    *,
    label: str = LABEL,
    request_id: str = "",
    subject_count: int | None = None,
) -> list[AccessDraft]:
    """One platform-use entry per resource read, naming the fields of the sources read from it."""
    by_resource = plan_.by_resource()
    drafts: list[AccessDraft] = []
    for resource_id in sorted(set(resource_ids)):
        sources = by_resource.get(resource_id)
        if not sources:
            continue
        first = sources[0]
        fields = tuple(dict.fromkeys(f for s in sources for f in s.fields))
        drafts.append(
            AccessDraft(
                kind=AccessKind.PLATFORM,
                outcome=OK,
                actor_kind="system",
                actor_label=label,
                consumer_org_id=first.consumer_org_id,
                purpose=PURPOSE,
                grant_id=first.grant_id,
                resource_id=resource_id,
                provider_org_id=first.provider_org_id,
                fields=fields,
                subjects=tuple(subjects),
                subject_count=subject_count,
                request_id=request_id,
            )
        )
    return drafts


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def log_use(session: Session, drafts: Sequence[AccessDraft]) -> None:
    """Append the entries durably. On SQLite, a session inside a transaction may hold the write
    lock the log needs: the entries are then committed right after the caller's commit (and before
    a page answers, since requests commit before responding); dropped if it rolls back."""
    if not drafts:
        return
    engine = _engine(session)
    if engine.dialect.name != "sqlite" or not session.in_transaction():
        append_committed(engine, drafts)
        return
    session.info.setdefault(_PENDING, []).extend(drafts)
    if session.info.get(_LISTENING):
        return
    session.info[_LISTENING] = True

    def flush(committed: Session) -> None:
        if committed.get_nested_transaction() is not None:  # a savepoint ended; the transaction goes on
            return
        waiting = committed.info.pop(_PENDING, None)
        if waiting:
            append_committed(engine, waiting)

    def drop(rolled_back: Session) -> None:
        if rolled_back.get_nested_transaction() is None:  # after a savepoint, the reads still happened
            rolled_back.info.pop(_PENDING, None)

    event.listen(session, "after_commit", flush)
    event.listen(session, "after_rollback", drop)


def attribute_rules(plan_: Plan, by_element: Mapping[str, ResolutionRule]) -> dict[str, ResolutionRule]:
    """Resolution rules by attribute: the rule of the element its first readable source reads."""
    rules: dict[str, ResolutionRule] = {}
    for spec in plan_.specs:
        if spec.element and spec.element in by_element:
            rules.setdefault(spec.attribute, by_element[spec.element])
    return rules


def attribute_decisions(
    plan_: Plan, decided: Mapping[tuple[str, str], Candidate]
) -> dict[tuple[str, str], Candidate]:
    """Stewards' decisions by (subject, attribute), values in the attribute's canonical form: for a
    current attribute, the decision on the element of its first readable source that has one."""
    registry = builtin_registry()
    positions: dict[str, list[tuple[int, str]]] = {}
    for position, spec in enumerate(plan_.specs):
        attribute = registry.get(spec.attribute)
        if spec.element and attribute is not None and not attribute.yearly:
            positions.setdefault(spec.element, []).append((position, spec.attribute))
    out: dict[tuple[str, str], tuple[int, Candidate]] = {}
    for (subject, element), candidate in decided.items():
        for position, attribute_key in positions.get(element, ()):
            value = canonical(registry[attribute_key].type, candidate.value)
            made = Candidate(value, candidate.resource_code, candidate.department, candidate.recorded_at)
            known = out.get((subject, attribute_key))
            if known is None or position < known[0]:
                out[(subject, attribute_key)] = (position, made)
    return {key: made for key, (_, made) in out.items()}
