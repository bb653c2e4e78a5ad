"""Workbench pages of the resource catalog: browse and search, detail with versions, register and
edit with a field editor, publish, retire, export to Excel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.catalog import domain as element_domain
from tongban.catalog import resources as service
from tongban.catalog import resources_domain as domain
from tongban.catalog.models import (
    OpenType,
    Resource,
    ResourceStatus,
    ResourceType,
    SharingType,
    SubjectKind,
    UpdateCycle,
)
from tongban.catalog.resources_domain import FieldDraft, ResourceDraft
from tongban.kernel.errors import N_, DomainError, ValidationFailed
from tongban.kernel.i18n import translate
from tongban.kernel.permissions import Actor, Permission, require
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(prefix="/workbench/resources", include_in_schema=False)

_META = (
    "name",
    "abstract",
    "resource_type",
    "subject_kind",
    "sharing_type",
    "sharing_condition",
    "open_type",
    "update_cycle",
)
_DONE = {
    "saved": N_("Saved."),
    "published": N_("Published."),
    "retired": N_("The resource is retired."),
    "discarded": N_("The unpublished changes were discarded."),
}
BLANK_ROWS = 2


def _labels() -> dict[str, Any]:
    def pairs(labels: dict[Any, str]) -> list[tuple[str, str]]:
        return [(key.value, translate(text)) for key, text in labels.items()]

    tables = {
        "resource_types": pairs(domain.RESOURCE_TYPE_LABELS),
        "subject_kinds": pairs(domain.SUBJECT_KIND_LABELS),
        "sharing_types": pairs(domain.SHARING_TYPE_LABELS),
        "open_types": pairs(domain.OPEN_TYPE_LABELS),
        "update_cycles": pairs(domain.UPDATE_CYCLE_LABELS),
        "statuses": pairs(domain.STATUS_LABELS),
        "sensitivities": pairs(element_domain.SENSITIVITY_LABELS),
        "data_types": pairs(element_domain.TYPE_LABELS),
    }
    return {**tables, "label": {name: dict(options) for name, options in tables.items()}}


def _filters(
    q: str | None,
    provider: str | None,
    resource_type: str | None,
    sharing_type: str | None,
    element: str | None,
    status: str | None,
) -> service.ResourceFilter:
    def pick(enum: Any, value: str | None) -> Any:
        return enum(value) if value in {m.value for m in enum} else None

    return service.ResourceFilter(
        query=q,
        provider_org_id=optional_int(provider),
        resource_type=pick(ResourceType, resource_type),
        sharing_type=pick(SharingType, sharing_type),
        element=(element or "").strip()[:60] or None,
        status=pick(ResourceStatus, status),
    )


@router.get("")
def resource_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    provider: str | None = Query(default=None, max_length=12),
    resource_type: str | None = Query(default=None, max_length=30),
    sharing_type: str | None = Query(default=None, max_length=30),
    element: str | None = Query(default=None, max_length=60),
    status: str | None = Query(default=None, max_length=30),
    page: PageNumber = 1,
) -> Response:
    filters = _filters(q, provider, resource_type, sharing_type, element, status)
    result = service.search_resources(db, actor, filters, page=page, page_size=30)
    params = {
        "q": q or "",
        "provider": provider or "",
        "resource_type": resource_type or "",
        "sharing_type": sharing_type or "",
        "element": element or "",
        "status": status or "",
    }
    return render(
        request,
        "catalog/resource_list.html",
        {
            "layout": "workbench",
            "result": result,
            "managed": {r.id for r in result.items if service.may_manage(actor, r)},
            "params": params,
            "providers": service.provider_filter_choices(db, actor),
            "elements": service.element_choices(db),
            "can_register": bool(service.provider_choices(db, actor)),
            **_labels(),
        },
    )


@router.get(".xlsx")
def resource_export(
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    provider: str | None = Query(default=None, max_length=12),
    resource_type: str | None = Query(default=None, max_length=30),
    sharing_type: str | None = Query(default=None, max_length=30),
    element: str | None = Query(default=None, max_length=60),
    status: str | None = Query(default=None, max_length=30),
) -> Response:
    """One row per field, with the resource's columns repeated (the layout departments file)."""
    filters = _filters(q, provider, resource_type, sharing_type, element, status)
    label = _labels()["label"]
    yes, no = translate("Yes"), translate("No")
    rows: list[tuple[Any, ...]] = []
    for r in service.export_resources(db, actor, filters):
        head = (
            r.code,
            r.name,
            r.provider.name,
            r.abstract,
            label["resource_types"][r.resource_type.value],
            label["subject_kinds"][r.subject_kind.value],
            label["sharing_types"][r.sharing_type.value],
            r.sharing_condition,
            label["open_types"][r.open_type.value],
            label["update_cycles"][r.update_cycle.value],
            yes if r.full_coverage else no,
            label["statuses"][r.status.value],
            r.version,
        )
        for f in r.fields:
            rows.append(
                (
                    *head,
                    f.position + 1,
                    f.name,
                    f.element.identifier,
                    f.element.name_zh,
                    label["data_types"][f.element.data_type.value],
                    label["sensitivities"][f.element.sensitivity.value],
                    yes if f.is_subject else "",
                    yes if f.is_key else "",
                    yes if f.required or f.is_key or f.is_subject else "",
                    f.description,
                )
            )
    header = [
        translate(h)
        for h in (
            N_("Resource code"),
            N_("Resource name"),
            N_("Provider"),
            N_("Abstract"),
            N_("Resource type"),
            N_("Subject"),
            N_("Sharing type"),
            N_("Sharing condition"),
            N_("Open to the public"),
            N_("Update cycle"),
            N_("Covers all subjects"),
            N_("Status"),
            N_("Version"),
            N_("No."),
            N_("Field name"),
            N_("Element identifier"),
            N_("Data element"),
            N_("Type"),
            N_("Sensitivity"),
            N_("Subject identifier"),
            N_("Record key"),
            N_("Required"),
            N_("Field description"),
        )
    ]
    return xlsx_response("data-resources.xlsx", translate("Data resource catalog"), header, rows)


