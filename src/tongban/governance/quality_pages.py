"""Workbench pages of data quality: the governance dashboard, a resource's rules and trend, a
rule with the failing rows behind it, the stewards' rule editor, and Excel exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.catalog import resources
from tongban.catalog.schema import schema_of
from tongban.governance import quality, quality_reports
from tongban.governance.quality_domain import KIND_LABELS, OPERATORS
from tongban.governance.quality_models import QualityRule, RuleKind
from tongban.governance.quality_reports import OPERATOR_LABELS, issue_text, rule_label
from tongban.kernel.errors import N_
from tongban.kernel.i18n import translate
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import FORM_ERRORS, rerender_with_error
from tongban.web.templating import render, use_request_language

router = APIRouter(prefix="/workbench/governance/quality", include_in_schema=False)

NO_RESULT = N_("Not run yet")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _common() -> dict[str, Any]:
    return {
        "layout": "workbench",
        "kind_labels": {k.value: v for k, v in KIND_LABELS.items()},
        "rule_label": rule_label,
        "issue_text": issue_text,
        "no_result": NO_RESULT,
    }


@router.get("")
def dashboard(request: Request, db: DB, actor: CurrentActor) -> Response:
    board = quality_reports.dashboard(db, actor)
    context = {
        "board": board,
        "department_bars": [(d.name, d.score, "") for d in board.departments],
        "resource_bars": [(r.name, r.score, "") for r in board.resources],
    }
    return render(request, "governance/quality.html", _common() | context)


@router.get(".xlsx")
def dashboard_export(db: DB, actor: CurrentActor) -> Response:
    rows = [
        [
            r.department,
            r.resource_code,
            r.resource_name,
            translate(KIND_LABELS[r.rule.kind]),
            rule_label(r.rule),
            translate(N_("Yes")) if r.rule.active else translate(N_("No")),
            r.result.checked if r.result else None,
            r.result.failed if r.result else None,
            r.result.score if r.result else None,
        ]
        for r in quality_reports.export_results(db, actor)
    ]
    header = [
        translate(h)
        for h in (
            N_("Department"),
            N_("Resource code"),
            N_("Resource"),
            N_("Kind"),
            N_("Rule"),
            N_("Active"),
            N_("Checked"),
            N_("Failed"),
            N_("Score"),
        )
    ]
    return xlsx_response("data-quality.xlsx", translate(N_("Data quality")), header, rows)


@router.get("/resources/{resource_id}")
def resource_page(request: Request, db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    detail = quality_reports.resource_detail(db, actor, resource_id)
    return render(request, "governance/quality_resource.html", _common() | {"detail": detail})


@router.post("/resources/{resource_id}/run")
def run_now(db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    quality.run_quality(db, actor, resource_id)
    return _see_other(f"/workbench/governance/quality/resources/{resource_id}")


def _form_context(
    request: Request, db: DB, resource_id: int, values: dict[str, Any], rule: QualityRule | None
) -> dict[str, Any]:
    use_request_language(request)  # the choices below are translated here
    resource = resources.lookup(db, resource_id)
    fields = [f.name for f in schema_of(resource).fields]
    return _common() | {
        "resource": resource,
        "fields": fields,
        "field_options": [("", translate(N_("Choose a field")))] + [(f, f) for f in fields],
        "values": values,
        "rule": rule,
        "kinds": [(k.value, translate(KIND_LABELS[k])) for k in RuleKind],
        "operators": [(op, f"{op}（{translate(OPERATOR_LABELS[op])}）") for op in OPERATORS],
    }


def _values(form: FormData | None, rule: QualityRule | None = None) -> dict[str, Any]:
    if form is None:
        params = dict(rule.params) if rule else {}
        return {
            "kind": rule.kind.value if rule else "cross_field",
            "field": rule.field if rule else "",
            "name": rule.name if rule else "",
            "weight": str(rule.weight) if rule else "1",
            "op": params.get("op", "<="),
            "right": params.get("right", ""),
            "factor": params.get("factor", "1"),
            "other_resource": params.get("other_resource", ""),
            "other_field": params.get("other_field", ""),
            "period_field": params.get("period_field", ""),
            "other_period_field": params.get("other_period_field", ""),
            "fields": list(params.get("fields", [])),
            "max_age_days": str(params.get("max_age_days") or ""),
        }
    text = {
        name: str(form.get(name, "")).strip()[:200]
        for name in (
            "kind",
            "field",
            "name",
            "weight",
            "op",
            "right",
            "factor",
            "other_resource",
            "other_field",
            "period_field",
            "other_period_field",
            "max_age_days",
        )
    }
    return text | {"fields": [str(f)[:100] for f in form.getlist("fields")][:50]}


def _input(values: dict[str, Any]) -> quality.RuleInput:
    try:
        weight = int(values["weight"] or "1")
    except ValueError:
        weight = 0  # refused by the service with its reason
    params = {
        key: values[key]
        for key in (
            "op",
            "right",
            "factor",
            "other_resource",
            "other_field",
            "period_field",
            "other_period_field",
            "fields",
            "max_age_days",
        )
    }
    return quality.RuleInput(values["kind"], values["field"], params, values["name"], weight)


@router.get("/resources/{resource_id}/rules/new")
def rule_form(request: Request, db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    quality.authorise_manage(db, actor, resources.lookup(db, resource_id))
    return render(
        request,
        "governance/quality_rule_form.html",
        _form_context(request, db, resource_id, _values(None), None),
    )


@router.post("/resources/{resource_id}/rules")
async def rule_create(request: Request, db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    values = _values(await request.form())
    try:
        rule = quality.define_rule(db, actor, resource_id, _input(values))
    except FORM_ERRORS as error:
        db.rollback()
        context = _form_context(request, db, resource_id, values, None)
        return rerender_with_error(request, "governance/quality_rule_form.html", context, error)
    return _see_other(f"/workbench/governance/quality/rules/{rule.id}")


@router.get("/rules/{rule_id}.xlsx")
def rule_export(db: DB, actor: CurrentActor, rule_id: Id) -> Response:
    found, issues = quality_reports.export_issues(db, actor, rule_id)
    rows = [[i.record_key, i.subject or "", i.value, issue_text(i)] for i in issues]
    header = [translate(h) for h in (N_("Record key"), N_("Subject"), N_("Value"), N_("Problem"))]
    title = translate(N_("Failing rows"))
    return xlsx_response(f"quality-rule-{found.rule.id}.xlsx", title, header, rows)


@router.get("/rules/{rule_id}")
def rule_page(request: Request, db: DB, actor: CurrentActor, rule_id: Id, page: PageNumber = 1) -> Response:
    detail = quality_reports.rule_detail(db, actor, rule_id, page=page)
    return render(request, "governance/quality_rule.html", _common() | {"detail": detail})


@router.get("/rules/{rule_id}/edit")
def rule_edit(request: Request, db: DB, actor: CurrentActor, rule_id: Id) -> Response:
    rule = quality.get_rule(db, actor, rule_id)
    quality.authorise_manage(db, actor, resources.lookup(db, rule.resource_id))
    context = _form_context(request, db, rule.resource_id, _values(None, rule), rule)
    return render(request, "governance/quality_rule_form.html", context)


@router.post("/rules/{rule_id}")
async def rule_update(request: Request, db: DB, actor: CurrentActor, rule_id: Id) -> Response:
    values = _values(await request.form())
    try:
        rule = quality.update_rule(db, actor, rule_id, _input(values))
    except FORM_ERRORS as error:
        db.rollback()
        rule = quality.get_rule(db, actor, rule_id)
        context = _form_context(request, db, rule.resource_id, values, rule)
        return rerender_with_error(request, "governance/quality_rule_form.html", context, error)
    return _see_other(f"/workbench/governance/quality/rules/{rule.id}")


@router.post("/rules/{rule_id}/active")
async def rule_active(request: Request, db: DB, actor: CurrentActor, rule_id: Id) -> Response:
    form = await request.form()
    quality.set_rule_active(db, actor, rule_id, form.get("active") == "1")
    return _see_other(f"/workbench/governance/quality/rules/{rule_id}")
