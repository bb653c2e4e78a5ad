"""Near misses: the smallest change to one figure that would make a false comparison true.

Handled shapes (docs/rules.md §6), with the constant on either side:

- ``attr[period] op constant`` — change the attribute;
- ``a[period] / b[period] op constant`` — change the numerator ``a``, ``b`` as it is;
- ``growth(k, p, b) op constant`` — change ``k[p]``, ``k[b]`` as it is.

The change is found in the attribute's own unit (fen for money, whole counts, doubles for
numbers and ratios) and checked with the evaluator's own arithmetic, so the ``needed`` value
really passes. The result is a dict: column, attribute, type, current, needed, gap (needed −
current: positive means "more is needed").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from tongban.rules import ast, columns
from tongban.rules.compiler import Compiler
from tongban.rules.scalars import COMPARE, Row

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _constant(node: ast.Node) -> bool:
    return isinstance(node, ast.Number | ast.Percent)


def _column(compiler: Compiler, node: ast.Attr) -> str | None:
    attribute = compiler.registry.get(node.key)
    if attribute is None:
        return None
    if attribute.yearly:
        return None if node.period is None else columns.yearly(node.key, compiler.year + node.period)
    return node.key


def near_miss(node: ast.Node, compiler: Compiler, row: Row) -> dict[str, Any] | None:
    """The smallest change that makes the comparison ``node`` true, or None if it has no such shape."""
    if not isinstance(node, ast.Compare) or node.operator == "!=":
        return None
    left, right = node.left, node.right
    operator: str = node.operator
    if _constant(left) and not _constant(right):
        left, right, operator = right, left, _FLIP[operator]
    if not _constant(right):
        return None
    kind = compiler.typeof(left)
    if kind not in ("money", "count", "number", "ratio"):
        return None
    constant: Any = compiler.value(right, kind)(row, 0)
    test = COMPARE[operator]
    target: ast.Attr
    predicate: Callable[[Any], bool]
    current: Any
    match left:
        case ast.Attr(period=period) if period is not None or not compiler.registry[left.key].yearly:
            target, current = left, None

            def predicate(x: Any) -> bool:
                return bool(test(x, constant))

            threshold = Fraction(constant)
        case ast.Arith(operator="/", left=ast.Attr() as numerator, right=ast.Attr() as denominator):
            target = numerator
            column = _column(compiler, denominator)
            base: Any = row.get(column) if column else None
            if base is None or base == 0:
                return None
            divisor = float(base)

            def predicate(x: Any) -> bool:
                return bool(test(float(x) / divisor, constant))

            threshold = Fraction(constant) * Fraction(base)
        case ast.Growth(key=key, period=period, base=offset):
            target = ast.Attr(key, period)
            previous: Any = row.get(columns.yearly(key, compiler.year + offset))
            if previous is None or previous <= 0:
                return None
            denominator_f = float(previous)

            def predicate(x: Any) -> bool:
                return bool(test(float(x - previous) / denominator_f, constant))

            threshold = Fraction(previous) * (1 + Fraction(constant))
        case _:
            return None
    column = _column(compiler, target)
    if column is None:
        return None
    current = row.get(column)
    if current is None:
        return None
    attribute = compiler.registry[target.key]
    integral = attribute.type.value in ("money", "count")
    needed = _closest(predicate, threshold, current, integral)
    if needed is None:
        return None
    return {
        "column": column,
        "attribute": target.key,
        "type": attribute.type.value,
        "operator": operator,
        "current": current,
        "needed": needed,
        "gap": needed - current,
    }


def _closest(predicate: Callable[[Any], bool], threshold: Fraction, current: Any,
             integral: bool) -> Any:
    """The passing value nearest to ``current`` around the exact threshold."""
    candidates: list[Any]
    if integral:
        base = math.floor(threshold)
        candidates = [base + step for step in range(-3, 5)]
    else:
        centre = float(threshold)
        candidates = [centre]
        up = down = centre
        for _ in range(4):
            up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
            candidates += [up, down]
    passing = [c for c in candidates if predicate(c)]
    if not passing:
        return None
    return min(passing, key=lambda c: (abs(c - current), c))
