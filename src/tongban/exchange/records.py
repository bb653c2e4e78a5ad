"""Reading ingested records: current state, any past state, history, and the change feed.

These are queries for other services of the hub (the access and verification API, profiles,
the steward's pages). They check no permission: the caller decides who may see what (a
grant, the steward's own department) and logs the access.

A record is identified within its resource by ``record_key`` — the subject and the other key
fields joined by ``|`` (``'91350200MA31KH5N2X|2025'``); ``subject`` is the USCC or resident ID
alone. Each version is valid from ``valid_from`` (inclusive) until ``valid_to`` (exclusive;
None while current). ``values`` holds the validated values by field name in canonical JSON
form: integers and booleans as such, money and other decimals as exact decimal strings
(``'1234.5'``; use ``Decimal(text)``), dates as ISO text, tags as sorted lists, missing values
as None.

The change feed is ordered by record id, which only grows: every new version (new record or
change) gets a larger id than any version committed before it in the same resource (loads
into one resource are serialised), so "changes since cursor N" never misses a version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from tongban.exchange.models import Record

MAX_LIMIT = 10_000


@dataclass(frozen=True)
class RecordVersion:
    """One version of one record."""

    id: int
    resource_id: int
    record_key: str
    subject: str | None
    values: dict[str, Any]
    row_hash: str
    valid_from: datetime
    valid_to: datetime | None
    load_id: int | None

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True)
class ChangePage:
    """Versions added after a cursor, oldest first; pass ``cursor`` back for the next page."""

    items: list[RecordVersion]
    cursor: int
    has_more: bool


def _version(record: Record) -> RecordVersion:
    return RecordVersion(
        id=record.id,
        resource_id=record.resource_id,
        record_key=record.record_key,
        subject=record.subject,
        values=json.loads(record.data),
        row_hash=record.row_hash,
        valid_from=record.valid_from,
        valid_to=record.valid_to,
        load_id=record.load_id,
    )


def _valid_at(statement: Select[Any], moment: datetime) -> Select[Any]:
    return statement.where(
        Record.valid_from <= moment, or_(Record.valid_to.is_(None), Record.valid_to > moment)
    )


def current(session: Session, resource_id: int, record_key: str) -> RecordVersion | None:
    """The current version of one record, or None if the resource holds no such record."""
    record = session.scalar(
        select(Record).where(
            Record.resource_id == resource_id, Record.record_key == record_key, Record.valid_to.is_(None)
        )
    )
    return _version(record) if record else None


def current_for_subject(session: Session, resource_id: int, subject: str) -> list[RecordVersion]:
    """Every current record about one subject (e.g. all years of one enterprise), by key."""
    statement = (
        select(Record)
        .where(Record.subject == subject, Record.resource_id == resource_id, Record.valid_to.is_(None))
        .order_by(Record.record_key)
    )
    return [_version(r) for r in session.scalars(statement)]


def state_at(session: Session, resource_id: int, record_key: str, moment: datetime) -> RecordVersion | None:
    """The version of one record that was current at ``moment`` (None if it did not exist yet)."""
    statement = _valid_at(
        select(Record).where(Record.resource_id == resource_id, Record.record_key == record_key), moment
    )
    record = session.scalar(statement.order_by(Record.valid_from.desc(), Record.id.desc()).limit(1))
    return _version(record) if record else None


def subject_at(session: Session, resource_id: int, subject: str, moment: datetime) -> list[RecordVersion]:
    """Every record about one subject as it was at ``moment``, by key (verification "on date D")."""
    statement = _valid_at(
        select(Record).where(Record.subject == subject, Record.resource_id == resource_id), moment
    )
    return [_version(r) for r in session.scalars(statement.order_by(Record.record_key))]


def history(session: Session, resource_id: int, record_key: str) -> list[RecordVersion]:
    """All versions of one record, oldest first."""
    statement = (
        select(Record)
        .where(Record.resource_id == resource_id, Record.record_key == record_key)
        .order_by(Record.valid_from, Record.id)
    )
    return [_version(r) for r in session.scalars(statement)]


def subject_history(session: Session, resource_id: int, subject: str) -> list[RecordVersion]:
    """All versions of all records about one subject, by key then oldest first."""
    statement = (
        select(Record)
        .where(Record.subject == subject, Record.resource_id == resource_id)
        .order_by(Record.record_key, Record.valid_from, Record.id)
    )
    return [_version(r) for r in session.scalars(statement)]


def changes_since(session: Session, resource_id: int, cursor: int = 0, limit: int = 1000) -> ChangePage:
    """Versions added to a resource after ``cursor`` (a record id; 0 for the beginning)."""
    limit = max(1, min(limit, MAX_LIMIT))
    statement = (
        select(Record)
        .where(Record.resource_id == resource_id, Record.id > cursor)
        .order_by(Record.id)
        .limit(limit + 1)
    )
    rows = list(session.scalars(statement))
    items = [_version(r) for r in rows[:limit]]
    return ChangePage(items, items[-1].id if items else cursor, len(rows) > limit)


def current_page(session: Session, resource_id: int, after_id: int = 0, limit: int = 1000) -> ChangePage:
    """Current records of a resource in id order after ``after_id`` (bulk reads, keyset paging)."""
    limit = max(1, min(limit, MAX_LIMIT))
    statement = (
        select(Record)
        .where(Record.resource_id == resource_id, Record.valid_to.is_(None), Record.id > after_id)
        .order_by(Record.id)
        .limit(limit + 1)
    )
    rows = list(session.scalars(statement))
    items = [_version(r) for r in rows[:limit]]
    return ChangePage(items, items[-1].id if items else after_id, len(rows) > limit)


def count_current(session: Session, resource_id: int) -> int:
    """How many records a resource holds now."""
    statement = select(func.count()).where(Record.resource_id == resource_id, Record.valid_to.is_(None))
    return session.scalar(statement) or 0


def latest_cursor(session: Session, resource_id: int) -> int:
    """The id of the newest version of a resource (0 when empty): a feed consumer starts here."""
    return session.scalar(select(func.max(Record.id)).where(Record.resource_id == resource_id)) or 0


def subjects_of_load(session: Session, load_id: int) -> list[str]:
    """The subjects whose records a load added or changed, sorted."""
    rows = session.scalars(
        select(Record.subject).where(Record.load_id == load_id, Record.subject.is_not(None)).distinct()
    )
    return sorted(s for s in rows if s is not None)
