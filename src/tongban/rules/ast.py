"""The syntax tree of the condition and amount language, and its canonical JSON form.

A rule is stored as JSON (``Rule.to_json``) with a ``version``; the text form is only a way to
write and read it (``rules.parser`` / ``rules.printer``). Every back-end — the single-entity
evaluator, the population engine and the SQL compiler — walks these same nodes, and the
meaning of each node is written once, in docs/rules.md.

Nodes are frozen dataclasses. ``span`` (where the node came from in the text) is carried for
error messages but takes no part in equality, hashing or JSON, so a tree parsed from text equals
the same tree read from JSON.

Periods are offsets in calendar years from the evaluation year: 0 this year, -1 last year
(上年度), -2 the year before. A ``Window`` is an inclusive range of offsets: the last three
years are ``Window(-3, -1)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal

VERSION = 1


@dataclass(frozen=True)
class Span:
    """Character offsets [start, end) in the text a node was parsed from."""

    start: int
    end: int


@dataclass(frozen=True)
class Window:
    """Inclusive range of year offsets, ``start <= end <= 0``."""

    start: int
    end: int

    def offsets(self) -> range:
        return range(self.start, self.end + 1)


def _no_span() -> Span | None:
    return None


@dataclass(frozen=True)
class Node:
    """Base of every node. ``op`` is the node's name in JSON."""

    op: ClassVar[str] = ""
    span: Span | None = field(default_factory=_no_span, compare=False, hash=False, repr=False, kw_only=True)

    def children(self) -> Iterator[Node]:
        for f in fields(self):
            if f.name == "span":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item
                    elif isinstance(item, TierStep):
                        yield item.amount


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Attr(Node):
    """An attribute of the entity. ``period`` is required for yearly attributes, except inside
    a per-year construct (first_time, count_years, all_years, any_year) where it is None and
    the year is the construct's."""

    op: ClassVar[str] = "attr"
    key: str
    period: int | None = None


@dataclass(frozen=True)
class Number(Node):
    """A plain number as written (2000万 is 20000000). Takes the type of what it meets: money
    (yuan) beside money, a count beside a count, a ratio beside a ratio."""

    op: ClassVar[str] = "number"
    value: Decimal


@dataclass(frozen=True)
class Percent(Node):
    """A percentage as written: ``Percent(Decimal(20))`` is 20% (the ratio 0.2)."""

    op: ClassVar[str] = "percent"
    value: Decimal

    @property
    def ratio(self) -> Decimal:
        return self.value / 100


@dataclass(frozen=True)
class DateLiteral(Node):
    op: ClassVar[str] = "date"
    value: date


@dataclass(frozen=True)
class BoolLiteral(Node):
    op: ClassVar[str] = "bool"
    value: bool


ArithOp = Literal["+", "-", "*", "/"]


@dataclass(frozen=True)
class Arith(Node):
    """``left op right``. Its JSON op is the operator itself."""

    op: ClassVar[str] = "arith"
    operator: ArithOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Extremum(Node):
    """``min(a, b, …)`` or ``max(a, b, …)`` (take the higher: 就高)."""

    op: ClassVar[str] = "extremum"
    function: Literal["min", "max"]
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Growth(Node):
    """(key[period] − key[base]) / key[base], a ratio."""

    op: ClassVar[str] = "growth"
    key: str
    period: int = -1
    base: int = -2


@dataclass(frozen=True)
class YearsSince(Node):
    """Whole years from a date to the evaluation date (成立未满3年: years_since(established_on) < 3)."""

    op: ClassVar[str] = "years_since"
    arg: Node


@dataclass(frozen=True)
class SumYears(Node):
    """Sum of a yearly attribute over a window of years."""

    op: ClassVar[str] = "sum"
    key: str
    window: Window


@dataclass(frozen=True)
class CountYears(Node):
    """Number of years in the window for which the per-year condition holds."""

    op: ClassVar[str] = "count_years"
    condition: Node
    window: Window


