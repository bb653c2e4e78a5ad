"""Workbench pages of sharing requests and grants: ask, decide, withdraw, revoke."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.catalog import resources
from tongban.catalog.schema import schema_of
from tongban.exchange import sharing
from tongban.exchange.models import RequestStatus, SharingRequest
from tongban.kernel.clock import LOCAL_ZONE
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed
from tongban.kernel.permissions import Actor, Permission, require
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.forms import FORM_ERRORS, rerender_with_error
from tongban.web.templating import render

router = APIRouter(prefix="/workbench", include_in_schema=False)

STATUS_LABELS = {
    RequestStatus.PENDING: N_("Pending"),
    RequestStatus.APPROVED: N_("Granted"),
    RequestStatus.REJECTED: N_("Rejected"),
    RequestStatus.WITHDRAWN: N_("Withdrawn"),
}
GRANT_STATE_LABELS = {"active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}
SHARING_TYPE_LABELS = {
    "unconditional": N_("Unconditional sharing"),
    "conditional": N_("Conditional sharing"),
    "not_shared": N_("Not shared"),
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _side(actor: Actor, side: str | None) -> str:
    if side in ("consumer", "provider"):
        return side
    return "consumer" if actor.has(Permission.SHARING_REQUEST) else "provider"


def _common(actor: Actor) -> dict[str, Any]:
    return {
        "layout": "workbench",
        "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
        "grant_state_labels": GRANT_STATE_LABELS,
        "can_request": actor.has(Permission.SHARING_REQUEST),
        "can_decide": actor.has(Permission.SHARING_DECIDE),
    }


@router.get("/sharing")
def request_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    side: str | None = Query(default=None, max_length=10),
    status: str | None = Query(default=None, max_length=20),
    page: PageNumber = 1,
) -> Response:
    chosen = _side(actor, side)
    state = RequestStatus(status) if status in {s.value for s in RequestStatus} else None
    result = sharing.list_requests(db, actor, side=chosen, status=state, page=page)
    names = sharing.labels(
        db, [r.resource_id for r in result.items], [r.consumer_org_id for r in result.items]
    )
    return render(
        request,
        "exchange/sharing.html",
        {**_common(actor), "result": result, "side": chosen, "status": status or "", "names": names},
    )


def _form_context(db: DB, actor: Actor, code: str, values: dict[str, Any]) -> dict[str, Any]:
    resources = sharing.requestable_resources(db, actor)
    chosen = next((r for r in resources if r.code == code), None)
    schema = schema_of(chosen) if chosen is not None else None
    return {
        **_common(actor),
        "resources": resources,
        "resource": chosen,
        "schema": schema,
        "sharing_type_labels": SHARING_TYPE_LABELS,
        "values": values,
    }


@router.get("/sharing/new")
def request_form(
    request: Request, db: DB, actor: CurrentActor, resource: str = Query(default="", max_length=60)
) -> Response:
    require(actor, Permission.SHARING_REQUEST)
    values: dict[str, Any] = {"fields": [], "purpose": "", "legal_basis": "", "serves": ""}
    return render(request, "exchange/sharing_form.html", _form_context(db, actor, resource, values))


@router.post("/sharing/new")
async def request_create(request: Request, db: DB, actor: CurrentActor) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "resource": str(form.get("resource", ""))[:60],
        "purpose": str(form.get("purpose", ""))[:2000],
        "legal_basis": str(form.get("legal_basis", ""))[:2000],
        "serves": str(form.get("serves", ""))[:200],
        "fields": [str(f)[:100] for f in form.getlist("fields")][:200],
        "allow_sensitive": form.get("allow_sensitive") == "1",
    }
    try:
        created = sharing.request_sharing(
            db,
            actor,
            sharing.RequestInput(
                resource_code=values["resource"],
                purpose=values["purpose"],
                legal_basis=values["legal_basis"],
                fields=values["fields"],
                serves=values["serves"],
                allow_sensitive=values["allow_sensitive"],
            ),
        )
    except FORM_ERRORS as error:
        db.rollback()
        context = _form_context(db, actor, values["resource"], values)
        return rerender_with_error(request, "exchange/sharing_form.html", context, error)
    return _see_other(f"/workbench/sharing/{created.id}")


def _detail_context(db: DB, actor: Actor, item: SharingRequest) -> dict[str, Any]:
    resource = resources.lookup(db, item.resource_id)
    schema = schema_of(resource)
    names = sharing.labels(db, [item.resource_id], [item.consumer_org_id, resource.provider_org_id])
    provider_path = sharing.provider_of(db, resource).path
    return {
        **_common(actor),
        "item": item,
        "resource": resource,
        "schema": schema,
        "names": names,
        "decides": actor.has(Permission.SHARING_DECIDE) and actor.can_act_for(provider_path),
        "asks": item.consumer_org_id == actor.org_id and actor.has(Permission.SHARING_REQUEST),
        "values": {"fields": list(item.fields), "reason": "", "expires_on": "", "allow_sensitive": False},
    }


@router.get("/sharing/{request_id}")
def request_detail(request: Request, db: DB, actor: CurrentActor, request_id: Id) -> Response:
    item = sharing.get_request(db, actor, request_id)
    return render(request, "exchange/sharing_detail.html", _detail_context(db, actor, item))


def _end_of_day(value: str) -> datetime | None:
    """A date typed in the form ends the grant at the end of that local day."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            fields=[FieldProblem("expires_on", N_("Enter a date such as 2026-12-31."))]
        ) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_ZONE)


