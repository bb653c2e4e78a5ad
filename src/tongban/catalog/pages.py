"""Workbench pages of the data element registry: browse, search, check a value, add, export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.catalog import domain, service
from tongban.catalog.models import ElementType, Sensitivity
from tongban.kernel.codes.validators import KINDS
from tongban.kernel.errors import DomainError
from tongban.kernel.i18n import translate
from tongban.kernel.permissions import Permission, require
from tongban.web.deps import DB, CurrentActor, PageNumber
from tongban.web.excel import xlsx_response
from tongban.web.forms import optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(prefix="/workbench/elements", include_in_schema=False)

_FIELDS = (
    "identifier",
    "key",
    "name_zh",
    "name_en",
    "definition",
    "data_type",
    "sensitivity",
    "format",
    "max_length",
    "unit",
    "code_list",
    "validator",
    "standard_ref",
)


def _choices() -> dict[str, Any]:
    return {
        "types": [(t.value, translate(domain.TYPE_LABELS[t])) for t in ElementType],
        "sensitivities": [(s.value, translate(domain.SENSITIVITY_LABELS[s])) for s in Sensitivity],
        "code_lists": [(k, translate(v)) for k, v in domain.CODE_LIST_LABELS.items()],
        "validators": list(KINDS),
        "type_labels": {t.value: translate(domain.TYPE_LABELS[t]) for t in ElementType},
        "sensitivity_labels": {s.value: translate(domain.SENSITIVITY_LABELS[s]) for s in Sensitivity},
        "code_list_labels": {k: translate(v) for k, v in domain.CODE_LIST_LABELS.items()},
    }


def _filters(data_type: str | None, sensitivity: str | None) -> tuple[ElementType | None, Sensitivity | None]:
    kind = ElementType(data_type) if data_type in {t.value for t in ElementType} else None
    level = Sensitivity(sensitivity) if sensitivity in {s.value for s in Sensitivity} else None
    return kind, level


@router.get("")
def element_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    data_type: str | None = None,
    sensitivity: str | None = None,
    page: PageNumber = 1,
) -> Response:
    kind, level = _filters(data_type, sensitivity)
    result = service.list_elements(db, actor, query=q, data_type=kind, sensitivity=level, page=page)
    return render(
        request,
        "catalog/elements.html",
        {
            "layout": "workbench",
            "result": result,
            "q": q or "",
            "data_type": data_type or "",
            "sensitivity": sensitivity or "",
            "can_manage": actor.has(Permission.ELEMENT_MANAGE),
            **_choices(),
        },
    )


@router.get(".xlsx")
def element_export(
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    data_type: str | None = None,
    sensitivity: str | None = None,
) -> Response:
    kind, level = _filters(data_type, sensitivity)
    choices = _choices()
    result = service.list_elements(db, actor, query=q, data_type=kind, sensitivity=level, page_size=200)
    rows = [
        (
            e.identifier,
            e.key,
            e.name_zh,
            e.name_en,
            e.definition,
            choices["type_labels"][e.data_type.value],
            e.format,
            e.max_length,
            e.unit,
            choices["code_list_labels"].get(e.code_list or "", ""),
            e.validator or "",
            choices["sensitivity_labels"][e.sensitivity.value],
            e.standard_ref,
            e.version,
        )
        for e in result.items
    ]
    header = [
        translate(h)
        for h in (
            "Identifier",
            "Key",
            "Chinese name",
            "English name",
            "Definition",
            "Type",
            "Format",
            "Length",
            "Unit",
            "Code list",
            "Validator",
            "Sensitivity",
            "Standard",
            "Version",
        )
    ]
    return xlsx_response("data-elements.xlsx", translate("Data elements"), header, rows)


@router.get("/new")
def element_new(request: Request, actor: CurrentActor) -> Response:
    require(actor, Permission.ELEMENT_MANAGE)
    values = dict.fromkeys(_FIELDS, "")
    values.update({"data_type": "text", "sensitivity": "internal"})
    return render(
        request, "catalog/element_form.html", {"layout": "workbench", "values": values, **_choices()}
    )


@router.post("/new")
async def element_create(request: Request, db: DB, actor: CurrentActor) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:2000] for name in _FIELDS}
    try:
        element = service.create_element(
            db,
            actor,
            service.ElementInput(
                identifier=values["identifier"],
                key=values["key"],
                name_zh=values["name_zh"],
                name_en=values["name_en"],
                definition=values["definition"],
                data_type=values["data_type"],
                sensitivity=values["sensitivity"],
                format=values["format"],
                max_length=optional_int(values["max_length"]),
                unit=values["unit"],
                code_list=values["code_list"] or None,
                validator=values["validator"] or None,
                standard_ref=values["standard_ref"],
            ),
        )
    except DomainError as error:
        db.rollback()
        return rerender_with_error(
            request,
            "catalog/element_form.html",
            {"layout": "workbench", "values": values, **_choices()},
            error,
        )
    return RedirectResponse(f"/workbench/elements/{element.identifier}?saved=1", status_code=303)


@router.get("/{identifier}")
def element_detail(
    request: Request, db: DB, actor: CurrentActor, identifier: str, saved: int = 0
) -> Response:
    element = service.get_element(db, actor, identifier)
    return render(
        request,
        "catalog/element_detail.html",
        {
            "layout": "workbench",
            "element": element,
            "saved": bool(saved),
            "can_manage": actor.has(Permission.ELEMENT_MANAGE),
            **_choices(),
        },
    )


@router.post("/{identifier}/check")
def element_check(
    request: Request,
    db: DB,
    actor: CurrentActor,
    identifier: str,
    value: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    element = service.get_element(db, actor, identifier)
    result = service.check_value(db, actor, identifier, value)
    shown = ", ".join(result.value) if isinstance(result.value, tuple) else result.value
    check = {
        "input": value,
        "valid": result.valid,
        "value": "" if shown is None else str(shown),
        "reason": translate(result.reason, **(result.params or {})) if result.reason else "",
    }
    return render(
        request,
        "catalog/element_detail.html",
        {
            "layout": "workbench",
            "element": element,
            "check": check,
            "can_manage": actor.has(Permission.ELEMENT_MANAGE),
            **_choices(),
        },
    )


@router.post("/{identifier}/active")
def element_set_active(
    db: DB, actor: CurrentActor, identifier: str, active: Annotated[str, Form(max_length=5)] = "0"
) -> Response:
    service.set_element_active(db, actor, identifier, active == "1")
    return RedirectResponse(f"/workbench/elements/{identifier}?saved=1", status_code=303)
