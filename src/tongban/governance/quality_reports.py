"""Reading quality results: scores per resource and department with their trend, the worst
rules, the failing rows behind a rule, and the rows of the Excel exports.

Everyone with ``governance.read`` sees the resources of the departments in their remit: a data
steward their own department's, administrators and leaders their region's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tongban.catalog import resources
from tongban.catalog.models import Resource
from tongban.governance import quality
from tongban.governance import quality_domain as qd
from tongban.governance.quality_domain import Failure
from tongban.governance.quality_models import QualityIssue, QualityResult, QualityRule, QualityRun, RunStatus
from tongban.governance.quality_rules import describe
from tongban.kernel.clock import LOCAL_ZONE
from tongban.kernel.errors import N_
from tongban.kernel.i18n import translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require

TREND_POINTS = 30
WORST_RULES = 10

OPERATOR_LABELS = {
    "<=": N_("at most"),
    "<": N_("less than"),
    ">=": N_("at least"),
    ">": N_("more than"),
    "=": N_("equal to"),
    "!=": N_("different from"),
}


def rule_label(rule: QualityRule) -> str:
    """What a rule checks, in the page's language (the steward's name for it, if given)."""
    if rule.name:
        return rule.name
    message, params = describe(rule.kind, rule.field, rule.params)
    if "op" in params:
        params["op"] = translate(OPERATOR_LABELS.get(str(params["op"]), str(params["op"])))
    return translate(message, **params)


def issue_text(issue: QualityIssue | Failure) -> str:
    return translate(issue.message, **(issue.params or {}))


def resource_code(session: Session, resource_id: int) -> str:
    return resources.lookup(session, resource_id).code


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    score: float


@dataclass(frozen=True)
class ResourceScore:
    resource_id: int
    code: str
    name: str
    department_id: int
    department: str
    score: float | None
    previous: float | None  # the run before, for "up or down"
    run_id: int
    finished_at: datetime | None
    rows: int


@dataclass(frozen=True)
class DepartmentScore:
    department_id: int
    name: str
    score: float | None
    resources: int
    trend: list[TrendPoint]


@dataclass(frozen=True)
class RuleResult:
    rule: QualityRule
    result: QualityResult | None  # of the resource's latest run
    resource_code: str = ""
    resource_name: str = ""
    department: str = ""


@dataclass(frozen=True)
class Dashboard:
    departments: list[DepartmentScore]
    resources: list[ResourceScore]
    worst: list[RuleResult]


@dataclass(frozen=True)
class ResourceDetail:
    resource: Resource
    rules: list[RuleResult]
    trend: list[TrendPoint]
    latest: QualityRun | None
    may_manage: bool


@dataclass(frozen=True)
class RuleDetail:
    rule: RuleResult
    resource: Resource
    issues: Page[QualityIssue]
    history: list[TrendPoint]
    may_manage: bool


def _scoped(session: Session, actor: Actor) -> list[Resource]:
    require(actor, Permission.GOVERNANCE_READ)
    statement = select(Resource).where(Resource.provider_org_id.in_(orgs.org_ids_in_scope(actor)))
    return list(session.scalars(statement.order_by(Resource.code)))


def _latest_runs(resource_ids: Sequence[int]) -> Select[Any]:
    return (
        select(func.max(QualityRun.id))
        .where(QualityRun.resource_id.in_(resource_ids), QualityRun.status == RunStatus.DONE)
        .group_by(QualityRun.resource_id)
    )


def _done_runs(session: Session, resource_ids: Sequence[int]) -> list[QualityRun]:
    if not resource_ids:
        return []
    statement = select(QualityRun).where(
        QualityRun.resource_id.in_(resource_ids), QualityRun.status == RunStatus.DONE
    )
    return list(session.scalars(statement.order_by(QualityRun.finished_at, QualityRun.id)))


def _per_day(points: list[TrendPoint]) -> list[TrendPoint]:
    """The last point of each local day, the latest ``TREND_POINTS`` days."""
    by_day: dict[Any, TrendPoint] = {}
    for point in points:
        by_day[point.at.astimezone(LOCAL_ZONE).date()] = point
    return list(by_day.values())[-TREND_POINTS:]


def _resource_scores(
    session: Session, scoped: list[Resource]
) -> tuple[list[ResourceScore], list[QualityRun]]:
    runs = _done_runs(session, [r.id for r in scoped])
    by_resource: dict[int, list[QualityRun]] = {}
    for run in runs:
        by_resource.setdefault(run.resource_id, []).append(run)
    scores: list[ResourceScore] = []
    for resource in scoped:
        mine = by_resource.get(resource.id)
        if not mine:
            continue
        last = mine[-1]
        scores.append(
            ResourceScore(
                resource.id,
                resource.code,
                resource.name,
                resource.provider_org_id,
                resource.provider.name,
                last.score,
                mine[-2].score if len(mine) > 1 else None,
                last.id,
                last.finished_at,
                last.rows_checked,
            )
        )
    return scores, runs


def _department_scores(scoped: list[Resource], runs: list[QualityRun]) -> list[DepartmentScore]:
    department_of = {r.id: r.provider_org_id for r in scoped}
    names = {r.provider_org_id: r.provider.name for r in scoped}
    latest: dict[int, dict[int, float]] = {}
    points: dict[int, list[TrendPoint]] = {}
    for run in runs:
        if run.score is None or run.finished_at is None:
            continue
        department = department_of[run.resource_id]
        current = latest.setdefault(department, {})
        current[run.resource_id] = run.score
        mean = qd.mean_score(current.values())
        if mean is not None:
            points.setdefault(department, []).append(TrendPoint(run.finished_at, mean))
    found = [
        DepartmentScore(
            department,
            names[department],
            qd.mean_score(latest[department].values()),
            len(latest[department]),
            _per_day(points.get(department, [])),
        )
        for department in latest
    ]
    return sorted(found, key=lambda d: (d.score is None, d.score or 0, d.name))


def _results(session: Session, run_ids: Sequence[int]) -> dict[int, QualityResult]:
    """Results of the given runs by rule id."""
    if not run_ids:
        return {}
    statement = select(QualityResult).where(QualityResult.run_id.in_(run_ids))
    return {r.rule_id: r for r in session.scalars(statement)}


def worst_rules(session: Session, actor: Actor, limit: int = WORST_RULES) -> list[RuleResult]:
    """Rules with failures in their resource's latest run, most failing rows first."""
    scoped = {r.id: r for r in _scoped(session, actor)}
    if not scoped:
        return []
    statement = (
        select(QualityResult, QualityRule)
        .join(QualityRule, QualityRule.id == QualityResult.rule_id)
        .where(QualityResult.run_id.in_(_latest_runs(list(scoped))), QualityResult.failed > 0)
        .order_by(QualityResult.failed.desc(), QualityResult.score, QualityRule.id)
        .limit(limit)
    )
    found: list[RuleResult] = []
    for result, rule in session.execute(statement).all():
        resource = scoped[rule.resource_id]
        found.append(RuleResult(rule, result, resource.code, resource.name, resource.provider.name))
    return found


