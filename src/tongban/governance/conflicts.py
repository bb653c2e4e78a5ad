"""Conflicts between departments: finding them, listing them, resolution rules, manual decisions.

A *conflict* is one subject for which two resources of different departments hold different
current values of the same data element (the registered address at 市场监管 and at 税务). Only
resources with one current record per subject take part (their key is the subject alone), so
yearly figures are not compared across different years. One related pair is compared as well:
统计's 从业人员 (``employees``) and 人社's insured headcount for the same year, which conflict
when the employees are below half of the insured staff (at most 110 % of employees in clean data).

Values are normalised before comparing: text stripped and case-folded, numbers as decimals.
The scan is a join of current records in SQL, streamed; what it finds is kept in the
``conflicts`` table (replaced by each full scan, and per subject after a correction) so lists
page and filter cheaply. ``resolution_rules`` and ``manual_decisions`` are what profiles use,
with ``conflicts_domain.choose``, to pick the value and say why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import combinations
from typing import Any

from sqlalchemy import JSON, Select, and_, cast, delete, func, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session, aliased

from tongban.catalog.models import (
    DataElement,
    Resource,
    ResourceField,
    ResourceStatus,
    ResourceType,
    SubjectKind,
)
from tongban.exchange.models import Record
from tongban.governance.conflicts_domain import Candidate, Choice, ResolutionKind, ResolutionRule, choose
from tongban.governance.correction_models import Conflict, ConflictDecision, ConflictRule
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require

BATCH = 2000
# Elements whose values are expected to change often: the latest report is the best guess.
MOST_RECENT_ELEMENTS = frozenset({"employees", "insured_headcount"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def canonical(value: Any) -> Any:
    """The form two values are compared in: text stripped and case-folded, numbers as decimals."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal | float):
        return Decimal(str(value)).normalize()
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(sorted(str(canonical(v)) for v in value))
    text = " ".join(str(value).split()).casefold()
    if _NUMBER.match(text):
        try:
            return Decimal(text).normalize()
        except InvalidOperation:
            return text
    return text


def differ(a: Any, b: Any) -> bool:
    return a is not None and b is not None and canonical(a) != canonical(b)


# --- what is compared -------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    resource_id: int
    resource_code: str
    org_id: int
    field: str


@dataclass(frozen=True)
class Comparison:
    element_key: str
    a: Side
    b: Side
    match_field_a: str | None = None  # related pairs: the same year on both sides
    match_field_b: str | None = None
    max_ratio: Decimal | None = None  # related pairs: conflict when b exceeds a times this


@dataclass(frozen=True)
class Related:
    element_key: str  # the element whose rule decides
    other_key: str
    match_element: str
    max_ratio: Decimal  # conflict when the other exceeds the element's value times this


# 统计's employees below half of 人社's insured headcount for the same year (clean data has
# insured staff at most 110 % of employees; the margin keeps timing differences out).
RELATED = (Related("employees", "insured_headcount", "reporting_year", Decimal(2)),)


def _bindings(session: Session) -> list[tuple[str, Resource, ResourceField]]:
    statement = (
        select(DataElement.key, Resource, ResourceField)
        .join(ResourceField, ResourceField.resource_id == Resource.id)
        .join(DataElement, DataElement.id == ResourceField.element_id)
        .where(Resource.status == ResourceStatus.PUBLISHED, Resource.subject_kind != SubjectKind.NONE)
        .order_by(Resource.code, ResourceField.position)
    )
    return [(key, resource, field) for key, resource, field in session.execute(statement)]


def comparisons(session: Session) -> list[Comparison]:
    """Every pair of resources (of different departments) compared, per element."""
    bound = _bindings(session)
    subject_keyed = {
        resource.id
        for resource in {r for _, r, _ in bound}
        if not any(f.is_key and not f.is_subject for f in resource.fields)
    }
    by_element: dict[str, list[Side]] = {}
    for key, resource, field in bound:
        if resource.id in subject_keyed and not field.is_key and not field.is_subject:
            by_element.setdefault(key, []).append(
                Side(resource.id, resource.code, resource.provider_org_id, field.name)
            )
    found = [
        Comparison(key, a, b)
        for key, sides in sorted(by_element.items())
        for a, b in combinations(sides, 2)
        if a.org_id != b.org_id
    ]
    fields = {(key, resource.id): field.name for key, resource, field in bound}
    for related in RELATED:
        for key, resource, field in bound:
            if key != related.element_key or field.is_key:
                continue
            for other_key, other, other_field in bound:
                if other_key != related.other_key or other.provider_org_id == resource.provider_org_id:
                    continue
                match_a = fields.get((related.match_element, resource.id))
                match_b = fields.get((related.match_element, other.id))
                if match_a and match_b:
                    found.append(
                        Comparison(
                            related.element_key,
                            Side(resource.id, resource.code, resource.provider_org_id, field.name),
                            Side(other.id, other.code, other.provider_org_id, other_field.name),
                            match_a,
                            match_b,
                            related.max_ratio,
                        )
                    )
    return found


