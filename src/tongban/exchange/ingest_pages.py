"""Workbench pages of ingest: upload a file, read the load report, fix or discard quarantined rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.catalog import resources
from tongban.exchange import loads
from tongban.exchange.models import LoadSource, LoadStatus, QuarantinedRow, QuarantineStatus
from tongban.kernel.errors import N_, DomainError, FieldProblem, ValidationFailed
from tongban.kernel.i18n import translate
from tongban.kernel.permissions import Permission, require
from tongban.web.deps import DB, CurrentActor
from tongban.web.forms import optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(prefix="/workbench/ingest", include_in_schema=False)

SOURCE_LABELS = {
    LoadSource.UPLOAD: N_("File"),
    LoadSource.PULL: N_("Pull"),
    LoadSource.PUSH: N_("Push API"),
    LoadSource.CORRECTION: N_("Correction"),
}
STATUS_LABELS = {
    LoadStatus.RUNNING: N_("Running"),
    LoadStatus.DONE: N_("Done"),
    LoadStatus.FAILED: N_("Failed"),
}
QUARANTINE_LABELS = {
    QuarantineStatus.OPEN: N_("Open"),
    QuarantineStatus.RESUBMITTED: N_("Resubmitted"),
    QuarantineStatus.DISCARDED: N_("Discarded"),
}


def reasons(row: QuarantinedRow) -> list[dict[str, str]]:
    """Each problem of a quarantined row as field and translated reason."""
    return [
        {"field": p.get("field") or "", "text": translate(p.get("message", ""), **(p.get("params") or {}))}
        for p in row.problems
    ]


def _labels() -> dict[str, Any]:
    return {
        "source_labels": {k.value: translate(v) for k, v in SOURCE_LABELS.items()},
        "status_labels": {k.value: translate(v) for k, v in STATUS_LABELS.items()},
        "quarantine_labels": {k.value: translate(v) for k, v in QUARANTINE_LABELS.items()},
    }


def _overview(db: DB, actor: CurrentActor, page: int, resource_id: int | None) -> dict[str, Any]:
    resources = loads.ingestible_resources(db, actor)
    return {
        "layout": "workbench",
        "resources": resources,
        "resource_names": {r.id: r.name for r in resources},
        "result": loads.list_loads(db, actor, resource_id=resource_id, page=page),
        "resource_id": resource_id,
        **_labels(),
    }


@router.get("")
def ingest_home(
    request: Request,
    db: DB,
    actor: CurrentActor,
    page: int = Query(default=1, ge=1),
    resource: str | None = None,
) -> Response:
    context = _overview(db, actor, page, optional_int(resource))
    context["values"] = {"resource": resource or ""}
    return render(request, "exchange/loads.html", context)


@router.post("")
def ingest_upload(
    request: Request,
    db: DB,
    actor: CurrentActor,
    resource: Annotated[str, Form(max_length=60)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    require(actor, Permission.DATA_INGEST)
    try:
        if not resource:
            raise ValidationFailed(fields=[_required("resource")])
        if file is None or not file.filename:
            raise ValidationFailed(fields=[_required("file")])
        load = loads.load_stream(db, actor, resource, file.file, file.filename)
    except DomainError as error:
        db.rollback()
        context = _overview(db, actor, 1, None)
        context["values"] = {"resource": resource}
        return rerender_with_error(request, "exchange/loads.html", context, error)
    return RedirectResponse(f"/workbench/ingest/loads/{load.id}", status_code=303)


def _required(name: str) -> FieldProblem:
    return FieldProblem(name, N_("This field is required."))


@router.get("/loads/{load_id}")
def load_report(
    request: Request, db: DB, actor: CurrentActor, load_id: int, page: int = Query(default=1, ge=1)
) -> Response:
    load = loads.get_load(db, actor, load_id)
    held = loads.list_quarantine(db, actor, load_id=load.id, status=None, page=page)
    return render(
        request,
        "exchange/load.html",
        {
            "layout": "workbench",
            "load": load,
            "resource": resources.lookup(db, load.resource_id),
            "held": held,
            "reasons": {row.id: reasons(row) for row in held.items},
            **_labels(),
        },
    )


@router.get("/quarantine")
def quarantine_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    page: int = Query(default=1, ge=1),
    resource: str | None = None,
) -> Response:
    resource_id = optional_int(resource)
    result = loads.list_quarantine(db, actor, resource_id=resource_id, page=page)
    resources = loads.ingestible_resources(db, actor)
    return render(
        request,
        "exchange/quarantine.html",
        {
            "layout": "workbench",
            "result": result,
            "resources": resources,
            "resource_names": {r.id: r.name for r in resources},
            "resource_id": resource_id,
            "reasons": {row.id: reasons(row) for row in result.items},
            **_labels(),
        },
    )


def _row_context(db: DB, actor: CurrentActor, row_id: int) -> dict[str, Any]:
    row = loads.get_quarantined(db, actor, row_id)
    resource = resources.lookup(db, row.resource_id)
    fields = resources.schema_for(db, resource.id, published_only=False).fields
    problems: dict[str, list[str]] = {}
    for item in reasons(row):
        problems.setdefault(item["field"], []).append(item["text"])
    return {
        "layout": "workbench",
        "row": row,
        "resource": resource,
        "fields": fields,
        "values": {f.name: "" if row.raw.get(f.name) is None else str(row.raw.get(f.name)) for f in fields},
        "problems": problems,
        "row_problems": problems.get("", []),
        "extra": {k: v for k, v in row.raw.items() if k not in {f.name for f in fields}},
        **_labels(),
    }


@router.get("/quarantine/{row_id}")
def quarantine_row(request: Request, db: DB, actor: CurrentActor, row_id: int, saved: str = "") -> Response:
    context = _row_context(db, actor, row_id)
    context["saved"] = saved
    return render(request, "exchange/quarantine_row.html", context)


@router.post("/quarantine/{row_id}/resubmit")
async def quarantine_resubmit(request: Request, db: DB, actor: CurrentActor, row_id: int) -> Response:
    form = await request.form()
    context = _row_context(db, actor, row_id)
    values = {f.name: str(form.get(f"v_{index}", ""))[:2000] for index, f in enumerate(context["fields"])}
    try:
        load = loads.resubmit(db, actor, row_id, values)
    except DomainError as error:
        db.rollback()
        context = _row_context(db, actor, row_id)
        context["values"] = values
        context["problems"] = {}
        context["row_problems"] = []
        response = rerender_with_error(request, "exchange/quarantine_row.html", context, error)
        return response
    return RedirectResponse(f"/workbench/ingest/loads/{load.id}", status_code=303)


@router.post("/quarantine/{row_id}/discard")
def quarantine_discard(
    db: DB, actor: CurrentActor, row_id: int, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    row = loads.discard(db, actor, row_id, note)
    return RedirectResponse(f"/workbench/ingest/quarantine/{row.id}?saved=discarded", status_code=303)