@router.post("/sharing/{request_id}/approve")
async def request_approve(request: Request, db: DB, actor: CurrentActor, request_id: Id) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "fields": [str(f)[:100] for f in form.getlist("fields")][:200],
        "reason": str(form.get("reason", ""))[:2000],
        "expires_on": str(form.get("expires_on", ""))[:10],
        "allow_sensitive": form.get("allow_sensitive") == "1",
    }
    try:
        decision = sharing.Decision(
            fields=values["fields"],
            expires_at=_end_of_day(values["expires_on"]),
            allow_sensitive=values["allow_sensitive"],
            reason=values["reason"],
        )
        sharing.approve(db, actor, request_id, decision)
    except FORM_ERRORS as error:
        db.rollback()
        context = _detail_context(db, actor, sharing.get_request(db, actor, request_id)) | {"values": values}
        return rerender_with_error(request, "exchange/sharing_detail.html", context, error)
    return _see_other(f"/workbench/sharing/{request_id}")


@router.post("/sharing/{request_id}/reject")
async def request_reject(request: Request, db: DB, actor: CurrentActor, request_id: Id) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))[:2000]
    try:
        sharing.reject(db, actor, request_id, reason)
    except FORM_ERRORS as error:
        db.rollback()
        context = _detail_context(db, actor, sharing.get_request(db, actor, request_id))
        context["values"] |= {"reason": reason}
        return rerender_with_error(request, "exchange/sharing_detail.html", context, error)
    return _see_other(f"/workbench/sharing/{request_id}")


@router.post("/sharing/{request_id}/withdraw")
def request_withdraw(request: Request, db: DB, actor: CurrentActor, request_id: Id) -> Response:
    try:
        sharing.withdraw(db, actor, request_id)
    except FORM_ERRORS as error:
        db.rollback()
        context = _detail_context(db, actor, sharing.get_request(db, actor, request_id))
        return rerender_with_error(request, "exchange/sharing_detail.html", context, error)
    return _see_other(f"/workbench/sharing/{request_id}")


@router.get("/grants")
def grant_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    side: str | None = Query(default=None, max_length=10),
    active: int = Query(default=0, ge=0, le=1),
    page: PageNumber = 1,
) -> Response:
    chosen = _side(actor, side)
    result = sharing.list_grants(db, actor, side=chosen, active_only=bool(active), page=page)
    names = sharing.labels(
        db, [g.resource_id for g in result.items], [g.consumer_org_id for g in result.items]
    )
    states = {g.id: sharing.grant_state(g) for g in result.items}
    return render(
        request,
        "exchange/grants.html",
        {
            **_common(actor),
            "result": result,
            "side": chosen,
            "active": active,
            "names": names,
            "states": states,
        },
    )


@router.post("/grants/{grant_id}/revoke")
async def grant_revoke(request: Request, db: DB, actor: CurrentActor, grant_id: Id) -> Response:
    form = await request.form()
    sharing.revoke(db, actor, grant_id, str(form.get("reason", ""))[:2000])
    return _see_other("/workbench/grants?side=provider")
