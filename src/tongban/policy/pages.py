"""Workbench pages of publishing: the policy list (filters, Excel), policy forms, one policy with
its attachments and items. Items with the condition builder are in ``item_pages``, review with
the preview in ``review_pages``; their routes are included in this module's router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from tongban.kernel.errors import N_
from tongban.kernel.i18n import translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import attachments, item_pages, page_common, review_pages, service, workbench
from tongban.policy.domain import LEVEL_LABELS
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import FORM_ERRORS, optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)
QText = Annotated[str, Query(max_length=100)]

STATE_FILTER_LABELS: dict[str, str] = {
    "draft": N_("Has drafts"),
    "in_review": N_("Has items in review"),
    "published": N_("Has published items"),
    "withdrawn": N_("Has withdrawn items"),
    "expired": N_("Has expired items"),
    "unpublished": N_("Has unpublished items"),
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _filters(state: str, org_id: str, q: str) -> workbench.PolicyFilter:
    return workbench.PolicyFilter(
        state=state if state in workbench.STATE_FILTERS else "", org_id=optional_int(org_id), text=q
    )


@router.get("/workbench/policies")
def policy_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    state: QText = "",
    org_id: QText = "",
    q: QText = "",
    page: PageNumber = 1,
) -> Response:
    filters = _filters(state, org_id, q)
    result = workbench.list_policies(db, actor, filters, page)
    query = f"&state={filters.state}&org_id={filters.org_id or ''}&q={q}"
    return render(
        request,
        "policy/workbench/policies.html",
        page_common.common()
        | {
            "result": result,
            "params": {"state": filters.state, "org_id": str(filters.org_id or ""), "q": q},
            "query": query,
            "state_filters": {k: translate(v) for k, v in STATE_FILTER_LABELS.items()},
            "departments": workbench.departments_in_scope(db, actor),
            "may_draft": actor.has(Permission.POLICY_DRAFT),
        },
    )


@router.get("/workbench/policies.xlsx")
def policy_export(
    db: DB, actor: CurrentActor, state: QText = "", org_id: QText = "", q: QText = ""
) -> Response:
    rows = workbench.export_policies(db, actor, _filters(state, org_id, q))
    header = [
        translate(h)
        for h in (
            N_("No."),
            N_("Title"),
            N_("Document number"),
            N_("Issuing authority"),
            N_("Department"),
            N_("Level"),
            N_("Date of issue"),
            N_("Takes effect"),
            N_("Expires"),
            N_("Items"),
            N_("Published"),
            N_("In review"),
            N_("Draft"),
        )
    ]
    body = [
        [
            r.policy.id,
            r.policy.title,
            r.policy.doc_number,
            r.policy.issuer,
            r.department,
            translate(LEVEL_LABELS[r.policy.level]),
            r.policy.issued_on.isoformat() if r.policy.issued_on else "",
            r.policy.effective_on.isoformat() if r.policy.effective_on else "",
            r.policy.expires_on.isoformat() if r.policy.expires_on else "",
            r.items,
            r.states.get("published", 0),
            r.states.get("in_review", 0),
            r.states.get("draft", 0),
        ]
        for r in rows
    ]
    return xlsx_response("policies.xlsx", translate("Policies"), header, body)


# --- policy forms -----------------------------------------------------------------------------


def _policy_form(values: dict[str, Any], action: str, policy_id: int | None = None) -> dict[str, Any]:
    return page_common.common() | {"values": values, "action": action, "policy_id": policy_id}


def _may_draft(actor: Actor) -> None:
    require(actor, Permission.POLICY_DRAFT)


@router.get("/workbench/policies/new")
def policy_new(request: Request, actor: CurrentActor) -> Response:
    _may_draft(actor)
    values = {"level": "municipal"} | dict.fromkeys(
        (
            "title",
            "doc_number",
            "issuer",
            "region_code",
            "issued_on",
            "effective_on",
            "expires_on",
            "full_text",
            "source_url",
        ),
        "",
    )
    return render(
        request, "policy/workbench/policy_form.html", _policy_form(values, "/workbench/policies/new")
    )


@router.post("/workbench/policies/new")
async def policy_create(request: Request, db: DB, actor: CurrentActor) -> Response:
    values = page_common.policy_values(await request.form())
    try:
        policy = service.create_policy(db, actor, page_common.policy_fields(values))
    except FORM_ERRORS as error:
        db.rollback()
        context = _policy_form(values, "/workbench/policies/new")
        return rerender_with_error(request, "policy/workbench/policy_form.html", context, error)
    return _see_other(f"/workbench/policies/{policy.id}")


@router.get("/workbench/policies/{policy_id}")
def policy_detail(request: Request, db: DB, actor: CurrentActor, policy_id: Id) -> Response:
    policy = workbench.readable_policy(db, actor, policy_id)
    return render(
        request,
        "policy/workbench/policy_detail.html",
        page_common.common()
        | {
            "policy": policy,
            "department": orgs.get(db, policy.org_id).name,
            "attachments": attachments.attachments_of(db, policy.id),
            "items": workbench.items_with_versions(db, policy.id),
            "may_draft": actor.has(Permission.POLICY_DRAFT),
            "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        },
    )


@router.get("/workbench/policies/{policy_id}/edit")
def policy_edit(request: Request, db: DB, actor: CurrentActor, policy_id: Id) -> Response:
    _may_draft(actor)
    policy = workbench.readable_policy(db, actor, policy_id)
    context = _policy_form(
        page_common.values_of_policy(policy), f"/workbench/policies/{policy.id}/edit", policy.id
    )
    return render(request, "policy/workbench/policy_form.html", context)


@router.post("/workbench/policies/{policy_id}/edit")
async def policy_update(request: Request, db: DB, actor: CurrentActor, policy_id: Id) -> Response:
    values = page_common.policy_values(await request.form())
    try:
        service.update_policy(db, actor, policy_id, page_common.policy_fields(values))
    except FORM_ERRORS as error:
        db.rollback()
        context = _policy_form(values, f"/workbench/policies/{policy_id}/edit", policy_id)
        return rerender_with_error(request, "policy/workbench/policy_form.html", context, error)
    return _see_other(f"/workbench/policies/{policy_id}")


# --- attachments ------------------------------------------------------------------------------


@router.post("/workbench/policies/{policy_id}/attachments")
async def attachment_upload(request: Request, db: DB, actor: CurrentActor, policy_id: Id) -> Response:
    form = await request.form()
    value = form.get("attachment")
    upload = attachments.Upload("", b"")
    if isinstance(value, UploadFile) and value.filename:
        upload = attachments.Upload(value.filename, await value.read(attachments.MAX_BYTES + 1))
    try:
        attachments.add(db, actor, policy_id, upload, request.app.state.settings.data_dir)
    except FORM_ERRORS as error:
        db.rollback()
        policy = workbench.readable_policy(db, actor, policy_id)
        context = page_common.common() | {
            "policy": policy,
            "department": orgs.get(db, policy.org_id).name,
            "attachments": attachments.attachments_of(db, policy.id),
            "items": workbench.items_with_versions(db, policy.id),
            "may_draft": actor.has(Permission.POLICY_DRAFT),
            "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        }
        return rerender_with_error(request, "policy/workbench/policy_detail.html", context, error)
    return _see_other(f"/workbench/policies/{policy_id}#attachments")


@router.get("/workbench/policy-attachments/{attachment_id}")
def attachment_download(request: Request, db: DB, actor: CurrentActor, attachment_id: Id) -> Response:
    path, attachment = attachments.open_for_staff(
        db, actor, attachment_id, request.app.state.settings.data_dir
    )
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.filename)


router.include_router(item_pages.router)
router.include_router(review_pages.router)
