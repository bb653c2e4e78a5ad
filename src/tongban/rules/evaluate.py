"""The single-entity evaluator: a rule against one row of columns (docs/rules.md §3–§6).

``compile_rule`` compiles a type-checked rule once for an evaluation date into closures
(``rules.compiler``); ``CompiledRule.decide`` gives the status and amount of a row fast and
``CompiledRule.evaluate`` adds, for every atom of the condition, its value, the columns it read
with their values and sources, and for a false threshold the smallest change that would pass
(``rules.near_miss``). ``evaluate`` does both steps for a single call.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from tongban.kernel import clock
from tongban.profiles.attributes import AttributeRegistry, AttributeType, builtin_registry
from tongban.rules import ast, columns
from tongban.rules.evaluate_amounts import AmountCompiler
from tongban.rules.printer import print_node
from tongban.rules.scalars import Amt, Cond, Interval, Kleene, Row

Combine = Callable[[Sequence[Kleene]], Kleene]
Sources = Mapping[str, Mapping[str, Any]]


class Status(enum.StrEnum):
    ELIGIBLE = "eligible"
    LIKELY = "likely"
    INELIGIBLE = "ineligible"

    @property
    def code(self) -> int:
        """The status in arrays: 2 eligible, 1 likely, 0 ineligible."""
        return {"eligible": 2, "likely": 1, "ineligible": 0}[self.value]


def fen_to_yuan(fen: int) -> str:
    """Fen as a yuan string with two decimals: 30000000 → '300000.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


class AmountRange(NamedTuple):
    """An amount in fen; ``high_fen`` None is unbounded. (A named tuple: made per matched item
    on the fast path, so it must be cheap.)"""

    low_fen: int
    high_fen: int | None

    @property
    def is_point(self) -> bool:
        return self.high_fen == self.low_fen

    def to_json(self) -> dict[str, str | None]:
        high = fen_to_yuan(self.high_fen) if self.high_fen is not None else None
        return {"low": fen_to_yuan(self.low_fen), "high": high}

    @classmethod
    def from_interval(cls, interval: Interval) -> AmountRange:
        low, high = max(interval[0], 0), max(interval[1], 0)  # never a negative amount
        return cls(int(low), None if math.isinf(high) else int(high))


@dataclass(frozen=True)
class ColumnRead:
    """One column an atom read: its value in the row (None unknown) and where it came from."""

    column: str
    attribute: str
    value: object
    source: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AtomResult:
    node: ast.Node
    text: str
    value: Kleene
    columns: tuple[ColumnRead, ...]
    near_miss: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Evaluation:
    status: Status
    amount: AmountRange | None
    deciding: tuple[str, ...]
    atoms: tuple[AtomResult, ...]
    rule: ast.Rule
    at: date
    registry: AttributeRegistry = field(repr=False, compare=False)
    row: Row = field(default_factory=dict, repr=False, compare=False)
    sources: Sources = field(default_factory=dict, repr=False, compare=False)

    def to_json(self, language: str = "zh-CN") -> dict[str, Any]:
        from tongban.rules.explain import near_miss_message

        atoms = []
        for atom in self.atoms:
            item: dict[str, Any] = {
                "text": atom.text,
                "value": atom.value,
                "columns": [
                    {"column": c.column, "attribute": c.attribute,
                     "value": json_value(c.value, self.registry, c.attribute),
                     "source": dict(c.source) if c.source else None}
                    for c in atom.columns
                ],
            }
            if atom.near_miss is not None:
                message = near_miss_message(atom.near_miss, self, language)
                item["near_miss"] = {**atom.near_miss, "message": message}
            atoms.append(item)
        return {
            "status": self.status.value,
            "amount": self.amount.to_json() if self.amount is not None else None,
            "deciding": list(self.deciding),
            "atoms": atoms,
        }


