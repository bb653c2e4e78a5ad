"""The ingest engine (归集): validate rows against a resource's elements, keep history, quarantine.

One call, ``run``, takes a ``Table`` (see ``ingest_files``) and a resource's schema and, chunk
by chunk:

1. maps the source's columns to the resource's fields by name (``plan_columns``): a column
   that is no field is ignored and reported; a field without a column is stored empty and
   reported, unless the field is required (or part of the key or the subject), in which case
   the whole load is refused before any row is read;
2. validates every cell with ``catalog.domain.check_value`` through a checker compiled once
   per field (the canonical check, memoised for repeated values such as years and codes);
   a row with any problem goes to quarantine with every reason (message id and parameters);
3. turns the validated values into canonical JSON (sorted keys; money and other decimals as
   exact decimal strings without trailing zeros, dates as ISO text, tags as sorted lists) and
   hashes it (``row_hash``);
4. compares with the current version of the same ``record_key``: new (add a version),
   changed (close the current one at the load's moment and add a version), or unchanged
   (nothing written). Re-loading the same data is therefore idempotent.

Duplicate keys within one load: the first row with a key is the one applied. A later row
with the same key and the same values is counted as a duplicate and otherwise ignored; a
later row with the same key and different values is quarantined with the row number of the
first, so a person decides (fix and resubmit, which applies it as a change, or discard).
Nothing is dropped silently and the outcome does not depend on how rows are chunked.

A row is a whole record: a field that is empty, or whose column is missing, is stored as
null, so the new version replaces the previous one entirely. Resources without key fields
use the row's hash as its key (each distinct row is a record; nothing is ever closed).

Transactions are the caller's business: ``run`` writes through the session (see
``exchange.loads``, which wraps each load in a savepoint so a failed load leaves nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tongban.catalog.domain import MAX_MAGNITUDE, ElementSpec, check_value
from tongban.catalog.models import ElementType
from tongban.catalog.schema import KEY_SEPARATOR, ResourceSchema
from tongban.exchange.ingest_files import Cells, Table
from tongban.exchange.ingest_store import BadRow, ChunkWriter, NewVersion, store_for
from tongban.exchange.models import Load
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed

Progress = Callable[[int, int | None], None]
"""Called after each chunk with the rows read so far and the estimated total (or None)."""

Problem = dict[str, Any]
Check = tuple[bool, Any, str | None, dict[str, Any] | None]

CHUNK_ROWS = 5000
PRELOAD_ROWS = 10_000  # sources at least this large read the resource's current hashes first
MEMO_LIMIT = 4096  # distinct raw values remembered per field
ONE = Decimal(1)
KEY_MAX = 200
SUBJECT_MAX = 30
REQUIRED = N_("This field is required.")
DUPLICATE_KEY = N_("Row {row} of this load has the same key ({key}) with different values.")
TOO_MANY_CELLS = N_("This row has {count} values, but the header names {columns} columns.")
KEY_TOO_LONG = N_("The record key is longer than {limit} characters.")


def problem(field_name: str, message: str, params: dict[str, Any] | None = None) -> Problem:
    return {"field": field_name, "message": message, "params": params or {}}


# --- canonical values -------------------------------------------------------------------------


def decimal_text(number: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 12345678.90 → '12345678.9'."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def json_value(value: Any) -> Any:
    """A validated value in its canonical JSON form."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def canonical_json(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row_hash(data: str) -> str:
    return hashlib.blake2b(data.encode("utf-8"), digest_size=16).hexdigest()


def compile_checker(spec: ElementSpec, unit_factor: Decimal = ONE) -> Callable[[str | None], Check]:
    """``check_value`` for one field, returning canonical JSON values, memoised per raw value.

    Repeated values (years, region and industry codes, 是/否) are checked once; the memo
    stops growing at ``MEMO_LIMIT`` entries so unique values (identifiers, amounts) cost a
    dictionary miss only. A field whose source writes numbers in another unit than its
    element (万元 for 元) has them multiplied by ``unit_factor``; a whole-number element is
    checked as a number first, so 1.5 万人 is 15000 people.
    """
    memo: dict[str | None, Check] = {}
    scaled = unit_factor != ONE and spec.data_type in (
        ElementType.MONEY,
        ElementType.DECIMAL,
        ElementType.INTEGER,
    )
    whole = spec.data_type is ElementType.INTEGER
    check_spec = replace(spec, data_type=ElementType.DECIMAL) if scaled and whole else spec
    convert = spec.data_type in (
        ElementType.MONEY,
        ElementType.DECIMAL,
        ElementType.RATIO,
        ElementType.DATE,
        ElementType.TAGS,
    )

    def check(raw: str | None) -> Check:
        hit = memo.get(raw)
        if hit is not None:
            return hit
        result = check_value(check_spec, raw)
        outcome: Check
        if scaled and result.valid and result.value is not None:
            outcome = _scale(result.value * unit_factor, whole, raw)
        else:
            value = json_value(result.value) if convert else result.value
            outcome = (result.valid, value, result.reason, result.params)
        if len(memo) < MEMO_LIMIT:
            memo[raw] = outcome
        return outcome

    return check


