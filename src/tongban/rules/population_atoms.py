"""Vectorised values and conditions over the columns of a snapshot (the population engine's
inner evaluator; docs/rules.md §3–§4).

A value over the rows is a ``Vec``: the values, a *known* mask (false where a value read was
null or its column is missing — unknown) and a *defined* mask (false after a division by zero or
a growth on a base ≤ 0). A condition is a pair of boolean arrays ``(true, known)``. The same
functions run over every row of the table or over a subset of rows (``Env.subset``), which is how
amounts and ``if`` conditions are evaluated for the matched rows only.

Money and counts are exact int64; ratios, numbers and the results of division and growth are
doubles; dates are int32 days since 1970-01-01; regions, industries and codes are read
dictionary-encoded: a predicate is decided once per distinct value, then looked up per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tongban.profiles.attributes import Attribute, AttributeRegistry, AttributeType
from tongban.rules import ast
from tongban.rules.columns import HISTORY_YEARS, tag_since, tag_until, yearly
from tongban.rules.population_columns import BoolArray, Columns, ancestors, wanted_codes

Cond = tuple[BoolArray, BoolArray]  # (true, known)

INT_UNITS = frozenset({"money", "count"})
EPOCH = date(1970, 1, 1)


@dataclass
class Vec:
    """A value over the rows. ``unit`` is money, count, number, ratio, date, bool or None for a
    plain number literal (which takes the unit of what it meets)."""

    values: NDArray[Any]
    known: BoolArray
    defined: BoolArray
    unit: str | None
    literal: Decimal | None = None  # set for constants written as plain numbers or percentages

    @property
    def is_int(self) -> bool:
        return self.values.dtype.kind == "i"


@dataclass
class Env:
    """Where an expression is evaluated: the columns, the rows (None: all), the evaluation date
    and, inside a per-year construct, the year its yearly attributes are read in."""

    cols: Columns
    at: date
    registry: AttributeRegistry
    rows: NDArray[np.int64] | None = None
    year: int | None = None
    cache: dict[tuple[str, int | None], Vec] | None = None  # values over all rows, by expression

    def remember(self, node: ast.Node) -> tuple[str, int | None] | None:
        """The cache key of a composite value over all rows (None: not cached)."""
        if self.rows is not None or self.cache is None:
            return None
        return ast.canonical_key(node), self.year

    @property
    def size(self) -> int:
        return self.cols.n if self.rows is None else len(self.rows)

    def subset(self, rows: NDArray[np.int64]) -> Env:
        return Env(self.cols, self.at, self.registry, rows, self.year)

    def in_year(self, year: int) -> Env:
        return Env(self.cols, self.at, self.registry, self.rows, year, self.cache)

    def column(self, name: str) -> tuple[NDArray[Any], BoolArray]:
        values, valid = self.cols.column(name)
        if self.rows is None:
            return values, valid
        return values[self.rows], (valid if len(valid) == 1 else valid[self.rows])

    def dictionary(self, name: str) -> tuple[list[str | None], NDArray[np.int32]]:
        distinct, indices = self.cols.dictionary(name)
        return distinct, (indices if self.rows is None else indices[self.rows])

    def ones(self) -> BoolArray:
        """True for every row, as a one-element array that broadcasts (not to be written)."""
        return np.ones(1, dtype=np.bool_)

    def zeros(self) -> BoolArray:
        return np.zeros(1, dtype=np.bool_)

    def attribute(self, key: str) -> Attribute:
        attribute = self.registry.get(key)
        if attribute is None:
            raise KeyError(f"unknown attribute {key!r}")
        return attribute

    def attr_column(self, key: str, period: int | None) -> str:
        attribute = self.attribute(key)
        if not attribute.yearly:
            return key
        if period is not None:
            return yearly(key, self.at.year + period)
        if self.year is None:
            raise ValueError(f"yearly attribute {key!r} read without a period")
        return yearly(key, self.year)


def band(*masks: BoolArray) -> BoolArray:
    """AND of masks, skipping the one-element all-true ones (a broadcast & is slow in NumPy)."""
    full = [m for m in masks if len(m) != 1]
    if any(len(m) == 1 and not m[0] for m in masks):
        return np.zeros(len(full[0]) if full else 1, dtype=np.bool_)
    if not full:
        return np.ones(1, dtype=np.bool_)
    out = full[0]
    for m in full[1:]:
        out = out & m
    return out


def bor(*masks: BoolArray) -> BoolArray:
    """OR of masks, skipping the one-element all-false ones."""
    full = [m for m in masks if len(m) != 1]
    if any(len(m) == 1 and m[0] for m in masks):
        return np.ones(len(full[0]) if full else 1, dtype=np.bool_)
    if not full:
        return np.zeros(1, dtype=np.bool_)
    out = full[0]
    for m in full[1:]:
        out = out | m
    return out


# ---------------------------------------------------------------- units and literals


def unit_of(node: ast.Node, registry: AttributeRegistry) -> str | None:
    """The unit of a value expression (None for a plain number literal); see §2."""
    match node:
        case ast.Attr(key=key):
            attribute = registry[key]
            return (
                "code"
                if attribute.type in (AttributeType.REGION, AttributeType.INDUSTRY, AttributeType.CODE)
                else str(attribute.type)
            )
        case ast.Number():
            return None
        case ast.Percent():
            return "ratio"
        case ast.DateLiteral():
            return "date"
        case ast.BoolLiteral():
            return "bool"
        case ast.Arith(operator=op, left=left, right=right):
            lu, ru = unit_of(left, registry), unit_of(right, registry)
            if op == "/":
                if lu == ru and lu in ("money", "count", "ratio"):
                    return "ratio"
                return "number" if lu is not None or ru is not None else None
            if op == "*":
                if "money" in (lu, ru):
                    return "money"
                if lu in ("ratio", None) and ru in ("ratio", None) and (lu or ru):
                    return "ratio"
                if lu in ("count", None) and ru in ("count", None):
                    return "count" if (lu or ru) else None
                return "number"
            if lu is None or ru is None or lu == ru:
                return lu or ru
            return "number"
        case ast.Growth():
            return "ratio"
        case ast.YearsSince() | ast.CountYears():
            return "count"
        case ast.SumYears(key=key):
            return str(registry[key].type)
        case ast.Extremum(args=args):
            units = {unit_of(a, registry) for a in args} - {None}
            if not units:
                return None
            return units.pop() if len(units) == 1 else "number"
        case ast.If(then=then, otherwise=otherwise):
            return unit_of(then, registry) or unit_of(otherwise, registry)
        case ast.Tiers() | ast.UpTo():
            return "money"
        case ast.Above(value=value, threshold=threshold):
            return unit_of(value, registry) or unit_of(threshold, registry)
    return "bool"


def literal_for(value: Decimal, unit: str | None) -> int | float:
    """A plain number literal in the unit it meets: yuan → fen beside money."""
    if unit == "money":
        fen = value * 100
        return int(fen) if fen == fen.to_integral_value() else float(fen)
    if unit in ("count", None) and value == value.to_integral_value():
        return int(value)
    return float(value)


def const(env: Env, value: int | float | bool, unit: str | None, literal: Decimal | None = None) -> Vec:
    """A constant, as a one-element array that broadcasts against the rows."""
    dtype: Any = np.bool_ if isinstance(value, bool) else (np.int64 if isinstance(value, int) else np.float64)
    return Vec(np.full(1, value, dtype=dtype), env.ones(), env.ones(), unit, literal)


def adapt(vec: Vec, unit: str | None) -> Vec:
    """A literal takes the unit of the other side."""
    if vec.literal is None or vec.unit is not None or unit is None:
        return vec
    value = literal_for(vec.literal, unit)
    dtype = np.int64 if isinstance(value, int) else np.float64
    return Vec(np.full(len(vec.values), value, dtype=dtype), vec.known, vec.defined, unit, vec.literal)


# ---------------------------------------------------------------- values


# composite values worth keeping: shared by many atoms (a ratio, a growth rate, an age …)
CACHED = (ast.Arith, ast.Growth, ast.YearsSince, ast.SumYears, ast.Extremum)


def value(node: ast.Node, env: Env) -> Vec:
    """The value of an expression over the rows of ``env`` (composite values over all rows
    are computed once and shared by the atoms that read them)."""
    key = env.remember(node) if isinstance(node, CACHED) else None
    if key is not None and env.cache is not None:
        found = env.cache.get(key)
        if found is None:
            found = env.cache[key] = _value(node, env)
        return found
    return _value(node, env)


def _value(node: ast.Node, env: Env) -> Vec:
    match node:
        case ast.Number(value=number):
            return const(env, literal_for(number, None), None, number)
        case ast.Percent() as p:
            return Vec(np.full(1, float(p.ratio)), env.ones(), env.ones(), "ratio", p.ratio)
        case ast.DateLiteral(value=day):
            return const(env, (day - EPOCH).days, "date")
        case ast.BoolLiteral(value=flag):
            return const(env, flag, "bool")
        case ast.Attr(key=key, period=period):
            attribute = env.attribute(key)
            values, valid = env.column(env.attr_column(key, period))
            attr_unit = "bool" if attribute.type is AttributeType.TAGS else str(attribute.type)
            return Vec(values, valid, env.ones(), attr_unit)
        case ast.Arith():
            return _arith(node, env)
        case ast.Growth(key=key, period=period, base=base):
            cur = value(ast.Attr(key, period), env)
            old = value(ast.Attr(key, base), env)
            diff = (cur.values - old.values).astype(np.float64)
            base_d = old.values.astype(np.float64)
            defined = old.values > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(defined, diff / np.where(defined, base_d, 1.0), 0.0)
            return Vec(ratio, band(cur.known, old.known), defined, "ratio")
        case ast.YearsSince(arg=arg):
            when = value(arg, env)
            return Vec(years_since(when.values.astype(np.int64), env.at), when.known, when.defined, "count")
        case ast.SumYears(key=key, window=window):
            parts = [value(ast.Attr(key, offset), env) for offset in window.offsets()]
            total = parts[0].values
            known = parts[0].known
            for part in parts[1:]:
                total = total + part.values
                known = band(known, part.known)
            return Vec(total, known, env.ones(), parts[0].unit)
        case ast.CountYears(condition=condition, window=window):
            count = np.zeros(env.size, dtype=np.int64)
            known = np.ones(env.size, dtype=np.bool_)
            for offset in window.offsets():
                t, k = condition_of(condition, env.in_year(env.at.year + offset))
                count = count + t
                known = band(known, k)
            return Vec(count, known, env.ones(), "count")
        case ast.Extremum(function=function, args=args):
            unit = unit_of(node, env.registry)
            vecs = [adapt(value(a, env), unit) for a in args]
            plain = [v.literal for v in vecs if v.literal is not None and v.unit is None]
            if len(plain) == len(vecs):  # min(100, 200) is the plain number 100, adapting as one
                folded = min(plain) if function == "min" else max(plain)
                return const(env, literal_for(folded, None), None, folded)
            if any(not v.is_int for v in vecs):
                arrays = [v.values.astype(np.float64) for v in vecs]
            else:
                arrays = [v.values for v in vecs]
            reduce = np.minimum if function == "min" else np.maximum
            out = arrays[0]
            known, defined = vecs[0].known, vecs[0].defined
            for arr, v in zip(arrays[1:], vecs[1:], strict=True):
                out = reduce(out, arr)
                known = band(known, v.known)
                defined = band(defined, v.defined)
            return Vec(out, known, defined, unit)
        case ast.If(condition=condition, then=then, otherwise=otherwise):
            t, k = condition_of(condition, env)
            unit = unit_of(node, env.registry)
            yes, no = adapt(value(then, env), unit), adapt(value(otherwise, env), unit)
            va, vb = yes.values, no.values
            if va.dtype != vb.dtype:
                va, vb = va.astype(np.float64), vb.astype(np.float64)
            return Vec(
                np.where(t, va, vb),
                band(k, np.where(t, yes.known, no.known)),
                np.where(t, yes.defined, no.defined),
                unit,
            )
        case ast.Tiers(value=v, steps=steps, by=by):
            x = value(v, env)
            out = np.zeros(env.size, dtype=np.int64)
            known, defined = x.known, x.defined
            chosen = np.zeros(env.size, dtype=np.bool_)
            order = list(steps) if by == "rank" else list(reversed(steps))
            for step in order:
                at = literal_for(step.at, x.unit)
                hit = ~chosen & ((x.values <= at) if by == "rank" else (x.values >= at))
                amount = adapt(value(step.amount, env), "money")
                out = np.where(hit, amount.values, out)
                known = known & (~hit | amount.known)
                defined = defined & (~hit | amount.defined)
                chosen = chosen | hit
            return Vec(out, known, defined, "money")
        case ast.Above(value=v, threshold=t):
            unit = unit_of(node, env.registry)
            diff = _arith(ast.Arith("-", v, t), env, unit)
            return Vec(np.maximum(diff.values, 0), diff.known, diff.defined, diff.unit)
        case ast.UpTo(cap=cap):
            return adapt(value(cap, env), "money")  # a point value reads the cap (§5, second pass)
    t, k = condition_of(node, env)
    return Vec(t, k, env.ones(), "bool")


def years_since(days: NDArray[np.int64], at: date) -> NDArray[np.int64]:
    """Whole years from each date (days since 1970) to ``at`` (§3), via a table over the range
    of days present: a date's years depend only on the date."""
    if not len(days):
        return np.zeros(0, dtype=np.int64)
    first, last = int(days.min()), int(days.max())
    span = np.arange(first, last + 1, dtype=np.int64)
    d = span.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (d - months).astype(np.int64) + 1
    before = (at.month < month) | ((at.month == month) & (at.day < day))
    table: NDArray[np.int64] = at.year - year - before.astype(np.int64)
    result: NDArray[np.int64] = table[days - first]
    return result


