"""JSON routes of matching: match runs, starting one (/api/v1/policy/matching)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from tongban.policy import matching
from tongban.policy.models import MatchRun
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/policy/matching", tags=["policy matching"])


class RunOut(BaseModel):
    id: int
    trigger: str = Field(description="publish, edit, nightly, profile or manual.")
    item_ids: list[int] | None = Field(description="Items matched; null: every live item.")
    state: str = Field(description="running, done or failed.")
    evaluation_date: date
    snapshot_id: int | None
    enterprises: int = Field(description="Enterprises evaluated.")
    matches: int = Field(description="Eligible and likely pairs stored.")
    items_done: list[int] = Field(description="Items whose matches are stored.")
    engine_seconds: float = Field(description="Time spent in the rules engine.")
    started_at: datetime
    finished_at: datetime | None
    error: str = Field(description="Why it failed (no personal data).")

    @classmethod
    def of(cls, run: MatchRun) -> RunOut:
        return cls(
            id=run.id,
            trigger=run.trigger,
            item_ids=run.item_ids,
            state=run.state,
            evaluation_date=run.evaluation_date,
            snapshot_id=run.snapshot_id,
            enterprises=run.enterprises or 0,
            matches=run.matches or 0,
            items_done=list(run.items_done or []),
            engine_seconds=run.engine_seconds or 0.0,
            started_at=run.started_at,
            finished_at=run.finished_at,
            error=run.error or "",
        )


class RunPage(BaseModel):
    items: list[RunOut]
    total: int
    page: int
    pages: int


class RunIn(BaseModel):
    item: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Code of a published item (ZC-2026-0001); omitted: every live item.",
    )


@router.get(
    "/runs",
    response_model=RunPage,
    summary="Match runs (匹配批次)",
    description=(
        "Runs of matching every enterprise of the latest profile snapshot against live items, "
        "newest first: trigger, progress (items done), matches stored, engine time, state."
    ),
)
def list_runs(db: DB, actor: CurrentActor, page: PageNumber = 1) -> RunPage:
    found = matching.list_runs(db, actor, page)
    return RunPage(
        items=[RunOut.of(r) for r in found.items], total=found.total, page=found.page, pages=found.pages
    )


@router.post(
    "/runs",
    status_code=202,
    response_model=RunOut,
    summary="Start a match run for one item or all",
    description=(
        "Records a run and queues it: the job queue matches every enterprise against the item "
        "(or every live item) and stores the results item by item. Poll GET /runs for progress. "
        "Requires the review permission in the item's department."
    ),
)
def start_run(db: DB, actor: CurrentActor, body: RunIn) -> Response:
    run = matching.start_run(db, actor, body.item)
    db.flush()
    return JSONResponse(RunOut.of(run).model_dump(mode="json"), status_code=202)


@router.get(
    "/runs/{run_id}",
    response_model=RunOut,
    summary="One match run",
    description="Its progress and figures.",
)
def get_run(db: DB, actor: CurrentActor, run_id: Id) -> RunOut:
    return RunOut.of(matching.get_run(db, actor, run_id))
