"""Data quality rules as pure checks over rows (no session), and the scores made from them.

A rule belongs to one resource and is one of six kinds (``RuleKind``):

- completeness: the field holds a value;
- validity: the value fits the field's data element (type, identifier validator, code list).
  Ingest already holds back rows with invalid values (quarantine); those count here as the
  failures they are, so a department that sends malformed numbers sees it in its score;
- uniqueness: no two records share the key fields (by default the resource's record key:
  then the failures are the rows a department sent twice, held back or repeated in a load);
- freshness: each subject's latest period (e.g. 所属年度) is the latest the resource holds, and
  the resource was delivered within its update cycle;
- cross-field: two fields of one row compare as stated: ``left op right × factor``
  (研发费用 ≤ 营业收入);
- cross-resource: a field agrees with a field of another resource for the same subject (and
  the same period, when given): ``field op other_field × factor``.

Checks are fed chunks of rows (a resource can hold a million records) and keep only counters,
at most ``SAMPLE_LIMIT`` failing rows, and what a kind needs across chunks (freshness: each
subject's latest period; uniqueness on non-key fields: the values seen).

Scores: a rule's score is passed / checked × 100 (none when nothing was checked); a resource's
is the weighted mean of its rules' scores; a department's is the mean of its resources'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tongban.catalog.domain import check_value
from tongban.catalog.models import UpdateCycle
from tongban.catalog.schema import FieldSchema, ResourceSchema
from tongban.exchange.ingest import DUPLICATE_KEY, REQUIRED
from tongban.governance.quality_models import RuleKind
from tongban.kernel.errors import N_

SAMPLE_LIMIT = 200
MEMO_LIMIT = 4096
OPERATORS = ("<=", "<", ">=", ">", "=", "!=")
PERIOD_ELEMENTS = ("reporting_year",)
REQUIRED_MSGID = REQUIRED  # ingest's reasons for holding a row back
DUPLICATE_MSGID = DUPLICATE_KEY

# Days a resource may go without a delivery before it is stale, per update cycle (with grace).
CYCLE_DAYS: dict[UpdateCycle, int | None] = {
    UpdateCycle.REALTIME: 2,
    UpdateCycle.DAILY: 3,
    UpdateCycle.WEEKLY: 10,
    UpdateCycle.MONTHLY: 35,
    UpdateCycle.QUARTERLY: 100,
    UpdateCycle.YEARLY: 380,
    UpdateCycle.IRREGULAR: None,
}

MISSING = N_("The value is missing.")
INVALID = N_("The value does not fit the data element.")
DUPLICATE = N_("Another record has the same {fields}: {key}.")
REPEATED = N_("Load {load} repeated {count} rows with the same key and values.")
STALE_PERIOD = N_("The latest period is {latest}; the resource holds {expected}.")
STALE_DELIVERY = N_("Nothing delivered since {day}; the update cycle allows {days} days.")
NEVER_DELIVERED = N_("Nothing has been delivered yet.")
COMPARISON_FAILED = N_("{left} = {left_value}, {right} = {right_value}: not {op}.")
DISAGREES = N_("{left} = {left_value}, but {right} = {right_value} in {resource}.")

KIND_LABELS: dict[RuleKind, str] = {
    RuleKind.COMPLETENESS: N_("Completeness"),
    RuleKind.VALIDITY: N_("Validity"),
    RuleKind.UNIQUENESS: N_("Uniqueness"),
    RuleKind.FRESHNESS: N_("Freshness"),
    RuleKind.CROSS_FIELD: N_("Cross-field"),
    RuleKind.CROSS_RESOURCE: N_("Cross-resource consistency"),
}
DESCRIPTIONS: dict[RuleKind, str] = {
    RuleKind.COMPLETENESS: N_("{field} is filled in"),
    RuleKind.VALIDITY: N_("{field} fits its data element"),
    RuleKind.UNIQUENESS: N_("No two records share {fields}"),
    RuleKind.FRESHNESS: N_("Data is as recent as the update cycle"),
    RuleKind.CROSS_FIELD: N_("{field} {op} {right}"),
    RuleKind.CROSS_RESOURCE: N_("{field} {op} {other_field} ({other_resource})"),
}


@dataclass(frozen=True)
class Row:
    """A current record: its key, subject and validated values by field name (canonical JSON)."""

    record_key: str
    subject: str | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class HeldRow:
    """A row ingest held back (open in quarantine): raw cells by column and its problems."""

    row_number: int
    load_id: int
    raw: Mapping[str, Any]
    problems: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Failure:
    record_key: str
    subject: str | None
    value: str
    message: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


@dataclass
class Outcome:
    checked: int = 0
    failed: int = 0
    samples: list[Failure] = dataclass_field(default_factory=list)

    @property
    def score(self) -> float | None:
        return rule_score(self.checked, self.failed)

    def passed(self) -> None:
        self.checked += 1

    def fail(self, failure: Failure, count: int = 1) -> None:
        self.checked += count
        self.failed += count
        if len(self.samples) < SAMPLE_LIMIT:
            self.samples.append(failure)


@dataclass(frozen=True)
class Context:
    """What the end of a run knows beyond the rows: the date, deliveries and repeated rows."""

    today: date
    update_cycle: UpdateCycle = UpdateCycle.IRREGULAR
    last_delivery: datetime | None = None
    repeated_rows: int = 0  # identical rows the latest load repeated (not stored twice)
    repeated_load_id: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    kind: RuleKind
    field: str = ""
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)


# --- scores -----------------------------------------------------------------------------------


def rule_score(checked: int, failed: int) -> float | None:
    """passed / checked × 100, or None when the rule applied to nothing."""
    if checked <= 0:
        return None
    return round((checked - min(failed, checked)) * 100 / checked, 2)


def weighted_score(scores: Iterable[tuple[float | None, int]]) -> float | None:
    """Weighted mean of the scores that exist (weights below 1 count as 1)."""
    total = weights = 0.0
    for score, weight in scores:
        if score is not None:
            total += score * max(1, weight)
            weights += max(1, weight)
    return round(total / weights, 2) if weights else None


def mean_score(scores: Iterable[float | None]) -> float | None:
    return weighted_score((s, 1) for s in scores)


# --- values -----------------------------------------------------------------------------------


def as_text(value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def comparable(value: Any) -> Decimal | date | str | None:
    """Numbers as Decimal, ISO dates as dates, other text stripped; None when missing."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, list | tuple):
        return "、".join(sorted(str(v) for v in value))
    text = str(value).strip()
    try:
        number = Decimal(text)
        if number.is_finite():
            return number
    except InvalidOperation:
        pass
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return text