def _value(session: Session, record: Any, field: str) -> Any:
    """One field of a record's JSON data as text, in SQL (SQLite reads the text as JSON itself;
    a CAST there would make a number of it)."""
    data = (
        cast(record.data, JSON)
        if session.get_bind().dialect.name == "postgresql"
        else type_coerce(record.data, JSON)
    )
    return data[field].as_string()


def _pairs(session: Session, comparison: Comparison, subject: str | None) -> Iterator[dict[str, Any]]:
    """Rows of one comparison whose values differ (a superset in SQL, exact in Python)."""
    a, b = aliased(Record), aliased(Record)
    value_a, value_b = _value(session, a, comparison.a.field), _value(session, b, comparison.b.field)
    statement = (
        select(a.subject, a.record_key, a.data, a.valid_from, b.record_key, b.data, b.valid_from)
        .join(
            b, and_(b.subject == a.subject, b.resource_id == comparison.b.resource_id, b.valid_to.is_(None))
        )
        .where(
            a.resource_id == comparison.a.resource_id,
            a.valid_to.is_(None),
            a.subject.is_not(None),
            value_a.is_not(None),
            value_b.is_not(None),
        )
        .order_by(a.subject, b.record_key)
    )
    if comparison.match_field_a and comparison.match_field_b:
        statement = statement.where(
            _value(session, a, comparison.match_field_a) == _value(session, b, comparison.match_field_b)
        )
    else:
        statement = statement.where(func.lower(func.trim(value_a)) != func.lower(func.trim(value_b)))
    if subject is not None:
        statement = statement.where(a.subject == subject)
    seen: set[str] = set()
    for row in session.execute(statement.execution_options(yield_per=BATCH)):
        subj, key_a, data_a, from_a, key_b, data_b, from_b = row
        if subj is None or subj in seen:
            continue
        left = json.loads(data_a).get(comparison.a.field)
        right = json.loads(data_b).get(comparison.b.field)
        if not _conflicting(comparison, left, right):
            continue
        seen.add(subj)
        yield {
            "element_key": comparison.element_key,
            "subject": subj,
            "resource_a": comparison.a.resource_code,
            "org_a_id": comparison.a.org_id,
            "field_a": comparison.a.field,
            "record_key_a": key_a,
            "value_a": json.dumps(left, ensure_ascii=False),
            "recorded_a": from_a,
            "resource_b": comparison.b.resource_code,
            "org_b_id": comparison.b.org_id,
            "field_b": comparison.b.field,
            "record_key_b": key_b,
            "value_b": json.dumps(right, ensure_ascii=False),
            "recorded_b": from_b,
            "found_at": now(),
        }


def _conflicting(comparison: Comparison, left: Any, right: Any) -> bool:
    if comparison.max_ratio is None:
        return differ(left, right)
    x, y = canonical(left), canonical(right)
    if not isinstance(x, Decimal) or not isinstance(y, Decimal):
        return False
    return y > x * comparison.max_ratio


@dataclass(frozen=True)
class ScanReport:
    comparisons: int
    conflicts: int


def _store(session: Session, subject: str | None) -> ScanReport:
    """Write what a scan found: conflicts found before keep their id (and their URL), new ones are
    added, those no longer found are removed."""
    known = select(
        Conflict.id, Conflict.element_key, Conflict.subject, Conflict.resource_a, Conflict.resource_b
    )
    if subject is not None:
        known = known.where(Conflict.subject == subject)
    existing = {(e, s, a, b): conflict_id for conflict_id, e, s, a, b in session.execute(known)}
    kept: set[int] = set()
    found = 0
    pairs = comparisons(session)
    for comparison in pairs:
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row in _pairs(session, comparison, subject):
            found += 1
            conflict_id = existing.get(
                (row["element_key"], row["subject"], row["resource_a"], row["resource_b"])
            )
            if conflict_id is None:
                new.append(row)
            else:
                kept.add(conflict_id)
                changed.append(row | {"id": conflict_id})
            if len(new) >= BATCH:
                session.execute(insert(Conflict), new)
                new = []
            if len(changed) >= BATCH:
                session.execute(update(Conflict), changed)
                changed = []
        if new:
            session.execute(insert(Conflict), new)
        if changed:
            session.execute(update(Conflict), changed)
    stale = sorted(set(existing.values()) - kept)
    for start in range(0, len(stale), BATCH):
        session.execute(delete(Conflict).where(Conflict.id.in_(stale[start : start + BATCH])))
    session.flush()
    return ScanReport(len(pairs), found)


