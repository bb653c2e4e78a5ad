"""Public pages of the policy library: search with filters, item pages, the calculator.

No log-in needed (the anonymous actor reads live items); a logged-in enterprise user also sees a
link to "我的政策". Filters travel in the query string so that every result list can be linked.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from tongban.kernel.errors import N_, ValidationFailed
from tongban.kernel.i18n import current_language, translate
from tongban.policy import domain, library, library_calculator
from tongban.policy.library import FACETS, ItemGone, LibraryFilters
from tongban.web.deps import DB, CurrentActor, PageNumber
from tongban.web.forms import field_errors, optional_int
from tongban.web.security import CSRF_FIELD
from tongban.web.templating import render, use_request_language

router = APIRouter(include_in_schema=False)

QText = Annotated[str, Query(max_length=200)]
Code = Annotated[str, Path(max_length=40)]
PAGE_SIZE = 20
FACET_TITLES = {
    "region": N_("Region"),
    "department": N_("Issuing department"),
    "industry": N_("Industry"),
    "support_type": N_("Support type"),
    "size": N_("Enterprise size"),
    "window": N_("Application window"),
    "no_application": N_("No application needed"),
}


def _common(actor: Any) -> dict[str, Any]:
    return {
        "layout": "portal",
        "support_labels": {k: translate(v) for k, v in domain.SUPPORT_TYPES.items()},
        "window_labels": {w.value: translate(label) for w, label in domain.WINDOW_LABELS.items()},
        "my_policies": bool(getattr(actor, "uscc", None)),
    }


def _link(params: dict[str, str], **changes: str) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v}
    merged.pop("page", None)
    return "/policies" + ("?" + urlencode(merged) if merged else "")


def _filters(params: dict[str, str]) -> LibraryFilters:
    return LibraryFilters(
        params["region"],
        optional_int(params["department"]),
        params["industry"],
        params["support_type"],
        params["size"],
        params["window"],
        bool(params["no_application"]),
    )


@router.get("/policies")
def library_search(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: QText = "",
    region: QText = "",
    department: QText = "",
    industry: QText = "",
    support_type: QText = "",
    size: QText = "",
    window: QText = "",
    no_application: QText = "",
    page: PageNumber = 1,
) -> Response:
    use_request_language(request)
    language = current_language.get()
    params = {
        "q": q.strip(),
        "region": region.strip(),
        "department": department.strip(),
        "industry": industry.strip(),
        "support_type": support_type.strip(),
        "size": size.strip(),
        "window": window.strip(),
        "no_application": "1" if no_application.strip() in ("1", "on", "true") else "",
    }
    errors: dict[str, list[str]] = {}
    try:
        result = library.search(db, params["q"], _filters(params), page, PAGE_SIZE, language)
    except ValidationFailed as error:  # show the reasons, and the list without the bad filters
        errors = field_errors(error)
        params = {k: ("" if k in errors else v) for k, v in params.items()}
        result = library.search(db, params["q"], _filters(params), page, PAGE_SIZE, language)
    facets = []
    for name in FACETS:
        values = []
        for facet in result.facets.get(name, []):
            toggled = "" if facet.selected else facet.value
            values.append({"facet": facet, "href": _link(params, **{name: toggled})})
        facets.append({"name": name, "title": translate(FACET_TITLES[name]), "values": values})
    paging = urlencode({k: v for k, v in params.items() if v})
    context = _common(actor) | {
        "result": result,
        "params": params,
        "facets": facets,
        "errors": errors,
        "pager_params": ("&" + paging) if paging else "",
        "clear_href": _link({"q": params["q"]}),
    }
    return render(request, "policy/library/search.html", context, status_code=422 if errors else 200)


@router.get("/policies/{code}")
def library_item(request: Request, db: DB, actor: CurrentActor, code: Code) -> Response:
    use_request_language(request)
    try:
        page = library.item_page(db, code, current_language.get())
    except ItemGone as gone:
        return _gone(request, actor, code, gone)
    return render(request, "policy/library/item.html", _common(actor) | {"page": page})


def _gone(request: Request, actor: Any, code: str, gone: ItemGone) -> Response:
    context = _common(actor) | {
        "code": code,
        "title": gone.params.get("title", code),
        "message": translate(gone.message, **gone.params),
    }
    return render(request, "policy/library/gone.html", context, status_code=410)


@router.get("/policies/{code}/calculator")
def calculator_form(request: Request, db: DB, actor: CurrentActor, code: Code) -> Response:
    use_request_language(request)
    try:
        page, fields = library_calculator.calculator_form(db, code, current_language.get())
    except ItemGone as gone:
        return _gone(request, actor, code, gone)
    context = _common(actor) | {"page": page, "fields": fields, "values": {}, "errors": {}, "result": None}
    return render(request, "policy/library/calculator.html", context)


@router.post("/policies/{code}/calculator")
async def calculate(request: Request, db: DB, actor: CurrentActor, code: Code) -> Response:
    use_request_language(request)
    language = current_language.get()
    form = await request.form()
    try:
        page, fields = library_calculator.calculator_form(db, code, language)
    except ItemGone as gone:
        return _gone(request, actor, code, gone)
    names = {f.name for f in fields}
    values = {k: str(v) for k, v in form.items() if k in names and k != CSRF_FIELD and isinstance(v, str)}
    context = _common(actor) | {
        "page": page,
        "fields": fields,
        "values": values,
        "errors": {},
        "result": None,
    }
    try:
        context["result"] = library_calculator.calculate(db, code, values, language)
    except ValidationFailed as error:
        context["errors"] = field_errors(error)
        context["error"] = translate(error.message, **error.params)
        return render(request, "policy/library/calculator.html", context, status_code=422)
    return render(request, "policy/library/calculator.html", context)
