"""Pages of corrections (数据纠错): the dispute form and "my corrections" in the portal (enterprise
users, citizens) and the workbench (officers), the department's tickets and decisions (stewards).

The form is reachable as ``/portal/corrections/new?subject=…&resource=…&field=…`` (and under
``/workbench``), optionally with ``record`` (a record key) and ``attribute`` (the profile
attribute the person came from); profiles link their "dispute this value" buttons there.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from tongban.catalog import resources
from tongban.catalog.models import Resource
from tongban.exchange import sharing, usage
from tongban.governance import corrections
from tongban.governance.correction_models import Correction
from tongban.governance.corrections_domain import MAX_ATTACHMENT_BYTES, STATUS_LABELS, Status
from tongban.kernel.errors import N_, DomainError, NotAuthenticated, NotFound
from tongban.kernel.i18n import format_date, translate
from tongban.kernel.permissions import Actor, Permission, require
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import FORM_ERRORS, optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)

AREAS = ("portal", "workbench")
QText = Annotated[str, Query(max_length=200)]
STATUS_TEXT = {s.value: label for s, label in STATUS_LABELS.items()}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _area_of(actor: Actor, area: str) -> str:
    """The portal is for people and enterprises, the workbench for staff."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    require(actor, Permission.PORTAL_USE if area == "portal" else Permission.WORKBENCH_USE)
    return area


def _storage(request: Request) -> Any:
    return request.app.state.settings.data_dir


