"""The access log: every access to shared data and every refusal, in a hash chain of its own.

Entries are appended by a *group-commit writer*: a request hands its entry to the writer of its
process and awaits the commit; the writer takes whatever has queued up meanwhile and appends it
in one short transaction (claim seqs on the head row, insert, advance the head, commit), then
wakes every waiting request. No data leaves before its entry is committed; if the commit fails,
the requests fail with it. Several processes append to the same chain: the head row serialises
their batches.

An entry is hashed with the audit chain's own rules (``kernel.audit.domain``): it is mapped onto
``EventFields`` (action ``access.<kind>``, object the resource, a canonical summary holding the
purpose, grant, field names, outcome and a digest of the subjects), so ``verify_chain`` checks
both chains the same way. Deleting or changing a subject row breaks its entry's hash.

Nothing here depends on an outside time-stamping service: the chain keeps working alone.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, update
from sqlalchemy.orm import Session

from tongban.db import WRITE_OPTION, make_engine
from tongban.exchange.models import AccessKind, AccessLogEntry, AccessLogHead, AccessLogSubject
from tongban.kernel.audit.domain import (
    ChainReport,
    EventFields,
    canonical_json,
    chained_hash,
    hash_body,
    verify_chain,
)
from tongban.kernel.audit.models import GENESIS_HASH
from tongban.kernel.clock import now
from tongban.kernel.permissions import Actor, Permission, require

log = logging.getLogger("tongban.access_log")

OK = "ok"
SUBJECT_LENGTH = 30
MAX_BATCH = 1000
VERIFY_CHUNK = 2000


@dataclass(frozen=True)
class AccessDraft:
    """One entry before it is in the chain: who, under which grant, what, about whom, outcome."""

    kind: AccessKind
    outcome: str  # "ok" or the refusal code
    actor_kind: str
    actor_label: str
    consumer_org_id: int | None = None
    token_id: int | None = None
    purpose: str = ""
    grant_id: int | None = None
    resource_id: int | None = None
    provider_org_id: int | None = None
    fields: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    subject_count: int | None = None  # defaults to the number of distinct subjects
    request_id: str = ""
    occurred_at: datetime = field(default_factory=now)


def subjects_digest(subjects: Iterable[str]) -> str:
    """SHA-256 of the distinct subjects, sorted: what the chain holds of an entry's subjects."""
    return hashlib.sha256("\n".join(sorted(set(subjects))).encode("utf-8")).hexdigest()


def chain_fields(
    *,
    seq: int,
    occurred_at: datetime,
    actor_kind: str,
    token_id: int | None,
    actor_label: str,
    consumer_org_id: int | None,
    kind: str,
    resource_id: int | None,
    provider_org_id: int | None,
    purpose: str,
    grant_id: int | None,
    fields: Sequence[str],
    subject_count: int,
    subjects: Iterable[str],
    outcome: str,
    request_id: str,
    prev_hash: str,
) -> EventFields:
    """An access entry in the audit chain's hashed form."""
    summary = {
        "purpose": purpose,
        "grant_id": grant_id,
        "provider_org_id": provider_org_id,
        "fields": list(fields),
        "subject_count": subject_count,
        "subjects_sha256": subjects_digest(subjects),
        "outcome": outcome,
    }
    return EventFields(
        seq=seq,
        occurred_at=occurred_at,
        actor_kind=actor_kind,
        actor_id=token_id,
        actor_label=actor_label,
        org_id=consumer_org_id,
        action=f"access.{kind}",
        object_type="resource",
        object_id="" if resource_id is None else str(resource_id),
        summary=canonical_json(summary),
        request_id=request_id,
        prev_hash=prev_hash,
    )


@dataclass(frozen=True)
class _Prepared:
    """An entry ready to be chained: its row without seq and hashes, its subjects, and the part
    of its hashed material that does not depend on its place in the chain."""

    values: dict[str, Any]
    subjects: list[str]
    body: str


