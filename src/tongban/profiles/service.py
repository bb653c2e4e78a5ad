"""Enterprise profiles (企业画像): refresh one subject incrementally, read it with lineage,
and let an enterprise declare values no department provides.

``refresh_subject`` reads the subject's current records from every readable source (see
``sources``), aggregates them (``domain.build_profile``), writes only the values that changed and
publishes ``ProfileChanged``. The records it read are logged as the platform's use under its
grants. Staff with ``profile.read`` read profiles of enterprises registered in their region; an
enterprise user reads its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from tongban.exchange.models import Record
from tongban.governance import conflicts
from tongban.governance.conflicts_domain import REASON_LABELS, Candidate, Reason, ResolutionRule
from tongban.kernel import events
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now, today
from tongban.kernel.errors import N_, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import STAFF_ROLES, Actor, Permission, require
from tongban.profiles import domain
from tongban.profiles.attributes import Attribute, AttributeType, builtin_registry
from tongban.profiles.events import ProfileChanged
from tongban.profiles.models import ProfileLink, ProfileValue, SelfDeclaredValue, SnapshotManifest
from tongban.profiles.sources import (
    Plan,
    ReadableSource,
    attribute_decisions,
    attribute_rules,
    cached_plan,
    log_use,
    plan,
    use_drafts,
)
from tongban.rules import columns

HISTORY_SHOWN = 3  # yearly values shown on the profile page (the snapshot keeps HISTORY_YEARS)
LINK_LOOKUP = 500  # related records of a load looked up one by one; more: all links of the resource
SELF_DECLARED_LABEL = N_("Declared by the enterprise itself; not checked by a department.")


# --- reading records ------------------------------------------------------------------------------


def _rows(session: Session, plan_: Plan, subject: str) -> tuple[dict[str, list[domain.Row]], set[int]]:
    """The subject's current records from every readable resource (related ones through links):
    two indexed queries, by subject and by (resource, record key)."""
    by_resource = plan_.by_resource()
    direct = [rid for rid, srcs in by_resource.items() if not any(s.spec.subject_field for s in srcs)]
    related = [rid for rid, srcs in by_resource.items() if any(s.spec.subject_field for s in srcs)]
    out: dict[str, list[domain.Row]] = {srcs[0].spec.resource: [] for srcs in by_resource.values()}
    read: set[int] = set()
    columns_ = (Record.id, Record.resource_id, Record.data, Record.valid_from)
    found: list[Any] = []
    if direct:
        found += session.execute(
            select(*columns_).where(
                Record.subject == subject, Record.resource_id.in_(direct), Record.valid_to.is_(None)
            )
        ).all()
    if related:
        # by subject alone, so the subject index is used whatever the statistics say
        links = session.execute(
            select(ProfileLink.resource_id, ProfileLink.record_key).where(ProfileLink.subject == subject)
        ).all()
        keys: dict[int, list[str]] = {}
        for resource_id, record_key in links:
            if resource_id in related:
                keys.setdefault(resource_id, []).append(record_key)
        for resource_id, wanted in keys.items():
            found += session.execute(
                select(*columns_).where(
                    Record.resource_id == resource_id,
                    Record.record_key.in_(wanted),
                    Record.valid_to.is_(None),
                )
            ).all()
    for record_id, resource_id, data, valid_from in found:
        source = by_resource[resource_id][0]
        out[source.spec.resource].append(
            domain.Row(record_id, source.spec.resource, source.spec.department, json.loads(data), valid_from)
        )
        read.add(resource_id)
    return out, read


def _conflict_inputs(
    session: Session, plan_: Plan, subject: str, by_element: Mapping[str, ResolutionRule] | None = None
) -> tuple[dict[str, ResolutionRule], dict[tuple[str, int | None], Candidate]]:
    """Resolution rules by attribute and stewards' decisions by (attribute, None), from governance
    (rules and decisions are per data element; decisions apply to current attributes)."""
    if by_element is None:
        by_element = conflicts.resolution_rules(session)
    rules = attribute_rules(plan_, by_element)
    decided = attribute_decisions(plan_, conflicts.manual_decisions(session, [subject]))
    decisions: dict[tuple[str, int | None], Candidate] = {
        (attribute, None): made for (_, attribute), made in decided.items()
    }
    return rules, decisions


def _declared(session: Session, subject: str) -> dict[domain.Key, Any]:
    rows = session.scalars(
        select(SelfDeclaredValue).where(SelfDeclaredValue.subject == subject).order_by(SelfDeclaredValue.id)
    )
    return {(row.attribute, row.year): row.value for row in rows}


def compute(session: Session, subject: str) -> dict[domain.Key, domain.Entry]:
    """The subject's profile from the records as they are now (nothing written, nothing logged)."""
    plan_, by_element = cached_plan(session)
    rows, _ = _rows(session, plan_, subject)
    rules, decisions = _conflict_inputs(session, plan_, subject, by_element)
    return domain.build_profile(
        builtin_registry(),
        plan_.specs,
        rows,
        years=columns.history_years(today()),
        rules=rules,
        decisions=decisions,
        declared=_declared(session, subject),
    )


