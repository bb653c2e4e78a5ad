"""JSON API of data quality: scores, a resource's rules and results, defining and changing
rules, running them, and the failing rows behind a rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from tongban.governance import quality, quality_reports
from tongban.governance.quality_models import QualityRun
from tongban.governance.quality_reports import RuleResult, TrendPoint, issue_text, rule_label
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/governance/quality", tags=["governance"])


class RuleIn(BaseModel):
    kind: str = Field(
        max_length=30,
        description="completeness, validity, uniqueness, freshness, cross_field or cross_resource.",
    )
    field: str = Field(default="", max_length=100, description="Field checked (left side of a comparison).")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="cross_field: op, right, factor; cross_resource: op, other_resource, "
        "other_field, factor, period_field, other_period_field; uniqueness: fields; "
        "freshness: period_field, max_age_days.",
    )
    name: str = Field(default="", max_length=200)
    weight: int = Field(default=1, ge=1, le=10)


class RulePatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    weight: int | None = Field(default=None, ge=1, le=10)
    params: dict[str, Any] | None = None
    active: bool | None = None


class PointOut(BaseModel):
    at: datetime
    score: float

    @classmethod
    def of(cls, point: TrendPoint) -> PointOut:
        return cls(at=point.at, score=point.score)


class RuleOut(BaseModel):
    id: int
    resource_code: str
    kind: str
    field: str
    params: dict[str, Any]
    description: str
    weight: int
    built_in: bool
    active: bool
    checked: int | None
    failed: int | None
    score: float | None

    @classmethod
    def of(cls, found: RuleResult) -> RuleOut:
        rule, result = found.rule, found.result
        return cls(
            id=rule.id,
            resource_code=found.resource_code,
            kind=rule.kind.value,
            field=rule.field,
            params=dict(rule.params),
            description=rule_label(rule),
            weight=rule.weight,
            built_in=rule.built_in,
            active=rule.active,
            checked=result.checked if result else None,
            failed=result.failed if result else None,
            score=result.score if result else None,
        )


class RunOut(BaseModel):
    id: int
    resource_id: int
    trigger: str
    status: str
    finished_at: datetime | None
    rows_checked: int
    rules_run: int
    score: float | None

    @classmethod
    def of(cls, run: QualityRun) -> RunOut:
        return cls(
            id=run.id,
            resource_id=run.resource_id,
            trigger=run.trigger.value,
            status=run.status.value,
            finished_at=run.finished_at,
            rows_checked=run.rows_checked,
            rules_run=run.rules_run,
            score=run.score,
        )


@router.get("/scores", summary="Quality scores by department and resource, with their trend")
def scores(db: DB, actor: CurrentActor) -> dict[str, Any]:
    """Scores per department (with trend) and per resource, and the worst rules, within one's remit."""
    board = quality_reports.dashboard(db, actor)
    return {
        "departments": [
            {
                "department_id": d.department_id,
                "name": d.name,
                "score": d.score,
                "resources": d.resources,
                "trend": [PointOut.of(p).model_dump(mode="json") for p in d.trend],
            }
            for d in board.departments
        ],
        "resources": [
            {
                "resource_id": r.resource_id,
                "code": r.code,
                "name": r.name,
                "department": r.department,
                "score": r.score,
                "previous": r.previous,
                "rows": r.rows,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            }
            for r in board.resources
        ],
        "worst_rules": [RuleOut.of(w).model_dump(mode="json") for w in board.worst],
    }


@router.get("/resources/{resource_id}", summary="A resource's quality rules and latest results")
def resource_quality(db: DB, actor: CurrentActor, resource_id: Id) -> dict[str, Any]:
    """A resource's rules with their latest results, its latest run and its score over runs."""
    detail = quality_reports.resource_detail(db, actor, resource_id)
    return {
        "resource_code": detail.resource.code,
        "latest_run": RunOut.of(detail.latest).model_dump(mode="json") if detail.latest else None,
        "trend": [PointOut.of(p).model_dump(mode="json") for p in detail.trend],
        "rules": [RuleOut.of(r).model_dump(mode="json") for r in detail.rules],
    }


@router.post(
    "/resources/{resource_id}/rules",
    status_code=201,
    summary="Add a quality rule (no code: kind, fields, parameters)",
)
def define_rule(db: DB, actor: CurrentActor, resource_id: Id, body: RuleIn) -> RuleOut:
    rule = quality.define_rule(
        db, actor, resource_id, quality.RuleInput(body.kind, body.field, body.params, body.name, body.weight)
    )
    return RuleOut.of(RuleResult(rule, None, quality_reports.resource_code(db, rule.resource_id)))


@router.post("/resources/{resource_id}/runs", status_code=201, summary="Run a resource's quality rules now")
def run_rules(db: DB, actor: CurrentActor, resource_id: Id) -> RunOut:
    return RunOut.of(quality.run_quality(db, actor, resource_id))


@router.patch("/rules/{rule_id}", summary="Change or deactivate a quality rule")
def change_rule(db: DB, actor: CurrentActor, rule_id: Id, body: RulePatch) -> RuleOut:
    rule = quality.get_rule(db, actor, rule_id)
    if body.name is not None or body.weight is not None or body.params is not None:
        quality.update_rule(
            db,
            actor,
            rule_id,
            quality.RuleInput(
                rule.kind.value,
                rule.field,
                body.params if body.params is not None else dict(rule.params),
                body.name if body.name is not None else rule.name,
                body.weight if body.weight is not None else rule.weight,
            ),
        )
    if body.active is not None:
        quality.set_rule_active(db, actor, rule_id, body.active)
    return RuleOut.of(quality_reports.rule_detail(db, actor, rule_id, page_size=1).rule)


@router.get("/rules/{rule_id}/issues", summary="The rows behind a rule's failures")
def rule_issues(db: DB, actor: CurrentActor, rule_id: Id, page: PageNumber = 1) -> Response:
    """The failing rows behind the rule's latest result (at most 200 kept per run)."""
    detail = quality_reports.rule_detail(db, actor, rule_id, page=page)
    body = {
        "rule": RuleOut.of(detail.rule).model_dump(mode="json"),
        "total": detail.issues.total,
        "page": detail.issues.page,
        "items": [
            {"record_key": i.record_key, "subject": i.subject, "value": i.value, "problem": issue_text(i)}
            for i in detail.issues.items
        ],
    }
    return JSONResponse(body)
