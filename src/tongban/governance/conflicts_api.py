"""JSON API of conflicts between departments and their resolution rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tongban.governance import conflicts
from tongban.governance.conflicts_domain import Candidate, ResolutionKind
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/conflicts", tags=["governance"])


class CandidateOut(BaseModel):
    value: Any
    resource: str
    department: str
    recorded_at: datetime

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateOut:
        return cls(
            value=candidate.value,
            resource=candidate.resource_code,
            department=candidate.department,
            recorded_at=candidate.recorded_at,
        )


class ConflictOut(BaseModel):
    id: int
    element: str
    subject: str
    sources: list[CandidateOut]
    rule: str
    resolved_value: Any
    resolved_from: str | None
    reason: str | None

    @classmethod
    def of(cls, view: conflicts.ConflictView) -> ConflictOut:
        choice = view.choice
        return cls(
            id=view.conflict.id,
            element=view.conflict.element_key,
            subject=view.conflict.subject,
            sources=[CandidateOut.of(c) for c in view.candidates],
            rule=view.rule.kind.value,
            resolved_value=choice.value if choice else None,
            resolved_from=choice.source.resource_code if choice and choice.source else None,
            reason=choice.reason.value if choice else None,
        )


class ConflictPage(BaseModel):
    items: list[ConflictOut]
    total: int
    page: int
    pages: int


class RuleOut(BaseModel):
    element: str
    kind: str
    authoritative_resource: str | None
    default: bool
    resources: list[str]


class RuleIn(BaseModel):
    kind: ResolutionKind
    authoritative_resource: str | None = Field(default=None, max_length=60)
    note: str = Field(default="", max_length=2000)


class DecisionIn(BaseModel):
    side: str = Field(pattern="^[ab]$", description="a or b: which source's value is right.")
    note: str = Field(default="", max_length=2000)


@router.get(
    "",
    response_model=ConflictPage,
    summary="Values departments disagree on",
    description="Both sources, values and ages, with the value used and why.",
)
def list_conflicts(
    db: DB,
    actor: CurrentActor,
    element: str | None = Query(default=None, max_length=60),
    department: int | None = Query(default=None, ge=1, le=2**31 - 1),
    subject: str | None = Query(default=None, max_length=30),
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> ConflictPage:
    """Conflicts involving the caller's departments, with the resolved value and its reason."""
    filters = conflicts.ConflictFilter(element_key=element, org_id=department, subject=subject)
    result = conflicts.list_conflicts(db, actor, filters, page=page, page_size=page_size)
    return ConflictPage(
        items=[ConflictOut.of(v) for v in result.items],
        total=result.total,
        page=result.page,
        pages=result.pages,
    )


@router.get("/rules", response_model=list[RuleOut], summary="Resolution rule of each data element")
def list_rules(db: DB, actor: CurrentActor) -> list[RuleOut]:
    return [
        RuleOut(
            element=r.element_key,
            kind=r.rule.kind.value,
            authoritative_resource=r.rule.authoritative_resource,
            default=r.stored is None,
            resources=r.resources,
        )
        for r in conflicts.list_rules(db, actor)
    ]


@router.put(
    "/rules/{element}",
    response_model=RuleOut,
    summary="Set an element's resolution rule",
    description=(
        "authoritative (a named resource wins), most_recent, or manual (a steward decides; "
        "undecided is unknown)."
    ),
)
def set_rule(db: DB, actor: CurrentActor, element: str, body: RuleIn) -> RuleOut:
    """Set how an element's conflicts are resolved (platform administrators)."""
    row = conflicts.set_rule(db, actor, element[:60], body.kind, body.authoritative_resource, body.note)
    view = next(r for r in conflicts.list_rules(db, actor) if r.element_key == row.element_key)
    return RuleOut(
        element=row.element_key,
        kind=row.kind.value,
        authoritative_resource=row.authoritative_resource,
        default=False,
        resources=view.resources,
    )


@router.post("/{conflict_id}/decide", response_model=ConflictOut, summary="Decide a conflict manually")
def decide(db: DB, actor: CurrentActor, conflict_id: Id, body: DecisionIn) -> ConflictOut:
    """Decide which source's value is right for this subject (platform administrators)."""
    conflicts.decide(db, actor, conflict_id, body.side, body.note)
    return ConflictOut.of(conflicts.get_conflict(db, actor, conflict_id))
