"""Use cases of data quality: rules per resource, runs over all current records, results.

Who may do what: the provider department's data steward defines, edits, deactivates and runs
the rules of the department's resources (``quality.manage``); stewards, administrators and
leaders read scores within their remit (``governance.read``, see ``quality_reports``). The
platform itself runs the rules after every load (``subscribers``) and every night (``jobs``).

A run reads the resource's current records in chunks of ``CHUNK_ROWS`` (keyset on the record
id, so a million records never sit in memory at once), the rows ingest held back (open in
quarantine) and the latest load's report, applies every active rule, and stores a result per
rule with at most ``SAMPLE_LIMIT`` failing rows, and the resource's score. Issues of older runs
are dropped after ``KEEP_ISSUE_RUNS`` runs; results (and so the trend) are kept.

Reading another context's data: the records, quarantine and load reports of ``exchange`` are
read here through the few queries in the "reading the hub" section, column by column, because
the exchange read API builds a full version object per record, which a million-row run cannot
afford.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tongban.catalog import resources
from tongban.catalog.models import Resource, ResourceStatus
from tongban.catalog.schema import ResourceSchema
from tongban.exchange import records
from tongban.exchange.models import Load, LoadStatus, QuarantinedRow, QuarantineStatus, Record
from tongban.governance import quality_domain as qd
from tongban.governance.quality_models import (
    QualityIssue,
    QualityResult,
    QualityRule,
    QualityRun,
    RuleKind,
    RunStatus,
    RunTrigger,
)
from tongban.governance.quality_rules import built_in_rules, validate_rule
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now, today
from tongban.kernel.errors import N_, FieldProblem, InvalidTransition, NotFound, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor, Permission, require

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
KEEP_ISSUE_RUNS = 3
SUBJECTS_PER_QUERY = 900  # below SQLite's bound-parameter limit
PLATFORM = Actor.system("quality")


@dataclass(frozen=True)
class RuleInput:
    """A rule as a steward writes it (forms and the API)."""

    kind: str
    field: str = ""
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)
    name: str = ""
    weight: int = 1


# --- permissions ----------------------------------------------------------------------------


def _resource(session: Session, ref: int | str) -> Resource:
    return resources.lookup(session, ref)


def _path(session: Session, resource: Resource) -> str:
    return orgs.get(session, resource.provider_org_id).path


def authorise_manage(session: Session, actor: Actor, resource: Resource) -> None:
    require(actor, Permission.QUALITY_MANAGE, org_path=_path(session, resource))


def authorise_read(session: Session, actor: Actor, resource: Resource) -> None:
    require(actor, Permission.GOVERNANCE_READ, org_path=_path(session, resource))


def may_manage(session: Session, actor: Actor, resource: Resource) -> bool:
    return actor.has(Permission.QUALITY_MANAGE) and actor.can_act_for(_path(session, resource))


# --- rules ----------------------------------------------------------------------------------


def _rules(session: Session, resource_id: int, *, active_only: bool = False) -> list[QualityRule]:
    statement = select(QualityRule).where(QualityRule.resource_id == resource_id)
    if active_only:
        statement = statement.where(QualityRule.active.is_(True))
    return list(session.scalars(statement.order_by(QualityRule.built_in.desc(), QualityRule.id)))


def _signature(kind: RuleKind, field_name: str, params: Mapping[str, Any]) -> str:
    return json.dumps([kind.value, field_name, dict(params)], sort_keys=True, ensure_ascii=False)


def ensure_built_in_rules(
    session: Session, actor: Actor, ref: int | str, *, audited: bool = True
) -> list[QualityRule]:
    """Add the built-in rules a published resource lacks (idempotent; a deactivated built-in
    rule stays as the steward left it). Returns the rules added."""
    resource = _resource(session, ref)
    if actor.kind != "system":
        authorise_manage(session, actor, resource)
    schema = resources.schema_for(session, resource.id)
    have = {_signature(r.kind, r.field, r.params) for r in _rules(session, resource.id) if r.built_in}
    added: list[QualityRule] = []
    for spec in built_in_rules(schema):
        if _signature(spec.kind, spec.field, spec.params) in have:
            continue
        rule = QualityRule(
            resource_id=resource.id,
            field=spec.field,
            kind=spec.kind,
            params=dict(spec.params),
            built_in=True,
            active=True,
            created_by="system",
            weight=1,
        )
        session.add(rule)
        added.append(rule)
    if added:
        session.flush()
    if added and audited:
        audit.record(
            session,
            actor,
            "quality.rules_generated",
            "resource",
            resource.id,
            {"resource": resource.code, "rules": len(added)},
            org_id=resource.provider_org_id,
        )
    return added


def list_rules(session: Session, actor: Actor, ref: int | str) -> list[QualityRule]:
    resource = _resource(session, ref)
    authorise_read(session, actor, resource)
    return _rules(session, resource.id)


def _rule(session: Session, rule_id: int) -> QualityRule:
    rule = session.get(QualityRule, rule_id)
    if rule is None:
        raise NotFound(N_("This quality rule does not exist."), code="quality_rule_not_found")
    return rule


def get_rule(session: Session, actor: Actor, rule_id: int) -> QualityRule:
    rule = _rule(session, rule_id)
    authorise_read(session, actor, _resource(session, rule.resource_id))
    return rule


def _other_schema(session: Session, kind: str, params: Mapping[str, Any]) -> ResourceSchema | None:
    if kind != RuleKind.CROSS_RESOURCE.value or not params.get("other_resource"):
        return None
    try:
        other = resources.lookup(session, str(params["other_resource"]), published=True)
    except NotFound:
        return None
    return resources.schema_for(session, other.id)


def _checked(session: Session, resource: Resource, data: RuleInput) -> tuple[RuleKind, str, dict[str, Any]]:
    schema = resources.schema_for(session, resource.id)
    problems: list[FieldProblem] = []
    if not 1 <= data.weight <= 10:
        problems.append(FieldProblem("weight", N_("A weight is a whole number from 1 to 10.")))
    if len(data.name) > 200:
        problems.append(FieldProblem("name", N_("At most {limit} characters."), {"limit": 200}))
    try:
        checked = validate_rule(
            data.kind, data.field, data.params, schema, _other_schema(session, data.kind, data.params)
        )
    except ValidationFailed as error:
        raise ValidationFailed(fields=problems + error.fields) from None
    if problems:
        raise ValidationFailed(fields=problems)
    return checked


def define_rule(session: Session, actor: Actor, ref: int | str, data: RuleInput) -> QualityRule:
    """A steward's own rule for a resource of the department (no code: a kind and its inputs)."""
    resource = _resource(session, ref)
    authorise_manage(session, actor, resource)
    kind, field_name, params = _checked(session, resource, data)
    rule = QualityRule(
        resource_id=resource.id,
        field=field_name,
        kind=kind,
        params=params,
        name=data.name.strip(),
        weight=data.weight,
        built_in=False,
        active=True,
        created_by=actor.label[:100],
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        "quality.rule_define",
        "quality_rule",
        rule.id,
        {"resource": resource.code, "kind": kind.value, "field": field_name, "params": params},
        org_id=resource.provider_org_id,
    )
    return rule