def compare(left: Any, op: str, right: Any, factor: Decimal = Decimal(1)) -> bool | None:
    """``left op right × factor``; None when either is missing or they cannot be compared."""
    a, b = comparable(left), comparable(right)
    if a is None or b is None:
        return None
    if isinstance(b, Decimal):
        b = b * factor
    if isinstance(a, Decimal) != isinstance(b, Decimal) or isinstance(a, date) != isinstance(b, date):
        return False if op == "=" else True if op == "!=" else None
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if isinstance(a, str) or isinstance(b, str):
        return None  # text has no order worth checking
    if op == "<=":
        return bool(a <= b)  # type: ignore[operator]
    if op == "<":
        return bool(a < b)  # type: ignore[operator]
    if op == ">=":
        return bool(a >= b)  # type: ignore[operator]
    return bool(a > b)  # type: ignore[operator]


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == []


def _canonical_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


# --- checks -----------------------------------------------------------------------------------


class Check:
    """One rule applied over a run: fed chunks of rows and the held-back rows, then finished."""

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.outcome = Outcome()

    def feed(self, rows: Sequence[Row], others: Mapping[tuple[str, str], list[Any]] | None = None) -> None:
        for row in rows:
            self.row(row, others)

    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        raise NotImplementedError

    def held(self, row: HeldRow) -> None:
        """A row ingest held back; most kinds do not count it."""

    def finish(self, context: Context) -> Outcome:
        return self.outcome


def _problems_of(row: HeldRow, name: str) -> list[Mapping[str, Any]]:
    return [p for p in row.problems if p.get("field") == name]


def _held_failure(row: HeldRow, name: str, problem: Mapping[str, Any]) -> Failure:
    params = dict(problem.get("params") or {})
    return Failure(
        "",
        None,
        as_text(row.raw.get(name))[:300],
        str(problem.get("message", INVALID)),
        params | {"row": row.row_number, "load": row.load_id},
    )


