"""Data quality for the demo city: built-in rules for every department file, the custom rules a
city's stewards would add, and a first run, so the governance dashboard shows the defects the
generator injected (``_truth/defects.csv``) out of the box.

Run after ``demo.hub.load_city``. The custom rules:

- 税务 annual returns: 研发费用 ≤ 营业收入 (cross-field);
- 统计 annual units: 从业人员期末人数 ≥ 0.5 × 人社's 年末参保人数 of the same year (the generator's
  headcount mismatch: 统计 far below 人社);
- 税务 taxpayers: 注册地址 = 市场监管's 住所 (the address mismatch: 税务 keeps an old address);
- 统计 annual units: 行业代码 = 市场监管's 行业代码.

Optional columns (注册资本, 参保单位编号, 失业登记日期) are legitimately empty for many subjects: the
stewards deactivate their built-in completeness rules, as a real department would.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog.models import Resource
from tongban.db import transaction
from tongban.demo.city.departments import FILES, FileSpec
from tongban.demo.hub import resource_code
from tongban.governance import quality
from tongban.governance.quality_models import QualityResult, QualityRule, RuleKind
from tongban.kernel.permissions import Actor


def _spec(key: str) -> FileSpec:
    return next(f for f in FILES if f.key == key)


REGISTRATIONS = resource_code(_spec("SCJGJ/registrations"))
CUSTOM_RULES: tuple[tuple[str, quality.RuleInput], ...] = (
    (
        "SWJ/annual_returns",
        quality.RuleInput(
            "cross_field",
            "研发费用（元）",
            {"op": "<=", "right": "营业收入（元）"},
            name="研发费用不超过营业收入",
            weight=2,
        ),
    ),
    (
        "TJJ/annual_units",
        quality.RuleInput(
            "cross_resource",
            "从业人员期末人数",
            {
                "op": ">=",
                "factor": "0.5",
                "other_resource": resource_code(_spec("RSJ/insured_units")),
                "other_field": "年末参保人数",
                "period_field": "统计年度",
                "other_period_field": "年度",
            },
            name="从业人员不少于人社参保人数的一半",
            weight=2,
        ),
    ),
    (
        "SWJ/taxpayers",
        quality.RuleInput(
            "cross_resource",
            "注册地址",
            {"op": "=", "other_resource": REGISTRATIONS, "other_field": "住所"},
            name="注册地址与市场监管登记住所一致",
        ),
    ),
    (
        "TJJ/annual_units",
        quality.RuleInput(
            "cross_resource",
            "行业代码",
            {
                "op": "=",
                "other_resource": resource_code(_spec("SCJGJ/registrations")),
                "other_field": "行业代码",
            },
            name="行业代码与市场监管登记一致",
        ),
    ),
)


def _optional_fields(spec: FileSpec) -> list[str]:
    return [c.name for c in spec.columns if c.role == "optional" and c.element]


def _prepare_rules(session: Session, actor: Actor) -> tuple[int, int]:
    """Built-in rules for every city resource, optional completeness off, custom rules added."""
    by_code = {r.code: r for r in session.scalars(select(Resource))}
    generated = custom = 0
    for spec in FILES:
        resource = by_code.get(resource_code(spec))
        if resource is None:
            continue
        generated += len(quality.ensure_built_in_rules(session, actor, resource.id))
        optional = _optional_fields(spec)
        for rule in quality.list_rules(session, actor, resource.id):
            if (
                rule.built_in
                and rule.kind is RuleKind.COMPLETENESS
                and rule.field in optional
                and rule.active
            ):
                quality.set_rule_active(session, actor, rule.id, False)
    for key, data in CUSTOM_RULES:
        resource = by_code.get(resource_code(_spec(key)))
        if resource is None:
            continue
        have = {
            (r.kind.value, r.field) for r in quality.list_rules(session, actor, resource.id) if not r.built_in
        }
        if (data.kind, data.field) not in have:
            quality.define_rule(session, actor, resource.id, data)
            custom += 1
    return generated, custom


def prepare_quality(session_factory: sessionmaker[Session], actor: Actor) -> dict[str, Any]:
    """Ensure the rules and run them for every city resource (each in its own transaction).
    Returns what the dashboard will show: scores per resource and failures per rule kind."""
    with transaction(session_factory) as session:
        generated, custom = _prepare_rules(session, actor)
        codes = [resource_code(spec) for spec in FILES]
        present = set(session.scalars(select(Resource.code).where(Resource.code.in_(codes))))
    scores: dict[str, float | None] = {}
    failed: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for code in codes:
        if code not in present:
            continue
        with transaction(session_factory) as session:
            # A large load left its run to the job queue; without a worker yet, do it here.
            resource_id = session.scalar(select(Resource.id).where(Resource.code == code))
            pending = [r for r in quality.pending_runs(session) if r.resource_id == resource_id]
            run = pending[0] if pending else quality.run_quality(session, actor, code)
            quality.execute_run(session, run, actor)
            scores[code] = run.score
            rows = session.execute(
                select(QualityRule.kind, QualityResult.checked, QualityResult.failed)
                .join(QualityRule, QualityRule.id == QualityResult.rule_id)
                .where(QualityResult.run_id == run.id)
            ).all()
            for kind, rule_checked, rule_failed in rows:
                checked[kind.value] += rule_checked
                failed[kind.value] += rule_failed
    return {
        "built_in_rules_added": generated,
        "custom_rules_added": custom,
        "resources": len(scores),
        "scores": scores,
        "checked": dict(checked),
        "failed": dict(failed),
    }