@dataclass(frozen=True)
class If(Node):
    """``if condition then a else b`` — an amount or value chosen by a condition."""

    op: ClassVar[str] = "if"
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class TierStep:
    """One step of a tier table: from ``at`` (or, by rank, up to ``at``) the amount is ``amount``."""

    at: Decimal
    amount: Node


@dataclass(frozen=True)
class Tiers(Node):
    """A tier table. ``by="amount"``: the step with the largest ``at`` ≤ value (0 below the
    first). ``by="rank"``: the step with the smallest ``at`` ≥ value (rank 1 is best; 0 past
    the last). Steps are sorted by ``at`` ascending."""

    op: ClassVar[str] = "tiers"
    value: Node
    steps: tuple[TierStep, ...]
    by: Literal["amount", "rank"] = "amount"


@dataclass(frozen=True)
class Above(Node):
    """The portion of value above threshold: max(value − threshold, 0)."""

    op: ClassVar[str] = "above"
    value: Node
    threshold: Node


@dataclass(frozen=True)
class UpTo(Node):
    """A discretionary amount of at most ``cap`` (最高不超过, without a rate): the range [0, cap]."""

    op: ClassVar[str] = "up_to"
    cap: Node


# ---------------------------------------------------------------- conditions

CompareOp = Literal["<", "<=", ">", ">=", "=", "!="]


@dataclass(frozen=True)
class Compare(Node):
    """``left op right``. Its JSON op is the operator itself."""

    op: ClassVar[str] = "compare"
    operator: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Between(Node):
    """low ≤ value ≤ high."""

    op: ClassVar[str] = "between"
    value: Node
    low: Node
    high: Node


@dataclass(frozen=True)
class Within(Node):
    """A region or industry lies within (or is) one of the codes: 350203 within 3502; 3511
    within C. Codes are stored normalised (regions six digits, industries as GB/T 4754 writes
    them)."""

    op: ClassVar[str] = "within"
    value: Node
    codes: tuple[str, ...]


@dataclass(frozen=True)
class In(Node):
    """A code attribute equals one of the listed codes (enterprise_size in [small, micro])."""

    op: ClassVar[str] = "in"
    value: Node
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Has(Node):
    """The tags attribute holds ``tag`` valid on the evaluation date."""

    op: ClassVar[str] = "has"
    key: str
    tag: str


@dataclass(frozen=True)
class Gained(Node):
    """The tag's validity began within the window of years (新认定: gained in the last year)."""

    op: ClassVar[str] = "gained"
    key: str
    tag: str
    window: Window


@dataclass(frozen=True)
class FirstTime(Node):
    """The per-year condition holds in ``period`` and in no recorded year before it."""

    op: ClassVar[str] = "first_time"
    condition: Node
    period: int = -1


@dataclass(frozen=True)
class AllYears(Node):
    op: ClassVar[str] = "all_years"
    condition: Node
    window: Window


@dataclass(frozen=True)
class AnyYear(Node):
    op: ClassVar[str] = "any_year"
    condition: Node
    window: Window


@dataclass(frozen=True)
class And(Node):
    op: ClassVar[str] = "and"
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    op: ClassVar[str] = "or"
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    op: ClassVar[str] = "not"
    arg: Node


LOGICAL = (And, Or, Not)
PER_YEAR = (FirstTime, CountYears, AllYears, AnyYear)


@dataclass(frozen=True)
class Rule:
    """An item's eligibility condition and, optionally, its amount formula."""

    condition: Node
    amount: Node | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "condition": to_json(self.condition),
            "amount": to_json(self.amount) if self.amount is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        version = data.get("version")
        if version != VERSION:
            raise ValueError(f"unsupported rule version {version!r}")
        amount = data.get("amount")
        return cls(from_json(data["condition"]), from_json(amount) if amount is not None else None)


# ---------------------------------------------------------------- JSON


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0.0") else text


