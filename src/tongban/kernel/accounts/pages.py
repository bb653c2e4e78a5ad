"""Pages for one's own account, account administration, enterprise colleagues and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tongban.kernel.accounts import service, tokens
from tongban.kernel.errors import N_, FieldProblem, NotAuthenticated, ValidationFailed
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import TOKEN_PERMISSIONS, Actor, Permission, Role, require
from tongban.web.deps import DB, CurrentActor, Id, PageNumber
from tongban.web.forms import FORM_ERRORS, optional_int, rerender_with_error
from tongban.web.templating import render

router = APIRouter(include_in_schema=False)


def _layout(actor: Actor) -> str:
    return "workbench" if actor.has(Permission.WORKBENCH_USE) else "portal"


def _signed_in(actor: Actor) -> None:
    if not actor.is_authenticated or actor.kind != "user":
        raise NotAuthenticated()


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- my account -------------------------------------------------------------------------


@router.get("/account")
def account(request: Request, db: DB, actor: CurrentActor, saved: int = 0) -> Response:
    _signed_in(actor)
    user = service.get_user(db, actor.id or 0)
    return render(
        request, "accounts/account.html", {"layout": _layout(actor), "me": user, "saved": bool(saved)}
    )


@router.post("/account")
def account_update(
    request: Request,
    db: DB,
    actor: CurrentActor,
    display_name: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _signed_in(actor)
    try:
        service.update_profile(
            db, actor, display_name=display_name, email=email, phone=phone, language=language
        )
    except FORM_ERRORS as error:
        db.rollback()
        user = service.get_user(db, actor.id or 0)
        return rerender_with_error(
            request, "accounts/account.html", {"layout": _layout(actor), "me": user}, error
        )
    return _see_other("/account?saved=1")


@router.get("/account/password")
def password_form(request: Request, actor: CurrentActor) -> Response:
    _signed_in(actor)
    return render(request, "accounts/password.html", {"layout": _layout(actor)})


@router.post("/account/password")
def password_change(
    request: Request,
    db: DB,
    actor: CurrentActor,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _signed_in(actor)
    context: dict[str, Any] = {"layout": _layout(actor)}
    try:
        if new_password != confirm_password:
            raise ValidationFailed(
                fields=[FieldProblem("confirm_password", N_("The two new passwords differ."))]
            )
        service.change_password(
            db, actor, current=current_password, new=new_password, keep_session=request.state.session_token
        )
    except FORM_ERRORS as error:
        db.rollback()
        return rerender_with_error(request, "accounts/password.html", context, error)
    return _see_other("/account?saved=1")


# --- account administration (staff) -----------------------------------------------------


@router.get("/workbench/users")
def user_list(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    role: str | None = None,
    org_id: str | None = None,
    page: PageNumber = 1,
) -> Response:
    require(actor, Permission.USER_READ)
    role_filter = Role(role) if role in {r.value for r in Role} else None
    result = service.list_users(db, actor, query=q, role=role_filter, org_id=optional_int(org_id), page=page)
    return render(
        request,
        "accounts/users.html",
        {
            "layout": "workbench",
            "result": result,
            "q": q or "",
            "role": role or "",
            "org_id": org_id or "",
            "can_manage": actor.has(Permission.USER_MANAGE),
        },
    )


def _user_form_context(db: DB, actor: Actor, values: dict[str, str]) -> dict[str, Any]:
    organisations = orgs.list_orgs(db, actor, include_inactive=False, page_size=200).items
    in_scope = [o for o in organisations if actor.can_act_for(o.path)]
    return {"layout": "workbench", "organisations": in_scope, "values": values, "roles": list(Role)}


_USER_FIELDS = (
    "username",
    "display_name",
    "password",
    "role",
    "org_id",
    "uscc",
    "enterprise_name",
    "ric",
    "email",
    "phone",
)


@router.get("/workbench/users/new")
def user_new(request: Request, db: DB, actor: CurrentActor) -> Response:
    require(actor, Permission.USER_MANAGE)
    values = dict.fromkeys(_USER_FIELDS, "")
    values["role"] = Role.OFFICER.value
    return render(request, "accounts/user_form.html", _user_form_context(db, actor, values))


@router.post("/workbench/users/new")
async def user_create(request: Request, db: DB, actor: CurrentActor) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:200] for name in _USER_FIELDS}
    try:
        role = Role(values["role"]) if values["role"] in {r.value for r in Role} else None
        if role is None:
            raise ValidationFailed(fields=[FieldProblem("role", N_("Choose one of the allowed values."))])
        user = service.create_user(
            db,
            actor,
            username=values["username"],
            display_name=values["display_name"],
            password=values["password"],
            role=role,
            org_id=optional_int(values["org_id"]),
            uscc=values["uscc"] or None,
            enterprise_name=values["enterprise_name"] or None,
            ric=values["ric"] or None,
            email=values["email"] or None,
            phone=values["phone"] or None,
        )
    except FORM_ERRORS as error:
        db.rollback()
        values["password"] = ""
        return rerender_with_error(
            request, "accounts/user_form.html", _user_form_context(db, actor, values), error
        )
    return _see_other(f"/workbench/users/{user.id}?saved=1")


@router.get("/workbench/users/{user_id}")
def user_detail(request: Request, db: DB, actor: CurrentActor, user_id: Id, saved: int = 0) -> Response:
    require(actor, Permission.USER_READ)
    user = service.get_visible_user(db, actor, user_id)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "layout": "workbench",
            "subject": user,
            "saved": bool(saved),
            "can_manage": actor.has(Permission.USER_MANAGE),
        },
    )


@router.post("/workbench/users/{user_id}/active")
def user_set_active(
    request: Request,
    db: DB,
    actor: CurrentActor,
    user_id: Id,
    active: Annotated[str, Form(max_length=5)] = "0",
) -> Response:
    require(actor, Permission.WORKBENCH_USE)
    try:
        service.set_user_active(db, actor, user_id, active == "1")
    except FORM_ERRORS as error:
        db.rollback()
        user = service.get_visible_user(db, actor, user_id)
        return rerender_with_error(
            request,
            "accounts/user_detail.html",
            {"layout": "workbench", "subject": user, "can_manage": True},
            error,
        )
    return _see_other(f"/workbench/users/{user_id}?saved=1")


@router.post("/workbench/users/{user_id}/password")
def user_reset_password(
    request: Request,
    db: DB,
    actor: CurrentActor,
    user_id: Id,
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require(actor, Permission.WORKBENCH_USE)
    try:
        service.reset_password(db, actor, user_id, password)
    except FORM_ERRORS as error:
        db.rollback()
        user = service.get_visible_user(db, actor, user_id)
        return rerender_with_error(
            request,
            "accounts/user_detail.html",
            {"layout": "workbench", "subject": user, "can_manage": True},
            error,
        )
    return _see_other(f"/workbench/users/{user_id}?saved=1")


# --- enterprise colleagues (portal) -------------------------------------------------------


@router.get("/portal/colleagues")
def colleagues(request: Request, db: DB, actor: CurrentActor, saved: int = 0) -> Response:
    require(actor, Permission.ENTERPRISE_USERS_MANAGE)
    result = service.list_users(db, actor, page_size=200)
    return render(
        request,
        "accounts/colleagues.html",
        {"layout": "portal", "result": result, "values": {}, "saved": bool(saved)},
    )


@router.post("/portal/colleagues")
def colleague_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    username: Annotated[str, Form(max_length=50)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    require(actor, Permission.ENTERPRISE_USERS_MANAGE)
    me = service.get_user(db, actor.id or 0)
    try:
        service.create_user(
            db,
            actor,
            username=username,
            display_name=display_name,
            password=password,
            role=Role.ENTERPRISE,
            uscc=me.uscc,
            enterprise_name=me.enterprise_name,
            phone=phone or None,
        )
    except FORM_ERRORS as error:
        db.rollback()
        result = service.list_users(db, actor, page_size=200)
        values = {"username": username, "display_name": display_name, "phone": phone}
        return rerender_with_error(
            request,
            "accounts/colleagues.html",
            {"layout": "portal", "result": result, "values": values},
            error,
        )
    return _see_other("/portal/colleagues?saved=1")


# --- API tokens -------------------------------------------------------------------------


def _token_context(db: DB, actor: Actor, page: int, values: dict[str, Any]) -> dict[str, Any]:
    departments = [
        o
        for o in orgs.list_orgs(db, actor, include_inactive=False, page_size=200).items
        if o.kind.value == "department" and actor.can_act_for(o.path)
    ]
    return {
        "layout": "workbench",
        "result": tokens.list_tokens(db, actor, page=page),
        "departments": departments,
        "token_permissions": sorted(p.value for p in TOKEN_PERMISSIONS),
        "values": values,
    }


@router.get("/workbench/tokens")
def token_list(request: Request, db: DB, actor: CurrentActor, page: PageNumber = 1) -> Response:
    require(actor, Permission.TOKEN_MANAGE)
    return render(request, "accounts/tokens.html", _token_context(db, actor, page, {"days": "365"}))


@router.post("/workbench/tokens")
async def token_create(request: Request, db: DB, actor: CurrentActor) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "name": str(form.get("name", ""))[:100],
        "org_id": str(form.get("org_id", "")),
        "days": str(form.get("days", "365")),
        "permissions": [str(p) for p in form.getlist("permissions")],
    }
    try:
        issued = tokens.create_token(
            db,
            actor,
            org_id=optional_int(values["org_id"]) or 0,
            name=values["name"],
            permissions=values["permissions"],
            days=optional_int(values["days"]) or 0,
        )
    except FORM_ERRORS as error:
        db.rollback()
        return rerender_with_error(
            request, "accounts/tokens.html", _token_context(db, actor, 1, values), error
        )
    response = render(request, "accounts/token_issued.html", {"layout": "workbench", "issued": issued})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/workbench/tokens/{token_id}/revoke")
def token_revoke(request: Request, db: DB, actor: CurrentActor, token_id: Id) -> Response:
    try:
        tokens.revoke_token(db, actor, token_id)
    except FORM_ERRORS as error:
        db.rollback()
        return rerender_with_error(
            request, "accounts/tokens.html", _token_context(db, actor, 1, {"days": "365"}), error
        )
    return _see_other("/workbench/tokens")
