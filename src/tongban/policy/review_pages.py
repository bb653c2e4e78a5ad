"""Workbench pages of review: the queue, and one version with its content, its conditions in
plain Chinese, the changes against the live version, the preview of who qualifies (counts,
estimated amounts, charts by district and industry) and the approve / return forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.codes import enterprise
from tongban.kernel.i18n import translate
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor
from tongban.policy import page_common, service, workbench
from tongban.policy.domain import VersionState
from tongban.policy.models import ItemVersion
from tongban.profiles.attributes import builtin_registry
from tongban.rules.printer import describe_zh
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.forms import FORM_ERRORS, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)

REVIEW = "policy/workbench/review.html"


@router.get("/workbench/policy-review")
def review_queue(request: Request, db: DB, actor: CurrentActor, page: PageNumber = 1) -> Response:
    result = service.review_queue(db, actor, page)
    items = {v.item_id: service.get_item(db, v.item_id) for v in result.items}
    policies = {i.policy_id: service.get_policy(db, i.policy_id) for i in items.values()}
    return render(
        request,
        "policy/workbench/review_queue.html",
        page_common.common() | {"result": result, "items": items, "policies": policies},
    )


def _show(db: DB, name: str, value: Any) -> str:
    """A field's value as the diff shows it."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "handling_org_id":
        return str(orgs.get(db, value).name)
    if name == "annual_budget_fen":
        return page_common.yuan(value)
    if name == "no_application":
        return translate("Yes") if value else translate("No")
    if name == "support_types":
        labels = page_common.common()["support_labels"]
        return "、".join(labels.get(v, v) for v in value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _preview_view(preview: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored preview with what the page shows: totals and the bars' scale."""
    if preview is None:
        return None
    districts = preview.get("by_district") or []
    sections = preview.get("by_industry") or []
    for rows in (districts, sections):
        for row in rows:
            row["label"] = row.get("name") or row.get("code") or translate("Unknown")
    biggest = max([r["eligible"] + r["likely"] for r in [*districts, *sections]], default=0)
    return preview | {"districts": districts, "sections": sections, "scale": biggest or 1}


def review_context(db: DB, actor: Actor, version_id: int) -> dict[str, Any]:
    version, item, policy = workbench.reviewable(db, actor, version_id)
    live = service.live_version(db, item)
    rule = service.rule_of(version)
    registry = builtin_registry()
    changes = [
        (name, _show(db, name, old), _show(db, name, new))
        for name, old, new in workbench.changed_fields(live, version)
    ]
    return page_common.common() | {
        "version": version,
        "item": item,
        "policy": policy,
        "live": live if live is not None and live.id != version.id else None,
        "description": describe_zh(rule.condition, registry) if rule else "",
        "amount_description": describe_zh(rule.amount, registry) if rule and rule.amount is not None else "",
        "changes": changes,
        "preview": _preview_view(version.preview),
        "in_review": version.state is VersionState.IN_REVIEW,
        "own": version.submitted_by_id == actor.id,
        "handling": orgs.get(db, version.handling_org_id).name if version.handling_org_id else "",
        "size_names": {s.code: s.zh for s in enterprise.sizes()},
        "submitter": _name(db, version),
    }


def _name(db: DB, version: ItemVersion) -> str:
    from tongban.kernel.accounts.models import User

    user = db.get(User, version.submitted_by_id) if version.submitted_by_id else None
    return user.display_name if user else ""


@router.get("/workbench/policy-review/{version_id}")
def review_page(request: Request, db: DB, actor: CurrentActor, version_id: Id) -> Response:
    return render(request, REVIEW, review_context(db, actor, version_id))


@router.post("/workbench/policy-review/{version_id}/approve")
async def review_approve(request: Request, db: DB, actor: CurrentActor, version_id: Id) -> Response:
    form = await request.form()
    note = str(form.get("note", ""))[:2000]
    version = service.approve(db, actor, version_id, note)
    return RedirectResponse(f"/workbench/policy-items/{version.item_id}?approved=1", status_code=303)


@router.post("/workbench/policy-review/{version_id}/reject")
async def review_reject(request: Request, db: DB, actor: CurrentActor, version_id: Id) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))[:4000]
    try:
        version = service.reject(db, actor, version_id, reason)
    except FORM_ERRORS as error:
        db.rollback()
        context = review_context(db, actor, version_id) | {"reason": reason}
        return rerender_with_error(request, REVIEW, context, error)
    return RedirectResponse(f"/workbench/policy-items/{version.item_id}?returned=1", status_code=303)
