"""Profiles, pure: how a subject's records become attribute values with lineage.

A *source* (``SourceSpec``) says how one attribute is read from one resource: the field, the
aggregation and, for yearly attributes, which field gives the year. Aggregations:

- ``latest``: the field of the most recently recorded current record;
- ``latest_per_year``: per year, the field of the latest record of that year;
- ``sum_per_year`` / ``max_per_year`` / ``count_per_year``: per year, over the records matching
  the ``where`` conditions;
- ``exists``: whether any record matches the conditions;
- ``count_related``: per year, the related records (a person's hire) naming the enterprise in
  ``subject_field`` and matching the conditions;
- ``tag``: qualification lists; each record gives a validity interval of a tag, intervals that
  touch are merged, and the tag's ``since``/``until`` are those of the latest merged interval.

On a resource with full coverage (a list: absence means "none") a count, sum or maximum is 0
and ``exists`` is false where no record matches. Where several sources hold an attribute,
``governance.conflicts_domain.choose`` picks the value and says why. A value the enterprise
declared itself is used only where no source is readable at all: it never overrides shared data.
The bulk snapshot (``snapshot.py``) computes the same values in SQL; tests hold them equal.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tongban.governance.conflicts_domain import Candidate, ResolutionRule, choose
from tongban.profiles.attributes import Attribute, AttributeRegistry, AttributeType
from tongban.rules import columns

AGGREGATIONS = frozenset(
    {
        "latest",
        "latest_per_year",
        "sum_per_year",
        "max_per_year",
        "count_per_year",
        "exists",
        "count_related",
        "tag",
    }
)
ZERO_FILLED = frozenset({"sum_per_year", "max_per_year", "count_per_year", "count_related"})
SELF_DECLARED = "self_declared"
Key = tuple[str, int | None]  # attribute, year


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # eq, in, ge, true, months_before
    value: Any = None
    other: str = ""  # months_before: the later date's field
    months: int = 0


@dataclass(frozen=True)
class SourceSpec:
    """How one attribute is read from one resource."""

    attribute: str
    resource: str
    aggregation: str
    field: str = ""
    year_field: str = ""
    year_is_date: bool = False
    where: tuple[Condition, ...] = ()
    subject_field: str = ""
    tag: str = ""
    tag_field: str = ""
    tag_map: Mapping[str, str] = dc_field(default_factory=dict)
    since: Mapping[str, str] = dc_field(default_factory=dict)
    until: Mapping[str, str] | None = None
    element: str = ""  # the field's data element (filled from the resource schema)
    full_coverage: bool = False  # filled from the resource
    department: str = ""  # the resource's provider (filled from the resource)

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> SourceSpec:
        aggregation = str(item["aggregation"])
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {aggregation!r}")
        year = item.get("year") or {}
        return cls(
            attribute=str(item["attribute"]),
            resource=str(item["resource"]),
            aggregation=aggregation,
            field=str(item.get("field", "")),
            year_field=str(year.get("field", "")),
            year_is_date=bool(year.get("date", False)),
            where=tuple(Condition(**c) for c in item.get("where", ())),
            subject_field=str(item.get("subject_field", "")),
            tag=str(item.get("tag", "")),
            tag_field=str(item.get("tag_field", "")),
            tag_map=dict(item.get("tag_map", {})),
            since=dict(item.get("since") or {}),
            until=dict(item["until"]) if item.get("until") else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attribute": self.attribute,
            "resource": self.resource,
            "aggregation": self.aggregation,
        }
        if self.field:
            out["field"] = self.field
        if self.year_field:
            out["year"] = {"field": self.year_field, "date": self.year_is_date}
        if self.where:
            out["where"] = [
                {"field": c.field, "op": c.op, "value": c.value, "other": c.other, "months": c.months}
                for c in self.where
            ]
        for name in ("subject_field", "tag", "tag_field"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.tag_map:
            out["tag_map"] = dict(self.tag_map)
        if self.aggregation == "tag":
            out["since"] = dict(self.since)
            out["until"] = dict(self.until) if self.until else None
        return out

    @property
    def yearly(self) -> bool:
        return self.aggregation in ZERO_FILLED or self.aggregation == "latest_per_year"

    @property
    def fields_read(self) -> tuple[str, ...]:
        """Every field of the resource this source reads (for grants and the access log)."""
        names = [self.field, self.year_field, self.subject_field, self.tag_field]
        names += [c.field for c in self.where] + [c.other for c in self.where]
        names += list(self.since.values()) + list((self.until or {}).values())
        return tuple(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True)
class Row:
    """One current record version of a source resource."""

    record_id: int
    resource: str  # resource code
    department: str
    values: Mapping[str, Any]
    recorded_at: datetime


@dataclass(frozen=True)
class Sourced:
    """A value with where it came from."""

    value: Any  # canonical JSON form
    resource: str
    department: str
    field: str
    record_id: int | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class Entry:
    """One attribute value of a profile (one year of a yearly attribute)."""

    attribute: str
    year: int | None
    value: Any
    source: Sourced | None
    conflict: bool = False
    reason: str = ""
    self_declared: bool = False

    def lineage(self) -> tuple[object, ...]:
        source = self.source
        where = (
            (source.resource, source.department, source.field, source.record_id, source.recorded_at)
            if (source)
            else None
        )
        return (where, self.conflict, self.reason, self.self_declared)

    def same_value(self, other: Entry) -> bool:
        return (self.value, self.conflict, self.reason, self.self_declared) == (
            other.value,
            other.conflict,
            other.reason,
            other.self_declared,
        )

    def same_as(self, other: Entry) -> bool:
        """Same value and same lineage (nothing to write)."""
        return self.value == other.value and self.lineage() == other.lineage()


# --- values ---------------------------------------------------------------------------------------


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def canonical(kind: AttributeType, raw: Any) -> Any:
    """A record value in the attribute's canonical JSON form (None when absent or unreadable)."""
    if raw is None or raw == "":
        return None
    if kind is AttributeType.MONEY:
        number = _decimal(raw)
        return None if number is None else int((number * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if kind is AttributeType.COUNT:
        number = _decimal(raw)
        return None if number is None else int(number)
    if kind in (AttributeType.NUMBER, AttributeType.RATIO):
        number = _decimal(raw)
        return None if number is None else float(number)
    if kind is AttributeType.BOOL:
        return bool(raw)
    if kind is AttributeType.DATE:
        day = _day(raw)
        return day.isoformat() if day else None
    return str(raw).strip() or None


def _day(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def matches(conditions: Sequence[Condition], values: Mapping[str, Any]) -> bool:
    """Whether a record meets every condition (a missing value fails a condition)."""
    for c in conditions:
        value = values.get(c.field)
        if c.op == "eq":
            ok = value is not None and value == c.value
        elif c.op == "in":
            ok = value in tuple(c.value)
        elif c.op == "ge":
            number = _decimal(value)
            ok = number is not None and number >= Decimal(str(c.value))
        elif c.op == "true":
            ok = value is True
        elif c.op == "months_before":
            first, later = _day(value), _day(values.get(c.other))
            ok = first is not None and later is not None and first <= add_months(later, -c.months)
        else:
            raise ValueError(f"unknown condition {c.op!r}")
        if not ok:
            return False
    return True


def _year(spec: SourceSpec, values: Mapping[str, Any]) -> int | None:
    raw = values.get(spec.year_field)
    if spec.year_is_date:
        day = _day(raw) if raw else None
        return day.year if day else None
    number = _decimal(raw)
    return int(number) if number is not None else None


# --- aggregation ----------------------------------------------------------------------------------


def _sourced(spec: SourceSpec, row: Row, value: Any) -> Sourced:
    return Sourced(value, row.resource, row.department, spec.field, row.record_id, row.recorded_at)


def _newest(rows: Iterable[Row]) -> Row:
    return max(rows, key=lambda r: (r.recorded_at, r.record_id))


def aggregate(
    spec: SourceSpec, kind: AttributeType, rows: Sequence[Row], years: range
) -> dict[int | None, Sourced]:
    """One source's values for a subject: {None: value} or {year: value} (tags: see tag_values)."""
    if spec.aggregation == "tag":
        tags = tag_intervals(spec, rows)
        if not tags and not rows and not spec.full_coverage:
            return {}
        newest = _newest(rows) if rows else None
        return {
            None: Sourced(
                tags,
                spec.resource,
                spec.department,
                spec.tag_field,
                newest.record_id if newest else None,
                newest.recorded_at if newest else None,
            )
        }
    chosen = [r for r in rows if matches(spec.where, r.values)]
    if spec.aggregation == "latest":
        present = [r for r in chosen if canonical(kind, r.values.get(spec.field)) is not None]
        if not present:
            return {}
        row = _newest(present)
        return {None: _sourced(spec, row, canonical(kind, row.values.get(spec.field)))}
    if spec.aggregation == "exists":
        if chosen:
            return {None: _sourced(spec, _newest(chosen), True)}
        if spec.full_coverage:
            return {None: Sourced(False, spec.resource, spec.department, spec.field, None, None)}
        return {}
    by_year: dict[int, list[Row]] = {}
    for row in chosen:
        year = _year(spec, row.values)
        if year is not None and year in years:
            by_year.setdefault(year, []).append(row)
    out: dict[int | None, Sourced] = {}
    for year, group in by_year.items():
        newest = _newest(group)
        if spec.aggregation in ("count_per_year", "count_related"):
            out[year] = _sourced(spec, newest, len(group))
            continue
        numbers = [(canonical(kind, r.values.get(spec.field)), r) for r in group]
        known = [(v, r) for v, r in numbers if v is not None]
        if not known:
            continue
        if spec.aggregation == "latest_per_year":
            value, row = max(known, key=lambda p: (p[1].recorded_at, p[1].record_id))
            out[year] = _sourced(spec, row, value)
        elif spec.aggregation == "sum_per_year":
            out[year] = _sourced(spec, newest, sum(v for v, _ in known))
        else:  # max_per_year
            value, row = max(known, key=lambda p: (p[0], p[1].recorded_at, p[1].record_id))
            out[year] = _sourced(spec, row, value)
    if spec.full_coverage and spec.aggregation in ZERO_FILLED:
        for year in years:
            out.setdefault(year, Sourced(0, spec.resource, spec.department, spec.field, None, None))
    return out


def _interval(spec: SourceSpec, values: Mapping[str, Any]) -> tuple[date, date | None] | None:
    if "field" in spec.since:
        since = _day(values.get(spec.since["field"]))
    elif "year_start" in spec.since:
        year = _decimal(values.get(spec.since["year_start"]))
        since = date(int(year), 1, 1) if year is not None else None
    else:
        since = None
    if since is None:
        return None
    until: date | None = None
    if spec.until:
        if "field" in spec.until:
            until = _day(values.get(spec.until["field"]))
        elif "add_years" in spec.until:
            years = _decimal(values.get(spec.until["add_years"]))
            until = add_years(since, int(years)) - timedelta(days=1) if years is not None else None
        elif "year_end" in spec.until:
            year = _decimal(values.get(spec.until["year_end"]))
            until = date(int(year), 12, 31) if year is not None else None
        if until is None:
            return None  # a limited validity with an unreadable end: not counted
    return since, until


def merge_intervals(intervals: Iterable[tuple[date, date | None]]) -> tuple[date, date | None] | None:
    """The latest run of intervals that overlap or touch (an open end absorbs what follows)."""
    current: tuple[date, date | None] | None = None
    for since, until in sorted(intervals, key=lambda i: (i[0], i[1] or date.max)):
        if current is None:
            current = (since, until)
            continue
        end = current[1]
        if end is None or since <= end + timedelta(days=1):
            current = (current[0], None if end is None or until is None else max(end, until))
        else:
            current = (since, until)
    return current


def tag_intervals(spec: SourceSpec, rows: Sequence[Row]) -> dict[str, list[list[str | None]]]:
    """{tag: [[since, until or None], …]} (ISO dates) of one qualification list, unmerged."""
    out: dict[str, list[list[str | None]]] = {}
    for row in rows:
        tag = spec.tag or spec.tag_map.get(str(row.values.get(spec.tag_field) or ""), "")
        interval = _interval(spec, row.values) if tag else None
        if interval is not None:
            since, until = interval
            out.setdefault(tag, []).append([since.isoformat(), until.isoformat() if until else None])
    return out


def merge_tags(
    parts: Iterable[Mapping[str, Sequence[Sequence[str | None]]]],
) -> dict[str, dict[str, str | None]]:
    """The tags of one or more lists, each tag's intervals merged: {tag: {"since", "until"}}."""
    intervals: dict[str, list[tuple[date, date | None]]] = {}
    for part in parts:
        for tag, spans in part.items():
            for since, until in spans:
                intervals.setdefault(tag, []).append(
                    (date.fromisoformat(str(since)), date.fromisoformat(until) if until else None)
                )
    merged = {tag: merge_intervals(found) for tag, found in intervals.items()}
    return {
        tag: {"since": m[0].isoformat(), "until": m[1].isoformat() if m[1] else None}
        for tag, m in sorted(merged.items())
        if m is not None
    }


# --- a profile ------------------------------------------------------------------------------------


def _resolve(
    attribute: Attribute,
    year: int | None,
    found: Sequence[Sourced],
    rule: ResolutionRule,
    decided: Candidate | None,
) -> Entry | None:
    if attribute.type is AttributeType.TAGS:
        dated = [s for s in found if s.recorded_at is not None]
        newest = max(dated, key=lambda s: (s.recorded_at, s.resource)) if dated else found[0]
        reason = "single_source" if len(found) == 1 else "agree"
        return Entry(attribute.key, None, merge_tags(s.value for s in found), newest, False, reason)
    placed = [s for s in found if s.recorded_at is not None]
    unplaced = [s for s in found if s.recorded_at is None]  # zero fills of complete lists
    if not placed:
        return Entry(attribute.key, year, unplaced[0].value, unplaced[0], False, "single_source")
    candidates = [
        Candidate(s.value, s.resource, s.department, s.recorded_at) for s in placed if s.recorded_at
    ]
    choice = choose(candidates, rule, decided)
    if choice is None:
        return None
    source = None
    if choice.source is not None:
        picked = choice.source
        source = next((s for s in placed if s.resource == picked.resource_code), None) or Sourced(
            choice.value, picked.resource_code, picked.department, "", None, picked.recorded_at
        )
    return Entry(attribute.key, year, choice.value, source, choice.conflict, choice.reason.value)


def build_profile(
    registry: AttributeRegistry,
    sources: Sequence[SourceSpec],
    rows: Mapping[str, Sequence[Row]],
    *,
    years: range,
    rules: Mapping[str, ResolutionRule] | None = None,
    decisions: Mapping[tuple[str, int | None], Candidate] | None = None,
    declared: Mapping[Key, Any] | None = None,
) -> dict[Key, Entry]:
    """Every attribute value of one subject: ``rows`` by resource code (only readable resources),
    ``rules`` by attribute key, ``decisions`` by (attribute, year), ``declared`` by (attribute, year)."""
    found: dict[Key, list[Sourced]] = {}
    attributes_with_source: set[str] = set()
    for spec in sources:
        attribute = registry.get(spec.attribute)
        if attribute is None or spec.resource not in rows:
            continue
        attributes_with_source.add(attribute.key)
        for year, value in aggregate(spec, attribute.type, rows[spec.resource], years).items():
            found.setdefault((attribute.key, year), []).append(value)
    entries: dict[Key, Entry] = {}
    for (key, year), values in found.items():
        attribute = registry[key]
        rule = (rules or {}).get(key, ResolutionRule())
        entry = _resolve(attribute, year, values, rule, (decisions or {}).get((key, year)))
        if entry is not None:
            entries[(key, year)] = entry
    for (key, year), value in (declared or {}).items():
        if key in registry and key not in attributes_with_source and (key, year) not in entries:
            entries[(key, year)] = Entry(key, year, value, None, False, SELF_DECLARED, True)
    return entries


def changed_attributes(
    before: Mapping[Key, Entry], after: Mapping[Key, Entry], *, values_only: bool = True
) -> list[str]:
    """Attribute keys whose value (or, with ``values_only=False``, also lineage) differs, sorted.
    A new version of a record with the same value changes the lineage, not the value."""
    keys = set(before) | set(after)

    def differs(key: Key) -> bool:
        if key not in before or key not in after:
            return True
        if values_only:
            return not before[key].same_value(after[key])
        return not before[key].same_as(after[key])

    return sorted({k[0] for k in keys if differs(k)})


# --- reading ---------------------------------------------------------------------------------------


FRESH_DAYS = {"realtime": 2, "daily": 2, "weekly": 8, "monthly": 32, "quarterly": 93, "yearly": 366}


def freshness(recorded_at: datetime | None, update_cycle: str, moment: datetime) -> str:
    """fresh (within the resource's update cycle), ageing (within two cycles) or stale; unknown
    without a record time."""
    if recorded_at is None:
        return "unknown"
    days = FRESH_DAYS.get(update_cycle, 366)
    age = (moment - recorded_at).total_seconds() / 86400
    if age <= days:
        return "fresh"
    return "ageing" if age <= 2 * days else "stale"


def to_row(
    registry: AttributeRegistry, entries: Mapping[Key, Entry], at: date, *, shared_only: bool = True
) -> dict[str, object]:
    """The profile in the flat layout of rules/columns.py (the snapshot's row for this subject)."""
    row: dict[str, object] = {}
    window = columns.history_years(at)
    for (key, year), entry in entries.items():
        if (shared_only and entry.self_declared) or entry.value is None:
            continue
        attribute = registry[key]
        value: object = entry.value
        if attribute.type is AttributeType.DATE:
            value = date.fromisoformat(str(value))
        if attribute.type is AttributeType.TAGS:
            row[key] = True
            for tag, span in dict(entry.value).items():
                row[columns.tag_since(key, tag)] = date.fromisoformat(span["since"])
                until = span["until"]
                row[columns.tag_until(key, tag)] = date.fromisoformat(until) if until else None
        elif attribute.yearly:
            if year in window:
                row[columns.yearly(key, int(year or 0))] = value
        else:
            row[key] = value
    return row