def scan(session: Session, actor: Actor) -> ScanReport:
    """Find every conflict anew (stewards, administrators, the daily job)."""
    require(actor, Permission.GOVERNANCE_READ)
    report = _store(session, None)
    audit.record(
        session,
        actor,
        "conflicts.scan",
        "conflicts",
        "all",
        {"comparisons": report.comparisons, "conflicts": report.conflicts},
    )
    return report


def refresh_subject(session: Session, subject: str) -> ScanReport:
    """Find one subject's conflicts anew (after a correction changed one of its values)."""
    session.flush()
    return _store(session, subject)


def last_scan(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Conflict.found_at)))


# --- rules and decisions ----------------------------------------------------------------------


def _default_rules(session: Session) -> dict[str, ResolutionRule]:
    """Authoritative: the base resource (基础库) binding the element, if any; else most recent."""
    rules: dict[str, ResolutionRule] = {}
    for key, resource, _field in _bindings(session):
        if key in MOST_RECENT_ELEMENTS:
            rules[key] = ResolutionRule(ResolutionKind.MOST_RECENT)
        elif resource.resource_type is ResourceType.BASE and key not in rules:
            rules[key] = ResolutionRule(ResolutionKind.AUTHORITATIVE, resource.code)
        else:
            rules.setdefault(key, ResolutionRule(ResolutionKind.MOST_RECENT))
    return rules


def resolution_rules(session: Session) -> dict[str, ResolutionRule]:
    """The rule of every element bound in a published resource, by element key (stored or default)."""
    rules = _default_rules(session)
    for row in session.scalars(select(ConflictRule)):
        rules[row.element_key] = ResolutionRule(row.kind, row.authoritative_resource)
    return rules


def manual_decisions(
    session: Session, subjects: Collection[str] | None = None
) -> dict[tuple[str, str], Candidate]:
    """Decided values by (subject, element key); all of them when ``subjects`` is None."""
    statement = select(ConflictDecision)
    if subjects is not None:
        statement = statement.where(ConflictDecision.subject.in_(list(subjects)))
    return {
        (d.subject, d.element_key): Candidate(
            json.loads(d.value), d.resource_code, d.department, d.recorded_at
        )
        for d in session.scalars(statement)
    }


@dataclass(frozen=True)
class RuleView:
    element_key: str
    element_name: str
    rule: ResolutionRule
    stored: ConflictRule | None
    resources: list[str]  # codes of the resources binding the element


def list_rules(session: Session, actor: Actor) -> list[RuleView]:
    """Rules of the elements held by more than one resource (the ones that can conflict)."""
    require(actor, Permission.GOVERNANCE_READ)
    rules = resolution_rules(session)
    stored = {r.element_key: r for r in session.scalars(select(ConflictRule))}
    names = {key: name for key, name in session.execute(select(DataElement.key, DataElement.name_zh))}
    holders: dict[str, list[str]] = {}
    for key, resource, field in _bindings(session):
        if not field.is_key and not field.is_subject and resource.code not in holders.get(key, []):
            holders.setdefault(key, []).append(resource.code)
    return [
        RuleView(key, names.get(key, key), rules[key], stored.get(key), codes)
        for key, codes in sorted(holders.items())
        if len(codes) > 1 or key in stored
    ]


def set_rule(
    session: Session,
    actor: Actor,
    element_key: str,
    kind: ResolutionKind,
    authoritative_resource: str | None = None,
    note: str = "",
) -> ConflictRule:
    """Set how an element's conflicts are resolved (platform administrators)."""
    require(actor, Permission.CONFLICT_RESOLVE)
    holders = {r.code for key, r, f in _bindings(session) if key == element_key and not f.is_key}
    if not holders:
        raise NotFound(N_("No published resource holds this data element."), code="element_not_held")
    code = (authoritative_resource or "").strip() or None
    if kind is ResolutionKind.AUTHORITATIVE and code not in holders:
        raise ValidationFailed(
            fields=[
                FieldProblem("authoritative_resource", N_("Choose a resource that holds this data element."))
            ]
        )
    row = session.scalar(select(ConflictRule).where(ConflictRule.element_key == element_key))
    if row is None:
        row = ConflictRule(element_key=element_key)
        session.add(row)
    row.kind = kind
    row.authoritative_resource = code if kind is ResolutionKind.AUTHORITATIVE else None
    row.note = note.strip()[:2000]
    row.updated_by = actor.label[:100]
    row.updated_at = now()
    session.flush()
    audit.record(
        session,
        actor,
        "conflicts.rule",
        "conflict_rule",
        element_key,
        {"kind": kind.value, "authoritative": row.authoritative_resource},
    )
    return row


# --- listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictFilter:
    element_key: str | None = None
    org_id: int | None = None
    subject: str | None = None