class Completeness(Check):
    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        if _missing(row.values.get(self.spec.field)):
            self.outcome.fail(Failure(row.record_key, row.subject, "", MISSING))
        else:
            self.outcome.passed()

    def held(self, row: HeldRow) -> None:
        for problem in _problems_of(row, self.spec.field):
            if problem.get("message") == REQUIRED_MSGID:
                self.outcome.fail(_held_failure(row, self.spec.field, problem))


class Validity(Check):
    """Stored values passed the same check at ingest; only values from a code list, which can
    change (a new edition of GB/T 4754), are checked again. Held-back rows are the failures."""

    def __init__(self, spec: RuleSpec, schema_field: FieldSchema) -> None:
        super().__init__(spec)
        self.field = schema_field
        self.recheck = schema_field.spec.code_list is not None
        self.memo: dict[str, tuple[bool, str | None, dict[str, Any] | None]] = {}

    def _check(self, text: str) -> tuple[bool, str | None, dict[str, Any] | None]:
        found = self.memo.get(text)
        if found is None:
            verdict = check_value(self.field.spec, text)
            found = (verdict.valid, verdict.reason, verdict.params)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[text] = found
        return found

    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        value = row.values.get(self.spec.field)
        if _missing(value):
            return
        if not self.recheck:
            self.outcome.passed()
            return
        valid, reason, params = self._check(_canonical_text(value))
        if valid:
            self.outcome.passed()
        else:
            self.outcome.fail(
                Failure(row.record_key, row.subject, as_text(value)[:300], reason or INVALID, params or {})
            )

    def held(self, row: HeldRow) -> None:
        for problem in _problems_of(row, self.spec.field):
            if problem.get("message") != REQUIRED_MSGID:
                self.outcome.fail(_held_failure(row, self.spec.field, problem))
                return


class Uniqueness(Check):
    def __init__(self, spec: RuleSpec, by_record_key: bool) -> None:
        super().__init__(spec)
        self.fields: list[str] = list(spec.params.get("fields") or [])
        self.by_record_key = by_record_key  # the record key is unique by construction
        self.seen: set[str] = set()

    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        if self.by_record_key:
            self.outcome.passed()
            return
        values = [row.values.get(name) for name in self.fields]
        if all(_missing(v) for v in values):
            return
        key = json.dumps([as_text(v) for v in values], ensure_ascii=False)
        if key in self.seen:
            shown = "|".join(as_text(v) for v in values)
            self.outcome.fail(
                Failure(
                    row.record_key,
                    row.subject,
                    shown[:300],
                    DUPLICATE,
                    {"fields": "、".join(self.fields), "key": shown[:100]},
                )
            )
        else:
            self.seen.add(key)
            self.outcome.passed()

    def held(self, row: HeldRow) -> None:
        if self.by_record_key:
            for problem in row.problems:
                if problem.get("message") == DUPLICATE_MSGID:
                    failure = _held_failure(row, "", problem)
                    shown = "|".join(as_text(row.raw.get(name)) for name in self.fields)
                    self.outcome.fail(Failure("", None, shown[:300], failure.message, failure.params))
                    return

    def finish(self, context: Context) -> Outcome:
        if self.by_record_key and context.repeated_rows:
            self.outcome.fail(
                Failure(
                    "", None, "", REPEATED, {"load": context.repeated_load_id, "count": context.repeated_rows}
                ),
                context.repeated_rows,
            )
        return self.outcome


class Freshness(Check):
    def __init__(self, spec: RuleSpec) -> None:
        super().__init__(spec)
        self.period_field: str = str(spec.params.get("period_field") or "")
        self.latest: dict[str, Any] = {}  # subject (or record key) → latest period seen

    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        if not self.period_field:
            return
        period = comparable(row.values.get(self.period_field))
        if period is None:
            return
        who = row.subject or row.record_key
        known = self.latest.get(who)
        if known is None or (_orderable(period, known) and period > known):
            self.latest[who] = period

    def finish(self, context: Context) -> Outcome:
        periods = [p for p in self.latest.values() if isinstance(p, Decimal | date)]
        if periods:
            expected = max(periods)
            for who, period in sorted(self.latest.items()):
                if _orderable(period, expected) and period < expected:
                    self.outcome.fail(
                        Failure(
                            "",
                            who,
                            as_text(period),
                            STALE_PERIOD,
                            {"latest": as_text(period), "expected": as_text(expected)},
                        )
                    )
                else:
                    self.outcome.passed()
        days = CYCLE_DAYS.get(context.update_cycle)
        if days is not None:
            max_days = int(self.spec.params.get("max_age_days") or days)
            if context.last_delivery is None:
                self.outcome.fail(Failure("", None, "", NEVER_DELIVERED))
            elif context.last_delivery.date() + timedelta(days=max_days) < context.today:
                day = context.last_delivery.date().isoformat()
                self.outcome.fail(Failure("", None, day, STALE_DELIVERY, {"day": day, "days": max_days}))
            else:
                self.outcome.passed()
        return self.outcome