def _arith(node: ast.Arith, env: Env, unit: str | None = None) -> Vec:
    op = node.operator
    left, right = value(node.left, env), value(node.right, env)
    if unit is None:
        unit = unit_of(node, env.registry)
    known, defined = band(left.known, right.known), band(left.defined, right.defined)
    if left.literal is not None and right.literal is not None and left.unit is None and right.unit is None:
        folded = _fold(op, left.literal, right.literal)
        return const(env, literal_for(folded, None), None, folded)
    if op in ("+", "-"):
        left, right = adapt(left, right.unit or unit), adapt(right, left.unit or unit)
        a, b = left.values, right.values
        if a.dtype != b.dtype:
            a, b = a.astype(np.float64), b.astype(np.float64)
        return Vec(a + b if op == "+" else a - b, known, defined, unit)
    if op == "*":
        for money, rate in ((left, right), (right, left)):
            if money.unit == "money" and rate.literal is not None:
                return Vec(scale(money.values, rate.literal), known, defined, "money")
        left, right = adapt(left, right.unit), adapt(right, left.unit)
        a, b = left.values, right.values
        if a.dtype != b.dtype:
            a, b = a.astype(np.float64), b.astype(np.float64)
        return Vec(a * b, known, defined, unit)
    # a plain number takes the unit of the other side here too: 100 / revenue is 100元 / revenue
    left, right = adapt(left, right.unit), adapt(right, left.unit)
    a, b = left.values.astype(np.float64), right.values.astype(np.float64)
    nonzero = b != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.where(nonzero, a / np.where(nonzero, b, 1.0), 0.0)
    return Vec(quotient, known, band(defined, nonzero), unit)


