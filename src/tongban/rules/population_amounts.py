"""Amounts as intervals of fen over the matched rows (docs/rules.md §5), vectorised.

An interval is a pair of float64 arrays (low, high): finite ends are whole fen (exact below
2^53, which no amount reaches), unbounded ends are ±inf. Money × a constant rate goes through
the exact integer rounding rule of §3 (``population_atoms.scale``); everything else is interval
arithmetic on the ends. ``cap_as_point`` is the second pass of the status rule: ``up_to(cap)``
read as ``cap``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tongban.profiles.attributes import AttributeRegistry
from tongban.rules import ast
from tongban.rules.population_atoms import Env, band, condition_of, literal_for, scale, unit_of, value

Floats = NDArray[np.float64]
Interval = tuple[Floats, Floats]
INF = float("inf")


def _point(v: NDArray[Any]) -> Interval:
    f = v.astype(np.float64)
    return f, f.copy()


def _literal(node: ast.Node) -> Decimal | None:
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Percent):
        return node.ratio
    return None


def amount(
    node: ast.Node, env: Env, *, cap_as_point: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The item's amount over ``env``'s rows: (low, high) fen, clamped at 0; high -1 = unbounded."""
    lo, hi = interval(node, env, "money", cap_as_point)
    lo = np.broadcast_to(np.maximum(lo, 0.0), (env.size,))
    hi = np.broadcast_to(np.maximum(hi, 0.0), (env.size,))
    unbounded = np.isinf(hi)
    low = np.where(np.isinf(lo), 0.0, lo).astype(np.int64)
    high = np.where(unbounded, -1.0, hi).astype(np.int64)
    return low, high


def interval(node: ast.Node, env: Env, want: str | None, cap: bool) -> Interval:
    n = env.size
    registry = env.registry
    match node:
        case ast.Number(value=v):
            return _point(np.full(1, literal_for(v, want)))
        case ast.Attr(key=key, period=period):
            attribute = env.attribute(key)
            values, valid = env.column(env.attr_column(key, period))
            f = values.astype(np.float64)
            lo = np.where(valid, f, 0.0 if attribute.non_negative else -INF)
            return lo, np.where(valid, f, INF)
        case ast.Arith(operator=op, left=left, right=right) if op != "/":
            lu, ru = unit_of(left, registry), unit_of(right, registry)
            if op == "*":
                for money, rate, unit in ((left, right, lu), (right, left, ru)):
                    r = _literal(rate)
                    if r is not None and unit == "money":
                        return _scaled(interval(money, env, "money", cap), r)
                if want == "money" and "money" not in (lu, ru):
                    # per head: a plain number beside a count is money (1000 × hires)
                    lw = "money" if lu is None else lu
                    rw = "money" if ru is None and lu is not None else ru
                    return _times(interval(left, env, lw, cap), interval(right, env, rw, cap))
                return _times(
                    interval(left, env, ru if lu is None else lu, cap),
                    interval(right, env, lu if ru is None else ru, cap),
                )
            a = interval(left, env, ru or want if lu is None else lu, cap)
            b = interval(right, env, lu or want if ru is None else ru, cap)
            if op == "+":
                return a[0] + b[0], a[1] + b[1]
            return _sub(a, b)
        case ast.SumYears(key=key, window=window):
            parts = [interval(ast.Attr(key, o), env, want, cap) for o in window.offsets()]
            lo, hi = parts[0]
            for plo, phi in parts[1:]:
                lo, hi = lo + plo, hi + phi
            return lo, hi
        case ast.CountYears(condition=c, window=window):
            low = np.zeros(n)
            high = np.zeros(n)
            for offset in window.offsets():
                t, k = condition_of(c, env.in_year(env.at.year + offset))
                low += t
                high += t | ~k
            return low, high
        case ast.Extremum(function=function, args=args):
            unit = amount_unit(node, registry, want)
            parts = [interval(a, env, unit, cap) for a in args]
            reduce = np.minimum if function == "min" else np.maximum
            lo, hi = parts[0]
            for plo, phi in parts[1:]:
                lo, hi = reduce(lo, plo), reduce(hi, phi)
            return lo, hi
        case ast.If(condition=c, then=then, otherwise=otherwise):
            unit = amount_unit(node, registry, want)
            t, k = condition_of(c, env)
            a, b = interval(then, env, unit, cap), interval(otherwise, env, unit, cap)
            no = k & ~t
            lo = np.where(t, a[0], np.where(no, b[0], np.minimum(a[0], b[0])))
            hi = np.where(t, a[1], np.where(no, b[1], np.maximum(a[1], b[1])))
            return lo, hi
        case ast.Tiers(value=v, steps=steps, by=by):
            return _tiers(v, steps, by, env, cap)
        case ast.Above(value=v, threshold=t):
            unit = amount_unit(node, registry, want)
            lo, hi = _sub(interval(v, env, unit, cap), interval(t, env, unit, cap))
            return np.maximum(lo, 0.0), np.maximum(hi, 0.0)
        case ast.UpTo(cap=c):
            lo, hi = interval(c, env, "money", cap)
            return (lo, hi) if cap else (np.zeros(n), np.maximum(hi, 0.0))  # a cap below zero pays 0
    # a value without an interval rule (division, growth, years_since, a percentage …): a point
    # where known and defined, otherwise unbounded
    x = value(node, env)
    ok = x.known & x.defined
    f = x.values.astype(np.float64)
    if x.literal is not None and x.unit is None:
        f = np.full(n, float(literal_for(x.literal, want)))
    return np.where(ok, f, -INF), np.where(ok, f, INF)


