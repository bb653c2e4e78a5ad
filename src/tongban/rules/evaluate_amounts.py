"""Amounts as intervals of fen (docs/rules.md §5), compiled to closures over a row.

``AmountCompiler`` extends the value and condition compiler (``rules.compiler``) with
``amount(node, cap_mode)``: a closure giving ``(low, high)``, whose ends are ints (fen, counts),
floats (numbers, ratios) or ±math.inf. An unknown attribute is [0, ∞) when it cannot be negative
and (−∞, ∞) otherwise; ``+`` adds ends, ``−`` subtracts opposite ends, ``× rate`` maps both ends
through the rounding rule, ``× count`` takes corner products (0 × ∞ = 0), min/max/above/if/tiers
follow §5, ``up_to(cap)`` is [0, cap.high] (or ``cap`` in ``cap_mode``, the second pass of the
status rule). ``count_years`` is [years true, years true or unknown]; values without an interval
rule (division, growth, years_since) are a point when known and defined and (−∞, ∞) otherwise,
except that an undefined tier value reaches no step (nothing, 0).
"""

from __future__ import annotations

import math
from fractions import Fraction

from tongban.rules import ast
from tongban.rules.compiler import Compiler
from tongban.rules.scalars import INF, UNDEF, Amt, Bound, Interval, Row, apply_rate, tier_index


def _rate_bound(bound: Bound, rate: Fraction) -> Bound:
    if isinstance(bound, float) and math.isinf(bound):
        return bound if rate > 0 else 0
    return apply_rate(int(bound), rate)


def _mul_bound(a: Bound, b: Bound) -> Bound:
    if a == 0 or b == 0:
        return 0  # 0 × ∞ = 0
    return a * b



def _add(a: Interval, b: Interval) -> Interval:
    return a[0] + b[0], a[1] + b[1]


def _sub(a: Interval, b: Interval) -> Interval:
    return a[0] - b[1], a[1] - b[0]


