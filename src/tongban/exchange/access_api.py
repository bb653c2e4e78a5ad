"""JSON API for consumer systems: read and verify shared data under a grant; the access log.

The data routes are ``async``: the database work of a call (token, grant, records) runs in one
hop to the thread pool, then the call's access-log entry goes to the process's group-commit
writer and the route *awaits its commit* before anything is sent — for data and refusals alike.
If the entry cannot be committed the caller gets 503 and no data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tongban.db import make_session_factory
from tongban.exchange import access, usage
from tongban.exchange.access_log import OK, AccessLogUnavailable, AccessLogWriter
from tongban.exchange.disclosure import Question
from tongban.exchange.models import AccessKind, AccessLogEntry
from tongban.kernel.accounts import tokens
from tongban.kernel.accounts.domain import digest as token_digest
from tongban.kernel.accounts.models import ApiToken
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, DomainError, NotAuthenticated
from tongban.kernel.permissions import Actor
from tongban.web.deps import DB, CurrentActor, Id, PageNumber, _actor, bearer_token

router = APIRouter(tags=["data access"])

Scalar = bool | int | Decimal | str
MAX_CURSOR = 2**63 - 1  # record ids are 64-bit


class LogUnavailable(DomainError):
    status = 503
    default_code = "access_log_unavailable"
    default_message = N_("The access log cannot record this request now; no data was sent. Try again.")


def data_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for the data routes: a pool of their own, in autocommit, without pre-ping. A call
    then costs one round trip (or one SQLite statement) per query — no BEGIN, COMMIT or liveness
    ping — and each query reads what is committed, as READ COMMITTED would; the writes they make
    (a token's last use) commit at once. A dropped connection fails one call; the pool is then
    refreshed. The application's sessions are unchanged."""
    if engine.dialect.name == "sqlite":
        own = create_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
        )
    else:
        own = create_engine(
            engine.url, isolation_level="AUTOCOMMIT", pool_size=8, max_overflow=8, pool_recycle=1800
        )
    return make_session_factory(own)


@dataclass(frozen=True)
class _KnownToken:
    actor: Actor
    expires_at: datetime
    generation: int
    checked: float  # monotonic time of the last full check


TOKEN_RECHECK_SECONDS = 60.0  # a full check (and the token's last use) at least once a minute


def _known_org(request: Request) -> int | None:
    """The department of a bearer token this process has checked before (a prediction only)."""
    secret = bearer_token(request)
    if secret is None:
        return None
    known: _KnownToken | None = request.app.state.access_cache.tokens.get(token_digest(secret))
    return known.actor.org_id if known is not None else None


def caller(request: Request, session: Session, generation: int, cache: access.LookupCache) -> Actor:
    """The system behind the bearer token — from the cache while the audit generation is unchanged
    (a revoked token or a deactivated department is an audit event) and the token has not expired;
    otherwise checked in full by the accounts service. Without a token: the logged-in person."""
    secret = bearer_token(request)
    if secret is None:
        return _actor(request, session)
    key = token_digest(secret)
    known: _KnownToken | None = cache.tokens.get(key)
    if (
        known is not None
        and known.generation == generation
        and now() < known.expires_at
        and time.monotonic() - known.checked < TOKEN_RECHECK_SECONDS
    ):
        return replace(known.actor, request_id=request.state.request_id)
    # The full check reads after the generation did (so it finds state at least as new) and may
    # note the token's last use, which the data sessions' autocommit writes at once.
    actor = tokens.actor_for_token(session, secret, request.state.request_id)
    token = session.get(ApiToken, actor.id) if actor is not None else None  # already loaded
    session.commit()
    if actor is None:
        cache.tokens.pop(key, None)
        raise NotAuthenticated(N_("The API token is unknown, expired or revoked."), code="invalid_token")
    if token is not None:
        cache.put(cache.tokens, key, _KnownToken(actor, token.expires_at, generation, time.monotonic()))
    return actor


def writer_of(request: Request) -> AccessLogWriter:
    writer: AccessLogWriter = request.app.state.access_log
    return writer


