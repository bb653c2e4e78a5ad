"""Workbench page of the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from tongban.kernel.audit import service
from tongban.web.deps import DB, CurrentActor, PageNumber
from tongban.web.templating import render

router = APIRouter(prefix="/workbench/audit", include_in_schema=False)


@router.get("")
def audit_log(
    request: Request,
    db: DB,
    actor: CurrentActor,
    action: str | None = Query(default=None, max_length=80),
    page: PageNumber = 1,
    check: int = 0,
) -> Response:
    result = service.list_events(db, actor, action=action, page=page)
    report = service.verify(db, actor) if check else None
    return render(
        request,
        "audit/events.html",
        {"layout": "workbench", "result": result, "action": action or "", "report": report},
    )