class AmountCompiler(Compiler):
    """The compiler of values and conditions, and of amounts as intervals."""

    def amount(self, node: ast.Node, cap_mode: bool = False, target: str = "money") -> Amt:
        """A closure giving the node's interval (§5). ``cap_mode`` reads up_to(cap) as cap."""
        match node:
            case ast.Number() | ast.Percent():
                point = self.literal(node, target)
                fixed: Interval = (point, point)
                return lambda row: fixed
            case ast.Attr(key=key, period=period) if period is not None or not self.registry[key].yearly:
                attribute = self.attribute(node, key)
                f = self.value(node)
                unknown: Interval = (0, INF) if attribute.non_negative else (-INF, INF)

                def attr(row: Row) -> Interval:
                    v = f(row, 0)
                    return unknown if v is None else (v, v)

                return attr
            case ast.Arith(operator="+" | "-" as operator, left=left, right=right):
                kind = self.typeof(node, target)
                fa, fb = self.amount(left, cap_mode, kind), self.amount(right, cap_mode, kind)
                if operator == "+":
                    return lambda row: _add(fa(row), fb(row))
                return lambda row: _sub(fa(row), fb(row))
            case ast.Arith(operator="*", left=left, right=right):
                return self._amount_times(node, left, right, cap_mode, target)
            case ast.Extremum(function=function, args=args):
                kind = self.typeof(node, target)
                fs = [self.amount(a, cap_mode, kind) for a in args]
                pick = min if function == "min" else max

                def extremum(row: Row) -> Interval:
                    ivs = [f(row) for f in fs]
                    return pick(i[0] for i in ivs), pick(i[1] for i in ivs)

                return extremum
            case ast.Above(value=value, threshold=threshold):
                kind = self.typeof(node, target)
                fv, ft = self.amount(value, cap_mode, kind), self.amount(threshold, cap_mode, kind)

                def above(row: Row) -> Interval:
                    v, t = fv(row), ft(row)
                    return max(v[0] - t[1], 0), max(v[1] - t[0], 0)

                return above
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                kind = self.typeof(node, target)
                c = self.condition(condition)
                fa, fb = self.amount(then, cap_mode, kind), self.amount(otherwise, cap_mode, kind)

                def choose(row: Row) -> Interval:
                    v = c(row, 0)
                    if v is None:
                        a, b = fa(row), fb(row)
                        return min(a[0], b[0]), max(a[1], b[1])
                    return fa(row) if v else fb(row)

                return choose
            case ast.UpTo(cap=cap):
                fc = self.amount(cap, cap_mode, "money")
                if cap_mode:
                    return fc
                def up_to(row: Row) -> Interval:
                    high = fc(row)[1]  # a cap below zero pays nothing (docs/rules.md §5)
                    return 0, (None if high is None else max(high, 0))

                return up_to
            case ast.SumYears(key=key, window=window):
                parts = [self.amount(ast.Attr(key, o), cap_mode, target) for o in window.offsets()]

                def total(row: Row) -> Interval:
                    out: Interval = (0, 0)
                    for part in parts:
                        out = _add(out, part(row))
                    return out

                return total
            case ast.Tiers():
                return self._amount_tiers(node, cap_mode)
            case ast.CountYears(condition=condition, window=window):
                c = self.condition(condition)
                years = [self.year + o for o in window.offsets()]

                def count_years(row: Row) -> Interval:
                    values = [c(row, year) for year in years]
                    sure = values.count(True)
                    return sure, sure + values.count(None)

                return count_years
        return self._scalar_interval(node, target)

    def _scalar_interval(self, node: ast.Node, target: str) -> Amt:
        f = self.value(node, target)
        unknown: Interval = (-INF, INF)

        def scalar(row: Row) -> Interval:
            v = f(row, 0)
            if v is None or v is UNDEF:
                return unknown
            return v, v

        return scalar

    def _amount_times(self, node: ast.Arith, left: ast.Node, right: ast.Node, cap_mode: bool,
                      target: str) -> Amt:
        kind = self.typeof(node, target)
        if kind == "money":
            money_side, other, rate = self.money_product(left, right)
            fm = self.amount(money_side, cap_mode, "money")
            if rate is not None:
                r = rate

                def times_rate(row: Row) -> Interval:
                    lo, hi = fm(row)
                    return _rate_bound(lo, r), _rate_bound(hi, r)

                return times_rate
            fa, fb = fm, self.amount(other, cap_mode, "count")
        else:
            lt, rt = self.operand_types(node, kind)
            fa, fb = self.amount(left, cap_mode, lt), self.amount(right, cap_mode, rt)

        def corners(row: Row) -> Interval:
            a, b = fa(row), fb(row)
            products = [_mul_bound(x, z) for x in a for z in b]
            return min(products), max(products)

        return corners

    def _amount_tiers(self, node: ast.Tiers, cap_mode: bool) -> Amt:
        kind = self.typeof(node.value)
        scalar = self.value(node.value, kind)
        fv = self.amount(node.value, cap_mode, kind)
        points = self.tier_points(node, kind)
        amounts = [self.amount(step.amount, cap_mode, "money") for step in node.steps]
        by_rank = node.by == "rank"
        zero: Interval = (0, 0)

        def tiers(row: Row) -> Interval:
            if scalar(row, 0) is UNDEF:
                return zero
            lo, hi = fv(row)
            first, last = tier_index(points, lo, by_rank), tier_index(points, hi, by_rank)
            if by_rank:
                begin = first if first is not None else len(points)
                end = last if last is not None else len(points) - 1
                reach: list[Interval] = [] if last is not None else [zero]
            else:
                begin = first if first is not None else 0
                end = last if last is not None else -1
                reach = [zero] if first is None else []
            reach += [amounts[i](row) for i in range(begin, end + 1)]
            return min(i[0] for i in reach), max(i[1] for i in reach)

        return tiers