def _clean(value: str, limit: int | None = None) -> str:
    """No NUL characters (PostgreSQL refuses them) and no more than the column holds: an entry
    must never fail to be written because of what a caller typed."""
    cleaned = value.replace("\x00", "")
    return cleaned[:limit] if limit else cleaned


def _prepare(draft: AccessDraft) -> _Prepared:
    """Everything about an entry that can be done before taking the chain's lock."""
    if draft.occurred_at.tzinfo is None:  # as the UTC column type refuses it on every path
        raise ValueError("naive datetime given to an access log entry")
    subjects = sorted({_clean(s, SUBJECT_LENGTH) for s in draft.subjects} - {""})
    count = draft.subject_count if draft.subject_count is not None else len(subjects)
    values: dict[str, Any] = {
        "occurred_at": draft.occurred_at,
        "actor_kind": draft.actor_kind,
        "token_id": draft.token_id,
        "actor_label": _clean(draft.actor_label, 100),
        "consumer_org_id": draft.consumer_org_id,
        "kind": draft.kind.value,
        "resource_id": draft.resource_id,
        "provider_org_id": draft.provider_org_id,
        "purpose": _clean(draft.purpose),
        "grant_id": draft.grant_id,
        "fields": [_clean(f, 100) for f in draft.fields],
        "subject_count": count,
        "outcome": _clean(draft.outcome, 40),
        "request_id": _clean(draft.request_id, 40),
    }
    body = hash_body(chain_fields(**values, seq=0, subjects=subjects, prev_hash=""))
    return _Prepared(values, subjects, body)


_HEAD = select(AccessLogHead.seq, AccessLogHead.hash).where(AccessLogHead.id == 1)


def _claim(connection: Connection) -> tuple[int, str]:
    """The chain's head, locked until commit: last seq and hash."""
    if connection.dialect.name == "sqlite":  # the transaction already holds the write lock
        row = connection.execute(_HEAD).one_or_none()
    else:
        row = connection.exec_driver_sql(
            "SELECT seq, hash FROM access_log_head WHERE id = 1 FOR UPDATE"
        ).one_or_none()
    if row is None:  # a database created without the migration's seed row
        connection.execute(insert(AccessLogHead).values(id=1, seq=0, hash=GENESIS_HASH))
        return 0, GENESIS_HASH
    return int(row.seq), str(row.hash)


def _append(connection: Connection, entries: Sequence[_Prepared]) -> list[int]:
    """Chain and insert prepared entries in the connection's transaction (the only part that
    needs the head's lock); returns their seqs. The caller commits."""
    if not entries:
        return []
    last, previous = _claim(connection)
    rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
    for seq, entry in enumerate(entries, start=last + 1):
        digest = chained_hash(seq, entry.body, previous)
        rows.append({**entry.values, "seq": seq, "prev_hash": previous, "hash": digest})
        subject_rows.extend({"entry_seq": seq, "subject": subject} for subject in entry.subjects)
        previous = digest
    last += len(entries)
    if connection.dialect.name == "postgresql":
        _write_postgresql(connection, rows, subject_rows, last, previous)
    else:
        # Plain multi-row inserts (no RETURNING): the subjects refer to their entry by seq.
        connection.execute(insert(AccessLogEntry), rows)
        if subject_rows:
            connection.execute(insert(AccessLogSubject), subject_rows)
        connection.execute(
            update(AccessLogHead).where(AccessLogHead.id == 1).values(seq=last, hash=previous)
        )
    return list(range(last - len(entries) + 1, last + 1))