async def serve(
    request: Request,
    kind: AccessKind,
    work: Callable[[Session, Actor, access.Attempt], dict[str, Any]],
    subject: str | None = None,
    *,
    inline: bool = False,
    prefetch: tuple[str, str] | None = None,
) -> Response:
    """Run ``work`` for the caller, log the outcome durably, then answer. ``prefetch`` (resource
    code, subject) lets a by-subject read fetch its records with the generation."""
    attempt = access.Attempt(
        kind=kind, request_id=request.state.request_id, cache=request.app.state.access_cache
    )
    if subject is not None:
        attempt.subjects = (subject.strip().upper(),)
    factory: sessionmaker[Session] = request.app.state.data_sessions

    def run() -> tuple[dict[str, Any] | None, DomainError | None]:
        with factory() as session:
            try:
                # first: it guards the lookups
                attempt.generation = (
                    access.generation_with_records(session, attempt, _known_org(request), *prefetch)
                    if prefetch is not None
                    else access.generation(session)
                )
                actor = caller(request, session, attempt.generation, request.app.state.access_cache)
                attempt.actor = actor
                body = work(session, actor, attempt)
                session.commit()  # the token's last use
                return body, None
            except DomainError as error:
                session.rollback()
                return None, error

    # A single-subject call's data work (cached token and grant, one indexed query) takes about
    # 0.2 ms: less than a hop to the thread pool and back costs, so it runs on the event loop.
    # The wait for the access log's commit, which is longer, does not block the loop. Pages of
    # records may take longer and go to the thread pool. (docs/sharing-and-access.md)
    body, error = run() if inline else await run_in_threadpool(run)
    try:
        await writer_of(request).write(attempt.draft(error.code if error else OK))
    except AccessLogUnavailable:
        raise LogUnavailable() from None
    if error is not None:
        raise error
    return JSONResponse(body)


def field_list(fields: str | None) -> list[str] | None:
    return [f for f in fields.split(",") if f.strip()] if fields else None


FieldsParam = Query(
    default=None, max_length=2000, description="Comma-separated field names; default all granted."
)


@router.get("/api/v1/data/{resource_code}/subjects/{subject}", summary="Current records of one subject")
async def read_subject(
    request: Request,
    resource_code: str,
    subject: str,
    fields: str | None = FieldsParam,
    grant_id: Id | None = None,
) -> Response:
    return await serve(
        request,
        AccessKind.READ,
        lambda session, actor, attempt: access.read_subject(
            session,
            actor,
            resource_code,
            subject[:40],
            attempt,
            fields=field_list(fields),
            grant_id=grant_id,
        ),
        subject[:40],
        inline=True,
        prefetch=(resource_code, subject[:40]),
    )


async def _serve_page(
    request: Request,
    resource_code: str,
    after: int,
    limit: int,
    fields: str | None,
    grant_id: int | None,
    *,
    changes: bool,
) -> Response:
    """Current records after a cursor, or every version since it (the change feed)."""
    return await serve(
        request,
        AccessKind.CHANGES if changes else AccessKind.BULK,
        lambda session, actor, attempt: access.read_page(
            session,
            actor,
            resource_code,
            attempt,
            after=after,
            limit=limit,
            changes=changes,
            fields=field_list(fields),
            grant_id=grant_id,
        ),
    )


@router.get("/api/v1/data/{resource_code}/records", summary="Current records in pages (cursor-based)")
async def read_records(
    request: Request,
    resource_code: str,
    after: int = Query(default=0, ge=0, le=MAX_CURSOR),
    limit: int = Query(default=100, ge=1, le=access.MAX_PAGE),
    fields: str | None = FieldsParam,
    grant_id: Id | None = None,
) -> Response:
    return await _serve_page(request, resource_code, after, limit, fields, grant_id, changes=False)


@router.get("/api/v1/data/{resource_code}/changes", summary="Record versions since a cursor")
async def read_changes(
    request: Request,
    resource_code: str,
    since: int = Query(default=0, ge=0, le=MAX_CURSOR),
    limit: int = Query(default=100, ge=1, le=access.MAX_PAGE),
    fields: str | None = FieldsParam,
    grant_id: Id | None = None,
) -> Response:
    return await _serve_page(request, resource_code, since, limit, fields, grant_id, changes=True)


