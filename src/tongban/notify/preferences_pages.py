"""Pages where an account chooses how it is told: channels, topics, quiet hours.

The topics offered are the policy support types: the page (the web layer may know every context)
passes them to the service, which stays free of policy imports.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.accounts import service as accounts
from tongban.kernel.errors import NotAuthenticated
from tongban.kernel.permissions import Actor, Permission
from tongban.notify import preferences
from tongban.policy.domain import SUPPORT_TYPES
from tongban.web.deps import DB, CurrentActor
from tongban.web.forms import FORM_ERRORS, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)
TEMPLATE = "notify/preferences.html"


def _signed_in(actor: Actor) -> int:
    if not actor.is_authenticated or actor.kind != "user" or actor.id is None:
        raise NotAuthenticated()
    return actor.id


def _context(db: DB, actor: Actor, values: preferences.Preferences, **extra: Any) -> dict[str, Any]:
    me = accounts.get_user(db, _signed_in(actor))
    return {
        "layout": "workbench" if actor.has(Permission.WORKBENCH_USE) else "portal",
        "values": values,
        "topics": list(SUPPORT_TYPES.items()),
        "has_email": bool(me.email),
        "has_phone": bool(me.phone),
        **extra,
    }


@router.get("/account/notifications")
def show(request: Request, db: DB, actor: CurrentActor, saved: int = 0) -> Response:
    _signed_in(actor)
    current = preferences.get_own(db, actor)
    return render(request, TEMPLATE, _context(db, actor, current, saved=bool(saved)))


@router.post("/account/notifications")
def save(
    request: Request,
    db: DB,
    actor: CurrentActor,
    email: Annotated[str, Form(max_length=5)] = "",
    sms: Annotated[str, Form(max_length=5)] = "",
    topics: Annotated[list[str] | None, Form()] = None,
    quiet_start: Annotated[str, Form(max_length=10)] = "",
    quiet_end: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _signed_in(actor)
    chosen = (topics or [])[: len(SUPPORT_TYPES) + 1]
    try:
        preferences.set_own(
            db,
            actor,
            email=email == "1",
            sms=sms == "1",
            topics=chosen,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            allowed_topics=list(SUPPORT_TYPES),
        )
    except FORM_ERRORS as error:
        db.rollback()
        entered = preferences.Preferences(email == "1", sms == "1", tuple(chosen), quiet_start, quiet_end)
        return rerender_with_error(request, TEMPLATE, _context(db, actor, entered), error)
    return RedirectResponse("/account/notifications?saved=1", status_code=303)
