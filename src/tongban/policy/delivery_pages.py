"""Workbench pages of delivery: the funnel per item (matched → notified → opened → viewed → applied),
as a chart with the numbers, per version, and as an Excel file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tongban.kernel.errors import N_
from tongban.kernel.i18n import translate
from tongban.policy import delivery
from tongban.policy.domain import VERSION_LABELS, VersionState
from tongban.web.deps import DB, CurrentActor, Id
from tongban.web.excel import xlsx_response
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)

STEP_LABELS: dict[str, str] = {
    "matched": N_("Matched"),
    "notified": N_("Notified"),
    "opened": N_("Opened"),
    "viewed": N_("Viewed"),
    "applied": N_("Applied"),
}


def _bars(counts: dict[str, int]) -> list[dict[str, Any]]:
    """One bar per step, with its share of the matched enterprises (0–100)."""
    base = counts.get("matched", 0)
    return [
        {
            "step": step,
            "label": translate(STEP_LABELS[step]),
            "count": counts.get(step, 0),
            "share": round(100 * counts.get(step, 0) / base, 1) if base else 0.0,
        }
        for step in delivery.STEPS
    ]


@router.get("/workbench/policies/items/{item_id}/funnel")
def funnel_page(request: Request, db: DB, actor: CurrentActor, item_id: Id) -> Response:
    found = delivery.funnel(db, actor, item_id)
    shown = found.live or (found.versions[0] if found.versions else None)
    return render(
        request,
        "policy/delivery/funnel.html",
        {
            "layout": "workbench",
            "funnel": found,
            "shown": shown,
            "bars": _bars(shown.counts) if shown else [],
            "steps": [(step, translate(STEP_LABELS[step])) for step in delivery.STEPS],
            "version_labels": {state.value: translate(VERSION_LABELS[state]) for state in VersionState},
        },
    )


@router.get("/workbench/policies/items/{item_id}/funnel.xlsx")
def funnel_export(db: DB, actor: CurrentActor, item_id: Id) -> Response:
    found = delivery.funnel(db, actor, item_id)
    header = [
        translate(N_("Item")),
        translate(N_("Version")),
        translate(N_("State")),
        *(translate(STEP_LABELS[step]) for step in delivery.STEPS),
        translate(N_("Matched now")),
    ]
    rows = [
        [
            found.code,
            v.number,
            translate(VERSION_LABELS[VersionState(v.state)]),
            *(v.counts.get(step, 0) for step in delivery.STEPS),
            v.current_matches,
        ]
        for v in found.versions
    ]
    return xlsx_response(f"funnel-{found.code}.xlsx", translate(N_("Delivery funnel")), header, rows)
