"""The inbox page: own messages, newest first; open one (marks it read), mark all read."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.errors import NotAuthenticated
from tongban.kernel.permissions import Permission
from tongban.notify import outbox, service
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
def inbox(
    request: Request,
    db: DB,
    actor: CurrentActor,
    unread: str | None = Query(default=None, max_length=5),
    page: PageNumber = 1,
) -> Response:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    unread_only = unread == "1"
    result = service.list_inbox(db, actor, unread_only=unread_only, page=page)
    layout = "workbench" if actor.has(Permission.WORKBENCH_USE) else "portal"
    return render(
        request,
        "notify/inbox.html",
        {"layout": layout, "result": result, "unread_only": unread_only},
    )


@router.post("/inbox/{message_id}/read")
def open_message(request: Request, db: DB, actor: CurrentActor, message_id: Id) -> Response:
    """Mark read and follow the message's link (or come back to the inbox); a message from the
    outbox counts as opened (its link carries the signed outbox reference)."""
    message = service.mark_read(db, actor, message_id)
    outbox.opened_from_link(db, message.link, request.app.state.settings.signing_key)
    return RedirectResponse(message.link or "/inbox", status_code=303)


@router.post("/inbox/read-all")
def read_all(db: DB, actor: CurrentActor) -> Response:
    service.mark_all_read(db, actor)
    return RedirectResponse("/inbox", status_code=303)