def _scale(number: Decimal, whole: bool, raw: str | None) -> Check:
    """A number converted into the element's unit, with the element's own limits."""
    if abs(number) >= MAX_MAGNITUDE:
        return (False, None, N_("{value} is too large to be real."), {"value": raw})
    if whole:
        if number != number.to_integral_value():
            return (False, None, N_("{value} is not a whole number."), {"value": raw})
        return (True, int(number), None, None)
    return (True, decimal_text(number), None, None)


# --- columns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """How a source's columns feed the resource's fields."""

    columns: list[str]
    fields: list[tuple[str, int | None, Callable[[str | None], Check], bool]]
    unknown: list[str]
    missing: list[str]


def plan_columns(schema: ResourceSchema, columns: Sequence[str], ignore: Sequence[str] = ()) -> ColumnPlan:
    """Match columns to fields by name; refuse the load when a required field has no column."""
    problems: list[FieldProblem] = []
    positions: dict[str, int] = {}
    for index, name in enumerate(columns):
        if name and name in positions:
            problems.append(FieldProblem(name, N_("The column {column} appears twice."), {"column": name}))
        elif name:
            positions[name] = index
    names = set(schema.field_names)
    unknown = [c for c in columns if c and c not in names and c not in ignore]
    missing: list[str] = []
    plan: list[tuple[str, int | None, Callable[[str | None], Check], bool]] = []
    for f in schema.fields:
        position = positions.get(f.name)
        if position is None:
            if f.required:
                problems.append(
                    FieldProblem(f.name, N_("The required column {column} is missing."), {"column": f.name})
                )
            missing.append(f.name)
        plan.append((f.name, position, compile_checker(f.spec, f.unit_factor), f.required))
    if problems:
        raise ValidationFailed(
            N_("The columns do not fit the resource."), code="columns_mismatch", fields=problems
        )
    return ColumnPlan(list(columns), plan, unknown, missing)


# --- rows -------------------------------------------------------------------------------------


@dataclass
class Counts:
    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    quarantined: int = 0
    duplicate: int = 0
    held: int = 0  # quarantined rows already open in quarantine


@dataclass
class Validated:
    number: int
    key: str
    subject: str | None
    data: str
    row_hash: str


class RowChecker:
    """Validates one row of cells into a record version, or lists its problems."""

    def __init__(self, schema: ResourceSchema, plan: ColumnPlan) -> None:
        self.plan = plan
        self.width = len(plan.columns)
        self.key_names = [f.name for f in schema.key_fields]
        subject = schema.subject_field
        self.subject_name = subject.name if subject else None

    def raw(self, cells: Cells) -> dict[str, Any]:
        """The row as received, by column name (extra cells as #13, #14 …)."""
        row: dict[str, Any] = {}
        for index, cell in enumerate(cells):
            name = (
                self.plan.columns[index]
                if index < self.width and self.plan.columns[index]
                else f"#{index + 1}"
            )
            row[name] = cell
        return row

    def check(self, number: int, cells: Cells) -> Validated | list[Problem]:
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        count = len(cells)
        for name, index, checker, required in self.plan.fields:
            raw = cells[index] if index is not None and index < count else None
            valid, value, reason, params = checker(raw)
            if not valid:
                problems.append(problem(name, reason or "", params))
            elif value is None and required:
                problems.append(problem(name, REQUIRED))
            values[name] = value
        if count > self.width and any(c is not None for c in cells[self.width :]):
            problems.append(problem("", TOO_MANY_CELLS, {"count": count, "columns": self.width}))
        if problems:
            return problems
        data = canonical_json(values)
        digest = row_hash(data)
        if self.key_names:
            key = KEY_SEPARATOR.join("" if values[n] is None else str(values[n]) for n in self.key_names)
        else:
            key = digest
        if len(key) > KEY_MAX:
            return [problem("", KEY_TOO_LONG, {"limit": KEY_MAX})]
        subject = values[self.subject_name] if self.subject_name else None
        if subject is not None and len(str(subject)) > SUBJECT_MAX:
            return [
                problem(self.subject_name or "", N_("At most {limit} characters."), {"limit": SUBJECT_MAX})
            ]
        return Validated(number, key, None if subject is None else str(subject), data, digest)


