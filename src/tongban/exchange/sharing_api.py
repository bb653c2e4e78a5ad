"""JSON API of sharing requests and grants (for consumer systems and integrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from tongban.exchange import sharing
from tongban.exchange.models import Grant, RequestStatus, SharingRequest
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])

Side = Literal["consumer", "provider"]


class RequestIn(BaseModel):
    resource_code: str = Field(max_length=60)
    purpose: str = Field(max_length=2000, description="What the data is for (用途).")
    legal_basis: str = Field(max_length=2000, description="Law, regulation or document allowing it (依据).")
    fields: list[str] = Field(max_length=200, description="Field names asked for.")
    serves: str = Field(default="", max_length=200, description="Service matter or policy it serves.")
    allow_sensitive: bool = Field(default=False, description="Ask for personal fields unmasked.")


class ApproveIn(BaseModel):
    fields: list[str] | None = Field(
        default=None, max_length=200, description="Fewer fields; default all asked."
    )
    expires_at: datetime | None = None
    allow_sensitive: bool = False
    reason: str = Field(default="", max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class GrantOut(BaseModel):
    id: int
    request_id: int
    resource_id: int
    consumer_org_id: int
    fields: list[str]
    allow_sensitive: bool
    purpose: str
    expires_at: datetime | None
    revoked_at: datetime | None
    state: str

    @classmethod
    def of(cls, grant: Grant) -> GrantOut:
        return cls(
            id=grant.id,
            request_id=grant.request_id,
            resource_id=grant.resource_id,
            consumer_org_id=grant.consumer_org_id,
            fields=list(grant.fields),
            allow_sensitive=grant.allow_sensitive,
            purpose=grant.purpose,
            expires_at=grant.expires_at,
            revoked_at=grant.revoked_at,
            state=sharing.grant_state(grant),
        )


class RequestOut(BaseModel):
    id: int
    resource_id: int
    consumer_org_id: int
    requested_by: str
    purpose: str
    legal_basis: str
    serves: str
    fields: list[str]
    allow_sensitive: bool
    status: str
    decided_by: str
    decided_at: datetime | None
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, request: SharingRequest) -> RequestOut:
        return cls(
            id=request.id,
            resource_id=request.resource_id,
            consumer_org_id=request.consumer_org_id,
            requested_by=request.requested_by,
            purpose=request.purpose,
            legal_basis=request.legal_basis,
            serves=request.serves,
            fields=list(request.fields),
            allow_sensitive=request.allow_sensitive,
            status=request.status.value,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            reason=request.reason,
            created_at=request.created_at,
        )


class RequestPage(BaseModel):
    items: list[RequestOut]
    total: int
    page: int
    page_size: int


class GrantPage(BaseModel):
    items: list[GrantOut]
    total: int
    page: int
    page_size: int


@router.post("/requests", response_model=RequestOut, status_code=201, summary="Ask for a resource's fields")
def create_request(db: DB, actor: CurrentActor, body: RequestIn) -> Response:
    request = sharing.request_sharing(
        db,
        actor,
        sharing.RequestInput(
            resource_code=body.resource_code,
            purpose=body.purpose,
            legal_basis=body.legal_basis,
            fields=body.fields,
            serves=body.serves,
            allow_sensitive=body.allow_sensitive,
        ),
    )
    return JSONResponse(RequestOut.of(request).model_dump(mode="json"), status_code=201)


@router.get("/requests", response_model=RequestPage, summary="Requests of your department or to decide")
def list_requests(
    db: DB,
    actor: CurrentActor,
    side: Side = "consumer",
    status: RequestStatus | None = None,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> RequestPage:
    result = sharing.list_requests(db, actor, side=side, status=status, page=page, page_size=page_size)
    return RequestPage(
        items=[RequestOut.of(r) for r in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get("/requests/{request_id}", response_model=RequestOut, summary="One request")
def get_request(db: DB, actor: CurrentActor, request_id: Id) -> RequestOut:
    return RequestOut.of(sharing.get_request(db, actor, request_id))


@router.post("/requests/{request_id}/approve", response_model=GrantOut, summary="Grant a pending request")
def approve(db: DB, actor: CurrentActor, request_id: Id, body: ApproveIn) -> GrantOut:
    decision = sharing.Decision(
        fields=body.fields,
        expires_at=body.expires_at,
        allow_sensitive=body.allow_sensitive,
        reason=body.reason,
    )
    return GrantOut.of(sharing.approve(db, actor, request_id, decision))


@router.post("/requests/{request_id}/reject", response_model=RequestOut, summary="Reject a pending request")
def reject(db: DB, actor: CurrentActor, request_id: Id, body: ReasonIn) -> RequestOut:
    return RequestOut.of(sharing.reject(db, actor, request_id, body.reason))


@router.post(
    "/requests/{request_id}/withdraw", response_model=RequestOut, summary="Withdraw a pending request"
)
def withdraw(db: DB, actor: CurrentActor, request_id: Id) -> RequestOut:
    return RequestOut.of(sharing.withdraw(db, actor, request_id))


@router.get("/grants", response_model=GrantPage, summary="Grants held or given")
def list_grants(
    db: DB,
    actor: CurrentActor,
    side: Side = "consumer",
    active: bool = False,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> GrantPage:
    result = sharing.list_grants(db, actor, side=side, active_only=active, page=page, page_size=page_size)
    return GrantPage(
        items=[GrantOut.of(g) for g in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("/grants/{grant_id}/revoke", response_model=GrantOut, summary="Revoke a grant at once")
def revoke(db: DB, actor: CurrentActor, grant_id: Id, body: ReasonIn | None = None) -> GrantOut:
    return GrantOut.of(sharing.revoke(db, actor, grant_id, body.reason if body else ""))