# --- the form ------------------------------------------------------------------------------------


def _draft_from(form: FormData) -> ResourceDraft:
    values = {name: str(form.get(name, ""))[:5000] for name in _META}
    limit = domain.MAX_FIELDS + 1

    def column(name: str) -> list[str]:
        return [str(v)[:5000] for v in form.getlist(name)[:limit]]

    names, elements, descriptions = column("field_name"), column("field_element"), column("field_description")
    units = column("field_unit")
    flags = {name: set(column(name)) for name in ("field_key", "field_subject", "field_required")}
    fields = tuple(
        FieldDraft(
            name=names[i] if i < len(names) else "",
            element=elements[i] if i < len(elements) else "",
            is_key=str(i) in flags["field_key"],
            is_subject=str(i) in flags["field_subject"],
            required=str(i) in flags["field_required"],
            description=descriptions[i] if i < len(descriptions) else "",
            unit=units[i] if i < len(units) else "",
        )
        for i in range(max(len(names), len(elements)))
    )
    return ResourceDraft(**values, full_coverage=form.get("full_coverage") == "1", fields=fields).cleaned()


def _form_context(
    db: DB,
    actor: Actor,
    draft: ResourceDraft,
    *,
    resource: Resource | None,
    blank_rows: int = BLANK_ROWS,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rows = list(draft.fields) + [FieldDraft("", "")] * blank_rows
    bound = [f.element for f in draft.fields]
    return {
        "layout": "workbench",
        "resource": resource,
        "values": draft,
        "rows": rows,
        "elements": service.element_choices(db, also=bound),
        "providers": service.provider_choices(db, actor) if resource is None else [],
        **_labels(),
        **(extra or {}),
    }


def _empty_draft() -> ResourceDraft:
    return ResourceDraft(
        name="",
        abstract="",
        resource_type=ResourceType.DEPARTMENT.value,
        subject_kind=SubjectKind.USCC.value,
        sharing_type=SharingType.CONDITIONAL.value,
        open_type=OpenType.NOT_OPEN.value,
        update_cycle=UpdateCycle.MONTHLY.value,
    )


@router.get("/new")
def resource_new(request: Request, db: DB, actor: CurrentActor) -> Response:
    require(actor, Permission.RESOURCE_MANAGE)
    providers = service.provider_choices(db, actor)
    extra = {"provider_org_id": str(providers[0].id) if len(providers) == 1 else "", "code": ""}
    return render(
        request,
        "catalog/resource_form.html",
        _form_context(db, actor, _empty_draft(), resource=None, extra=extra),
    )


@router.post("/new")
async def resource_create(request: Request, db: DB, actor: CurrentActor) -> Response:
    require(actor, Permission.RESOURCE_MANAGE)
    form = await request.form()
    draft = _draft_from(form)
    provider_org_id = str(form.get("provider_org_id", ""))[:12]
    code = str(form.get("code", ""))[:100]
    extra = {"provider_org_id": provider_org_id, "code": code}
    if form.get("action") == "add_row":
        return render(
            request,
            "catalog/resource_form.html",
            _form_context(db, actor, draft, resource=None, blank_rows=BLANK_ROWS + 2, extra=extra),
        )
    try:
        resource = service.register_resource(
            db, actor, provider_org_id=optional_int(provider_org_id) or 0, draft=draft, code=code or None
        )
    except DomainError as error:
        db.rollback()
        context = _form_context(db, actor, draft, resource=None, blank_rows=1, extra=extra)
        return rerender_with_error(request, "catalog/resource_form.html", context, error)
    return RedirectResponse(f"/workbench/resources/{resource.id}?done=saved", status_code=303)


# --- one resource --------------------------------------------------------------------------------


@router.get("/{resource_id}")
def resource_detail(
    request: Request,
    db: DB,
    actor: CurrentActor,
    resource_id: Id,
    done: str | None = Query(default=None, max_length=20),
) -> Response:
    resource = service.get_resource(db, actor, resource_id)
    manages = service.may_manage(actor, resource)
    pending = ResourceDraft.from_json(resource.pending) if manages and resource.pending else None
    elements = service.element_choices(db, also=[f.element for f in pending.fields]) if pending else []
    return render(
        request,
        "catalog/resource_detail.html",
        {
            "layout": "workbench",
            "resource": resource,
            "manages": manages,
            "pending": pending,
            "pending_elements": {e.key: e for e in elements},
            "versions": service.list_versions(db, actor, resource.id),
            "done": translate(_DONE[done]) if done in _DONE else "",
            **_labels(),
        },
    )


@router.get("/{resource_id}/edit")
def resource_edit(request: Request, db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    resource = service.get_resource(db, actor, resource_id)
    require(actor, Permission.RESOURCE_MANAGE, org_path=resource.provider.path)
    return render(
        request,
        "catalog/resource_form.html",
        _form_context(db, actor, domain.working_draft(resource), resource=resource),
    )


@router.post("/{resource_id}/edit")
async def resource_update(request: Request, db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    resource = service.get_resource(db, actor, resource_id)
    require(actor, Permission.RESOURCE_MANAGE, org_path=resource.provider.path)
    form = await request.form()
    draft = _draft_from(form)
    if form.get("action") == "add_row":
        context = _form_context(db, actor, draft, resource=resource, blank_rows=BLANK_ROWS + 2)
        return render(request, "catalog/resource_form.html", context)
    try:
        service.update_resource(db, actor, resource_id, draft)
    except DomainError as error:
        db.rollback()
        resource = service.get_resource(db, actor, resource_id)
        context = _form_context(db, actor, draft, resource=resource, blank_rows=1)
        return rerender_with_error(request, "catalog/resource_form.html", context, error)
    return RedirectResponse(f"/workbench/resources/{resource_id}?done=saved", status_code=303)


@router.post("/{resource_id}/publish")
def resource_publish(request: Request, db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    try:
        service.publish_resource(db, actor, resource_id)
    except ValidationFailed as error:
        # Something changed since it was saved (an element retired): show the reasons in the form.
        db.rollback()
        resource = service.get_resource(db, actor, resource_id)
        context = _form_context(db, actor, domain.working_draft(resource), resource=resource, blank_rows=1)
        return rerender_with_error(request, "catalog/resource_form.html", context, error)
    return RedirectResponse(f"/workbench/resources/{resource_id}?done=published", status_code=303)


@router.post("/{resource_id}/discard")
def resource_discard(db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    service.discard_changes(db, actor, resource_id)
    return RedirectResponse(f"/workbench/resources/{resource_id}?done=discarded", status_code=303)


@router.post("/{resource_id}/retire")
def resource_retire(db: DB, actor: CurrentActor, resource_id: Id) -> Response:
    service.retire_resource(db, actor, resource_id)
    return RedirectResponse(f"/workbench/resources/{resource_id}?done=retired", status_code=303)


@router.get("/{resource_id}/versions/{version}")
def resource_version(request: Request, db: DB, actor: CurrentActor, resource_id: Id, version: Id) -> Response:
    resource = service.get_resource(db, actor, resource_id)
    found = service.get_version(db, actor, resource_id, version)
    return render(
        request,
        "catalog/resource_version.html",
        {
            "layout": "workbench",
            "resource": resource,
            "version": found,
            "snapshot": found.snapshot,
            **_labels(),
        },
    )