# The batch in one statement: an array per column, unnested into rows. The names of the
# parameters are the entry rows' keys.
_POSTGRESQL_WRITE = """
WITH entries AS (
    INSERT INTO access_log (
        seq, occurred_at, actor_kind, token_id, actor_label, consumer_org_id, kind, resource_id,
        provider_org_id, purpose, grant_id, fields, subject_count, outcome, request_id,
        prev_hash, hash)
    SELECT seq, occurred_at, actor_kind, token_id, actor_label, consumer_org_id, kind, resource_id,
        provider_org_id, purpose, grant_id, fields::json, subject_count, outcome, request_id,
        prev_hash, hash
    FROM unnest(
        %(seq)s::bigint[], %(occurred_at)s::timestamptz[], %(actor_kind)s::text[],
        %(token_id)s::integer[], %(actor_label)s::text[], %(consumer_org_id)s::integer[],
        %(kind)s::text[], %(resource_id)s::integer[], %(provider_org_id)s::integer[],
        %(purpose)s::text[], %(grant_id)s::integer[], %(fields)s::text[],
        %(subject_count)s::integer[], %(outcome)s::text[], %(request_id)s::text[],
        %(prev_hash)s::text[], %(hash)s::text[])
    AS e(seq, occurred_at, actor_kind, token_id, actor_label, consumer_org_id, kind, resource_id,
        provider_org_id, purpose, grant_id, fields, subject_count, outcome, request_id,
        prev_hash, hash)
), subjects AS (
    INSERT INTO access_log_subjects (entry_seq, subject)
    SELECT * FROM unnest(%(subject_seqs)s::bigint[], %(subjects)s::text[])
)
UPDATE access_log_head SET seq = %(last)s, hash = %(head_hash)s WHERE id = 1
"""


def _write_postgresql(
    connection: Connection,
    rows: list[dict[str, Any]],
    subject_rows: list[dict[str, Any]],
    last: int,
    head_hash: str,
) -> None:
    """The batch's entries, subjects and new head in one statement of one round trip: one array
    per column. Row by row (the driver's executemany, in pipeline mode), the log writer took 35 %
    of a server process's Python time at 1,000 requests/s; this way 23 %."""
    parameters: dict[str, Any] = {name: [row[name] for row in rows] for name in rows[0]}
    parameters["fields"] = [json.dumps(fields, ensure_ascii=False) for fields in parameters["fields"]]
    parameters["subject_seqs"] = [row["entry_seq"] for row in subject_rows]
    parameters["subjects"] = [row["subject"] for row in subject_rows]
    parameters["last"] = last
    parameters["head_hash"] = head_hash
    connection.exec_driver_sql(_POSTGRESQL_WRITE, parameters)