def _fold(op: str, a: Decimal, b: Decimal) -> Decimal:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b if b else Decimal(0)


def scale(fen: NDArray[Any], rate: Decimal) -> NDArray[np.int64]:
    """Money × a constant rate n/d: floor((2·m·n + d) / (2·d)) fen, exactly (§3)."""
    n, d = rate.as_integer_ratio()
    m = fen.astype(np.int64)
    biggest = int(np.abs(m).max()) if len(m) else 0
    if 2 * biggest * abs(n) + d < 2**62:
        return (2 * m * n + d) // (2 * d)
    exact = [(2 * int(x) * n + d) // (2 * d) for x in m.tolist()]
    return np.array(exact, dtype=np.int64)


# ---------------------------------------------------------------- conditions


def condition_of(node: ast.Node, env: Env) -> Cond:
    """(true, known) of a condition over the rows of ``env`` (Kleene logic, §4)."""
    match node:
        case ast.And(args=args):
            t, k = condition_of(args[0], env)
            f = band(k, ~t)
            for arg in args[1:]:
                t2, k2 = condition_of(arg, env)
                t, f = band(t, t2), bor(f, band(k2, ~t2))
            return t, bor(t, f)
        case ast.Or(args=args):
            t, k = condition_of(args[0], env)
            f = band(k, ~t)
            for arg in args[1:]:
                t2, k2 = condition_of(arg, env)
                t, f = bor(t, t2), band(f, k2, ~t2)
            return t, bor(t, f)
        case ast.Not(arg=arg):
            t, k = condition_of(arg, env)
            return band(k, ~t), k
    return atom(node, env)


def atom(node: ast.Node, env: Env) -> Cond:
    """(true, known) of one atom: a test that is not and/or/not."""
    match node:
        case ast.BoolLiteral(value=flag):
            return (env.ones() if flag else env.zeros()), env.ones()
        case ast.Compare(operator=op, left=left, right=right):
            a, b = value(left, env), value(right, env)
            a, b = adapt(a, b.unit), adapt(b, a.unit)
            known = band(a.known, b.known)
            return band(a.defined, b.defined, known, _compare(op, a.values, b.values)), known
        case ast.Between(value=v, low=low, high=high):
            x = value(v, env)
            lo, hi = adapt(value(low, env), x.unit), adapt(value(high, env), x.unit)
            x = adapt(x, lo.unit or hi.unit)
            known = band(x.known, lo.known, hi.known)
            inside = band(_compare("<=", lo.values, x.values), _compare("<=", x.values, hi.values))
            return band(x.defined, lo.defined, hi.defined, known, inside), known
        case ast.Within(value=ast.Attr(key=key, period=period), codes=codes):
            return _coded(env, key, period, codes, exact=False)
        case ast.In(value=ast.Attr(key=key, period=period), codes=codes):
            return _coded(env, key, period, codes, exact=True)
        case ast.Has(key=key, tag=tag):
            known = env.column(key)[1]
            since, has_since = env.column(tag_since(key, tag))
            until, has_until = env.column(tag_until(key, tag))
            day = (env.at - EPOCH).days
            valid = band(has_since, since <= day, bor(~has_until, day <= until))
            return band(known, valid), known
        case ast.Gained(key=key, tag=tag, window=window):
            known = env.column(key)[1]
            since, has_since = env.column(tag_since(key, tag))
            first = np.datetime64(date(env.at.year + window.start, 1, 1), "D").astype(np.int64)
            last = np.datetime64(date(env.at.year + window.end, 12, 31), "D").astype(np.int64)
            inside = band(has_since, since >= first, since <= last)
            return band(known, inside), known
        case ast.AllYears(condition=c, window=window):
            return condition_of(ast.And(tuple(_YearNode(c, y) for y in window.offsets())), env)
        case ast.AnyYear(condition=c, window=window):
            return condition_of(ast.Or(tuple(_YearNode(c, y) for y in window.offsets())), env)
        case _YearNode(condition=c, offset=offset):
            return condition_of(c, env.in_year(env.at.year + offset))
        case ast.FirstTime(condition=c, period=period):
            return _first_time(c, period, env)
    result = value(node, env)
    if result.unit != "bool":
        raise TypeError(f"not a condition: {ast.to_json(node)}")
    truth = result.values.astype(np.bool_)
    return band(result.known, result.defined, truth), result.known


@dataclass(frozen=True)
class _YearNode(ast.Node):
    """Internal: a per-year condition read in one year (offset from the evaluation year)."""

    condition: ast.Node
    offset: int


def _compare(op: str, a: NDArray[Any], b: NDArray[Any]) -> BoolArray:
    if a.dtype != b.dtype and (a.dtype.kind == "f" or b.dtype.kind == "f"):
        a, b = a.astype(np.float64), b.astype(np.float64)
    result: BoolArray
    match op:
        case "<":
            result = a < b
        case "<=":
            result = a <= b
        case ">":
            result = a > b
        case ">=":
            result = a >= b
        case "=":
            result = a == b
        case _:
            result = a != b
    return result


def coded_hits(
    env: Env, key: str, period: int | None, codes: tuple[str, ...], exact: bool
) -> tuple[str, list[bool]]:
    """The column a within/in reads and, per distinct value of it, whether the value passes."""
    attribute = env.attribute(key)
    column = env.attr_column(key, period)
    distinct, _ = env.cols.dictionary(column)
    if exact:
        wanted = frozenset(codes)
        return column, [code is not None and code in wanted for code in distinct]
    lineage = env.cols.lineage.get(column)
    if lineage is None:
        lineage = env.cols.lineage[column] = [
            ancestors(attribute, code) if code is not None else frozenset() for code in distinct
        ]
    wanted = wanted_codes(attribute, codes)
    return column, [not wanted.isdisjoint(a) for a in lineage]


def _coded(env: Env, key: str, period: int | None, codes: tuple[str, ...], exact: bool) -> Cond:
    """within/in on a dictionary-encoded column: decided once per distinct value (§4)."""
    column, hits = coded_hits(env, key, period, codes, exact)
    indices = env.dictionary(column)[1]
    lookup = np.array([*hits, False], dtype=np.bool_)
    return lookup[indices], indices >= 0  # index -1 reads the trailing False


def _first_time(c: ast.Node, period: int, env: Env) -> Cond:
    """first_time(c, p) (§4): c(P) and not c(y) for the years from min(F, P − 1) to P − 1."""
    keys = [n.key for n in ast.walk(c) if isinstance(n, ast.Attr) and env.attribute(n.key).yearly]
    key = keys[0]
    start = env.at.year - HISTORY_YEARS
    p = env.at.year + period
    # F: the earliest year of the history window with a known value of the key
    first: NDArray[np.int64] | int = 10_000
    for year in range(env.at.year, start - 1, -1):
        known_here = env.column(yearly(key, year))[1]
        if len(known_here) == 1:  # all known, or all unknown (a missing column)
            first = year if known_here[0] else first
        else:
            first = np.where(known_here, year, first)
    from_year = np.minimum(first, p - 1)
    t, k = condition_of(c, env.in_year(p))
    f = band(k, ~t)
    for year in range(start, p):
        looked = from_year <= year
        if not np.any(looked):
            continue
        ty, ky = condition_of(c, env.in_year(year))
        # a year looked back on where c is not false leaves the result open or false
        if np.ndim(looked) == 0:
            t, f = band(t, ky, ~ty), bor(f, ty)
        else:
            t, f = band(t, ~band(looked, ~band(ky, ~ty))), bor(f, band(looked, ty))
    return t, bor(t, f)