_PREFERRED = ("money", "ratio", "date", "code", "bool")


def amount_unit(node: ast.Node, registry: AttributeRegistry, want: str | None) -> str | None:
    """The unit a sub-expression of an amount is computed in, decided as the evaluator decides it
    (``CompiledRule.typeof``): a plain number times a count met by money is money per head, so
    ``min(500 * insured_headcount[last_year], 20万)`` is in fen on both sides."""
    match node:
        case ast.Arith(operator="*", left=left, right=right):
            units = {unit_of(left, registry), unit_of(right, registry)}
            if want == "money" and None in units and units <= {None, "count"}:
                return "money"
        case ast.Extremum(args=args):
            return _common_unit([amount_unit(a, registry, want) for a in args], want)
        case ast.If(then=first, otherwise=second) | ast.Above(value=first, threshold=second):
            return _common_unit([amount_unit(n, registry, want) for n in (first, second)], want)
    return unit_of(node, registry) or want


def _common_unit(units: list[str | None], want: str | None) -> str | None:
    known = [u for u in units if u is not None]
    if not known:
        return want
    for preferred in _PREFERRED:
        if preferred in known:
            return preferred
    return "count" if all(u == "count" for u in known) else "number"


def _sub(a: Interval, b: Interval) -> Interval:
    return a[0] - b[1], a[1] - b[0]


def _mul(x: Floats, y: Floats) -> Floats:
    with np.errstate(invalid="ignore"):
        p = x * y
    return np.where(np.isnan(p), 0.0, p)  # 0 × ∞ = 0


def _times(a: Interval, b: Interval) -> Interval:
    corners = [_mul(a[0], b[0]), _mul(a[0], b[1]), _mul(a[1], b[0]), _mul(a[1], b[1])]
    lo = np.minimum(np.minimum(corners[0], corners[1]), np.minimum(corners[2], corners[3]))
    hi = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
    return lo, hi


def _scaled(a: Interval, rate: Decimal) -> Interval:
    out = []
    for end in a:
        finite = np.isfinite(end)
        ints = np.where(finite, end, 0.0).astype(np.int64)
        scaled = scale(ints, rate).astype(np.float64)
        if rate == 0:
            out.append(np.where(finite, scaled, 0.0))
        else:
            out.append(np.where(finite, scaled, end))
    return out[0], out[1]


def _tiers(v: ast.Node, steps: tuple[ast.TierStep, ...], by: str, env: Env, cap: bool) -> Interval:
    unit = unit_of(v, env.registry)
    lo, hi = interval(v, env, unit, cap)
    ats = [float(literal_for(step.at, unit)) for step in steps]
    n = env.size
    out_lo = np.full(n, INF)
    out_hi = np.full(n, -INF)

    def include(reach: NDArray[np.bool_], part: Interval) -> None:
        nonlocal out_lo, out_hi
        out_lo = np.where(reach, np.minimum(out_lo, part[0]), out_lo)
        out_hi = np.where(reach, np.maximum(out_hi, part[1]), out_hi)

    zero = (np.zeros(n), np.zeros(n))
    last = len(steps) - 1
    for i, step in enumerate(steps):
        if by == "amount":  # step i covers [at_i, at_{i+1})
            reach = hi >= ats[i]
            if i < last:
                reach &= lo < ats[i + 1]
        else:  # step i covers (at_{i-1}, at_i]
            reach = lo <= ats[i]
            if i > 0:
                reach &= hi > ats[i - 1]
        if reach.any():
            include(reach, interval(step.amount, env, "money", cap))
    include((lo < ats[0]) if by == "amount" else (hi > ats[last]), zero)
    # an undefined value (÷0, growth on a base ≤ 0) passes no step: nothing (0)
    x = value(v, env)
    undefined = band(x.known, ~x.defined)
    if undefined.any():
        out_lo = np.where(undefined, 0.0, out_lo)
        out_hi = np.where(undefined, 0.0, out_hi)
    return out_lo, out_hi