# --- writing --------------------------------------------------------------------------------------


def _entry_of(row: ProfileValue) -> domain.Entry:
    source = None
    if not row.self_declared:
        source = domain.Sourced(
            row.value,
            row.source_resource,
            row.source_department,
            row.source_field,
            row.record_id,
            row.recorded_at,
        )
    return domain.Entry(
        row.attribute, row.year, row.value, source, row.conflict, row.reason, row.self_declared
    )


def _apply(row: ProfileValue, entry: domain.Entry, moment: datetime) -> None:
    source = entry.source
    row.value = entry.value
    row.source_resource = source.resource if source else ""
    row.source_department = source.department[:200] if source else ""
    row.source_field = source.field[:100] if source else ""
    row.record_id = source.record_id if source else None
    row.recorded_at = source.recorded_at if source else None
    row.conflict = entry.conflict
    row.reason = entry.reason
    row.self_declared = entry.self_declared
    row.updated_at = moment


def refresh_subject(session: Session, subject: str, *, log: bool = True) -> list[str]:
    """Bring one subject's stored profile up to date; returns the attributes that changed and
    publishes ``ProfileChanged`` when there are any."""
    plan_, by_element = cached_plan(session)
    rows, read = _rows(session, plan_, subject)
    if log and read:
        log_use(session, use_drafts(plan_, read, [subject]))
    rules, decisions = _conflict_inputs(session, plan_, subject, by_element)
    after = domain.build_profile(
        builtin_registry(),
        plan_.specs,
        rows,
        years=columns.history_years(today()),
        rules=rules,
        decisions=decisions,
        declared=_declared(session, subject),
    )
    stored = {
        (r.attribute, r.year): r
        for r in session.scalars(select(ProfileValue).where(ProfileValue.subject == subject))
    }
    before = {key: _entry_of(row) for key, row in stored.items()}
    if not domain.changed_attributes(before, after, values_only=False):
        return []
    changed = domain.changed_attributes(before, after)
    moment = now()
    for key, row in stored.items():
        if key not in after:
            session.delete(row)
    for key, entry in after.items():
        if key in before and before[key].same_as(entry):
            continue
        row = stored.get(key) or ProfileValue(subject=subject, attribute=key[0], year=key[1])
        _apply(row, entry, moment)
        session.add(row)
    session.flush()
    if changed:
        events.publish(session, ProfileChanged(subject, tuple(changed)))
    return changed