def json_value(value: object, registry: AttributeRegistry, key: str) -> object:
    attribute = registry.get(key)
    if value is None:
        return None
    if attribute is not None and attribute.type is AttributeType.MONEY and isinstance(value, int):
        return fen_to_yuan(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# ------------------------------------------------------------------ combining atoms


def combiner(node: ast.Node, index: Mapping[str, int]) -> Combine:
    """A closure combining atom values (by position ``index[canonical_key]``) in Kleene logic."""
    if isinstance(node, ast.And | ast.Or):
        parts = [combiner(arg, index) for arg in node.args]
        direct = [index[ast.canonical_key(arg)] for arg in node.args if not isinstance(arg, ast.LOGICAL)]
        if len(direct) == len(parts):
            stop, fallback = (False, True) if isinstance(node, ast.And) else (True, False)

            def flat(values: Sequence[Kleene]) -> Kleene:
                result: Kleene = fallback
                for i in direct:
                    v = values[i]
                    if v is stop:
                        return stop
                    if v is None:
                        result = None
                return result

            return flat
        stop, fallback = (False, True) if isinstance(node, ast.And) else (True, False)

        def nested(values: Sequence[Kleene]) -> Kleene:
            result: Kleene = fallback
            for part in parts:
                v = part(values)
                if v is stop:
                    return stop
                if v is None:
                    result = None
            return result

        return nested
    if isinstance(node, ast.Not):
        inner = combiner(node.arg, index)

        def negate(values: Sequence[Kleene]) -> Kleene:
            v = inner(values)
            return None if v is None else not v

        return negate
    i = index[ast.canonical_key(node)]
    return lambda values: values[i]


def negated_atoms(condition: ast.Node) -> set[str]:
    """Canonical keys of the atoms that occur only under an odd number of not."""
    polarity: dict[str, set[bool]] = {}

    def visit(node: ast.Node, negated: bool) -> None:
        if isinstance(node, ast.And | ast.Or):
            for arg in node.args:
                visit(arg, negated)
        elif isinstance(node, ast.Not):
            visit(node.arg, not negated)
        else:
            polarity.setdefault(ast.canonical_key(node), set()).add(negated)

    visit(condition, False)
    return {key for key, seen in polarity.items() if seen == {True}}


def has_up_to(node: ast.Node | None) -> bool:
    return node is not None and any(isinstance(n, ast.UpTo) for n in ast.walk(node))


def decide(condition: Kleene, first: Amt | None, capped: Amt | None,
           row: Row) -> tuple[Status, AmountRange | None]:
    """The status rule of §5 from the condition's value and the two amount passes."""
    if condition is False:
        return Status.INELIGIBLE, None
    if first is None:
        return (Status.ELIGIBLE if condition else Status.LIKELY), None
    amount = AmountRange.from_interval(first(row))
    if condition is None:
        return Status.LIKELY, amount
    second = AmountRange.from_interval(capped(row)) if capped is not None else amount
    return (Status.ELIGIBLE if second.is_point else Status.LIKELY), amount


# ------------------------------------------------------------------ compiled rules


def printed_text(node: ast.Node) -> str:
    """The canonical text of a node (the printer's)."""
    return print_node(node)


class CompiledRule:
    """A rule compiled for one evaluation date: evaluate many rows fast."""

    def __init__(self, rule: ast.Rule, registry: AttributeRegistry, at: date) -> None:
        self.rule, self.registry, self.at = rule, registry, at
        self.compiler = AmountCompiler(registry, at)
        self.atoms = ast.atoms(rule.condition)
        self.atom_tests: list[Cond] = [self.compiler.condition(a) for a in self.atoms]
        self.combine = combiner(rule.condition, {ast.canonical_key(a): i for i, a in enumerate(self.atoms)})
        self.negated = negated_atoms(rule.condition)
        self.first: Amt | None = None
        self.capped: Amt | None = None
        if rule.amount is not None:
            self.first = self.compiler.amount(rule.amount)
            if has_up_to(rule.amount):
                self.capped = self.compiler.amount(rule.amount, cap_mode=True)

    def atom_values(self, row: Row) -> list[Kleene]:
        return [test(row, 0) for test in self.atom_tests]

    def decide(self, row: Row) -> tuple[Status, AmountRange | None]:
        """Status and amount only (the fast path)."""
        return decide(self.combine(self.atom_values(row)), self.first, self.capped, row)

    def evaluate(self, row: Row, sources: Sources | None = None) -> Evaluation:
        from tongban.rules.near_miss import near_miss

        values = self.atom_values(row)
        condition = self.combine(values)
        status, amount = decide(condition, self.first, self.capped, row)
        results = []
        deciding: set[str] = set()
        for i, (atom, value) in enumerate(zip(self.atoms, values, strict=True)):
            read = self.columns_of(atom, row)
            if value is None and status is Status.LIKELY and self._matters(values, i):
                # a tag's since/until only matter through the set being known
                deciding.update(c for c in read if row.get(c) is None and "#" not in c)
            # a near miss says how to make an atom true: not wanted for one only used under not
            wanted = value is False and ast.canonical_key(atom) not in self.negated
            miss = near_miss(atom, self.compiler, row) if wanted else None
            results.append(AtomResult(
                atom, printed_text(atom), value,
                tuple(ColumnRead(c, _attribute_of(c), row.get(c), _source(sources, c)) for c in read),
                miss,
            ))
        if status is Status.LIKELY and condition is True and self.rule.amount is not None:
            deciding.update(c for c in self.columns_of(self.rule.amount, row) if row.get(c) is None)
        return Evaluation(status, amount, tuple(sorted(deciding)), tuple(results), self.rule, self.at,
                          self.registry, row, sources or {})

    def _matters(self, values: list[Kleene], i: int) -> bool:
        """Could knowing atom i change the condition's value? True when, for some true/false
        values of the other unknown atoms, atom i true and atom i false give different results
        (with more than 12 unknown atoms, every one is taken to matter)."""
        others = [j for j, v in enumerate(values) if v is None and j != i]
        if len(others) > 12:
            return True
        trial = list(values)
        for mask in range(1 << len(others)):
            for bit, j in enumerate(others):
                trial[j] = bool(mask >> bit & 1)
            trial[i] = True
            when_true = self.combine(trial)
            trial[i] = False
            if self.combine(trial) != when_true:
                return True
        return False

    def columns_of(self, node: ast.Node, row: Row, years: Sequence[int] = ()) -> list[str]:
        """The columns a node reads for this row, in order (per-year constructs: their years)."""
        found: dict[str, None] = {}
        year = self.at.year

        def visit(node: ast.Node, years: Sequence[int]) -> None:
            match node:
                case ast.FirstTime(condition=condition, period=period):
                    key = self.compiler.first_time_key(node, condition)
                    looked = list(self.compiler.first_time_years(row, key, period))
                    visit(condition, [*looked, year + period])
                    return
                case ast.AllYears(condition=c, window=w) | ast.AnyYear(condition=c, window=w) | \
                        ast.CountYears(condition=c, window=w):
                    visit(c, [year + o for o in w.offsets()])
                    return
                case ast.Attr(key=key, period=period):
                    attribute = self.registry.get(key)
                    if attribute is not None and attribute.yearly:
                        targets = years if period is None else [year + period]
                        found.update((columns.yearly(key, y), None) for y in targets)
                    else:
                        found[key] = None
                case ast.Growth(key=key, period=period, base=base):
                    found[columns.yearly(key, year + period)] = None
                    found[columns.yearly(key, year + base)] = None
                case ast.SumYears(key=key, window=window):
                    found.update((columns.yearly(key, year + o), None) for o in window.offsets())
                case ast.Has(key=key, tag=tag) | ast.Gained(key=key, tag=tag):
                    found.update({key: None, columns.tag_since(key, tag): None,
                                  columns.tag_until(key, tag): None})
            for child in node.children():
                visit(child, years)

        visit(node, years)
        return list(found)


def _attribute_of(column: str) -> str:
    return column.split("@", 1)[0].split("#", 1)[0]


def _source(sources: Sources | None, column: str) -> Mapping[str, Any] | None:
    if not sources:
        return None
    return sources.get(column) or sources.get(column.split("#", 1)[0]) or sources.get(_attribute_of(column))


def compile_rule(rule: ast.Rule, registry: AttributeRegistry | None = None,
                 at: date | None = None) -> CompiledRule:
    """Compile a type-checked rule for evaluation date ``at`` (today when omitted)."""
    return CompiledRule(rule, registry or builtin_registry(), at or clock.today())


def evaluate(rule: ast.Rule, row: Row, at: date, registry: AttributeRegistry | None = None,
             sources: Sources | None = None) -> Evaluation:
    """Evaluate a type-checked rule for one entity's row at date ``at``."""
    return compile_rule(rule, registry or builtin_registry(), at).evaluate(row, sources)
