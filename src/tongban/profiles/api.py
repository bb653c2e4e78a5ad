"""JSON routes of enterprise profiles: one profile with lineage, the latest snapshot's manifest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from tongban.kernel.errors import N_, NotFound
from tongban.profiles import service
from tongban.web.deps import DB, CurrentActor

router = APIRouter(prefix="/api/v1/profiles", tags=["profiles"])


class ValueOut(BaseModel):
    year: int | None
    value: Any
    source_resource: str
    source_department: str
    source_field: str
    recorded_at: datetime | None
    freshness: str
    conflict: bool
    reason: str
    self_declared: bool


class AttributeOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    type: str
    yearly: bool
    held: bool
    values: list[ValueOut]


class ProfileOut(BaseModel):
    subject: str
    name: str
    updated_at: datetime | None
    attributes: list[AttributeOut]


class SnapshotOut(BaseModel):
    id: int
    built_at: datetime
    path: str
    row_count: int
    column_count: int
    evaluation_date: str
    source_versions: dict[str, Any]
    duration_seconds: float


@router.get("/snapshot/latest", response_model=SnapshotOut, summary="The latest profile snapshot's manifest")
def latest_snapshot(db: DB, actor: CurrentActor) -> SnapshotOut:
    """The manifest of the newest snapshot build."""
    found = service.latest_snapshot(db, actor)
    if found is None:
        raise NotFound(N_("No snapshot has been built yet."), code="snapshot_not_found")
    return SnapshotOut.model_validate(found, from_attributes=True)


@router.get(
    "/{uscc}",
    response_model=ProfileOut,
    summary="An enterprise's profile with lineage",
    description=(
        "Every attribute with value, source department, record time, freshness and conflict reason; "
        "the read is logged as the platform's use of the data."
    ),
)
def profile(uscc: str, db: DB, actor: CurrentActor) -> ProfileOut:
    """An enterprise's profile: every attribute with its values and their lineage."""
    view = service.get_profile(db, actor, uscc.strip().upper()[:30])
    return ProfileOut(
        subject=view.subject,
        name=view.name,
        updated_at=view.updated_at,
        attributes=[
            AttributeOut(
                key=item.attribute.key,
                label_zh=item.attribute.label_zh,
                label_en=item.attribute.label_en,
                type=item.attribute.type.value,
                yearly=item.attribute.yearly,
                held=item.held,
                values=[
                    ValueOut(
                        year=v.year,
                        value=v.value,
                        source_resource=v.source_resource,
                        source_department=v.source_department,
                        source_field=v.source_field,
                        recorded_at=v.recorded_at,
                        freshness=v.freshness,
                        conflict=v.conflict,
                        reason=v.reason,
                        self_declared=v.self_declared,
                    )
                    for v in item.values
                ],
            )
            for item in view.attributes
        ],
    )