@contextmanager
def _appenders_take_turns(engine: Engine) -> Iterator[None]:
    """On SQLite, appenders of all processes queue on a lock file beside the database: a waiting
    appender wakes the moment the lock is free, where SQLite's own busy handler sleeps in steps
    of up to 100 ms (the tail latency of every request waiting on that batch). On PostgreSQL the
    head row's lock does the same."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}-access-log.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append_committed(engine: Engine, drafts: Sequence[AccessDraft]) -> list[int]:
    """Append in a short transaction of its own (taking the write lock at once), committed
    before returning."""
    return _append_committed(engine, [_prepare(draft) for draft in drafts])


def _append_committed(
    engine: Engine,
    entries: Sequence[_Prepared],
    after: Callable[[list[int], Connection], None] | None = None,
) -> list[int]:
    """Take the appenders' turn, append and commit; then run ``after`` (seqs, connection) while
    the turn is still held."""
    with _appenders_take_turns(engine), engine.connect() as connection:
        writing = connection.execution_options(**{WRITE_OPTION: True})
        with writing.begin():
            seqs = _append(writing, entries)
        if after is not None:
            after(seqs, connection)
        return seqs


def record_platform_use(
    session: Session,
    *,
    resource_id: int,
    fields: Sequence[str],
    subjects: Iterable[str],
    purpose: str,
    provider_org_id: int | None = None,
    grant_id: int | None = None,
    consumer_org_id: int | None = None,
    label: str = "platform",
    request_id: str = "",
) -> int:
    """Log the platform's own use of shared data (matching, pre-filling, checking); returns the seq.

    The entry is committed in a short transaction of its own before this returns (so call it
    *before* using the data), never in the caller's transaction: a long job must not hold the
    chain's head. On SQLite, call it while the session holds no open write transaction.
    """
    draft = AccessDraft(
        kind=AccessKind.PLATFORM,
        outcome=OK,
        actor_kind="system",
        actor_label=label,
        consumer_org_id=consumer_org_id,
        purpose=purpose,
        grant_id=grant_id,
        resource_id=resource_id,
        provider_org_id=provider_org_id,
        fields=tuple(fields),
        subjects=tuple(subjects),
        request_id=request_id,
    )
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return append_committed(engine, [draft])[0]


# --- the group-commit writer -----------------------------------------------------------------------


class AccessLogUnavailable(RuntimeError):
    """The entry could not be committed: the data must not be sent."""


_STOP = object()


def _writer_engine(engine: Engine) -> tuple[Engine, bool]:
    """The writer's engine: on SQLite its own, committing with a full fsync (durable, not just
    crash-safe); on a server database the application's, whose commits are durable already."""
    if engine.dialect.name != "sqlite":
        # One connection, no pre-ping (a round trip per batch saved; a dropped connection fails
        # one batch, whose entries are then retried).
        return create_engine(engine.url, pool_size=1, max_overflow=2, pool_recycle=1800), True
    if engine.url.database in (None, "", ":memory:"):
        return engine, False
    own = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)

    @event.listens_for(own, "connect")
    def _durable(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        # No checkpoint inside a commit (it stalled every request waiting on the batch): the
        # writer checkpoints after answering them (see AccessLogWriter._checkpoint).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return own, True


CHECKPOINT_SECONDS = 1.0  # the SQLite log's WAL is copied back into the database this often


class AccessLogWriter:
    """One per process: requests submit entries, a thread commits them in batches."""

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self._source = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._own_engine = False
        self._last_checkpoint = 0.0
        self.batches = 0
        self.entries = 0

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._engine, self._own_engine = _writer_engine(self._source)
                thread = threading.Thread(target=self._run, name="access-log-writer", daemon=True)
                thread.start()
                self._thread = thread

    def submit(self, draft: AccessDraft) -> Future[int]:
        """Queue an entry; the future resolves to its seq once committed."""
        self._ensure_started()
        future: Future[int] = Future()
        self._queue.put((draft, future))
        return future

    async def write(self, draft: AccessDraft) -> int:
        """Await the entry's commit (the event loop stays free meanwhile)."""
        try:
            return await asyncio.wrap_future(self.submit(draft))
        except Exception as error:
            raise AccessLogUnavailable(str(error)) from error

    def write_sync(self, draft: AccessDraft, timeout: float = 30.0) -> int:
        try:
            return self.submit(draft).result(timeout)
        except Exception as error:
            raise AccessLogUnavailable(str(error)) from error

    def _take_batch(self, first: object) -> tuple[list[tuple[AccessDraft, Future[int]]], bool]:
        batch: list[tuple[AccessDraft, Future[int]]] = []
        stop = False
        item = first
        while True:
            if item is _STOP:
                stop = True
            else:
                batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= self._max_batch:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return batch, stop

    def _run(self) -> None:
        assert self._engine is not None
        stop = False
        while not stop:
            batch, stop = self._take_batch(self._queue.get())
            if not batch:
                continue
            self._commit(batch)

    def _commit(self, batch: list[tuple[AccessDraft, Future[int]]]) -> None:
        assert self._engine is not None
        prepared: list[_Prepared] = []
        waiting: list[Future[int]] = []
        for draft, future in batch:  # outside the appenders' turn: the other processes go on
            try:
                prepared.append(_prepare(draft))
                waiting.append(future)
            except Exception:
                log.exception("an access log entry could not be prepared")
                future.set_exception(AccessLogUnavailable("the access log could not record the entry"))
        if prepared:
            self._write(prepared, waiting)

    def _write(self, prepared: list[_Prepared], waiting: list[Future[int]]) -> None:
        assert self._engine is not None

        def answer(seqs: list[int], connection: Connection) -> None:
            for future, seq in zip(waiting, seqs, strict=True):
                future.set_result(seq)
            self._checkpoint(connection)

        try:
            _append_committed(self._engine, prepared, answer)
        except Exception:
            if any(future.done() for future in waiting):  # committed and answered: only the
                log.warning("access log checkpoint failed", exc_info=True)  # checkpoint failed
                return
            if len(prepared) > 1:  # one entry must not sink the others: try each alone
                for entry, future in zip(prepared, waiting, strict=True):
                    self._write([entry], [future])
                return
            log.exception("an access log entry could not be committed")
            waiting[0].set_exception(AccessLogUnavailable("the access log could not commit the entry"))
            return
        self.batches += 1
        self.entries += len(prepared)

    def _checkpoint(self, connection: Connection) -> None:
        """On SQLite, copy the WAL back into the database at most once per CHECKPOINT_SECONDS,
        after the batch's requests are answered and *before* giving up the appenders' turn. A
        checkpoint beside a busy writer never catches up with it, so the WAL is never reset and
        grows without end (hundreds of MB within a minute, every commit appending to a longer
        file); done here, no other appender adds frames meanwhile and the next commit starts the
        WAL from its beginning again. PASSIVE: readers are never blocked."""
        if not self._own_engine or connection.dialect.name != "sqlite":
            return
        if time.monotonic() - self._last_checkpoint < CHECKPOINT_SECONDS:
            return
        self._last_checkpoint = time.monotonic()
        # On the driver's connection: through SQLAlchemy's it would run inside the BEGIN that
        # this project's SQLite engines emit, which SQLite refuses ("database table is locked").
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=30)
            self._thread = None
        if self._own_engine and self._engine is not None:
            self._engine.dispose()
        self._engine = None