def update_rule(session: Session, actor: Actor, rule_id: int, data: RuleInput) -> QualityRule:
    """Change a rule. Built-in rules keep what they check; their name and weight may change."""
    rule = _rule(session, rule_id)
    resource = _resource(session, rule.resource_id)
    authorise_manage(session, actor, resource)
    if rule.built_in:
        _checked(
            session, resource, RuleInput(rule.kind.value, rule.field, rule.params, data.name, data.weight)
        )
    else:
        rule.kind, rule.field, rule.params = _checked(session, resource, data)
    rule.name, rule.weight, rule.updated_at = data.name.strip(), data.weight, now()
    audit.record(
        session,
        actor,
        "quality.rule_update",
        "quality_rule",
        rule.id,
        {
            "resource": resource.code,
            "kind": rule.kind.value,
            "field": rule.field,
            "params": rule.params,
            "weight": rule.weight,
        },
        org_id=resource.provider_org_id,
    )
    return rule


def set_rule_active(session: Session, actor: Actor, rule_id: int, active: bool) -> QualityRule:
    rule = _rule(session, rule_id)
    resource = _resource(session, rule.resource_id)
    authorise_manage(session, actor, resource)
    if rule.active != active:
        rule.active, rule.updated_at = active, now()
        action = "quality.rule_activate" if active else "quality.rule_deactivate"
        audit.record(
            session,
            actor,
            action,
            "quality_rule",
            rule.id,
            {"resource": resource.code},
            org_id=resource.provider_org_id,
        )
    return rule


# --- reading the hub ------------------------------------------------------------------------