def _window_json(window: Window) -> dict[str, int]:
    return {"from": window.start, "to": window.end}


def to_json(node: Node) -> dict[str, Any]:
    """The canonical JSON object of a node (no spans)."""
    match node:
        case Attr(key=key, period=period):
            out: dict[str, Any] = {"op": "attr", "key": key}
            if period is not None:
                out["period"] = period
            return out
        case Number(value=value):
            return {"op": "number", "value": _decimal_text(value)}
        case Percent(value=value):
            return {"op": "percent", "value": _decimal_text(value)}
        case DateLiteral(value=value):
            return {"op": "date", "value": value.isoformat()}
        case BoolLiteral(value=value):
            return {"op": "bool", "value": value}
        case Arith(operator=operator, left=left, right=right):
            return {"op": operator, "left": to_json(left), "right": to_json(right)}
        case Extremum(function=function, args=args):
            return {"op": function, "args": [to_json(a) for a in args]}
        case Growth(key=key, period=period, base=base):
            return {"op": "growth", "key": key, "period": period, "base": base}
        case YearsSince(arg=arg):
            return {"op": "years_since", "arg": to_json(arg)}
        case SumYears(key=key, window=window):
            return {"op": "sum", "key": key, "window": _window_json(window)}
        case CountYears(condition=condition, window=window):
            return {"op": "count_years", "condition": to_json(condition), "window": _window_json(window)}
        case If(condition=condition, then=then, otherwise=otherwise):
            return {"op": "if", "condition": to_json(condition), "then": to_json(then),
                    "else": to_json(otherwise)}
        case Tiers(value=value, steps=steps, by=by):
            return {"op": "tiers", "by": by, "value": to_json(value),
                    "steps": [{"at": _decimal_text(s.at), "amount": to_json(s.amount)} for s in steps]}
        case Above(value=value, threshold=threshold):
            return {"op": "above", "value": to_json(value), "threshold": to_json(threshold)}
        case UpTo(cap=cap):
            return {"op": "up_to", "cap": to_json(cap)}
        case Compare(operator=operator, left=left, right=right):
            return {"op": operator, "left": to_json(left), "right": to_json(right)}
        case Between(value=value, low=low, high=high):
            return {"op": "between", "value": to_json(value), "low": to_json(low), "high": to_json(high)}
        case Within(value=value, codes=codes):
            return {"op": "within", "value": to_json(value), "codes": list(codes)}
        case In(value=value, codes=codes):
            return {"op": "in", "value": to_json(value), "codes": list(codes)}
        case Has(key=key, tag=tag):
            return {"op": "has", "key": key, "tag": tag}
        case Gained(key=key, tag=tag, window=window):
            return {"op": "gained", "key": key, "tag": tag, "window": _window_json(window)}
        case FirstTime(condition=condition, period=period):
            return {"op": "first_time", "condition": to_json(condition), "period": period}
        case AllYears(condition=condition, window=window):
            return {"op": "all_years", "condition": to_json(condition), "window": _window_json(window)}
        case AnyYear(condition=condition, window=window):
            return {"op": "any_year", "condition": to_json(condition), "window": _window_json(window)}
        case And(args=args):
            return {"op": "and", "args": [to_json(a) for a in args]}
        case Or(args=args):
            return {"op": "or", "args": [to_json(a) for a in args]}
        case Not(arg=arg):
            return {"op": "not", "arg": to_json(arg)}
    raise TypeError(f"not a rule node: {node!r}")


def _window(data: Any) -> Window:
    return Window(int(data["from"]), int(data["to"]))


def _decimal(data: Any) -> Decimal:
    if not isinstance(data, str | int):
        raise ValueError(f"a number must be written as a string or integer, not {data!r}")
    return Decimal(str(data))