@dataclass
class _Chunk:
    pending: dict[str, Validated] = field(default_factory=dict)
    repeats: list[tuple[Validated, Cells]] = field(default_factory=list)  # keys of earlier chunks
    bad: list[BadRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pending) + len(self.repeats) + len(self.bad)


def run(
    session: Session,
    schema: ResourceSchema,
    load: Load,
    table: Table,
    *,
    moment: datetime,
    ignore_columns: Sequence[str] = (),
    progress: Progress | None = None,
    chunk_rows: int | None = None,
) -> Counts:
    """Ingest every row of ``table`` into the resource; counters are also set on ``load``.

    Raises ``ValidationFailed`` before writing anything when the columns do not fit.
    """
    plan = plan_columns(schema, table.columns, ignore_columns)
    chunk_rows = chunk_rows or CHUNK_ROWS
    load.columns_unknown = plan.unknown
    load.columns_missing = plan.missing
    checker = RowChecker(schema, plan)
    store = store_for(session, schema.resource_id, load.id, moment)
    large = table.total is not None and table.total >= PRELOAD_ROWS
    if large:
        store.preload()
    writer = ChunkWriter(store, background=large)
    counts = Counts()
    seen: dict[str, int] = {}  # key → row number of its first row, for keys of flushed chunks
    chunk = _Chunk()

    def flush() -> None:
        nonlocal chunk
        current = store.current([*chunk.pending, *(r.key for r, _ in chunk.repeats)])
        for row, cells in chunk.repeats:
            # The first row with this key was applied or unchanged: the current version is it.
            found = current.get(row.key)
            if found is not None and found.row_hash == row.row_hash:
                counts.duplicate += 1
            else:
                chunk.bad.append(_duplicate_of(checker, cells, row, seen[row.key]))
        to_close: list[int] = []
        to_add: list[NewVersion] = []
        for key, row in chunk.pending.items():
            found = current.get(key)
            if found is None:
                counts.new += 1
            elif found.row_hash == row.row_hash:
                counts.unchanged += 1
                seen[key] = row.number
                continue
            else:
                counts.changed += 1
                to_close.append(found.id)
            to_add.append(NewVersion(key, row.subject, row.data, row.row_hash))
            seen[key] = row.number
        writer.write(to_close, to_add, chunk.bad)
        counts.quarantined += len(chunk.bad)
        chunk = _Chunk()
        if progress is not None:
            progress(counts.read, table.total)

    try:
        for number, cells in table.rows:
            counts.read += 1
            outcome = checker.check(number, cells)
            if isinstance(outcome, list):
                chunk.bad.append(BadRow(number, checker.raw(cells), outcome))
            else:
                first = chunk.pending.get(outcome.key)
                if first is not None:
                    if first.row_hash == outcome.row_hash:
                        counts.duplicate += 1
                    else:
                        chunk.bad.append(_duplicate_of(checker, cells, outcome, first.number))
                elif outcome.key in seen:
                    chunk.repeats.append((outcome, cells))
                else:
                    chunk.pending[outcome.key] = outcome
            if len(chunk) >= chunk_rows:
                flush()
        flush()
    finally:
        writer.close()
    counts.held = writer.held
    _report(load, counts)
    store.finish(counts.new + counts.changed)
    return counts


def _duplicate_of(checker: RowChecker, cells: Cells, row: Validated, first: int) -> BadRow:
    shown = row.key if len(row.key) <= 60 else row.key[:57] + "..."
    return BadRow(row.number, checker.raw(cells), [problem("", DUPLICATE_KEY, {"row": first, "key": shown})])


def _report(load: Load, counts: Counts) -> None:
    load.rows_read = counts.read
    load.rows_new = counts.new
    load.rows_changed = counts.changed
    load.rows_unchanged = counts.unchanged
    load.rows_quarantined = counts.quarantined
    load.rows_duplicate = counts.duplicate
    load.rows_held = counts.held


def validate_values(schema: ResourceSchema, values: dict[str, str | None]) -> list[FieldProblem]:
    """Problems of one row given by field name (the fix-and-resubmit form), without writing."""
    columns = list(schema.field_names)
    checker = RowChecker(schema, plan_columns(schema, columns))
    outcome = checker.check(1, [values.get(name) for name in columns])
    if isinstance(outcome, list):
        return [FieldProblem(p["field"] or "row", p["message"], p["params"]) for p in outcome]
    return []