def _current_chunks(session: Session, resource_id: int, size: int = CHUNK_ROWS) -> Iterator[list[qd.Row]]:
    """The resource's current records, a chunk at a time, in id order."""
    after = 0
    while True:
        rows = session.execute(
            select(Record.id, Record.record_key, Record.subject, Record.data)
            .where(Record.resource_id == resource_id, Record.valid_to.is_(None), Record.id > after)
            .order_by(Record.id)
            .limit(size)
        ).all()
        if not rows:
            return
        after = rows[-1].id
        yield [qd.Row(r.record_key, r.subject, json.loads(r.data)) for r in rows]


def _counterparts(
    session: Session, other: ResourceSchema, subjects: Sequence[str], other_field: str, other_period: str
) -> dict[tuple[str, str], list[Any]]:
    """Another resource's current values of a field for the subjects, by (subject, period)."""
    found: dict[tuple[str, str], list[Any]] = {}
    unique = sorted(set(subjects))
    for start in range(0, len(unique), SUBJECTS_PER_QUERY):
        batch = unique[start : start + SUBJECTS_PER_QUERY]
        rows = session.execute(
            select(Record.subject, Record.data).where(
                Record.subject.in_(batch), Record.resource_id == other.resource_id, Record.valid_to.is_(None)
            )
        )
        for subject, data in rows:
            values = json.loads(data)
            value = values.get(other_field)
            if value is not None:
                found.setdefault(qd.match_key(subject, values, other_period), []).append(value)
    return found


def _held_rows(session: Session, resource_id: int) -> Iterator[qd.HeldRow]:
    statement = (
        select(QuarantinedRow.row_number, QuarantinedRow.load_id, QuarantinedRow.raw, QuarantinedRow.problems)
        .where(QuarantinedRow.resource_id == resource_id, QuarantinedRow.status == QuarantineStatus.OPEN)
        .order_by(QuarantinedRow.id)
        .execution_options(yield_per=CHUNK_ROWS)
    )
    for number, load_id, raw, problems in session.execute(statement):
        yield qd.HeldRow(number, load_id, raw or {}, problems or [])


def _latest_load(session: Session, resource_id: int) -> Load | None:
    return session.scalar(
        select(Load)
        .where(Load.resource_id == resource_id, Load.status == LoadStatus.DONE)
        .order_by(Load.id.desc())
        .limit(1)
    )


# --- runs -----------------------------------------------------------------------------------


def request_run(
    session: Session, resource_id: int, *, trigger: RunTrigger, load_id: int | None = None, label: str = ""
) -> QualityRun:
    """Note that a resource needs a run (cheap: one row); ``execute_run`` does the work."""
    run = QualityRun(
        resource_id=resource_id,
        trigger=trigger,
        load_id=load_id,
        status=RunStatus.PENDING,
        requested_at=now(),
        actor_label=label[:100],
    )
    session.add(run)
    session.flush()
    return run


def run_quality(session: Session, actor: Actor, ref: int | str) -> QualityRun:
    """A steward runs the resource's rules now."""
    resource = _resource(session, ref)
    authorise_manage(session, actor, resource)
    if resource.status is not ResourceStatus.PUBLISHED:
        raise InvalidTransition(N_("This resource is not published."), code="resource_not_published")
    run = request_run(session, resource.id, trigger=RunTrigger.MANUAL, label=actor.label)
    return execute_run(session, run, actor)


def count_current(session: Session, resource_id: int) -> int:
    return records.count_current(session, resource_id)


