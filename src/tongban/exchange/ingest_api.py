"""JSON API of ingest: departments' systems push batches of rows and read load reports.

A department's system authenticates with an API token of the provider department holding
``data.ingest``; a steward's browser session works too. A batch is applied as one load:
valid rows become record versions, invalid ones go to quarantine, and the answer is the load
report with every quarantined row's reasons (in the caller's language).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tongban.catalog import resources
from tongban.exchange import loads
from tongban.exchange.models import Load, LoadSource, LoadStatus, QuarantinedRow, QuarantineStatus
from tongban.kernel.i18n import translate
from tongban.web.deps import DB, CurrentActor

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])


class BatchIn(BaseModel):
    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=loads.MAX_BATCH_ROWS,
        description="Rows keyed by the resource's field names; values as text, numbers, booleans or lists.",
        examples=[[{"统一社会信用代码": "91350200MA31KH5N2X", "年度": 2025, "营业收入": "2000万"}]],
    )
    source_name: str = Field(default="", max_length=300, description="Name of the pushing system or batch.")


class ProblemOut(BaseModel):
    field: str = Field(description="Field name; empty for a problem of the whole row.")
    code: str = Field(description="Stable message id (English).")
    message: str = Field(description="The reason, in the caller's language.")
    params: dict[str, Any]


class QuarantinedOut(BaseModel):
    id: int
    row_number: int
    status: QuarantineStatus
    raw: dict[str, Any]
    problems: list[ProblemOut]


class LoadOut(BaseModel):
    id: int
    resource_code: str
    source: LoadSource
    source_name: str
    status: LoadStatus
    rows_read: int
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    rows_quarantined: int
    rows_duplicate: int
    rows_held: int = Field(description="Quarantined rows identical to rows already open in quarantine.")
    columns_unknown: list[str]
    columns_missing: list[str]
    started_at: datetime
    finished_at: datetime | None
    error: str


class LoadReport(LoadOut):
    quarantined: list[QuarantinedOut] = Field(
        description="Rows of this load held back, with reasons (first 200)."
    )


class QuarantinePage(BaseModel):
    items: list[QuarantinedOut]
    total: int
    page: int
    page_size: int


def problems_out(problems: list[dict[str, Any]]) -> list[ProblemOut]:
    return [
        ProblemOut(
            field=p.get("field", ""),
            code=p.get("message", ""),
            message=translate(p.get("message", ""), **(p.get("params") or {})),
            params=p.get("params") or {},
        )
        for p in problems
    ]


def quarantined_out(row: QuarantinedRow) -> QuarantinedOut:
    return QuarantinedOut(
        id=row.id,
        row_number=row.row_number,
        status=row.status,
        raw=row.raw,
        problems=problems_out(row.problems),
    )


def load_out(load: Load, resource_code: str) -> dict[str, Any]:
    return {
        "id": load.id,
        "resource_code": resource_code,
        "source": load.source,
        "source_name": load.source_name,
        "status": load.status,
        "rows_read": load.rows_read,
        "rows_new": load.rows_new,
        "rows_changed": load.rows_changed,
        "rows_unchanged": load.rows_unchanged,
        "rows_quarantined": load.rows_quarantined,
        "rows_duplicate": load.rows_duplicate,
        "rows_held": load.rows_held,
        "columns_unknown": load.columns_unknown,
        "columns_missing": load.columns_missing,
        "started_at": load.started_at,
        "finished_at": load.finished_at,
        "error": load.error,
    }


@router.post(
    "/{resource_code}/batches",
    response_model=LoadReport,
    status_code=201,
    summary="Push a batch of rows into a resource of your department",
)
def push_batch(resource_code: str, body: BatchIn, db: DB, actor: CurrentActor) -> LoadReport:
    load = loads.load_rows(db, actor, resource_code, body.rows, source_name=body.source_name)
    held = loads.list_quarantine(db, actor, load_id=load.id, status=None, page_size=200)
    return LoadReport(**load_out(load, resource_code), quarantined=[quarantined_out(r) for r in held.items])


@router.get("/loads/{load_id}", response_model=LoadOut, summary="A load report")
def get_load(load_id: int, db: DB, actor: CurrentActor) -> LoadOut:
    load = loads.get_load(db, actor, load_id)
    return LoadOut(**load_out(load, resources.lookup(db, load.resource_id).code))


@router.get("/loads/{load_id}/quarantine", response_model=QuarantinePage, summary="Rows a load held back")
def load_quarantine(
    load_id: int,
    db: DB,
    actor: CurrentActor,
    status: QuarantineStatus | None = None,
    page: int = Query(default=1, ge=1),
    page_size: int = Query(default=50, ge=1, le=200),
) -> QuarantinePage:
    loads.get_load(db, actor, load_id)
    result = loads.list_quarantine(db, actor, load_id=load_id, status=status, page=page, page_size=page_size)
    return QuarantinePage(
        items=[quarantined_out(r) for r in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )
