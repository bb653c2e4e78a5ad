"""Shell pages: home, log-in and log-out, language switch, portal and workbench entry pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel import i18n
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.service import LoginPolicy
from tongban.kernel.errors import NotAuthenticated, PermissionDenied
from tongban.kernel.permissions import Actor, Permission, require
from tongban.web.deps import DB, CurrentActor
from tongban.web.security import LANGUAGE_COOKIE, CookieSigner
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths are followed after log-in (no open redirects)."""
    if not target:
        return fallback
    # Browsers read "/\\host" and "/<tab>/host" as "//host": no backslashes or control characters.
    if any(char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def home_for(actor: Actor) -> str:
    if actor.has(Permission.WORKBENCH_USE):
        return "/workbench"
    if actor.has(Permission.PORTAL_USE):
        return "/portal"
    return "/"


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/")
def index(request: Request, actor: CurrentActor) -> Response:
    return render(request, "portal/index.html", {"layout": "portal"})


@router.get("/login")
def login_form(request: Request, actor: CurrentActor, next: str | None = None) -> Response:
    if actor.is_authenticated:
        return see_other(safe_next(next, home_for(actor)))
    return render(request, "auth/login.html", {"next": next or ""})


@router.post("/login")
def login(
    request: Request,
    db: DB,
    actor: CurrentActor,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    settings = request.app.state.settings
    policy = LoginPolicy(
        max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        session_lifetime=timedelta(hours=settings.session_hours),
    )
    outcome = accounts.authenticate(db, username, password, policy, request.state.request_id)
    if outcome.error is not None or outcome.user is None or outcome.session_token is None:
        error = outcome.error
        message = i18n.translate(error.message, **error.params) if error else ""
        return render(
            request,
            "auth/login.html",
            {"next": next, "error": message, "error_code": error.code if error else "", "username": username},
            status_code=error.status if error else 401,
        )
    user_actor = accounts.actor_for_user(db, outcome.user, request.state.request_id)
    target = (
        "/account/password" if outcome.user.must_change_password else safe_next(next, home_for(user_actor))
    )
    response = see_other(target)
    signer: CookieSigner = request.app.state.cookie_signer
    signer.set_session(response, outcome.session_token)
    return response


@router.post("/logout")
def logout(request: Request, db: DB, actor: CurrentActor) -> Response:
    token = getattr(request.state, "session_token", None)
    if token:
        accounts.log_out(db, actor, token)
    response = see_other("/login")
    request.app.state.cookie_signer.clear_session(response)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    language = i18n.normalise_language(code) or "zh-CN"
    response = see_other(safe_next(next, "/"))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


@router.get("/portal")
def portal(request: Request, actor: CurrentActor) -> Response:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    require(actor, Permission.PORTAL_USE)
    return render(request, "portal/home.html", {"layout": "portal"})


@router.get("/workbench")
def workbench(request: Request, actor: CurrentActor) -> Response:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    if not actor.has(Permission.WORKBENCH_USE):
        raise PermissionDenied()
    return render(request, "workbench/home.html", {"layout": "workbench"})
