"""JSON API of accounts, the current user and API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from tongban.kernel.accounts import service, tokens
from tongban.kernel.accounts.models import ApiToken, User
from tongban.kernel.codes.validators import mask_ric
from tongban.kernel.errors import NotAuthenticated
from tongban.kernel.permissions import Role
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    org_id: int | None
    uscc: str | None
    enterprise_name: str | None
    is_enterprise_admin: bool
    ric_masked: str | None = Field(default=None, description="Resident ID number with the middle masked.")
    email: str | None
    phone: str | None
    language: str | None
    active: bool
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        out = cls.model_validate(user)
        out.ric_masked = mask_ric(user.ric) if user.ric else None
        return out


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    page: int
    page_size: int


class UserCreate(BaseModel):
    username: str = Field(max_length=50)
    display_name: str = Field(max_length=100)
    password: str = Field(max_length=200, description="Temporary password; the user must change it.")
    role: Role
    org_id: Id | None = None
    uscc: str | None = Field(default=None, max_length=30)
    enterprise_name: str | None = Field(default=None, max_length=200)
    ric: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)


class UserUpdate(BaseModel):
    active: bool


class PasswordReset(BaseModel):
    password: str = Field(max_length=200)


class ProfileUpdate(BaseModel):
    display_name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=10)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class MeOut(BaseModel):
    kind: str
    id: int | None
    label: str
    role: Role | None
    org_id: int | None
    permissions: list[str]
    user: UserOut | None = None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    org_id: int
    permissions: list[str]
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenOut):
    token: str = Field(description="The whole token. It is shown only this once.")


class TokenCreate(BaseModel):
    org_id: Id
    name: str = Field(max_length=100)
    permissions: list[str]
    days: int = Field(default=365, ge=1, le=730)


class TokenPage(BaseModel):
    items: list[TokenOut]
    total: int
    page: int
    page_size: int


@router.get("/me", response_model=MeOut, tags=["me"], summary="Who am I")
def me(db: DB, actor: CurrentActor) -> MeOut:
    if not actor.is_authenticated:
        raise NotAuthenticated()
    user = service.get_user(db, actor.id) if actor.kind == "user" and actor.id else None
    return MeOut(
        kind=actor.kind,
        id=actor.id,
        label=actor.label,
        role=actor.role,
        org_id=actor.org_id,
        permissions=sorted(actor.permissions),
        user=UserOut.of(user) if user else None,
    )


@router.patch("/me", response_model=UserOut, tags=["me"], summary="Update my profile")
def update_me(body: ProfileUpdate, db: DB, actor: CurrentActor) -> UserOut:
    user = service.update_profile(
        db, actor, display_name=body.display_name, email=body.email, phone=body.phone, language=body.language
    )
    return UserOut.of(user)


@router.post("/me/password", status_code=204, tags=["me"], summary="Change my password")
def change_my_password(request: Request, body: PasswordChange, db: DB, actor: CurrentActor) -> None:
    """Every other session ends; the one making the call stays logged in."""
    service.change_password(
        db,
        actor,
        current=body.current_password,
        new=body.new_password,
        keep_session=getattr(request.state, "session_token", None),
    )


@router.get("/users", response_model=UserPage, tags=["users"], summary="List accounts I may see")
def list_users(
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=100),
    role: Role | None = None,
    org_id: Id | None = None,
    active: bool | None = None,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> UserPage:
    result = service.list_users(
        db, actor, query=q, role=role, org_id=org_id, active=active, page=page, page_size=page_size
    )
    return UserPage(
        items=[UserOut.of(u) for u in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"], summary="Create an account")
def create_user(body: UserCreate, db: DB, actor: CurrentActor) -> UserOut:
    user = service.create_user(db, actor, **body.model_dump())
    return UserOut.of(user)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"], summary="One account")
def get_user(user_id: Id, db: DB, actor: CurrentActor) -> UserOut:
    return UserOut.of(service.get_visible_user(db, actor, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"], summary="Deactivate or reactivate")
def update_user(user_id: Id, body: UserUpdate, db: DB, actor: CurrentActor) -> UserOut:
    return UserOut.of(service.set_user_active(db, actor, user_id, body.active))


@router.post(
    "/users/{user_id}/password", response_model=UserOut, tags=["users"], summary="Set a temporary password"
)
def reset_password(user_id: Id, body: PasswordReset, db: DB, actor: CurrentActor) -> UserOut:
    return UserOut.of(service.reset_password(db, actor, user_id, body.password))


@router.post(
    "/users/{user_id}/enterprise-admin",
    response_model=UserOut,
    tags=["users"],
    summary="Hand the enterprise administrator role to a colleague",
)
def transfer_admin(user_id: Id, db: DB, actor: CurrentActor) -> UserOut:
    return UserOut.of(service.transfer_enterprise_admin(db, actor, user_id))


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut.model_validate(token)


@router.get("/tokens", response_model=TokenPage, tags=["tokens"], summary="List API tokens")
def list_tokens(
    db: DB,
    actor: CurrentActor,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> TokenPage:
    result = tokens.list_tokens(db, actor, page=page, page_size=page_size)
    return TokenPage(
        items=[_token_out(t) for t in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post(
    "/tokens",
    response_model=TokenIssued,
    status_code=201,
    tags=["tokens"],
    summary="Issue an API token (shown once)",
)
def create_token(body: TokenCreate, db: DB, actor: CurrentActor) -> TokenIssued:
    issued = tokens.create_token(
        db, actor, org_id=body.org_id, name=body.name, permissions=body.permissions, days=body.days
    )
    return TokenIssued(**_token_out(issued.token).model_dump(), token=issued.secret)


@router.post(
    "/tokens/{token_id}/revoke",
    response_model=TokenOut,
    tags=["tokens"],
    summary="Revoke an API token at once",
)
def revoke_token(token_id: Id, db: DB, actor: CurrentActor) -> TokenOut:
    return _token_out(tokens.revoke_token(db, actor, token_id))
