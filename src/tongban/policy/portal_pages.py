"""Enterprise portal pages "我的政策": matched items, why, what is missing, calendar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from tongban.db import transaction
from tongban.kernel.errors import N_
from tongban.kernel.i18n import current_language
from tongban.notify.service import unread_count
from tongban.policy import domain, portal, portal_explain
from tongban.web.deps import DB, CurrentActor
from tongban.web.templating import render, use_request_language

router = APIRouter(include_in_schema=False)

QText = Annotated[str, Query(max_length=40)]

TAB_LABELS = {
    "all": N_("All"),
    "eligible": N_("Eligible"),
    "likely": N_("Likely eligible"),
    "closing_soon": N_("Closing soon"),
}
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
NEAR_MISSES_SHOWN = 5


def _common() -> dict[str, Any]:
    return {
        "layout": "portal",
        "status_labels": portal.STATUS_LABELS,
        "window_labels": domain.WINDOW_LABELS,
        "support_labels": domain.SUPPORT_TYPES,
        "amount_text": portal.amount_text,
    }


@router.get("/portal/policies")
def my_policies(
    request: Request,
    db: DB,
    actor: CurrentActor,
    sort: QText = "amount",
    tab: QText = "all",
    type: QText = "",
    view: QText = "list",
) -> Response:
    """The list with tabs and sorting (or the calendar), the near misses and the inbox link."""
    use_request_language(request)
    found = portal.my_policies(db, actor, sort, tab, support_type=type)
    calendar = portal.calendar(db, actor, 3) if view == "calendar" else None
    misses = portal_explain.near_misses(db, actor, NEAR_MISSES_SHOWN)
    unread = unread_count(db, actor.id) if actor.id is not None and actor.kind == "user" else 0
    return render(
        request,
        "policy/portal/list.html",
        {
            **_common(),
            "found": found,
            "view": "calendar" if calendar else "list",
            "calendar": calendar,
            "near_misses": misses,
            "unread": unread,
            "tab_labels": TAB_LABELS,
            "weekdays": WEEKDAYS,
        },
    )


@router.get("/portal/policies/{code}")
def my_item(
    request: Request,
    db: DB,
    actor: CurrentActor,
    code: str,
    n: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Why the enterprise qualifies, or what is missing; opening it counts as "viewed"."""
    use_request_language(request)
    found = portal_explain.my_item(db, actor, code[:40], language=current_language.get())
    # The funnel step is written in a short transaction of its own: this request only reads.
    with transaction(request.app.state.session_factory) as writing:
        portal.record_view(
            writing, actor, found.item.code, n, link_key=request.app.state.settings.signing_key
        )
    return render(request, "policy/portal/item.html", {**_common(), "found": found})
