"""Quality rules on both databases: runs after every load (through the event), built-in and
custom rules, scores and their trend, the rows behind a failing rule, permissions, audit, the
queue for large loads and the nightly job."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.actors import SYSTEM, actions, actor, valid_uscc
from tests.support.hub import F, make_resource
from tongban.catalog.models import Resource
from tongban.exchange import loads
from tongban.exchange.models import Load
from tongban.governance import quality, quality_reports, subscribers
from tongban.governance.quality_models import (
    QualityIssue,
    QualityResult,
    QualityRule,
    QualityRun,
    RuleKind,
    RunStatus,
    RunTrigger,
)
from tongban.kernel.clock import Clock
from tongban.kernel.errors import PermissionDenied, ValidationFailed

CODE = "350200-SCJGJ-0301"
FIELDS = (
    F("统一社会信用代码", "uscc", subject=True),
    F("年度", "reporting_year", key=True),
    F("营业收入", "annual_revenue"),
    F("研发费用", "rd_expense"),
    F("所属行业", "industry"),
)
HEADER = "统一社会信用代码,年度,营业收入,研发费用,所属行业"
A = valid_uscc("91350200MA8QUAL01")
B = valid_uscc("91350200MA8QUAL02")
C = valid_uscc("91350200MA8QUAL03")
ROWS = (
    f"{A},2025,1000000,50000,C3911",
    f"{A},2024,900000,40000,C3911",
    f"{B},2025,,10000,C3911",  # revenue missing
    f"{B},2025,,10000,C3911",  # the same row twice
    f"{C},2024,500000,900000,C3911",  # R&D above revenue; stale: no 2025 row
    f"{C},2023,400000,10000,X9999",  # not an industry: held back by ingest
)


def resource(db: Session, code: str = CODE, provider: str = "350200-SCJGJ", fields: Any = FIELDS) -> Resource:
    made = make_resource(db, provider_code=provider, code=code, name="企业研发经营信息", fields=fields)
    db.commit()
    return made


def load(db: Session, *lines: str, code: str = CODE, who: str = "steward") -> Load:
    body = io.BytesIO(("\n".join((HEADER, *lines)) + "\n").encode("utf-8"))
    done = loads.load_stream(db, actor(db, who), code, body, "data.csv")
    db.commit()
    return done


def results(db: Session, run: QualityRun) -> dict[tuple[RuleKind, str], QualityResult]:
    found = db.execute(
        select(QualityRule, QualityResult)
        .join(QualityResult, QualityResult.rule_id == QualityRule.id)
        .where(QualityResult.run_id == run.id)
    ).all()
    return {(rule.kind, rule.field): result for rule, result in found}


def latest_run(db: Session) -> QualityRun:
    run = db.scalar(select(QualityRun).order_by(QualityRun.id.desc()).limit(1))
    assert run is not None
    return run


def test_a_load_runs_the_built_in_rules_and_stores_the_rows_behind_failures(
    db: Session, demo_city: dict[str, Any]
) -> None:
    res = resource(db)
    done = load(db, *ROWS)
    run = latest_run(db)
    assert (run.trigger, run.load_id, run.status) == (RunTrigger.INGEST, done.id, RunStatus.DONE)
    kinds = {
        (r.kind, r.field) for r in db.scalars(select(QualityRule).where(QualityRule.resource_id == res.id))
    }
    assert (RuleKind.COMPLETENESS, "营业收入") in kinds and (RuleKind.VALIDITY, "所属行业") in kinds
    assert (RuleKind.UNIQUENESS, "") in kinds and (RuleKind.FRESHNESS, "") in kinds
    found = results(db, run)
    revenue = found[(RuleKind.COMPLETENESS, "营业收入")]
    assert (revenue.checked, revenue.failed, revenue.score) == (4, 1, 75.0)
    industry = found[(RuleKind.VALIDITY, "所属行业")]
    assert (industry.checked, industry.failed) == (5, 1)  # four stored, one held back
    assert found[(RuleKind.UNIQUENESS, "")].failed == 1  # the row sent twice
    fresh = found[(RuleKind.FRESHNESS, "")]
    assert fresh.failed == 1 and fresh.checked == 3 + 1  # C's latest year is 2024; delivery is recent
    issue = db.scalar(select(QualityIssue).where(QualityIssue.result_id == revenue.id))
    assert issue is not None and issue.subject == B and issue.record_key == f"{B}|2025"
    held = db.scalar(select(QualityIssue).where(QualityIssue.result_id == industry.id))
    assert held is not None and held.value == "X9999" and held.params["row"] == 6
    assert run.score is not None and 0 < run.score < 100
    # Runs after a load are recorded by the load's audit entry, not by entries of their own.
    assert "quality.run" not in actions(db)


def test_a_stewards_cross_field_rule_and_the_trend_over_two_runs(
    db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    resource(db)
    load(db, *ROWS)
    steward = actor(db, "steward")
    rule = quality.define_rule(
        db,
        steward,
        CODE,
        quality.RuleInput(
            "cross_field", "研发费用", {"op": "<=", "right": "营业收入"}, name="研发费用不超过营业收入"
        ),
    )
    first = quality.run_quality(db, steward, CODE)
    db.commit()
    outcome = results(db, first)[(RuleKind.CROSS_FIELD, "研发费用")]
    assert (outcome.checked, outcome.failed) == (3, 1)  # B has no revenue: not compared
    frozen_clock.advance(timedelta(days=1))
    load(db, f"{C},2024,500000,90000,C3911", f"{B},2025,800000,10000,C3911")
    second = quality.run_quality(db, steward, CODE)
    db.commit()
    assert results(db, second)[(RuleKind.CROSS_FIELD, "研发费用")].failed == 0
    assert second.score is not None and first.score is not None and second.score > first.score
    detail = quality_reports.resource_detail(db, actor(db, "leader"), CODE)
    trend = [p.score for p in detail.trend]  # after each load, and each steward's run
    assert len(trend) == 4 and trend[1:] == [first.score, second.score, second.score]
    dashboard = quality_reports.dashboard(db, actor(db, "leader"))
    market = next(d for d in dashboard.departments if d.name == "厦门市市场监督管理局")
    assert market.score == second.score and len(market.trend) == 2
    assert dashboard.resources[0].previous is not None
    assert {"quality.rule_define", "quality.run"} <= set(actions(db))
    rule_view = quality_reports.rule_detail(db, steward, rule.id)
    assert rule_view.rule.result is not None and rule_view.issues.total == 0
    assert [p.score for p in rule_view.history] == [66.67, 100.0, 100.0]  # manual, after load, manual


def test_cross_resource_consistency_matches_subject_and_year(db: Session, demo_city: dict[str, Any]) -> None:
    resource(db)
    other_fields = (
        F("统一社会信用代码", "uscc", subject=True),
        F("年度", "reporting_year", key=True),
        F("营业收入", "annual_revenue"),
    )
    other = resource(db, code="350200-SWJ-0301", provider="350200-SWJ", fields=other_fields)
    loads.load_rows(
        db,
        SYSTEM,
        other.code,
        [
            {"统一社会信用代码": A, "年度": "2025", "营业收入": "1000000"},
            {"统一社会信用代码": A, "年度": "2024", "营业收入": "1"},
            {"统一社会信用代码": C, "年度": "2024", "营业收入": "400000"},
        ],
    )
    db.commit()
    load(db, *ROWS)
    rule = quality.define_rule(
        db,
        actor(db, "steward"),
        CODE,
        quality.RuleInput(
            "cross_resource",
            "营业收入",
            {
                "op": "=",
                "other_resource": other.code,
                "other_field": "营业收入",
                "period_field": "年度",
                "other_period_field": "年度",
            },
        ),
    )
    run = quality.run_quality(db, actor(db, "steward"), CODE)
    found = results(db, run)[(RuleKind.CROSS_RESOURCE, "营业收入")]
    assert (found.checked, found.failed) == (3, 2)  # A 2025 agrees; A 2024 and C 2024 do not
    issues = db.scalars(select(QualityIssue).where(QualityIssue.result_id == found.id)).all()
    assert {i.record_key for i in issues} == {f"{A}|2024", f"{C}|2024"}
    assert rule.params["other_resource"] == other.code


def test_bad_rule_input_names_every_field_and_writes_nothing(db: Session, demo_city: dict[str, Any]) -> None:
    resource(db)
    before = db.scalar(select(func.count()).select_from(QualityRule))
    with pytest.raises(ValidationFailed) as caught:
        quality.define_rule(
            db,
            actor(db, "steward"),
            CODE,
            quality.RuleInput(
                "cross_field", "研发费用", {"op": "≈", "right": "利润", "factor": "-1"}, weight=0
            ),
        )
    assert {p.field for p in caught.value.fields} == {"weight", "op", "right", "factor"}
    with pytest.raises(ValidationFailed):
        quality.define_rule(db, actor(db, "steward"), CODE, quality.RuleInput("magic"))
    assert db.scalar(select(func.count()).select_from(QualityRule)) == before


def test_only_the_providing_departments_steward_manages_rules_and_leaders_read(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource(db)
    tax = resource(db, code="350200-SWJ-0302", provider="350200-SWJ")
    load(db, *ROWS)
    steward = actor(db, "steward")
    with pytest.raises(PermissionDenied) as caught:
        quality.define_rule(db, steward, tax.code, quality.RuleInput("completeness", "营业收入"))
    assert caught.value.code == "outside_scope"
    with pytest.raises(PermissionDenied):
        quality.run_quality(db, steward, tax.code)
    built_in = db.scalars(select(QualityRule).where(QualityRule.resource_id == tax.id)).all()
    assert built_in == []  # nothing loaded into it yet
    leader = actor(db, "leader")
    with pytest.raises(PermissionDenied):
        quality.define_rule(db, leader, CODE, quality.RuleInput("completeness", "营业收入"))
    assert quality_reports.resource_detail(db, leader, CODE).latest is not None
    with pytest.raises(PermissionDenied):
        quality_reports.dashboard(db, actor(db, "officer"))
    rule = db.scalars(select(QualityRule).where(QualityRule.kind == RuleKind.COMPLETENESS)).first()
    assert rule is not None
    quality.set_rule_active(db, steward, rule.id, False)
    assert actions(db)[-1] == "quality.rule_deactivate"
    updated = quality.update_rule(db, steward, rule.id, quality.RuleInput("validity", "研发费用", weight=3))
    assert (updated.kind, updated.field, updated.weight) == (RuleKind.COMPLETENESS, rule.field, 3)
    assert updated.built_in  # a built-in rule keeps what it checks


def test_a_large_load_leaves_its_run_to_the_queue_after_commit(
    db: Session,
    session_factory: sessionmaker[Session],
    demo_city: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tongban.governance import jobs

    queued: list[int] = []
    monkeypatch.setattr(subscribers, "LARGE_LOAD", 2)
    monkeypatch.setattr(jobs.run_quality, "schedule", lambda args, delay: queued.append(args[0]))
    monkeypatch.setattr(jobs, "sessions", lambda: session_factory)
    resource(db)
    load(db, *ROWS)
    run = latest_run(db)
    assert run.status is RunStatus.PENDING and queued == [run.id]
    assert jobs.run_quality.call_local(run.id) is True
    db.rollback()  # see what the job committed
    assert latest_run(db).status is RunStatus.DONE
    assert jobs.run_quality.call_local(run.id) is False  # already done


def test_the_nightly_job_runs_every_published_resource(
    db: Session,
    session_factory: sessionmaker[Session],
    demo_city: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import datetime

    from tongban.governance import jobs
    from tongban.jobs import huey

    assert "governance.quality" in [t.name for t in huey.read_periodic(datetime(2026, 11, 28, 2, 30))]
    monkeypatch.setattr(jobs, "sessions", lambda: session_factory)
    resource(db)
    resource(db, code="350200-SWJ-0303", provider="350200-SWJ")
    load(db, *ROWS)
    assert jobs.nightly_quality.call_local() == 2
    db.rollback()  # see what the job committed
    scheduled = db.scalars(select(QualityRun).where(QualityRun.trigger == RunTrigger.SCHEDULE)).all()
    assert len(scheduled) == 2 and all(r.status is RunStatus.DONE for r in scheduled)
    empty = next(r for r in scheduled if r.rows_checked == 0)
    assert empty.score is not None and empty.score < 100  # nothing ever delivered: not fresh