def dashboard(session: Session, actor: Actor) -> Dashboard:
    scoped = _scoped(session, actor)
    scores, runs = _resource_scores(session, scoped)
    departments = _department_scores(scoped, runs)
    scores.sort(key=lambda s: (s.score is None, s.score or 0, s.code))
    return Dashboard(departments, scores, worst_rules(session, actor))


def _trend(runs: Sequence[QualityRun]) -> list[TrendPoint]:
    return [TrendPoint(r.finished_at, r.score) for r in runs if r.score is not None and r.finished_at][
        -TREND_POINTS:
    ]


def resource_detail(session: Session, actor: Actor, ref: int | str) -> ResourceDetail:
    resource = resources.lookup(session, ref)
    quality.authorise_read(session, actor, resource)
    runs = _done_runs(session, [resource.id])
    latest = runs[-1] if runs else None
    results = _results(session, [latest.id] if latest else [])
    rules = [
        RuleResult(rule, results.get(rule.id), resource.code, resource.name, resource.provider.name)
        for rule in quality.list_rules(session, actor, resource.id)
    ]
    return ResourceDetail(resource, rules, _trend(runs), latest, quality.may_manage(session, actor, resource))


def _latest_result(session: Session, rule: QualityRule) -> QualityResult | None:
    statement = (
        select(QualityResult)
        .join(QualityRun, QualityRun.id == QualityResult.run_id)
        .where(QualityResult.rule_id == rule.id, QualityRun.status == RunStatus.DONE)
        .order_by(QualityRun.id.desc())
        .limit(1)
    )
    return session.scalar(statement)


def rule_detail(
    session: Session, actor: Actor, rule_id: int, *, page: int = 1, page_size: int = 50
) -> RuleDetail:
    """A rule, its latest result with the failing rows behind it (paged), and its score over runs."""
    rule = quality.get_rule(session, actor, rule_id)
    resource = resources.lookup(session, rule.resource_id)
    result = _latest_result(session, rule)
    issues = select(QualityIssue).where(QualityIssue.result_id == (result.id if result else -1))
    history_statement = (
        select(QualityRun.finished_at, QualityResult.score)
        .join(QualityRun, QualityRun.id == QualityResult.run_id)
        .where(QualityResult.rule_id == rule.id, QualityResult.score.is_not(None))
        .order_by(QualityRun.id.desc())
        .limit(TREND_POINTS)
    )
    history = [
        TrendPoint(at, score)
        for at, score in session.execute(history_statement).all()
        if at is not None and score is not None
    ]
    return RuleDetail(
        RuleResult(rule, result, resource.code, resource.name, resource.provider.name),
        resource,
        paginate(session, issues.order_by(QualityIssue.id), page, page_size),
        list(reversed(history)),
        quality.may_manage(session, actor, resource),
    )


def export_results(session: Session, actor: Actor) -> list[RuleResult]:
    """Every rule of every resource in the actor's remit with its latest result."""
    scoped = {r.id: r for r in _scoped(session, actor)}
    if not scoped:
        return []
    results = {
        r.rule_id: r
        for r in session.scalars(
            select(QualityResult).where(QualityResult.run_id.in_(_latest_runs(list(scoped))))
        )
    }
    rules = session.scalars(
        select(QualityRule)
        .where(QualityRule.resource_id.in_(list(scoped)))
        .order_by(QualityRule.resource_id, QualityRule.id)
    )
    found: list[RuleResult] = []
    for rule in rules:
        resource = scoped[rule.resource_id]
        found.append(
            RuleResult(rule, results.get(rule.id), resource.code, resource.name, resource.provider.name)
        )
    return found


def export_issues(session: Session, actor: Actor, rule_id: int) -> tuple[RuleResult, list[QualityIssue]]:
    """A rule with its latest result and every failing row kept for it."""
    rule = quality.get_rule(session, actor, rule_id)
    resource = resources.lookup(session, rule.resource_id)
    result = _latest_result(session, rule)
    issues = session.scalars(
        select(QualityIssue)
        .where(QualityIssue.result_id == (result.id if result else -1))
        .order_by(QualityIssue.id)
    )
    return RuleResult(rule, result, resource.code, resource.name, resource.provider.name), list(issues)
