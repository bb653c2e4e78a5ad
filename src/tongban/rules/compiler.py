"""Compile rule trees to Python closures over a row (docs/rules.md §3–§4; amounts, §5, in
``rules.evaluate_amounts``).

Used by the single-entity evaluator (``rules.evaluate``) and the one-enterprise fast path
(``rules.itemset``). A tree is compiled once for an evaluation date; the closures then read
rows (``columns.Row``) with no further tree walking.

Scalar values: ``None`` is *unknown*, ``UNDEF`` is *undefined* (division by zero, growth on a
base ≤ 0), otherwise int (money in fen, counts), float (numbers, ratios: IEEE doubles), str
(codes), date or bool. Conditions give True, False or None (Kleene). Amounts are intervals of
fen ``(low, high)`` whose ends may be ±math.inf. That vocabulary and its combinators live in
``rules.scalars``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any

from tongban.kernel.codes import industries, regions
from tongban.kernel.errors import N_
from tongban.profiles.attributes import Attribute, AttributeRegistry
from tongban.rules import ast, columns
from tongban.rules.errors import RuleInvalid, RuleProblem
from tongban.rules.scalars import (
    COMPARE,
    UNDEF,
    Bound,
    Cond,
    Kleene,
    Row,
    Val,
    apply_rate,
    kleene_and,
    kleene_or,
    rate_fraction,
    strict,
    tier_index,
)


def _invalid(node: ast.Node, message: str, code: str = "rules.type_mismatch",
             **params: object) -> RuleInvalid:
    return RuleInvalid([RuleProblem(code, message, node.span, dict(params))])


def _common(types: Sequence[str], expected: str | None) -> str:
    known = [t for t in types if t != "literal"]
    if not known:  # plain numbers only (min(1, 2)): still a literal, adapting to what it meets
        return expected or "literal"
    for preferred in ("money", "ratio", "date", "region", "industry", "code", "bool"):
        if preferred in known:
            return preferred
    if all(t == "count" for t in known):
        return "count"
    return "number"


@lru_cache(maxsize=65536)
def _industry_within(value: str, codes: tuple[str, ...]) -> bool:
    return any(industries.is_within(value, code) for code in codes)


class Compiler:
    """Compiles nodes for one registry and evaluation date."""

    def __init__(self, registry: AttributeRegistry, at: date) -> None:
        self.registry = registry
        self.at = at
        self.year = at.year
        self.history = columns.history_years(at)

    # ------------------------------------------------------------ types

    def attribute(self, node: ast.Node, key: str) -> Attribute:
        attribute = self.registry.get(key)
        if attribute is None:
            raise _invalid(node, N_("Unknown attribute {key}."), "rules.unknown_attribute", key=key)
        return attribute

    def typeof(self, node: ast.Node, expected: str | None = None) -> str:
        """The type of a value node; ``literal`` for a plain number that meets nothing typed."""
        match node:
            case ast.Attr(key=key) | ast.SumYears(key=key):
                return self.attribute(node, key).type.value
            case ast.Number():
                return expected or "literal"
            case ast.Percent() | ast.Growth():
                return "ratio"
            case ast.DateLiteral():
                return "date"
            case ast.BoolLiteral():
                return "bool"
            case ast.YearsSince() | ast.CountYears():
                return "count"
            case ast.Tiers() | ast.UpTo():
                return "money"
            case ast.Arith(operator=operator, left=left, right=right):
                tl, tr = self.typeof(left), self.typeof(right)
                pair = (tl, tr)
                if operator in ("+", "-"):
                    return _common(pair, expected)
                if operator == "/":
                    if tl == tr and tl in ("money", "count", "ratio"):
                        return "ratio"
                    return "ratio" if "ratio" in pair or "money" in pair else _common(pair, expected)
                if "money" in pair:
                    return "money"
                literal_money = "count" in pair or pair == ("literal", "literal")
                if expected == "money" and "literal" in pair and literal_money:
                    return "money"
                if "ratio" in pair:
                    return "ratio"
                if tl == tr == "count" or (set(pair) == {"count", "literal"}):
                    return "count"
                return _common(pair, expected)
            case ast.Extremum(args=args):
                return _common([self.typeof(a, expected) for a in args], expected)
            case ast.If(then=then, otherwise=otherwise):
                return _common([self.typeof(then, expected), self.typeof(otherwise, expected)], expected)
            case ast.Above(value=value, threshold=threshold):
                return _common([self.typeof(value, expected), self.typeof(threshold, expected)], expected)
        return "bool"

    # ------------------------------------------------------------ literals

    def literal(self, node: ast.Number | ast.Percent, target: str) -> Any:
        exact = Fraction(node.value) / 100 if isinstance(node, ast.Percent) else Fraction(node.value)
        if target == "money":
            fen = exact * 100
            if fen.denominator != 1:
                raise _invalid(node, N_("An amount of money must be a whole number of fen."),
                               "rules.unit_mismatch")
            return int(fen)
        if target == "count" and exact.denominator == 1:
            return int(exact)
        return float(exact)

    def year_columns(self, key: str) -> dict[int, str]:
        return {y: columns.yearly(key, y) for y in self.history}

    # ------------------------------------------------------------ values

    def value(self, node: ast.Node, target: str | None = None) -> Val:
        """A closure giving the node's scalar value (None unknown, UNDEF undefined)."""
        match node:
            case ast.Number() | ast.Percent():
                constant = self.literal(node, target or "number")
                return lambda row, y: constant
            case ast.DateLiteral(value=value) | ast.BoolLiteral(value=value):
                fixed: object = value
                return lambda row, y: fixed
            case ast.Attr(key=key, period=period):
                return self._attr(node, key, period)
            case ast.Arith():
                return self._arith(node, target)
            case ast.Extremum(function=function, args=args):
                kind = self.typeof(node, target)
                fs = [self.value(a, kind) for a in args]
                pick = min if function == "min" else max

                def extremum(row: Row, y: int) -> Any:
                    vs = [f(row, y) for f in fs]
                    if any(v is None for v in vs):
                        return None
                    if any(v is UNDEF for v in vs):
                        return UNDEF
                    return pick(vs)

                return extremum
            case ast.Growth(key=key, period=period, base=base):
                return self._growth(node, key, period, base)
            case ast.YearsSince(arg=arg):
                f = self.value(arg, "date")
                at = self.at

                def years_since(row: Row, y: int) -> Any:
                    d = f(row, y)
                    if d is None or d is UNDEF:
                        return d
                    assert isinstance(d, date)
                    return at.year - d.year - (1 if (at.month, at.day) < (d.month, d.day) else 0)

                return years_since
            case ast.SumYears(key=key, window=window):
                kind = self.attribute(node, key).type.value
                cols = [columns.yearly(key, self.year + o) for o in window.offsets()]

                def total(row: Row, y: int) -> Any:
                    vs: list[Any] = [row.get(c) for c in cols]
                    if any(v is None for v in vs):
                        return None
                    if kind in ("number", "ratio"):
                        acc = 0.0
                        for v in vs:
                            acc += float(v)
                        return acc
                    return sum(int(v) for v in vs)

                return total
            case ast.CountYears(condition=condition, window=window):
                c = self.condition(condition)
                years = [self.year + o for o in window.offsets()]

                def count_years(row: Row, y: int) -> Any:
                    n = 0
                    for year in years:
                        v = c(row, year)
                        if v is None:
                            return None
                        n += v
                    return n

                return count_years
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                kind = self.typeof(node, target)
                c, a, b = self.condition(condition), self.value(then, kind), self.value(otherwise, kind)

                def choose(row: Row, y: int) -> Any:
                    v = c(row, y)
                    return None if v is None else (a(row, y) if v else b(row, y))

                return choose
            case ast.Above(value=value, threshold=threshold):
                kind = self.typeof(node, target)
                fv, ft = self.value(value, kind), self.value(threshold, kind)

                def above(row: Row, y: int) -> Any:
                    v, t = fv(row, y), ft(row, y)
                    if v is None or t is None:
                        return None
                    if v is UNDEF or t is UNDEF:
                        return UNDEF
                    return max(v - t, 0)

                return above
            case ast.UpTo(cap=cap):
                return self.value(cap, "money")
            case ast.Tiers():
                return self._tiers_value(node)
        raise _invalid(node, N_("This is not a value."))

    def _attr(self, node: ast.Node, key: str, period: int | None) -> Val:
        attribute = self.attribute(node, key)
        as_float = attribute.type.value in ("number", "ratio")
        if attribute.yearly:
            if period is None:
                cols = self.year_columns(key)

                def per_year(row: Row, y: int) -> Any:
                    v: Any = row.get(cols[y])
                    return float(v) if as_float and v is not None else v

                return per_year
            column = columns.yearly(key, self.year + period)
        else:
            column = key
        if as_float:
            def read_float(row: Row, y: int) -> Any:
                v: Any = row.get(column)
                return None if v is None else float(v)

            return read_float
        return lambda row, y: row.get(column)

    def money_product(self, left: ast.Node, right: ast.Node) -> tuple[ast.Node, ast.Node, Fraction | None]:
        """For money × something: (the money side, the other side, the constant rate or None)."""
        tl, tr = self.typeof(left), self.typeof(right)
        swap = tr == "money" or tl not in ("money", "literal")
        money_side, other = (right, left) if swap else (left, right)
        rate = rate_fraction(other) if isinstance(other, ast.Number | ast.Percent) else None
        if rate is None and self.typeof(other) != "count":
            raise _invalid(other, N_("Money can only be multiplied by a constant rate or a count."),
                           "rules.bad_rate")
        return money_side, other, rate

    def operand_types(self, node: ast.Arith, kind: str) -> tuple[str, str]:
        """The types the two operands of an arithmetic node are read in (literals adapt)."""
        tl, tr = self.typeof(node.left), self.typeof(node.right)
        if node.operator == "/":
            lit = "number"
            return (tr if tr != "literal" else lit) if tl == "literal" else tl, \
                (tl if tl != "literal" else lit) if tr == "literal" else tr
        lit = kind if node.operator in ("+", "-") else ("count" if kind == "count" else "number")
        return (lit if tl == "literal" else tl), (lit if tr == "literal" else tr)

    def _arith(self, node: ast.Arith, target: str | None) -> Val:
        operator = node.operator
        kind = self.typeof(node, target)
        if operator == "*" and kind == "money":
            money_side, other, rate = self.money_product(node.left, node.right)
            fm = self.value(money_side, "money")
            if rate is not None:
                r = rate

                def times_rate(row: Row, y: int) -> Any:
                    m = fm(row, y)
                    if m is None or m is UNDEF:
                        return m
                    return apply_rate(m, r)

                return times_rate
            return strict(fm, self.value(other, "count"), lambda a, b: a * b)
        lt, rt = self.operand_types(node, kind)
        fl, fr = self.value(node.left, lt), self.value(node.right, rt)
        if operator == "/":
            def divide(a: Any, b: Any) -> Any:
                if b == 0:
                    return UNDEF
                return float(a) / float(b)

            return strict(fl, fr, divide)
        exact = kind in ("money", "count") and lt in ("money", "count") and rt in ("money", "count")
        if operator == "+":
            return strict(fl, fr, (lambda a, b: a + b) if exact else (lambda a, b: float(a) + float(b)))
        if operator == "-":
            return strict(fl, fr, (lambda a, b: a - b) if exact else (lambda a, b: float(a) - float(b)))
        return strict(fl, fr, (lambda a, b: a * b) if exact else (lambda a, b: float(a) * float(b)))

    def _growth(self, node: ast.Node, key: str, period: int, base: int) -> Val:
        as_float = self.attribute(node, key).type.value in ("number", "ratio")
        cp, cb = columns.yearly(key, self.year + period), columns.yearly(key, self.year + base)

        def growth(row: Row, y: int) -> Any:
            p: Any = row.get(cp)
            b: Any = row.get(cb)
            if p is None or b is None:
                return None
            if b <= 0:
                return UNDEF
            if as_float:
                return (float(p) - float(b)) / float(b)
            return float(p - b) / float(b)

        return growth

    def tier_points(self, node: ast.Tiers, kind: str) -> list[Bound]:
        return [self._at(step.at, kind) for step in node.steps]

    @staticmethod
    def _at(value: object, kind: str) -> Bound:
        exact = Fraction(str(value))
        if kind == "money":
            exact *= 100
        if exact.denominator == 1 and kind in ("money", "count"):
            return int(exact)
        if kind == "money":
            return exact
        if kind in ("number", "ratio"):
            return float(exact)
        return exact

    def _tiers_value(self, node: ast.Tiers) -> Val:
        kind = self.typeof(node.value)
        fv = self.value(node.value, kind)
        points = self.tier_points(node, kind)
        amounts = [self.value(step.amount, "money") for step in node.steps]
        by_rank = node.by == "rank"

        def tiers(row: Row, y: int) -> Any:
            v = fv(row, y)
            if v is None:
                return None
            if v is UNDEF:
                return 0
            index = tier_index(points, v, by_rank)
            return 0 if index is None else amounts[index](row, y)

        return tiers

    # ------------------------------------------------------------ conditions

    def condition(self, node: ast.Node) -> Cond:
        """A closure giving the condition's Kleene value; ``y`` is the per-year construct's year."""
        match node:
            case ast.And(args=args):
                return kleene_and([self.condition(a) for a in args])
            case ast.Or(args=args):
                return kleene_or([self.condition(a) for a in args])
            case ast.Not(arg=arg):
                inner = self.condition(arg)

                def negate(row: Row, y: int) -> Kleene:
                    v = inner(row, y)
                    return None if v is None else not v

                return negate
            case ast.BoolLiteral(value=value):
                fixed = value
                return lambda row, y: fixed
            case ast.Attr():
                f = self.value(node, "bool")

                def flag(row: Row, y: int) -> Kleene:
                    v = f(row, y)
                    return None if v is None else bool(v)

                return flag
            case ast.Compare():
                return self._compare(node)
            case ast.Between(value=value, low=low, high=high):
                kind = _common([self.typeof(value), self.typeof(low), self.typeof(high)], None)
                fv, fl, fh = self.value(value, kind), self.value(low, kind), self.value(high, kind)

                def between(row: Row, y: int) -> Kleene:
                    v, lo, hi = fv(row, y), fl(row, y), fh(row, y)
                    if v is None or lo is None or hi is None:
                        return None
                    if v is UNDEF or lo is UNDEF or hi is UNDEF:
                        return False
                    return bool(lo <= v <= hi)

                return between
            case ast.Within(value=value, codes=codes):
                return self._within(value, codes)
            case ast.In(value=value, codes=codes):
                fv, members = self.value(value), frozenset(codes)

                def member(row: Row, y: int) -> Kleene:
                    v = fv(row, y)
                    return None if v is None else v in members

                return member
            case ast.Has(key=key, tag=tag):
                return self._has(key, tag)
            case ast.Gained(key=key, tag=tag, window=window):
                return self._gained(key, tag, window)
            case ast.AllYears(condition=condition, window=window):
                return self._over_years(condition, window, kleene_and)
            case ast.AnyYear(condition=condition, window=window):
                return self._over_years(condition, window, kleene_or)
            case ast.FirstTime(condition=condition, period=period):
                return self._first_time(node, condition, period)
        raise _invalid(node, N_("This is not a condition."), "rules.not_a_condition")

    def _compare(self, node: ast.Compare) -> Cond:
        kind = _common([self.typeof(node.left), self.typeof(node.right)], None)
        fl, fr = self.value(node.left, kind), self.value(node.right, kind)
        test = COMPARE[node.operator]

        def compare(row: Row, y: int) -> Kleene:
            a, b = fl(row, y), fr(row, y)
            if a is None or b is None:
                return None
            if a is UNDEF or b is UNDEF:
                return False
            return bool(test(a, b))

        return compare

    def _within(self, value: ast.Node, codes: tuple[str, ...]) -> Cond:
        fv = self.value(value)
        if self.typeof(value) == "industry":
            def industry_within(row: Row, y: int) -> Kleene:
                v = fv(row, y)
                return None if v is None else _industry_within(str(v), codes)

            return industry_within
        prefixes = tuple(regions.prefix_of(regions.normalise(c) or c) for c in codes)

        def region_within(row: Row, y: int) -> Kleene:
            v = fv(row, y)
            return None if v is None else str(v).startswith(prefixes)

        return region_within

    def _has(self, key: str, tag: str) -> Cond:
        since_col, until_col, at = columns.tag_since(key, tag), columns.tag_until(key, tag), self.at

        def has(row: Row, y: int) -> Kleene:
            if row.get(key) is None:
                return None
            since: Any = row.get(since_col)
            if since is None:
                return False
            until: Any = row.get(until_col)
            return bool(since <= at and (until is None or at <= until))

        return has

    def _gained(self, key: str, tag: str, window: ast.Window) -> Cond:
        since_col = columns.tag_since(key, tag)
        first, last = self.year + window.start, self.year + window.end

        def gained(row: Row, y: int) -> Kleene:
            if row.get(key) is None:
                return None
            since: Any = row.get(since_col)
            if since is None:
                return False
            return bool(first <= since.year <= last)

        return gained

    def _over_years(self, condition: ast.Node, window: ast.Window,
                    combine: Callable[[list[Cond]], Cond]) -> Cond:
        inner = self.condition(condition)
        years = [self.year + o for o in window.offsets()]

        def at_year(year: int) -> Cond:
            return lambda row, y: inner(row, year)

        return combine([at_year(year) for year in years])

    def first_time_key(self, node: ast.Node, condition: ast.Node) -> str:
        keys = {
            n.key for n in ast.walk(condition)
            if isinstance(n, ast.Attr) and n.period is None and self.attribute(n, n.key).yearly
        }
        if len(keys) != 1:
            raise _invalid(node, N_("The condition of first_time must read exactly one yearly attribute."),
                           "rules.first_time_one_attribute")
        return keys.pop()

    def first_time_years(self, row: Row, key: str, period: int) -> range:
        """The years first_time looks back on (§4): min(F, P − 1) … P − 1."""
        target = self.year + period
        start = target - 1
        for year in self.history:
            if year >= target:
                break
            if row.get(columns.yearly(key, year)) is not None:
                start = min(year, start)
                break
        return range(start, target)

    def _first_time(self, node: ast.Node, condition: ast.Node, period: int) -> Cond:
        key = self.first_time_key(node, condition)
        inner = self.condition(condition)
        target = self.year + period
        looked = [(year, columns.yearly(key, year)) for year in self.history if year < target]

        def first_time(row: Row, y: int) -> Kleene:
            result: Kleene = inner(row, target)
            if result is False:
                return False
            start = target - 1
            for year, column in looked:
                if row.get(column) is not None:
                    start = min(year, start)
                    break
            for year in range(start, target):
                before = inner(row, year)
                if before is True:
                    return False
                if before is None:
                    result = None
            return result

        return first_time
