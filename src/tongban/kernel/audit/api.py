"""JSON API of the audit chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from tongban.kernel.audit import service
from tongban.kernel.audit.models import AuditEvent
from tongban.web.deps import DB, CurrentActor, PageNumber

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class EventOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_label: str
    org_id: int | None
    action: str
    object_type: str
    object_id: str
    summary: dict[str, Any]
    request_id: str | None
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> EventOut:
        import json

        return cls(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_kind=event.actor_kind,
            actor_label=event.actor_label,
            org_id=event.org_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            summary=json.loads(event.summary),
            request_id=event.request_id,
            hash=event.hash,
        )


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    page: int
    page_size: int


class ChainStatus(BaseModel):
    intact: bool
    checked: int
    problem_seq: int | None = None
    problem_kind: str | None = None
    problem_detail: str | None = None


@router.get("/events", response_model=EventPage, summary="Audit events, newest first")
def list_events(
    db: DB,
    actor: CurrentActor,
    action: str | None = Query(default=None, max_length=80),
    object_type: str | None = Query(default=None, max_length=50),
    since: AwareDatetime | None = None,
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> EventPage:
    result = service.list_events(
        db, actor, action=action, object_type=object_type, since=since, page=page, page_size=page_size
    )
    return EventPage(
        items=[EventOut.of(e) for e in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get("/verify", response_model=ChainStatus, summary="Recompute the whole chain")
def verify(db: DB, actor: CurrentActor) -> ChainStatus:
    report = service.verify(db, actor)
    problem = report.problem
    return ChainStatus(
        intact=report.intact,
        checked=report.checked,
        problem_seq=problem.seq if problem else None,
        problem_kind=problem.kind if problem else None,
        problem_detail=problem.detail if problem else None,
    )
