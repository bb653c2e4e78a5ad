"""Pages of enterprise profiles: "我的企业画像" in the portal, search and profile in the workbench,
and the snapshot status for administrators."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.errors import N_, PermissionDenied
from tongban.kernel.permissions import Permission, require
from tongban.profiles import service
from tongban.profiles.service import AttributeView, ProfileView, ValueView
from tongban.web.deps import DB, CurrentActor
from tongban.web.forms import FORM_ERRORS, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)

FRESHNESS_LABELS = {
    "fresh": N_("Fresh"),
    "ageing": N_("Ageing"),
    "stale": N_("Stale"),
    "unknown": N_("Unknown"),
}


def _dispute_url(base: str, subject: str, item: AttributeView, value: ValueView) -> str | None:
    """Where the dispute form is, filled in: only for a value a department provided."""
    if value.self_declared or not value.source_resource or value.source_field == "":
        return None
    params: dict[str, Any] = {
        "subject": subject,
        "resource": value.source_resource,
        "field": value.source_field,
        "attribute": item.attribute.key,
    }
    if value.year is not None:
        params["year"] = value.year
    return f"{base}?{urlencode(params)}"


def _context(profile: ProfileView, base: str, layout: str, **extra: Any) -> dict[str, Any]:
    disputes = {
        (item.attribute.key, value.year): _dispute_url(base, profile.subject, item, value)
        for item in profile.attributes
        for value in item.values
    }
    declarable = [i for i in profile.attributes if i.declarable and i.attribute.type.value != "tags"]
    return {
        "layout": layout,
        "profile": profile,
        "disputes": disputes,
        "freshness_labels": FRESHNESS_LABELS,
        "declarable": declarable,
        "values": {"attribute": "", "year": "", "value": ""},
        **extra,
    }


@router.get("/portal/profile")
def my_profile(request: Request, db: DB, actor: CurrentActor) -> Response:
    require(actor, Permission.PORTAL_USE)
    if not actor.uscc:
        raise PermissionDenied(N_("Only an enterprise has a profile."))
    profile = service.get_profile(db, actor, actor.uscc)
    return render(request, "profiles/profile.html", _context(profile, "/portal/corrections/new", "portal"))


@router.post("/portal/profile/declare")
async def declare(request: Request, db: DB, actor: CurrentActor) -> Response:
    form = await request.form()
    values = {
        "attribute": str(form.get("attribute", ""))[:60],
        "year": str(form.get("year", ""))[:4],
        "value": str(form.get("value", ""))[:100],
    }
    try:
        year = int(values["year"]) if values["year"].strip().isdigit() else None
        service.declare_value(db, actor, attribute=values["attribute"], raw=values["value"], year=year)
    except FORM_ERRORS as error:
        db.rollback()
        profile = service.get_profile(db, actor, actor.uscc or "")
        context = _context(profile, "/portal/corrections/new", "portal", values=values)
        return rerender_with_error(request, "profiles/profile.html", context, error)
    return RedirectResponse("/portal/profile#declared", status_code=303)


@router.get("/workbench/profiles")
def search(
    request: Request, db: DB, actor: CurrentActor, q: str | None = Query(default=None, max_length=100)
) -> Response:
    found = service.find_enterprises(db, actor, q or "")
    return render(
        request,
        "profiles/search.html",
        {"layout": "workbench", "q": q or "", "found": found, "manage": actor.has(Permission.PROFILE_MANAGE)},
    )


@router.get("/workbench/profiles/snapshot")
def snapshot_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    builds = service.snapshot_status(db, actor)
    queued = request.query_params.get("queued") == "1"
    return render(
        request, "profiles/snapshot.html", {"layout": "workbench", "builds": builds, "queued": queued}
    )


@router.post("/workbench/profiles/snapshot")
def snapshot_rebuild(db: DB, actor: CurrentActor) -> Response:
    service.request_rebuild(db, actor)
    return RedirectResponse("/workbench/profiles/snapshot?queued=1", status_code=303)


@router.get("/workbench/profiles/{uscc}")
def staff_profile(request: Request, db: DB, actor: CurrentActor, uscc: str) -> Response:
    profile = service.get_profile(db, actor, uscc.strip().upper()[:30], as_staff=True)
    return render(
        request, "profiles/profile.html", _context(profile, "/workbench/corrections/new", "workbench")
    )