@dataclass(frozen=True)
class ConflictView:
    conflict: Conflict
    candidates: tuple[Candidate, Candidate]
    rule: ResolutionRule
    choice: Choice | None
    decided: bool

    def age_days(self, side: int, on: datetime | None = None) -> int:
        return max(0, ((on or now()) - self.candidates[side].recorded_at).days)


def _filtered(actor: Actor, filters: ConflictFilter) -> Select[Any]:
    scope = orgs.org_ids_in_scope(actor)
    statement = select(Conflict).where(or_(Conflict.org_a_id.in_(scope), Conflict.org_b_id.in_(scope)))
    if filters.element_key:
        statement = statement.where(Conflict.element_key == filters.element_key)
    if filters.org_id is not None:
        statement = statement.where(
            or_(Conflict.org_a_id == filters.org_id, Conflict.org_b_id == filters.org_id)
        )
    if filters.subject:
        statement = statement.where(Conflict.subject == filters.subject.strip())
    return statement.order_by(Conflict.element_key, Conflict.subject, Conflict.id)


def _views(session: Session, items: list[Conflict]) -> list[ConflictView]:
    rules = resolution_rules(session)
    decided = manual_decisions(session, {c.subject for c in items})
    org_ids = {c.org_a_id for c in items} | {c.org_b_id for c in items}
    names = {
        org_id: name
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        )
    }
    views = []
    for c in items:
        pair = (
            Candidate(json.loads(c.value_a), c.resource_a, names.get(c.org_a_id, ""), c.recorded_a),
            Candidate(json.loads(c.value_b), c.resource_b, names.get(c.org_b_id, ""), c.recorded_b),
        )
        rule = rules.get(c.element_key, ResolutionRule())
        decision = decided.get((c.subject, c.element_key))
        views.append(ConflictView(c, pair, rule, choose(pair, rule, decision), decision is not None))
    return views


def list_conflicts(
    session: Session,
    actor: Actor,
    filters: ConflictFilter | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
) -> Page[ConflictView]:
    """Conflicts involving a department within the actor's remit, with the resolved value."""
    require(actor, Permission.GOVERNANCE_READ)
    result = paginate(session, _filtered(actor, filters or ConflictFilter()), page, page_size)
    return Page(_views(session, result.items), result.total, result.page, result.page_size)


def export_conflicts(
    session: Session, actor: Actor, filters: ConflictFilter | None = None
) -> list[ConflictView]:
    require(actor, Permission.GOVERNANCE_READ)
    items = list(session.scalars(_filtered(actor, filters or ConflictFilter()).limit(50_000)))
    return _views(session, items)


def get_conflict(session: Session, actor: Actor, conflict_id: int) -> ConflictView:
    require(actor, Permission.GOVERNANCE_READ)
    found = session.get(Conflict, conflict_id)
    if found is None:
        raise NotFound(N_("Conflict not found."), code="conflict_not_found")
    paths = [orgs.get(session, found.org_a_id).path, orgs.get(session, found.org_b_id).path]
    if not any(actor.can_act_for(path) for path in paths):
        raise PermissionDenied(
            N_("This belongs to an organisation outside your remit."), code="outside_scope"
        )
    return _views(session, [found])[0]


def elements_in_conflict(session: Session) -> list[str]:
    return list(session.scalars(select(Conflict.element_key).distinct().order_by(Conflict.element_key)))


def element_names(session: Session) -> dict[str, str]:
    """Chinese names of the data elements, by key (for lists)."""
    return {key: name for key, name in session.execute(select(DataElement.key, DataElement.name_zh))}


def decide(session: Session, actor: Actor, conflict_id: int, side: str, note: str = "") -> ConflictDecision:
    """Decide which department's value is right for this subject and element (administrators)."""
    require(actor, Permission.CONFLICT_RESOLVE)
    view = get_conflict(session, actor, conflict_id)
    if side not in ("a", "b"):
        raise ValidationFailed(fields=[FieldProblem("side", N_("Choose one of the two values."))])
    chosen = view.candidates[0 if side == "a" else 1]
    conflict = view.conflict
    row = session.scalar(
        select(ConflictDecision).where(
            ConflictDecision.subject == conflict.subject, ConflictDecision.element_key == conflict.element_key
        )
    )
    if row is None:
        row = ConflictDecision(subject=conflict.subject, element_key=conflict.element_key)
        session.add(row)
    row.resource_code = chosen.resource_code
    row.department = chosen.department[:200]
    row.value = json.dumps(chosen.value, ensure_ascii=False)
    row.recorded_at = chosen.recorded_at
    row.note = note.strip()[:2000]
    row.decided_by = actor.label[:100]
    row.decided_at = now()
    session.flush()
    audit.record(
        session,
        actor,
        "conflicts.decide",
        "conflict_decision",
        row.id,
        {"element": conflict.element_key, "resource": chosen.resource_code},
    )
    return row