def execute_run(session: Session, run: QualityRun, actor: Actor = PLATFORM) -> QualityRun:
    """Apply every active rule of the run's resource to all its current records; store results."""
    if run.status is not RunStatus.PENDING:
        return run
    resource = _resource(session, run.resource_id)
    run.started_at = now()
    # A run after a load is the load's consequence: the load's audit entry and the run's row
    # (with its load id) record it. Manual and scheduled runs get their own entries.
    audited = run.trigger is not RunTrigger.INGEST
    ensure_built_in_rules(session, PLATFORM, resource.id, audited=audited)
    schema = resources.schema_for(session, resource.id)
    rules = [r for r in _rules(session, resource.id, active_only=True) if _applicable(r, schema)]
    checks = {r.id: qd.make_check(qd.RuleSpec(r.kind, r.field, r.params), schema) for r in rules}
    others = _other_schemas(session, rules)
    rows_checked = 0
    for chunk in _current_chunks(session, resource.id):
        rows_checked += len(chunk)
        subjects = [r.subject for r in chunk if r.subject]
        for rule in rules:
            counterpart = None
            other = others.get(rule.id)
            if other is not None:
                counterpart = _counterparts(
                    session,
                    other,
                    subjects,
                    rule.params["other_field"],
                    rule.params.get("other_period_field", ""),
                )
            checks[rule.id].feed(chunk, counterpart)
    for held in _held_rows(session, resource.id):
        rows_checked += 1
        for check in checks.values():
            check.held(held)
    load = _latest_load(session, resource.id)
    context = qd.Context(
        today=today(),
        update_cycle=resource.update_cycle,
        last_delivery=load.finished_at if load is not None else None,
        repeated_rows=load.rows_duplicate if load is not None else 0,
        repeated_load_id=load.id if load is not None else None,
    )
    scores: list[tuple[float | None, int]] = []
    for rule in rules:
        outcome = checks[rule.id].finish(context)
        _store(session, run, rule, outcome)
        scores.append((outcome.score, rule.weight))
    run.score = qd.weighted_score(scores)
    run.rows_checked, run.rules_run = rows_checked, len(rules)
    run.status, run.finished_at = RunStatus.DONE, now()
    _drop_old_issues(session, resource.id)
    if not audited:
        return run
    audit.record(
        session,
        actor,
        "quality.run",
        "quality_run",
        run.id,
        {
            "resource": resource.code,
            "trigger": run.trigger.value,
            "rows": rows_checked,
            "rules": len(rules),
            "score": run.score,
        },
        org_id=resource.provider_org_id,
    )
    return run


def _applicable(rule: QualityRule, schema: ResourceSchema) -> bool:
    """A rule naming a field the resource no longer has (a republished resource) is skipped."""
    names = [rule.field] if rule.field else []
    names += [str(rule.params[k]) for k in ("right", "period_field") if rule.params.get(k)]
    names += [str(n) for n in rule.params.get("fields") or []]
    return all(schema.field(name) is not None for name in names)


def _other_schemas(session: Session, rules: Sequence[QualityRule]) -> dict[int, ResourceSchema]:
    found: dict[int, ResourceSchema] = {}
    for rule in rules:
        if rule.kind is RuleKind.CROSS_RESOURCE:
            schema = _other_schema(session, rule.kind.value, rule.params)
            if schema is not None:
                found[rule.id] = schema
    return found


def _store(session: Session, run: QualityRun, rule: QualityRule, outcome: qd.Outcome) -> None:
    result = QualityResult(
        run_id=run.id, rule_id=rule.id, checked=outcome.checked, failed=outcome.failed, score=outcome.score
    )
    session.add(result)
    session.flush()
    session.add_all(
        QualityIssue(
            result_id=result.id,
            record_key=s.record_key[:200],
            subject=s.subject,
            value=s.value[:300],
            message=s.message[:300],
            params=s.params,
        )
        for s in outcome.samples
    )


def _drop_old_issues(session: Session, resource_id: int) -> None:
    keep = select(QualityRun.id).where(QualityRun.resource_id == resource_id).order_by(QualityRun.id.desc())
    kept = list(session.scalars(keep.limit(KEEP_ISSUE_RUNS)))
    old_results = (
        select(QualityResult.id)
        .join(QualityRun, QualityRun.id == QualityResult.run_id)
        .where(QualityRun.resource_id == resource_id, QualityRun.id.not_in(kept))
    )
    session.execute(delete(QualityIssue).where(QualityIssue.result_id.in_(old_results)))


def execute_safely(session: Session, run: QualityRun) -> QualityRun:
    """Run inside a savepoint: a failing run is kept as failed and never undoes the caller's work."""
    savepoint = session.begin_nested()
    try:
        execute_run(session, run)
        session.flush()
    except Exception as error:
        savepoint.rollback()
        log.exception("quality run %s of resource %s failed", run.id, run.resource_id)
        run.status, run.finished_at, run.error = RunStatus.FAILED, now(), str(error)[:2000]
        return run
    savepoint.commit()
    return run


def pending_runs(session: Session) -> list[QualityRun]:
    return list(
        session.scalars(
            select(QualityRun).where(QualityRun.status == RunStatus.PENDING).order_by(QualityRun.id)
        )
    )


def published_resource_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Resource.id).where(Resource.status == ResourceStatus.PUBLISHED).order_by(Resource.id)
        )
    )
