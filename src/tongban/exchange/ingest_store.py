"""Bulk reads and writes of record versions for ingest, one chunk at a time.

The engine hands over a chunk's worth of work: which keys to look up, which current versions
to close, which versions to add, which rows to quarantine. Three implementations share one
interface:

- PostgreSQL: versions are added with ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``);
  current versions are looked up and closed set-based, one statement per chunk, with an
  array of keys or ids (``= ANY(%s)``, not prepared, so the planner sees the values); the
  table is analysed after a large load.

Large loads first read every current key and hash of the resource into memory
(``preload``): look-ups then cost nothing and do not depend on the database's plans. A
million current records take about 300 MB.
- SQLite: ``executemany`` on the driver connection with pre-processed parameters.
- any other database: SQLAlchemy Core ``executemany``.

All of them write through the session's own connection, so everything stays in the caller's
transaction (and in the load's savepoint).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from tongban.exchange.models import QuarantinedRow, QuarantineStatus, Record

RECORDS = cast(Table, Record.__table__)
QUARANTINE = cast(Table, QuarantinedRow.__table__)
LOOKUP_BATCH = 5000
ANALYZE_AFTER = 10_000


def raw_hash(raw: dict[str, Any]) -> str:
    text = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Current:
    """The current version of a record: its id and hash."""

    id: int
    row_hash: str


@dataclass(frozen=True)
class NewVersion:
    key: str
    subject: str | None
    data: str
    row_hash: str


@dataclass(frozen=True)
class BadRow:
    number: int
    raw: dict[str, Any]
    problems: list[dict[str, Any]]


class RecordStore:
    """Portable implementation (SQLAlchemy Core)."""

    def __init__(self, session: Session, resource_id: int, load_id: int, moment: datetime) -> None:
        self.session = session
        self.resource_id = resource_id
        self.load_id = load_id
        self.moment = moment
        self._cache: dict[str, Current] | None = None

    def preload(self) -> None:
        """Read every current key and hash of the resource once (large loads): later look-ups
        are answered from memory, whatever plan the database would pick."""
        self._cache = dict(self._scan_current())

    def _scan_current(self) -> Iterator[tuple[str, Current]]:
        statement = select(Record.record_key, Record.id, Record.row_hash).where(
            Record.resource_id == self.resource_id, Record.valid_to.is_(None)
        )
        for key, record_id, row_hash in self.session.execute(statement):
            yield key, Current(record_id, row_hash)

    def current(self, keys: Sequence[str]) -> dict[str, Current]:
        """Current versions of the given keys (those that have one)."""
        if self._cache is not None:
            cache = self._cache
            return {k: cache[k] for k in keys if k in cache}
        return self._lookup(keys)

    def written(self, versions: Sequence[NewVersion]) -> None:
        """Keep the preloaded state in step: these versions are now current (ids not needed:
        a load closes only versions that existed before it)."""
        if self._cache is not None:
            for v in versions:
                self._cache[v.key] = Current(-1, v.row_hash)

    def finish(self, versions_written: int) -> None:
        """Called once at the end of the load."""

    def _lookup(self, keys: Sequence[str]) -> dict[str, Current]:
        found: dict[str, Current] = {}
        for start in range(0, len(keys), LOOKUP_BATCH):
            statement = select(Record.record_key, Record.id, Record.row_hash).where(
                Record.resource_id == self.resource_id,
                Record.valid_to.is_(None),
                Record.record_key.in_(keys[start : start + LOOKUP_BATCH]),
            )
            for key, record_id, row_hash in self.session.execute(statement):
                found[key] = Current(record_id, row_hash)
        return found

    def close(self, ids: Sequence[int]) -> None:
        if ids:
            self.session.execute(
                update(RECORDS).where(RECORDS.c.id.in_(list(ids))).values(valid_to=self.moment),
                execution_options={"synchronize_session": False},
            )

    def insert(self, versions: Sequence[NewVersion]) -> None:
        if versions:
            self.session.execute(
                insert(RECORDS),
                [
                    {
                        "resource_id": self.resource_id,
                        "record_key": v.key,
                        "subject": v.subject,
                        "data": v.data,
                        "row_hash": v.row_hash,
                        "valid_from": self.moment,
                        "valid_to": None,
                        "load_id": self.load_id,
                    }
                    for v in versions
                ],
            )

    def quarantine(self, rows: Sequence[BadRow]) -> int:
        """Store rows with their problems; returns how many were already open in quarantine.

        A row identical to one still open (a file loaded again before it was fixed) is not
        stored twice.
        """
        if not rows:
            return 0
        hashed = {raw_hash(r.raw): r for r in rows}
        held_hashes: set[str] = set()
        hashes = list(hashed)
        for start in range(0, len(hashes), LOOKUP_BATCH):
            statement = select(QuarantinedRow.raw_hash).where(
                QuarantinedRow.resource_id == self.resource_id,
                QuarantinedRow.status == QuarantineStatus.OPEN,
                QuarantinedRow.raw_hash.in_(hashes[start : start + LOOKUP_BATCH]),
            )
            with self.session.no_autoflush:  # may run in the writer thread: leave the ORM state alone
                held_hashes.update(self.session.scalars(statement))
        fresh = [(h, r) for h, r in hashed.items() if h not in held_hashes]
        if fresh:
            self.session.execute(
                insert(QUARANTINE),
                [
                    {
                        "load_id": self.load_id,
                        "resource_id": self.resource_id,
                        "row_number": r.number,
                        "raw": r.raw,
                        "raw_hash": h,
                        "problems": r.problems,
                        "status": QuarantineStatus.OPEN.value,
                        "resolved_by": "",
                        "note": "",
                    }
                    for h, r in fresh
                ],
            )
        return len(rows) - len(fresh)


class SqliteRecordStore(RecordStore):
    """``executemany`` on the sqlite3 connection, skipping per-row parameter processing."""

    def __init__(self, session: Session, resource_id: int, load_id: int, moment: datetime) -> None:
        super().__init__(session, resource_id, load_id, moment)
        connection = session.connection()
        dialect = connection.dialect
        processor = RECORDS.c.valid_from.type.bind_processor(dialect)
        self._moment = processor(moment) if processor else moment
        self._cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def _scan_current(self) -> Iterator[tuple[str, Current]]:
        self._cursor.execute(
            "SELECT record_key, id, row_hash FROM records WHERE resource_id = ? AND valid_to IS NULL",
            (self.resource_id,),
        )
        for key, record_id, row_hash in self._cursor:
            yield key, Current(record_id, row_hash)

    def _lookup(self, keys: Sequence[str]) -> dict[str, Current]:
        found: dict[str, Current] = {}
        for start in range(0, len(keys), LOOKUP_BATCH):
            part = keys[start : start + LOOKUP_BATCH]
            marks = ",".join("?" * len(part))
            self._cursor.execute(
                "SELECT record_key, id, row_hash FROM records "  # noqa: S608 - placeholders only
                f"WHERE resource_id = ? AND valid_to IS NULL AND record_key IN ({marks})",
                (self.resource_id, *part),
            )
            for key, record_id, row_hash in self._cursor.fetchall():
                found[key] = Current(record_id, row_hash)
        return found

    def close(self, ids: Sequence[int]) -> None:
        if ids:
            self._cursor.executemany(
                "UPDATE records SET valid_to = ? WHERE id = ?", [(self._moment, i) for i in ids]
            )

    def insert(self, versions: Sequence[NewVersion]) -> None:
        if versions:
            resource_id, moment, load_id = self.resource_id, self._moment, self.load_id
            self._cursor.executemany(
                "INSERT INTO records (resource_id, record_key, subject, data, row_hash, valid_from, load_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(resource_id, v.key, v.subject, v.data, v.row_hash, moment, load_id) for v in versions],
            )


class PostgresRecordStore(RecordStore):
    """COPY for new versions; array parameters for set-based look-ups and closing."""

    def __init__(self, session: Session, resource_id: int, load_id: int, moment: datetime) -> None:
        super().__init__(session, resource_id, load_id, moment)
        self._connection = session.connection().connection.driver_connection

    def _scan_current(self) -> Iterator[tuple[str, Current]]:
        with self._connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                "SELECT record_key, id, row_hash FROM records WHERE resource_id = %s AND valid_to IS NULL",
                (self.resource_id,),
            )
            for key, record_id, row_hash in cursor:
                yield key, Current(record_id, row_hash)

    def _lookup(self, keys: Sequence[str]) -> dict[str, Current]:
        # Not prepared: with the keys known, the planner can use the current-key index; a
        # generic plan compares every row of the resource with every key.
        if not keys:
            return {}
        with self._connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                "SELECT record_key, id, row_hash FROM records "
                "WHERE resource_id = %s AND valid_to IS NULL AND record_key = ANY(%s::varchar[])",
                (self.resource_id, list(keys)),
                prepare=False,
            )
            return {key: Current(record_id, row_hash) for key, record_id, row_hash in cursor.fetchall()}

    def close(self, ids: Sequence[int]) -> None:
        if ids:
            with self._connection.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(
                    "UPDATE records SET valid_to = %s WHERE id = ANY(%s::bigint[])",
                    (self.moment, list(ids)),
                    prepare=False,
                )

    def finish(self, versions_written: int) -> None:
        # Fresh statistics after a large load, so the next loads and the access API's reads
        # get index plans (autovacuum would catch up, but only after a while).
        if versions_written >= ANALYZE_AFTER:
            with self._connection.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute("ANALYZE records")

    def insert(self, versions: Sequence[NewVersion]) -> None:
        if not versions:
            return
        resource_id, moment, load_id = self.resource_id, self.moment, self.load_id
        with (
            self._connection.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(
                "COPY records (resource_id, record_key, subject, data, row_hash, valid_from, load_id) "
                "FROM STDIN"
            ) as copy,
        ):
            for v in versions:
                copy.write_row((resource_id, v.key, v.subject, v.data, v.row_hash, moment, load_id))


class ChunkWriter:
    """Applies each chunk's writes in order: close, insert, quarantine.

    When the store answers look-ups from memory (a preloaded, large load), the writes run in
    one background thread, so the database works on a chunk while the next one is validated
    (the driver releases the GIL while it waits for the database). At most one chunk is in
    flight; an error in the thread is raised in the caller at the next chunk or at ``close``,
    and ``close`` always waits for the thread, so nothing uses the connection afterwards.
    """

    def __init__(self, store: RecordStore, *, background: bool) -> None:
        self.store = store
        self.held = 0
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") if background else None
        )
        self._pending: Future[int] | None = None

    def write(self, to_close: list[int], to_add: list[NewVersion], bad: list[BadRow]) -> None:
        self.store.written(to_add)
        if self._pool is None:
            self.held += self._apply(to_close, to_add, bad)
            return
        self.wait()
        self._pending = self._pool.submit(self._apply, to_close, to_add, bad)

    def _apply(self, to_close: list[int], to_add: list[NewVersion], bad: list[BadRow]) -> int:
        self.store.close(to_close)
        self.store.insert(to_add)
        return self.store.quarantine(bad)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.held += pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


def store_for(session: Session, resource_id: int, load_id: int, moment: datetime) -> RecordStore:
    """The fastest store the session's database supports."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        driver = session.get_bind().dialect.driver
        if driver == "psycopg":
            return PostgresRecordStore(session, resource_id, load_id, moment)
    if name == "sqlite":
        return SqliteRecordStore(session, resource_id, load_id, moment)
    return RecordStore(session, resource_id, load_id, moment)