def from_json(data: Any) -> Node:
    """The node for a canonical JSON object; ValueError/KeyError for malformed input."""
    if not isinstance(data, dict):
        raise ValueError(f"a rule node must be an object, not {type(data).__name__}")
    op = data.get("op")
    match op:
        case "attr":
            period = data.get("period")
            return Attr(str(data["key"]), int(period) if period is not None else None)
        case "number":
            return Number(_decimal(data["value"]))
        case "percent":
            return Percent(_decimal(data["value"]))
        case "date":
            return DateLiteral(date.fromisoformat(data["value"]))
        case "bool":
            if not isinstance(data["value"], bool):
                raise ValueError("bool value must be true or false")
            return BoolLiteral(data["value"])
        case "+" | "-" | "*" | "/":
            return Arith(op, from_json(data["left"]), from_json(data["right"]))
        case "min" | "max":
            return Extremum(op, tuple(from_json(a) for a in data["args"]))
        case "growth":
            return Growth(str(data["key"]), int(data.get("period", -1)), int(data.get("base", -2)))
        case "years_since":
            return YearsSince(from_json(data["arg"]))
        case "sum":
            return SumYears(str(data["key"]), _window(data["window"]))
        case "count_years":
            return CountYears(from_json(data["condition"]), _window(data["window"]))
        case "if":
            return If(from_json(data["condition"]), from_json(data["then"]), from_json(data["else"]))
        case "tiers":
            by = data.get("by", "amount")
            if by not in ("amount", "rank"):
                raise ValueError(f"tiers by {by!r}")
            steps = tuple(TierStep(_decimal(s["at"]), from_json(s["amount"])) for s in data["steps"])
            return Tiers(from_json(data["value"]), steps, by)
        case "above":
            return Above(from_json(data["value"]), from_json(data["threshold"]))
        case "up_to":
            return UpTo(from_json(data["cap"]))
        case "<" | "<=" | ">" | ">=" | "=" | "!=":
            return Compare(op, from_json(data["left"]), from_json(data["right"]))
        case "between":
            return Between(from_json(data["value"]), from_json(data["low"]), from_json(data["high"]))
        case "within":
            return Within(from_json(data["value"]), tuple(str(c) for c in data["codes"]))
        case "in":
            return In(from_json(data["value"]), tuple(str(c) for c in data["codes"]))
        case "has":
            return Has(str(data["key"]), str(data["tag"]))
        case "gained":
            return Gained(str(data["key"]), str(data["tag"]), _window(data["window"]))
        case "first_time":
            return FirstTime(from_json(data["condition"]), int(data.get("period", -1)))
        case "all_years":
            return AllYears(from_json(data["condition"]), _window(data["window"]))
        case "any_year":
            return AnyYear(from_json(data["condition"]), _window(data["window"]))
        case "and":
            return And(tuple(from_json(a) for a in data["args"]))
        case "or":
            return Or(tuple(from_json(a) for a in data["args"]))
        case "not":
            return Not(from_json(data["arg"]))
    raise ValueError(f"unknown rule node {op!r}")


def canonical_key(node: Node) -> str:
    """A stable text identity of a node: equal nodes, equal keys (atoms are shared by it)."""
    return json.dumps(to_json(node), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- walking


def walk(node: Node) -> Iterator[Node]:
    """The node and every node below it, depth first."""
    yield node
    for child in node.children():
        yield from walk(child)


def atoms(condition: Node) -> list[Node]:
    """The atoms of a condition: the nodes below and/or/not that are not themselves and/or/not,
    in order of first appearance, each once. A per-year construct is one atom."""
    found: dict[str, Node] = {}

    def visit(node: Node) -> None:
        if isinstance(node, And | Or):
            for arg in node.args:
                visit(arg)
        elif isinstance(node, Not):
            visit(node.arg)
        else:
            found.setdefault(canonical_key(node), node)

    visit(condition)
    return list(found.values())


def attribute_keys(node: Node) -> set[str]:
    """Every attribute key the node reads."""
    keys: set[str] = set()
    for item in walk(node):
        if isinstance(item, Attr | Growth | SumYears | Has | Gained):
            keys.add(item.key)
    return keys
