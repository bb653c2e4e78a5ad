"""JSON API of corrections (数据纠错 / 异议) for integrators: file (without attachment), list, decide."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tongban.governance import corrections
from tongban.governance.correction_models import Correction
from tongban.governance.corrections_domain import Status
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/corrections", tags=["governance"])


class CorrectionIn(BaseModel):
    subject: str = Field(max_length=30, description="USCC or resident ID the value is about.")
    resource: str = Field(max_length=60, description="Resource code.")
    field: str = Field(max_length=100, description="Field name in the resource.")
    proposed_value: str = Field(max_length=500, description="The value the disputant says is right.")
    explanation: str = Field(max_length=2000, description="Why the recorded value is wrong.")
    record: str | None = Field(default=None, max_length=200, description="Record key, when several.")
    attribute: str = Field(default="", max_length=100, description="Profile attribute it started from.")


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class CorrectionOut(BaseModel):
    id: int
    status: str
    overdue: bool
    subject: str
    resource: str
    record: str
    field: str
    element: str
    disputed_value: Any
    proposed_value: str
    explanation: str
    attachment_name: str
    deadline: date
    created_at: datetime
    decided_by: str
    decided_at: datetime | None
    reason: str
    load_id: int | None

    @classmethod
    def of(cls, ticket: Correction) -> CorrectionOut:
        return cls(
            id=ticket.id,
            status=ticket.status.value,
            overdue=corrections.is_overdue(ticket),
            subject=ticket.subject,
            resource=ticket.resource_code,
            record=ticket.record_key,
            field=ticket.field,
            element=ticket.element_key,
            disputed_value=json.loads(ticket.disputed_value),
            proposed_value=ticket.proposed_value,
            explanation=ticket.explanation,
            attachment_name=ticket.attachment_name,
            deadline=ticket.deadline,
            created_at=ticket.created_at,
            decided_by=ticket.decided_by,
            decided_at=ticket.decided_at,
            reason=ticket.reason,
            load_id=ticket.load_id,
        )


class CorrectionPage(BaseModel):
    items: list[CorrectionOut]
    total: int
    page: int
    pages: int


@router.post(
    "",
    status_code=201,
    response_model=CorrectionOut,
    summary="Dispute a recorded value (纠错)",
    description=(
        "The disputant may dispute data about its own enterprise or person (officers: any subject); "
        "the ticket goes to the owning department's steward with a deadline in working days."
    ),
)
def file_correction(request: Request, db: DB, actor: CurrentActor, body: CorrectionIn) -> Response:
    """Dispute a value (attachments are added through the portal's form)."""
    ticket = corrections.file_correction(
        db,
        actor,
        corrections.Filing(
            subject=body.subject,
            resource_code=body.resource,
            field=body.field,
            proposed_value=body.proposed_value,
            explanation=body.explanation,
            record_key=body.record,
            attribute=body.attribute,
        ),
        storage=request.app.state.settings.data_dir,
    )
    return JSONResponse(CorrectionOut.of(ticket).model_dump(mode="json"), status_code=201)


@router.get(
    "",
    response_model=CorrectionPage,
    summary="Corrections: your own, or your department's to decide",
    description="Paged; overdue tickets are flagged.",
)
def list_corrections(
    db: DB,
    actor: CurrentActor,
    side: Literal["mine", "department"] = "mine",
    status: Status | None = None,
    overdue: bool = False,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> CorrectionPage:
    """The caller's own disputes, or (stewards) those about the department's data."""
    if side == "mine":
        result = corrections.list_mine(db, actor, status=status, page=page, page_size=page_size)
    else:
        filters = corrections.TicketFilter(status=status, overdue_only=overdue)
        result = corrections.list_for_department(db, actor, filters, page=page, page_size=page_size)
    return CorrectionPage(
        items=[CorrectionOut.of(t) for t in result.items],
        total=result.total,
        page=result.page,
        pages=result.pages,
    )


@router.get("/{correction_id}", response_model=CorrectionOut, summary="One correction")
def get_correction(db: DB, actor: CurrentActor, correction_id: Id) -> CorrectionOut:
    return CorrectionOut.of(corrections.get_correction(db, actor, correction_id))


@router.post(
    "/{correction_id}/accept",
    response_model=CorrectionOut,
    summary="Accept: write the value as a new record version",
    description=(
        "The owning department's steward; the new version goes through ingest, appears in the "
        "change feed and updates profiles; the disputant is told."
    ),
)
def accept(db: DB, actor: CurrentActor, correction_id: Id, body: ReasonIn | None = None) -> CorrectionOut:
    """Accept: the proposed value becomes a new version of the record."""
    return CorrectionOut.of(corrections.accept(db, actor, correction_id, body.reason if body else ""))


@router.post(
    "/{correction_id}/reject",
    response_model=CorrectionOut,
    summary="Reject with a reason",
    description="The disputant is told.",
)
def reject(db: DB, actor: CurrentActor, correction_id: Id, body: ReasonIn) -> CorrectionOut:
    return CorrectionOut.of(corrections.reject(db, actor, correction_id, body.reason))


@router.post(
    "/{correction_id}/withdraw",
    response_model=CorrectionOut,
    summary="Withdraw an open correction (the disputant)",
)
def withdraw(db: DB, actor: CurrentActor, correction_id: Id) -> CorrectionOut:
    return CorrectionOut.of(corrections.withdraw(db, actor, correction_id))