class QuestionIn(BaseModel):
    field: str = Field(max_length=100, description="The field asked about.")
    op: Literal[">=", ">", "<=", "<", "=", "!=", "in", "has"]
    value: Scalar | list[Scalar] | None = Field(description="A value, or a list for 'in'.")
    where: dict[str, Scalar] = Field(default_factory=dict, description="Select records: field = value.")
    on: date | None = Field(default=None, description="Only records valid on this date.")
    valid_from: str | None = Field(
        default=None, max_length=100, description="Date field where validity starts."
    )
    valid_to: str | None = Field(default=None, max_length=100, description="Date field where validity ends.")


class VerifyIn(BaseModel):
    subject: str = Field(max_length=40, description="USCC or resident ID the question is about.")
    question: QuestionIn
    grant_id: Id | None = None


class VerifyOut(BaseModel):
    resource: str
    grant_id: int
    subject: str
    answer: Literal["yes", "no", "unknown"]


@router.post(
    "/api/v1/verify/{resource_code}", response_model=VerifyOut, summary="Yes, no or unknown, without the data"
)
async def verify(request: Request, resource_code: str, body: VerifyIn) -> Response:
    return await answer_verification(request, resource_code, body)


async def answer_verification(request: Request, resource_code: str, body: VerifyIn) -> Response:
    """The verification call, shared by the declared route and the short path (access_fast)."""
    question = Question(
        field=body.question.field,
        op=body.question.op,
        value=body.question.value,
        where=body.question.where,
        on=body.question.on,
        valid_from=body.question.valid_from,
        valid_to=body.question.valid_to,
    )
    return await serve(
        request,
        AccessKind.VERIFY,
        lambda session, actor, attempt: access.verify(
            session, actor, resource_code, body.subject, question, attempt, grant_id=body.grant_id
        ),
        body.subject,
        inline=True,
        prefetch=(resource_code, body.subject) if body.question.on is None else None,
    )


# --- the access log ---------------------------------------------------------------------------------


class EntryOut(BaseModel):
    seq: int
    occurred_at: str
    kind: str
    outcome: str
    consumer_org_id: int | None
    actor_label: str
    purpose: str
    grant_id: int | None
    resource_id: int | None
    fields: list[str]
    subject_count: int

    @classmethod
    def of(cls, entry: AccessLogEntry) -> EntryOut:
        return cls(
            seq=entry.seq,
            occurred_at=entry.occurred_at.isoformat(),
            kind=entry.kind.value,
            outcome=entry.outcome,
            consumer_org_id=entry.consumer_org_id,
            actor_label=entry.actor_label,
            purpose=entry.purpose,
            grant_id=entry.grant_id,
            resource_id=entry.resource_id,
            fields=list(entry.fields),
            subject_count=entry.subject_count,
        )


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int
    page: int
    page_size: int


class FlagOut(BaseModel):
    consumer_org_id: int | None
    day: date
    subjects: int
    median: float


@router.get("/api/v1/access-log", response_model=EntryPage, summary="Access-log entries within your remit")
def list_access_log(
    db: DB,
    actor: CurrentActor,
    consumer_org_id: Id | None = None,
    resource_id: Id | None = None,
    purpose: str | None = Query(default=None, max_length=200),
    since: date | None = None,
    until: date | None = None,
    outcome: str | None = Query(default=None, max_length=40),
    page: PageNumber = 1,
    page_size: int = Query(default=50, ge=1, le=200),
) -> EntryPage:
    filters = usage.LogFilter(consumer_org_id, resource_id, purpose, since, until, outcome)
    result = usage.list_entries(db, actor, filters, page=page, page_size=page_size)
    return EntryPage(
        items=[EntryOut.of(e) for e in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get(
    "/api/v1/access-log/unusual",
    response_model=list[FlagOut],
    summary="Consumers reading unusually many subjects",
)
def unusual(db: DB, actor: CurrentActor, day: date | None = None) -> list[FlagOut]:
    return [
        FlagOut(consumer_org_id=f.consumer_org_id, day=f.day, subjects=f.subjects, median=f.median)
        for f in usage.unusual_volume(db, actor, day)
    ]