def link_related(session: Session, sources: Sequence[ReadableSource], load_id: int | None = None) -> set[str]:
    """Record which enterprise each related record (a hire) names; returns those enterprises.
    With ``load_id``, only that load's records; otherwise every current record."""
    subjects: set[str] = set()
    for source in {s.resource_id: s for s in reversed(sources)}.values():
        statement = select(Record.record_key, Record.data).where(
            Record.resource_id == source.resource_id, Record.valid_to.is_(None)
        )
        if load_id is not None:
            statement = statement.where(Record.load_id == load_id)
        pairs = {
            (key, str(json.loads(data).get(source.spec.subject_field) or ""))
            for key, data in session.execute(statement)
        }
        pairs = {(key, uscc) for key, uscc in pairs if uscc}
        if not pairs:
            continue
        existing = select(ProfileLink.record_key, ProfileLink.subject).where(
            ProfileLink.resource_id == source.resource_id
        )
        if len(pairs) <= LINK_LOOKUP:
            existing = existing.where(ProfileLink.record_key.in_({key for key, _ in pairs}))
        known = {(key, uscc) for key, uscc in session.execute(existing)}
        new = [
            {"subject": uscc, "resource_id": source.resource_id, "record_key": key}
            for key, uscc in sorted(pairs - known)
        ]
        for start in range(0, len(new), 10_000):
            session.execute(insert(ProfileLink), new[start : start + 10_000])
        subjects.update(uscc for _, uscc in pairs)
    session.flush()
    return subjects


def link_load(session: Session, load_id: int, resource_id: int | None = None) -> set[str]:
    """Links for the related records a load wrote; returns the enterprises they name."""
    plan_, _ = cached_plan(session)
    related = [
        r
        for r in plan_.readable
        if r.spec.subject_field and (resource_id is None or r.resource_id == resource_id)
    ]
    return link_related(session, related, load_id) if related else set()


def refresh_subjects(session: Session, subjects: Iterable[str]) -> dict[str, list[str]]:
    """Refresh several subjects with one plan; returns the changed attributes by subject."""
    return {subject: refresh_subject(session, subject) for subject in sorted(set(subjects))}


def all_subjects(session: Session, plan_: Plan | None = None) -> list[str]:
    """Every enterprise some readable source has a current record about (and linked ones)."""
    plan_ = plan_ or plan(session)
    direct = [r.resource_id for r in plan_.readable if not r.spec.subject_field]
    found = set(
        session.scalars(
            select(Record.subject)
            .where(Record.resource_id.in_(direct), Record.valid_to.is_(None), Record.subject.is_not(None))
            .distinct()
        )
    )
    found.update(session.scalars(select(ProfileLink.subject).distinct()))
    return sorted(s for s in found if s)


# --- reading a profile ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueView:
    year: int | None
    value: Any
    display: str
    source_resource: str
    source_department: str
    source_field: str
    recorded_at: datetime | None
    freshness: str
    conflict: bool
    reason: str
    reason_label: str
    self_declared: bool


@dataclass(frozen=True)
class AttributeView:
    attribute: Attribute
    values: list[ValueView]  # newest year first; one item for a current attribute
    held: bool  # some department provides it to the platform
    declarable: bool  # the enterprise may declare it


@dataclass(frozen=True)
class ProfileView:
    subject: str
    name: str
    attributes: list[AttributeView]
    updated_at: datetime | None


def _region_prefix(org_code: str) -> str:
    """The GB/T 2260 prefix an organisation's region covers: 350200-SCJGJ → 3502, 000000 → ''."""
    code = org_code.split("-")[0]
    while code.endswith("00"):
        code = code[:-2]
    return code


def _check_read(session: Session, actor: Actor, subject: str) -> None:
    if actor.role is not None and actor.role not in STAFF_ROLES:
        require(actor, Permission.PORTAL_USE)
        if not actor.uscc:
            raise PermissionDenied(N_("Only an enterprise has a profile."))
        if actor.uscc != subject:
            raise PermissionDenied(
                N_("You can only see your own enterprise's profile."), code="other_enterprise"
            )
        return
    require(actor, Permission.PROFILE_READ)
    if actor.org_id is None:
        return
    region = session.scalar(
        select(ProfileValue.value).where(
            ProfileValue.subject == subject, ProfileValue.attribute == "registered_region"
        )
    )
    prefix = _region_prefix(orgs.get(session, actor.org_id).code)
    if region and not str(region).startswith(prefix):
        raise PermissionDenied(N_("This enterprise is registered outside your remit."), code="outside_scope")


def format_value(attribute: Attribute, value: Any) -> str:
    """A value as people read it: money in 万元, ratios in %, tags by name."""
    if value is None:
        return ""
    if attribute.type is AttributeType.MONEY:
        return f"{value / 1_000_000:,.2f}"
    if attribute.type is AttributeType.RATIO:
        return f"{float(value) * 100:.1f}%"
    if attribute.type is AttributeType.BOOL:
        return "是" if value else "否"
    if attribute.type is AttributeType.TAGS:
        from tongban.kernel.codes import enterprise

        names = {q.code: q.zh for q in enterprise.qualifications()}
        parts = [
            f"{names.get(tag, tag)}（{span['since']}—{span['until'] or '长期'}）"
            for tag, span in value.items()
        ]
        return "、".join(parts) or "无"
    return str(value)


def _view(attribute: Attribute, row: ProfileValue, cycle: str, moment: datetime) -> ValueView:
    reason = row.reason
    try:
        label = REASON_LABELS[Reason(reason)]
    except ValueError:
        label = SELF_DECLARED_LABEL if row.self_declared else ""
    return ValueView(
        row.year,
        row.value,
        format_value(attribute, row.value),
        row.source_resource,
        row.source_department,
        row.source_field,
        row.recorded_at,
        domain.freshness(row.recorded_at, cycle, moment),
        row.conflict,
        reason,
        label,
        row.self_declared,
    )


def get_profile(session: Session, actor: Actor, subject: str, *, as_staff: bool = False) -> ProfileView:
    """The profile with every attribute, its value(s) and lineage. A staff read is logged as a use.
    ``as_staff``: the workbench's view, for staff only."""
    if as_staff:
        require(actor, Permission.PROFILE_READ)
    _check_read(session, actor, subject)
    plan_ = plan(session)
    stored = list(session.scalars(select(ProfileValue).where(ProfileValue.subject == subject)))
    if not stored and not session.scalar(select(Record.id).where(Record.subject == subject).limit(1)):
        raise NotFound(N_("No profile for this enterprise."), code="profile_not_found")
    if actor.role in STAFF_ROLES:
        shown = {v.source_resource for v in stored}
        used = {r.resource_id for r in plan_.readable if r.spec.resource in shown}
        drafts = use_drafts(plan_, used, [subject], label=actor.label, request_id=actor.request_id or "")
        log_use(session, drafts)
    cycles = {r.spec.resource: r.update_cycle for r in plan_.readable}
    held = plan_.attributes_held()
    moment = now()
    window = set(list(columns.history_years(today()))[-HISTORY_SHOWN:])
    by_attribute: dict[str, list[ProfileValue]] = {}
    for row in stored:
        by_attribute.setdefault(row.attribute, []).append(row)
    views: list[AttributeView] = []
    for attribute in builtin_registry().values():
        rows = sorted(by_attribute.get(attribute.key, []), key=lambda r: -(r.year or 0))
        if attribute.yearly:
            rows = [r for r in rows if r.year in window]
        values = [_view(attribute, r, cycles.get(r.source_resource, "yearly"), moment) for r in rows]
        views.append(AttributeView(attribute, values, attribute.key in held, attribute.key not in held))
    updated = max((r.updated_at for r in stored), default=None)
    return ProfileView(subject, _name(session, subject), views, updated)


def _name(session: Session, subject: str) -> str:
    statement = select(Record.data).where(Record.subject == subject, Record.valid_to.is_(None))
    for data in session.scalars(statement):
        values: dict[str, Any] = json.loads(data)
        for key in ("企业名称", "纳税人名称", "单位详细名称", "enterprise_name"):
            if values.get(key):
                return str(values[key])
    return ""


def sources_of(session: Session, attribute: str) -> list[ReadableSource]:
    """The readable sources of one attribute (for dispute links)."""
    return [r for r in plan(session).readable if r.spec.attribute == attribute]


def find_enterprises(session: Session, actor: Actor, query: str, limit: int = 20) -> list[tuple[str, str]]:
    """Enterprises by USCC or name (workbench search): (uscc, name)."""
    require(actor, Permission.PROFILE_READ)
    text = query.strip()
    if not text:
        return []
    plan_ = plan(session)
    ids = [r.resource_id for r in plan_.readable if not r.spec.subject_field]
    statement = select(Record.subject, Record.data).where(
        Record.resource_id.in_(ids), Record.valid_to.is_(None), Record.subject.is_not(None)
    )
    if len(text) == 18 and text.isalnum():
        statement = statement.where(Record.subject == text.upper())
    else:
        statement = statement.where(Record.data.contains(text))
    found: dict[str, str] = {}
    for subject, data in session.execute(statement.limit(limit * 5)):
        values = json.loads(data)
        name = next((str(values[k]) for k in ("企业名称", "纳税人名称", "单位详细名称") if values.get(k)), "")
        if subject and (subject not in found or not found[subject]):
            found[subject] = name
    return sorted(found.items())[:limit]