def _orderable(a: Any, b: Any) -> bool:
    return type(a) is type(b) and not isinstance(a, str)


class CrossField(Check):
    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        params = self.spec.params
        left, right = row.values.get(self.spec.field), row.values.get(params["right"])
        verdict = compare(left, params["op"], right, Decimal(str(params.get("factor") or "1")))
        if verdict is None:
            return
        if verdict:
            self.outcome.passed()
            return
        self.outcome.fail(
            Failure(
                row.record_key,
                row.subject,
                f"{as_text(left)} / {as_text(right)}"[:300],
                COMPARISON_FAILED,
                {
                    "left": self.spec.field,
                    "left_value": as_text(left),
                    "right": _times(params),
                    "right_value": as_text(right),
                    "op": params["op"],
                },
            )
        )


def _times(params: Mapping[str, Any], name_key: str = "right") -> str:
    factor = str(params.get("factor") or "1")
    name = str(params[name_key])
    return name if factor == "1" else f"{factor} × {name}"


def match_key(subject: str | None, values: Mapping[str, Any], period_field: str) -> tuple[str, str]:
    """How a row finds its counterpart in another resource: subject, and period if given."""
    period = as_text(values.get(period_field)) if period_field else ""
    return (subject or "", period)


class CrossResource(Check):
    def row(self, row: Row, others: Mapping[tuple[str, str], list[Any]] | None) -> None:
        params = self.spec.params
        left = row.values.get(self.spec.field)
        if row.subject is None or _missing(left) or others is None:
            return
        candidates = others.get(match_key(row.subject, row.values, str(params.get("period_field") or "")))
        if not candidates:
            return
        factor = Decimal(str(params.get("factor") or "1"))
        verdicts = [compare(left, params["op"], other, factor) for other in candidates]
        decided = [v for v in verdicts if v is not None]
        if not decided:
            return
        if any(decided):
            self.outcome.passed()
            return
        self.outcome.fail(
            Failure(
                row.record_key,
                row.subject,
                f"{as_text(left)} / {as_text(candidates[0])}"[:300],
                DISAGREES,
                {
                    "left": self.spec.field,
                    "left_value": as_text(left),
                    "right": _times(params, "other_field"),
                    "right_value": as_text(candidates[0]),
                    "resource": params["other_resource"],
                },
            )
        )


def make_check(spec: RuleSpec, schema: ResourceSchema) -> Check:
    if spec.kind is RuleKind.COMPLETENESS:
        return Completeness(spec)
    if spec.kind is RuleKind.VALIDITY:
        found = schema.field(spec.field)
        assert found is not None
        return Validity(spec, found)
    if spec.kind is RuleKind.UNIQUENESS:
        key = sorted(f.name for f in schema.key_fields)
        return Uniqueness(spec, bool(key) and sorted(spec.params.get("fields") or []) == key)
    if spec.kind is RuleKind.FRESHNESS:
        return Freshness(spec)
    if spec.kind is RuleKind.CROSS_FIELD:
        return CrossField(spec)
    return CrossResource(spec)


def check_rows(
    spec: RuleSpec,
    schema: ResourceSchema,
    rows: Iterable[Row],
    context: Context,
    *,
    held: Iterable[HeldRow] = (),
    others: Mapping[tuple[str, str], list[Any]] | None = None,
) -> Outcome:
    """One rule over rows in one go (tests, small resources)."""
    check = make_check(spec, schema)
    check.feed(list(rows), others)
    for row in held:
        check.held(row)
    return check.finish(context)