def show_value(value: Any) -> str:
    """A recorded value as people read it: lists joined with 、, yes/no, empty as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return translate("Yes") if value else translate("No")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def show_json(text: str) -> str:
    try:
        return show_value(json.loads(text))
    except ValueError:
        return text


def _common(area: str) -> dict[str, Any]:
    return {
        "layout": area,
        "area": area,
        "base": f"/{area}/corrections",
        "status_labels": STATUS_TEXT,
        "show_value": show_value,
        "show_json": show_json,
    }


# --- the dispute form -------------------------------------------------------------------------


def _published(db: DB, actor: Actor) -> list[Resource]:
    return corrections.disputable_resources(db, actor)


def _form_context(db: DB, actor: Actor, area: str, values: dict[str, Any]) -> dict[str, Any]:
    """What the form shows: the resource and field pickers until both are chosen, then the value."""
    context = _common(area) | {
        "values": values,
        "resources": [],
        "resource": None,
        "fields": [],
        "found": None,
    }
    if area == "portal" and not values["subject"]:
        values["subject"] = usage.own_subject(db, actor)
    if not values["resource"]:
        context["resources"] = _published(db, actor)
        return context
    resource = resources.lookup(db, values["resource"], published=True)
    context["resource"] = resource
    schema = resources.schema_for(db, resource.id)
    context["fields"] = [f for f in schema.fields if not f.is_key and not f.is_subject]
    if values["field"] and values["subject"]:
        context["found"] = corrections.target(
            db, actor, values["subject"], values["resource"], values["field"], values["record"] or None
        )
    return context


def _values(subject: str, resource: str, field: str, attribute: str, record: str) -> dict[str, Any]:
    return {
        "subject": subject.strip(),
        "resource": resource.strip(),
        "field": field.strip(),
        "attribute": attribute.strip(),
        "record": record.strip(),
        "proposed_value": "",
        "explanation": "",
    }


def _form(
    request: Request,
    db: DB,
    actor: Actor,
    area: str,
    subject: str,
    resource: str,
    field: str,
    attribute: str,
    record: str,
) -> Response:
    _area_of(actor, area)
    require(actor, Permission.CORRECTION_FILE)
    values = _values(subject, resource, field, attribute, record)
    return render(request, "governance/correction_form.html", _form_context(db, actor, area, values))


@router.get("/portal/corrections/new")
def portal_form(
    request: Request,
    db: DB,
    actor: CurrentActor,
    subject: QText = "",
    resource: QText = "",
    field: QText = "",
    attribute: QText = "",
    record: QText = "",
) -> Response:
    return _form(request, db, actor, "portal", subject, resource, field, attribute, record)


@router.get("/workbench/corrections/new")
def workbench_form(
    request: Request,
    db: DB,
    actor: CurrentActor,
    subject: QText = "",
    resource: QText = "",
    field: QText = "",
    attribute: QText = "",
    record: QText = "",
) -> Response:
    return _form(request, db, actor, "workbench", subject, resource, field, attribute, record)


async def _upload(value: Any) -> corrections.Upload | None:
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    content = await value.read(MAX_ATTACHMENT_BYTES + 1)
    return corrections.Upload(value.filename, content)


async def _file(request: Request, db: DB, actor: Actor, area: str) -> Response:
    _area_of(actor, area)
    form = await request.form()
    values = _values(
        *(str(form.get(name, ""))[:200] for name in ("subject", "resource", "field", "attribute", "record"))
    )
    values["proposed_value"] = str(form.get("proposed_value", ""))[:1000]
    values["explanation"] = str(form.get("explanation", ""))[:4000]
    if area == "portal" and not values["subject"]:
        values["subject"] = usage.own_subject(db, actor)
    try:
        upload = await _upload(form.get("attachment"))
        ticket = corrections.file_correction(
            db,
            actor,
            corrections.Filing(
                subject=values["subject"],
                resource_code=values["resource"],
                field=values["field"],
                proposed_value=values["proposed_value"],
                explanation=values["explanation"],
                record_key=values["record"] or None,
                attribute=values["attribute"],
            ),
            upload,
            storage=_storage(request),
        )
    except FORM_ERRORS as error:
        db.rollback()
        try:
            context = _form_context(db, actor, area, values)
        except DomainError:
            context = _common(area) | {
                "values": values,
                "resources": [],
                "resource": None,
                "fields": [],
                "found": None,
            }
        return rerender_with_error(request, "governance/correction_form.html", context, error)
    return _see_other(f"/{area}/corrections/{ticket.id}")


@router.post("/portal/corrections/new")
async def portal_file(request: Request, db: DB, actor: CurrentActor) -> Response:
    return await _file(request, db, actor, "portal")


@router.post("/workbench/corrections/new")
async def workbench_file(request: Request, db: DB, actor: CurrentActor) -> Response:
    return await _file(request, db, actor, "workbench")


# --- lists ------------------------------------------------------------------------------------


def _status(value: str) -> Status | None:
    return Status(value) if value in STATUS_TEXT else None


def _names(db: DB, items: list[Correction]) -> dict[str, dict[int, str]]:
    return sharing.labels(db, [t.resource_id for t in items], [t.org_id for t in items])


@router.get("/portal/corrections")
def portal_list(
    request: Request, db: DB, actor: CurrentActor, status: QText = "", page: PageNumber = 1
) -> Response:
    _area_of(actor, "portal")
    result = corrections.list_mine(db, actor, status=_status(status), page=page)
    return render(
        request,
        "governance/corrections_mine.html",
        _common("portal")
        | {
            "result": result,
            "names": _names(db, result.items),
            "status": status,
            "overdue": _overdue(result.items),
        },
    )


def _overdue(items: list[Correction]) -> set[int]:
    return {t.id for t in items if corrections.is_overdue(t)}


def _filters(status: str, resource: str, department: str, overdue: str) -> corrections.TicketFilter:
    return corrections.TicketFilter(
        status=_status(status) if status != "all" else None,
        resource_code=resource.strip() or None,
        org_id=optional_int(department),
        overdue_only=overdue == "1",
    )


@router.get("/workbench/corrections")
def workbench_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    side: QText = "",
    status: QText = "",
    resource: QText = "",
    department: QText = "",
    overdue: QText = "",
    page: PageNumber = 1,
) -> Response:
    _area_of(actor, "workbench")
    if side == "mine" or not (
        actor.has(Permission.CORRECTION_DECIDE) or actor.has(Permission.GOVERNANCE_READ)
    ):
        result = corrections.list_mine(db, actor, status=_status(status), page=page)
        return render(
            request,
            "governance/corrections_mine.html",
            _common("workbench")
            | {
                "result": result,
                "names": _names(db, result.items),
                "status": status,
                "overdue": _overdue(result.items),
            },
        )
    status = status or "open"
    result = corrections.list_for_department(
        db, actor, _filters(status, resource, department, overdue), page=page
    )
    params = {"status": status, "resource": resource, "department": department, "overdue": overdue}
    return render(
        request,
        "governance/corrections_department.html",
        _common("workbench")
        | {
            "result": result,
            "names": _names(db, result.items),
            "overdue_ids": _overdue(result.items),
            "params": params,
            "query": "".join(f"&{k}={v}" for k, v in params.items() if v),
        },
    )


@router.get("/workbench/corrections.xlsx")
def workbench_export(
    db: DB,
    actor: CurrentActor,
    status: QText = "",
    resource: QText = "",
    department: QText = "",
    overdue: QText = "",
) -> Response:
    items = corrections.export_for_department(
        db, actor, _filters(status or "open", resource, department, overdue)
    )
    names = _names(db, items)
    header = [
        translate(h)
        for h in (
            N_("No."),
            N_("Status"),
            N_("Overdue"),
            N_("Deadline"),
            N_("Department"),
            N_("Resource"),
            N_("Data subject"),
            N_("Field"),
            N_("Recorded value"),
            N_("Proposed value"),
            N_("Explanation"),
            N_("Filed by"),
            N_("Reason"),
        )
    ]
    rows = [
        [
            t.id,
            translate(STATUS_TEXT[t.status.value]),
            translate("Yes") if corrections.is_overdue(t) else "",
            format_date(t.deadline),
            names["orgs"].get(t.org_id, ""),
            names["resources"].get(t.resource_id, ""),
            t.subject,
            t.field,
            t.disputed_value,
            t.proposed_value,
            t.explanation,
            t.disputant_label,
            t.reason,
        ]
        for t in items
    ]
    return xlsx_response("corrections.xlsx", translate("Corrections"), header, rows)


# --- one ticket -------------------------------------------------------------------------------


def _detail_context(db: DB, actor: Actor, area: str, ticket: Correction) -> dict[str, Any]:
    return _common(area) | {
        "item": ticket,
        "names": _names(db, [ticket]),
        "overdue": corrections.is_overdue(ticket),
        "now_value": corrections.current_value(db, ticket),
        "decides": area == "workbench" and corrections.may_decide(db, actor, ticket),
        "withdraws": corrections.is_disputant(actor, ticket),
        "values": {"reason": ""},
    }


def _detail(request: Request, db: DB, actor: Actor, area: str, ticket: Correction) -> Response:
    return render(request, "governance/correction_detail.html", _detail_context(db, actor, area, ticket))


@router.get("/portal/corrections/{correction_id}")
def portal_detail(request: Request, db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    _area_of(actor, "portal")
    return _detail(request, db, actor, "portal", corrections.get_correction(db, actor, correction_id))


@router.get("/workbench/corrections/{correction_id}")
def workbench_detail(request: Request, db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    _area_of(actor, "workbench")
    return _detail(request, db, actor, "workbench", corrections.get_correction(db, actor, correction_id))


def _attachment(request: Request, db: DB, actor: Actor, area: str, correction_id: int) -> Response:
    _area_of(actor, area)
    try:
        path, ticket = corrections.attachment_path(db, actor, correction_id, _storage(request))
    except NotFound:  # no attachment (any more): back to the ticket
        corrections.get_correction(db, actor, correction_id)
        return _see_other(f"/{area}/corrections/{correction_id}")
    return FileResponse(path, media_type=ticket.attachment_type, filename=ticket.attachment_name)


@router.get("/portal/corrections/{correction_id}/attachment")
def portal_attachment(request: Request, db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    return _attachment(request, db, actor, "portal", correction_id)


@router.get("/workbench/corrections/{correction_id}/attachment")
def workbench_attachment(request: Request, db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    return _attachment(request, db, actor, "workbench", correction_id)


async def _decide(request: Request, db: DB, actor: Actor, correction_id: int, action: str) -> Response:
    _area_of(actor, "workbench")
    form = await request.form()
    text = str(form.get("reason", ""))[:4000]
    try:
        if action == "accept":
            corrections.accept(db, actor, correction_id, text)
        else:
            corrections.reject(db, actor, correction_id, text)
    except FORM_ERRORS as error:
        db.rollback()
        ticket = corrections.get_correction(db, actor, correction_id)
        context = _detail_context(db, actor, "workbench", ticket) | {"values": {"reason": text}}
        return rerender_with_error(request, "governance/correction_detail.html", context, error)
    return _see_other(f"/workbench/corrections/{correction_id}")


@router.post("/workbench/corrections/{correction_id}/accept")
async def workbench_accept(request: Request, db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    return await _decide(request, db, actor, correction_id, "accept")


@router.post("/workbench/corrections/{correction_id}/reject")
async def workbench_reject(request: Request, db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    return await _decide(request, db, actor, correction_id, "reject")


def _withdraw(db: DB, actor: Actor, area: str, correction_id: int) -> Response:
    _area_of(actor, area)
    corrections.withdraw(db, actor, correction_id)
    return _see_other(f"/{area}/corrections/{correction_id}")


@router.post("/portal/corrections/{correction_id}/withdraw")
def portal_withdraw(db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    return _withdraw(db, actor, "portal", correction_id)


@router.post("/workbench/corrections/{correction_id}/withdraw")
def workbench_withdraw(db: DB, actor: CurrentActor, correction_id: Id) -> Response:
    return _withdraw(db, actor, "workbench", correction_id)