# --- self-declared values -------------------------------------------------------------------------


def declare_value(
    session: Session, actor: Actor, *, attribute: str, raw: str, year: int | None = None
) -> list[str]:
    """The enterprise declares a value of an attribute no department provides; returns changes."""
    require(actor, Permission.PORTAL_USE)
    if not actor.uscc:
        raise PermissionDenied(N_("Only an enterprise can declare its values."))
    registry = builtin_registry()
    found = registry.get(attribute)
    if found is None:
        raise NotFound(N_("No such attribute."), code="attribute_not_found")
    plan_ = plan(session)
    if found.key in plan_.attributes_held():
        raise ValidationFailed(
            N_("A department provides this value; dispute it instead of declaring it."), code="attribute_held"
        )
    problems: list[FieldProblem] = []
    if found.yearly and year is None:
        problems.append(FieldProblem("year", N_("Give the year of the value.")))
    if found.type is AttributeType.TAGS:
        problems.append(FieldProblem("value", N_("Qualifications cannot be declared.")))
    value = domain.canonical(found.type, raw.strip().removesuffix("%")) if not problems else None
    if found.type is AttributeType.RATIO and value is not None and raw.strip().endswith("%"):
        value = value / 100
    if value is None and not problems:
        problems.append(FieldProblem("value", N_("Enter a value of the right kind.")))
    if problems:
        raise ValidationFailed(fields=problems)
    stored_year = year if found.yearly else None
    session.execute(
        delete(SelfDeclaredValue).where(
            SelfDeclaredValue.subject == actor.uscc,
            SelfDeclaredValue.attribute == found.key,
            SelfDeclaredValue.year.is_(None)
            if stored_year is None
            else SelfDeclaredValue.year == stored_year,
        )
    )
    session.add(
        SelfDeclaredValue(
            subject=actor.uscc,
            attribute=found.key,
            year=stored_year,
            value=value,
            declared_by=actor.label[:100],
            user_id=actor.id if actor.kind == "user" else None,
            declared_at=now(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "profile.declare",
        "profile",
        actor.uscc,
        {"attribute": found.key, "year": stored_year, "value": value},
    )
    return refresh_subject(session, actor.uscc, log=False)


def declared_values(session: Session, subject: str) -> Mapping[domain.Key, SelfDeclaredValue]:
    rows = session.scalars(select(SelfDeclaredValue).where(SelfDeclaredValue.subject == subject))
    return {(r.attribute, r.year): r for r in rows}


# --- the snapshot (administrators) ---------------------------------------------------------------


def snapshot_status(session: Session, actor: Actor, limit: int = 20) -> list[SnapshotManifest]:
    """The latest snapshot builds, newest first."""
    require(actor, Permission.PROFILE_MANAGE)
    return list(session.scalars(select(SnapshotManifest).order_by(SnapshotManifest.id.desc()).limit(limit)))


def latest_snapshot(session: Session, actor: Actor) -> SnapshotManifest | None:
    require(actor, Permission.PROFILE_READ)
    return session.scalar(select(SnapshotManifest).order_by(SnapshotManifest.id.desc()).limit(1))


def request_rebuild(session: Session, actor: Actor) -> None:
    """Queue a snapshot rebuild (run by the worker once this transaction has committed)."""
    require(actor, Permission.PROFILE_MANAGE)
    audit.record(session, actor, "profile.snapshot_requested", "profile_snapshot", "", {})

    def enqueue(committed: Session) -> None:
        from tongban.profiles import jobs

        jobs.rebuild_snapshot.schedule(args=(actor.label[:80],), delay=1)

    orm_event.listen(session, "after_commit", enqueue, once=True)

