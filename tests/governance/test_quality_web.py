"""Data quality in the workbench and the JSON API: the dashboard with its charts, a resource's
rules, a rule with the rows behind it, the stewards' rule editor, and Excel exports."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from tests.governance.test_quality_service import CODE, ROWS, load, resource
from tests.support.web import api_headers, log_in, post_form
from tongban.governance.quality_models import QualityRule, RuleKind
from tongban.kernel.i18n import translate

BASE = "/workbench/governance/quality"


def hub(db: Session) -> int:
    made = resource(db)
    load(db, *ROWS)
    return made.id


def rule_id(db: Session, kind: RuleKind, field: str) -> int:
    found = db.scalar(select(QualityRule.id).where(QualityRule.kind == kind, QualityRule.field == field))
    assert found is not None
    return found


def test_the_steward_sees_scores_as_charts_in_chinese_and_the_rows_behind_a_rule(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource_id = hub(db)
    log_in(client, "steward")
    page = client.get(BASE)
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert 'data-testid="nav-quality"' in page.text
    assert 'data-testid="quality-department-chart"' in page.text and "<svg" in page.text
    assert page.text.count('data-testid="quality-resource-row"') == 1
    assert 'data-testid="quality-worst-row"' in page.text
    detail = client.get(f"{BASE}/resources/{resource_id}")
    assert detail.status_code == 200 and 'data-testid="quality-resource-trend"' in detail.text
    assert 'data-testid="quality-run"' in detail.text  # the department's steward may run the rules
    missing = rule_id(db, RuleKind.COMPLETENESS, "营业收入")
    rule_page = client.get(f"{BASE}/rules/{missing}")
    assert rule_page.status_code == 200 and rule_page.text.count('data-testid="quality-issue-row"') == 1
    assert translate("The value is missing.", language="zh-CN") in rule_page.text
    sheet = load_workbook(io.BytesIO(client.get(f"{BASE}/rules/{missing}.xlsx").content)).active
    assert sheet is not None and sheet.max_row == 2 and sheet.cell(2, 1).value.endswith("|2025")
    board = load_workbook(io.BytesIO(client.get(f"{BASE}.xlsx").content)).active
    assert board is not None
    codes = {board.cell(r, 2).value for r in range(2, board.max_row + 1)}
    assert codes == {CODE} and board.max_row > 10  # every rule of the resource, with its result


def test_a_steward_adds_a_rule_on_a_form_and_bad_input_is_refused_in_chinese(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource_id = hub(db)
    log_in(client, "steward")
    form = client.get(f"{BASE}/resources/{resource_id}/rules/new")
    assert form.status_code == 200 and 'data-testid="quality-rule-form"' in form.text
    before = db.scalar(select(func.count()).select_from(QualityRule))
    bad = post_form(
        client,
        f"{BASE}/resources/{resource_id}/rules",
        {"kind": "cross_field", "field": "研发费用", "op": "≈", "right": "", "weight": "x"},
    )
    assert bad.status_code == 422 and 'data-testid="error-op"' in bad.text
    assert translate("Choose one of the allowed values.", language="zh-CN") in bad.text
    assert 'data-testid="error-right"' in bad.text and 'data-testid="error-weight"' in bad.text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(QualityRule)) == before
    made = post_form(
        client,
        f"{BASE}/resources/{resource_id}/rules",
        {
            "kind": "cross_field",
            "field": "研发费用",
            "op": "<=",
            "right": "营业收入",
            "factor": "1",
            "weight": "2",
        },
    )
    assert made.status_code == 303
    run = post_form(client, f"{BASE}/resources/{resource_id}/run")
    assert run.status_code == 303
    rule_page = client.get(made.headers["location"])
    assert rule_page.text.count('data-testid="quality-issue-row"') == 1  # C: R&D above revenue
    toggled = post_form(client, made.headers["location"] + "/active", {"active": "0"})
    assert toggled.status_code == 303
    db.rollback()
    created = db.scalar(select(QualityRule).where(QualityRule.kind == RuleKind.CROSS_FIELD))
    assert created is not None and not created.active and created.weight == 2


def test_a_leader_reads_but_does_not_edit_and_an_officer_does_not_read(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource_id = hub(db)
    log_in(client, "leader")
    assert client.get(f"{BASE}/resources/{resource_id}").status_code == 200
    assert 'data-testid="quality-run"' not in client.get(f"{BASE}/resources/{resource_id}").text
    assert client.get(f"{BASE}/resources/{resource_id}/rules/new").status_code == 403
    client.cookies.clear()
    log_in(client, "officer")
    assert client.get(BASE).status_code == 403


def test_the_api_defines_rules_reports_scores_and_refuses_bad_input_as_problems(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource_id = hub(db)
    log_in(client, "steward")
    headers = api_headers(client)
    api = "/api/v1/governance/quality"
    bad = client.post(
        f"{api}/resources/{resource_id}/rules",
        json={
            "kind": "cross_resource",
            "field": "营业收入",
            "params": {"op": "=", "other_resource": "无此资源"},
        },
        headers=headers,
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} >= {"other_resource"}
    made = client.post(
        f"{api}/resources/{resource_id}/rules",
        json={"kind": "cross_field", "field": "研发费用", "params": {"op": "<=", "right": "营业收入"}},
        headers=headers,
    )
    assert made.status_code == 201 and made.json()["built_in"] is False
    ran = client.post(f"{api}/resources/{resource_id}/runs", headers=headers)
    assert ran.status_code == 201 and ran.json()["status"] == "done"
    issues = client.get(f"{api}/rules/{made.json()['id']}/issues").json()
    assert issues["total"] == 1 and issues["items"][0]["subject"]
    changed = client.patch(
        f"{api}/rules/{made.json()['id']}", json={"weight": 5, "active": False}, headers=headers
    )
    assert changed.status_code == 200 and (changed.json()["weight"], changed.json()["active"]) == (5, False)
    scores = client.get(f"{api}/scores").json()
    assert scores["resources"][0]["code"] == CODE and scores["departments"][0]["score"] is not None
