"""The scalar vocabulary of compiled rules (docs/rules.md §3–§4): unknown and undefined
values, the fen rounding of money × rate, Kleene combinators, comparisons and tier lookup.
Shared by the closure compiler (``rules.compiler``), the amount intervals
(``rules.evaluate_amounts``), near misses and explanations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, Final

from tongban.rules import ast, columns


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEF"


UNDEF: Final = _Undefined()
INF: Final = math.inf

Kleene = bool | None
Row = columns.Row
Val = Callable[[Row, int], Any]
Cond = Callable[[Row, int], Kleene]
Bound = int | float | Fraction
Interval = tuple[Bound, Bound]
Amt = Callable[[Row], Interval]
ValueFn = Callable[[Any, Any], Any]

NUMERIC = ("money", "count", "number", "ratio")


def rate_fraction(node: ast.Node) -> Fraction | None:
    """The exact fraction of a constant rate literal (10% = 1/10, 0.5 = 1/2), else None."""
    if isinstance(node, ast.Percent):
        return Fraction(node.value) / 100
    if isinstance(node, ast.Number):
        return Fraction(node.value)
    return None


def apply_rate(fen: int, rate: Fraction) -> int:
    """Money × rate: the nearest fen, halves rounded up: floor((2·m·n + d) / (2·d))."""
    n, d = rate.numerator, rate.denominator
    return (2 * fen * n + d) // (2 * d)


def tier_index(points: Sequence[Bound], value: Bound, by_rank: bool) -> int | None:
    """By amount: the step with the largest point ≤ value; by rank: the smallest point ≥ value."""
    if by_rank:
        return next((i for i, p in enumerate(points) if p >= value), None)
    found = None
    for i, p in enumerate(points):
        if p <= value:
            found = i
    return found


def strict(fl: Val, fr: Val, op: ValueFn) -> Val:
    def apply(row: Row, y: int) -> Any:
        a, b = fl(row, y), fr(row, y)
        if a is None or b is None:
            return None
        if a is UNDEF or b is UNDEF:
            return UNDEF
        return op(a, b)

    return apply


def kleene_and(parts: list[Cond]) -> Cond:
    def conjunction(row: Row, y: int) -> Kleene:
        result: Kleene = True
        for part in parts:
            v = part(row, y)
            if v is False:
                return False
            if v is None:
                result = None
        return result

    return conjunction


def kleene_or(parts: list[Cond]) -> Cond:
    def disjunction(row: Row, y: int) -> Kleene:
        result: Kleene = False
        for part in parts:
            v = part(row, y)
            if v is True:
                return True
            if v is None:
                result = None
        return result

    return disjunction


COMPARE: Final[dict[str, ValueFn]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