# --- verification --------------------------------------------------------------------------------


def _stored(
    entries: Sequence[AccessLogEntry], subjects: dict[int, list[str]]
) -> Iterator[tuple[int, EventFields, str]]:
    for entry in entries:
        fields = chain_fields(
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            actor_kind=entry.actor_kind,
            token_id=entry.token_id,
            actor_label=entry.actor_label,
            consumer_org_id=entry.consumer_org_id,
            kind=entry.kind.value,
            resource_id=entry.resource_id,
            provider_org_id=entry.provider_org_id,
            purpose=entry.purpose,
            grant_id=entry.grant_id,
            fields=entry.fields,
            subject_count=entry.subject_count,
            subjects=subjects.get(entry.seq, ()),
            outcome=entry.outcome,
            request_id=entry.request_id,
            prev_hash=entry.prev_hash,
        )
        yield entry.id, fields, entry.hash


def _rows(session: Session) -> Iterator[tuple[int, EventFields, str]]:
    last_seq: int | None = None
    while True:
        statement = select(AccessLogEntry).order_by(AccessLogEntry.seq, AccessLogEntry.id).limit(VERIFY_CHUNK)
        if last_seq is not None:
            statement = statement.where(AccessLogEntry.seq > last_seq)
        entries = list(session.scalars(statement))
        if not entries:
            return
        subjects: dict[int, list[str]] = defaultdict(list)
        for entry_seq, subject in session.execute(
            select(AccessLogSubject.entry_seq, AccessLogSubject.subject).where(
                AccessLogSubject.entry_seq.in_([e.seq for e in entries])
            )
        ):
            subjects[entry_seq].append(subject)
        yield from _stored(entries, subjects)
        last_seq = entries[-1].seq


def verify(session: Session, actor: Actor) -> ChainReport:
    """Recompute the whole access chain (entries, their subjects and the head)."""
    require(actor, Permission.ACCESS_LOG_READ)
    head_row = session.get(AccessLogHead, 1)
    head = (head_row.seq, head_row.hash) if head_row else None
    return verify_chain(_rows(session), head, GENESIS_HASH)
