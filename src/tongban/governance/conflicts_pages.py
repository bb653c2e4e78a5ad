"""Workbench pages of conflicts between departments: the list with both sources, values, ages and
the resolved value with its reason; resolution rules; manual decisions; a fresh scan."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.governance import conflicts
from tongban.governance.conflicts_domain import REASON_LABELS, ResolutionKind
from tongban.governance.corrections_pages import show_json, show_value
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed
from tongban.kernel.i18n import format_datetime, translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.orgs.models import OrgKind
from tongban.kernel.permissions import Actor, Permission, require
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import FORM_ERRORS, optional_int, rerender_with_error
from tongban.web.pages import safe_next
from tongban.web.templating import render

router = APIRouter(prefix="/workbench", include_in_schema=False)

QText = Annotated[str, Query(max_length=200)]
KIND_LABELS = {
    ResolutionKind.AUTHORITATIVE.value: N_("Authoritative source"),
    ResolutionKind.MOST_RECENT.value: N_("Most recent value"),
    ResolutionKind.MANUAL.value: N_("Manual decision"),
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _filters(element: str, department: str, subject: str) -> conflicts.ConflictFilter:
    return conflicts.ConflictFilter(
        element_key=element.strip() or None, org_id=optional_int(department), subject=subject.strip() or None
    )


def _common(actor: Actor) -> dict[str, Any]:
    return {
        "layout": "workbench",
        "reason_labels": {r.value: label for r, label in REASON_LABELS.items()},
        "kind_labels": KIND_LABELS,
        "show_value": show_value,
        "show_json": show_json,
        "can_resolve": actor.has(Permission.CONFLICT_RESOLVE),
        "now": now(),
    }


@router.get("/conflicts")
def conflict_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    element: QText = "",
    department: QText = "",
    subject: QText = "",
    page: PageNumber = 1,
) -> Response:
    result = conflicts.list_conflicts(db, actor, _filters(element, department, subject), page=page)
    params = {"element": element, "department": department, "subject": subject}
    departments = (
        orgs.list_orgs(db, actor, kind=OrgKind.DEPARTMENT, include_inactive=False, page_size=200).items
        if actor.has(Permission.ORG_READ)
        else []
    )
    return render(
        request,
        "governance/conflicts.html",
        _common(actor)
        | {
            "result": result,
            "params": params,
            "query": "".join(f"&{k}={v}" for k, v in params.items() if v),
            "elements": conflicts.elements_in_conflict(db),
            "element_names": conflicts.element_names(db),
            "departments": departments,
            "last_scan": conflicts.last_scan(db),
        },
    )


@router.get("/conflicts.xlsx")
def conflict_export(
    db: DB, actor: CurrentActor, element: QText = "", department: QText = "", subject: QText = ""
) -> Response:
    views = conflicts.export_conflicts(db, actor, _filters(element, department, subject))
    header = [
        translate(h)
        for h in (
            N_("Data element"),
            N_("Data subject"),
            N_("Department A"),
            N_("Resource A"),
            N_("Value A"),
            N_("Recorded A"),
            N_("Department B"),
            N_("Resource B"),
            N_("Value B"),
            N_("Recorded B"),
            N_("Resolved value"),
            N_("Reason"),
        )
    ]
    rows = []
    for v in views:
        a, b = v.candidates
        rows.append(
            [
                v.conflict.element_key,
                v.conflict.subject,
                a.department,
                a.resource_code,
                show_value(a.value),
                format_datetime(a.recorded_at),
                b.department,
                b.resource_code,
                show_value(b.value),
                format_datetime(b.recorded_at),
                show_value(v.choice.value) if v.choice else "",
                translate(REASON_LABELS[v.choice.reason]) if v.choice else "",
            ]
        )
    return xlsx_response("conflicts.xlsx", translate("Conflicts between departments"), header, rows)


@router.post("/conflicts/scan")
def conflict_scan(db: DB, actor: CurrentActor) -> Response:
    conflicts.scan(db, actor)
    return _see_other("/workbench/conflicts")


@router.post("/conflicts/{conflict_id}/decide")
async def conflict_decide(request: Request, db: DB, actor: CurrentActor, conflict_id: Id) -> Response:
    form = await request.form()
    conflicts.decide(db, actor, conflict_id, str(form.get("side", ""))[:1], str(form.get("note", ""))[:2000])
    return _see_other(safe_next(str(form.get("next", ""))[:500], "/workbench/conflicts"))


def _rules_context(db: DB, actor: Actor) -> dict[str, Any]:
    return _common(actor) | {"rules": conflicts.list_rules(db, actor), "values": {}}


@router.get("/conflicts/rules")
def rule_list(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "governance/conflict_rules.html", _rules_context(db, actor))


@router.post("/conflicts/rules")
async def rule_set(request: Request, db: DB, actor: CurrentActor) -> Response:
    form = await request.form()
    element = str(form.get("element", ""))[:60]
    kind = str(form.get("kind", ""))[:20]
    authoritative = str(form.get("authoritative_resource", ""))[:60]
    try:
        if kind not in {k.value for k in ResolutionKind}:
            raise ValidationFailed(fields=[FieldProblem("kind", N_("Choose one of the allowed values."))])
        conflicts.set_rule(
            db, actor, element, ResolutionKind(kind), authoritative, str(form.get("note", ""))[:2000]
        )
    except FORM_ERRORS as error:
        db.rollback()
        require(actor, Permission.GOVERNANCE_READ)
        context = _rules_context(db, actor) | {"values": {"element": element}}
        return rerender_with_error(request, "governance/conflict_rules.html", context, error)
    return _see_other("/workbench/conflicts/rules")
