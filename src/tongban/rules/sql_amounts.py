"""Amounts of the rules language as SQL intervals (the amount half of ``rules/sql.py``; the
meaning is docs/rules.md §5).

An amount compiles to ``Bounds``: two sqlglot expressions for the ends of the interval, where a
NULL ``lo`` is −∞ and a NULL ``hi`` is +∞, so that unknown inputs give a range: an unknown
attribute is [0, +∞) unless signed, ``+``/``−``/``× rate``/``× count``/min/max/above/if/tiers
follow §5, and the final amount is clamped at zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from sqlglot import exp

from tongban.profiles.attributes import AttributeType
from tongban.rules import ast
from tongban.rules.sql_values import (
    Kind,
    ValueCompiler,
    and_,
    any_of,
    binary,
    case,
    common_kind,
    double,
    greatest,
    is_null,
    is_true,
    least,
    lit,
    not_,
    or_,
    p,
    round_rate,
    share,
)


@dataclass(frozen=True)
class Bounds:
    """An interval [lo, hi]; NULL lo is −∞, NULL hi is +∞. ``lo_inf``/``hi_inf``: the end may be
    infinite. ``nonneg``: lo is never below zero (nor −∞)."""

    lo: exp.Expr
    hi: exp.Expr
    kind: Kind
    lo_inf: bool = True
    hi_inf: bool = True
    nonneg: bool = False


class AmountCompiler(ValueCompiler):
    """Compiles amount nodes to intervals."""

    def bounds(self, node: ast.Node, *, cap_as_point: bool = False, expect: str | None = "money") -> Bounds:
        """The interval of a value (§5). ``cap_as_point``: read ``up_to(cap)`` as ``cap``."""
        found = self._bounds(node, cap_as_point=cap_as_point, expect=expect)
        return replace(found, lo=share(found.lo), hi=share(found.hi))

    def _bounds(self, node: ast.Node, *, cap_as_point: bool = False, expect: str | None = "money") -> Bounds:
        def sub(n: ast.Node, e: str | None = expect) -> Bounds:
            return self.bounds(n, cap_as_point=cap_as_point, expect=e)

        match node:
            case ast.Attr(key=key):
                attribute = self.registry[key]
                v = self.value(node)
                if attribute.type in (AttributeType.NUMBER, AttributeType.MONEY, AttributeType.COUNT) \
                        and attribute.non_negative:
                    floor: exp.Expr = exp.Coalesce(this=v.v, expressions=[lit(0)])
                    return Bounds(floor, v.v, v.kind, False, True, True)
                return Bounds(v.v, v.v, v.kind)
            case ast.Number() | ast.Percent():
                val = self.value(node, expect)
                nonneg = val.constant is not None and val.constant >= 0
                return Bounds(val.v, val.v, val.kind, False, False, nonneg)
            case ast.SumYears(key=key, window=window):
                parts = [sub(ast.Attr(key, o)) for o in window.offsets()]
                out = parts[0]
                for part in parts[1:]:
                    out = _add(out, part)
                return out
            case ast.Arith(operator="+" | "-" as op, left=left, right=right):
                type_ = self.type_of(node, expect)
                lt, rt = self.type_of(left), self.type_of(right)
                a = sub(left, type_ if lt == "literal" else lt)
                b = sub(right, type_ if rt == "literal" else rt)
                return _add(a, b) if op == "+" else _sub(a, b)
            case ast.Arith(operator="*", left=left, right=right) if self.rate_of(node, expect) is not None:
                money, rate = self.rate_of(node, expect) or (left, Fraction(0))
                m = sub(money, "money")
                if rate == 0:
                    return Bounds(lit(0), lit(0), "int", False, False, True)
                return Bounds(round_rate(m.lo, rate), round_rate(m.hi, rate), "int", m.lo_inf, m.hi_inf,
                              m.nonneg)
            case ast.Arith(operator="*", left=left, right=right):
                type_ = self.type_of(node, expect)
                lt, rt = self.type_of(left), self.type_of(right)
                lit_type = "money" if type_ == "money" else type_
                return _mul(sub(left, lit_type if lt == "literal" else lt),
                            sub(right, lit_type if rt == "literal" else rt))
            case ast.Extremum(function=function, args=args):
                type_ = self.type_of(node, expect)
                parts = [sub(a, type_) for a in args]
                return _min(parts) if function == "min" else _max(parts)
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                type_ = self.type_of(node, expect)
                test = share(self.condition(condition))
                ba, bb = sub(then, type_), sub(otherwise, type_)
                low_hull, high_hull = _min([ba, bb]).lo, _max([ba, bb]).hi
                kind = common_kind([ba.kind, bb.kind])
                lo = case((test, _k(ba.lo, ba.kind, kind)), (not_(p(test)), _k(bb.lo, bb.kind, kind)),
                          default=_k(low_hull, kind, kind))
                hi = case((test, _k(ba.hi, ba.kind, kind)), (not_(p(test)), _k(bb.hi, bb.kind, kind)),
                          default=high_hull)
                return Bounds(lo, hi, kind, ba.lo_inf or bb.lo_inf, ba.hi_inf or bb.hi_inf,
                              ba.nonneg and bb.nonneg)
            case ast.Above(value=value, threshold=threshold):
                type_ = self.type_of(node, expect)
                bv, bt = sub(value, type_), sub(threshold, type_)
                kind = common_kind([bv.kind, bt.kind])
                low = binary(exp.Sub, _k(bv.lo, bv.kind, kind), _k(bt.hi, bt.kind, kind))
                high = binary(exp.Sub, _k(bv.hi, bv.kind, kind), _k(bt.lo, bt.kind, kind))
                lo = case((binary(exp.GT, low, lit(0)), low), default=lit(0))  # NULL (−∞) → 0
                hi = case((binary(exp.LT, high, lit(0)), lit(0)), default=high)  # NULL (+∞) stays
                return Bounds(lo, hi, kind, False, bv.hi_inf or bt.lo_inf, True)
            case ast.UpTo(cap=cap):
                capped = sub(cap, "money")
                if cap_as_point:
                    return capped
                hi = case((binary(exp.LT, capped.hi, lit(0)), lit(0)), default=capped.hi)  # NULL (+∞) stays
                return Bounds(lit(0), hi, capped.kind, False, capped.hi_inf, True)
            case ast.Tiers():
                return self._tiers(node, cap_as_point)
            case ast.CountYears(condition=condition, window=window):
                # [years true, years true or unknown]
                tests = [share(c) for c in self.per_year(condition, window.offsets())]
                sure = [case((c, lit(1)), default=lit(0)) for c in tests]
                maybe = [case((not_(p(c)), lit(0)), default=lit(1)) for c in tests]
                return Bounds(_total(sure), _total(maybe), "int", False, False, True)
        # Everything else (division, growth, years_since, count_years): the value when known,
        # otherwise unbounded (NULL ends); an undefined value is handled by its reader (tiers).
        val = self.value(node, expect)
        lo = hi = val.v
        if val.undef is not None:
            lo = hi = case((is_true(val.undef), exp.Null()), default=val.v)
        return Bounds(lo, hi, val.kind, val.nullable, val.nullable)

    def _tiers(self, node: ast.Tiers, cap_as_point: bool) -> Bounds:
        vtype = self.type_of(node.value)
        v = self.bounds(node.value, cap_as_point=cap_as_point, expect=vtype)
        undef = self.value(node.value, vtype).undef
        ats = [self.literal(s.at, vtype if vtype != "literal" else "count") for s in node.steps]
        amounts = [self.bounds(s.amount, cap_as_point=cap_as_point, expect="money") for s in node.steps]

        def ge(bound: exp.Expr, inf: bool, op: type[exp.Binary], i: int) -> exp.Expr:
            test = binary(op, bound, ats[i].v)
            return or_(is_null(bound), test) if inf else test

        k = len(node.steps)
        reach: list[exp.Expr] = []
        if node.by == "amount":  # step i for v in [at_i, at_{i+1}); 0 below at_0
            zero = ge(v.lo, v.lo_inf, exp.LT, 0)
            for i in range(k):
                upper = ge(v.hi, v.hi_inf, exp.GTE, i)
                reach.append(upper if i == k - 1 else and_(upper, ge(v.lo, v.lo_inf, exp.LT, i + 1)))
        else:  # rank: step i for v in (at_{i-1}, at_i]; 0 past the last
            zero = ge(v.hi, v.hi_inf, exp.GT, k - 1)
            for i in range(k):
                lower = ge(v.lo, v.lo_inf, exp.LTE, i)
                reach.append(lower if i == 0 else and_(lower, ge(v.hi, v.hi_inf, exp.GT, i - 1)))
        nothing = Bounds(lit(0), lit(0), "int", False, False, True)
        candidates = [*zip(reach, amounts, strict=True), (zero, nothing)]
        lo_items = [case((r, b.lo), default=exp.Null()) for r, b in candidates]
        hi_items = [case((r, b.hi), default=exp.Null()) for r, b in candidates]
        lo = least(lo_items, null_wins=False)
        hi = greatest(hi_items, null_wins=False)
        lo_inf = any(b.lo_inf for b in amounts)
        hi_inf = any(b.hi_inf for b in amounts)
        if lo_inf:
            unbounded = any_of([and_(r, is_null(b.lo)) for r, b in candidates if b.lo_inf])
            lo = case((unbounded, exp.Null()), default=lo)
        if hi_inf:
            unbounded = any_of([and_(r, is_null(b.hi)) for r, b in candidates if b.hi_inf])
            hi = case((unbounded, exp.Null()), default=hi)
        if undef is not None:  # an undefined value reaches no step: nothing (0)
            lo = case((is_true(undef), lit(0)), default=lo)
            hi = case((is_true(undef), lit(0)), default=hi)
        return Bounds(lo, hi, "int", lo_inf, hi_inf, all(b.nonneg for b in amounts))


def _total(terms: Sequence[exp.Expr]) -> exp.Expr:
    total = terms[0]
    for term in terms[1:]:
        total = binary(exp.Add, total, term)
    return total


def _k(e: exp.Expr, kind: Kind, to: Kind) -> exp.Expr:
    return double(e) if to == "double" and kind != "double" else e


def _add(a: Bounds, b: Bounds) -> Bounds:
    kind = common_kind([a.kind, b.kind])
    return Bounds(binary(exp.Add, _k(a.lo, a.kind, kind), _k(b.lo, b.kind, kind)),
                  binary(exp.Add, _k(a.hi, a.kind, kind), _k(b.hi, b.kind, kind)),
                  kind, a.lo_inf or b.lo_inf, a.hi_inf or b.hi_inf, a.nonneg and b.nonneg)


def _sub(a: Bounds, b: Bounds) -> Bounds:
    kind = common_kind([a.kind, b.kind])
    return Bounds(binary(exp.Sub, _k(a.lo, a.kind, kind), _k(b.hi, b.kind, kind)),
                  binary(exp.Sub, _k(a.hi, a.kind, kind), _k(b.lo, b.kind, kind)),
                  kind, a.lo_inf or b.hi_inf, a.hi_inf or b.lo_inf, False)


def _min(parts: Sequence[Bounds]) -> Bounds:
    kind = common_kind([b.kind for b in parts])
    return Bounds(least([_k(b.lo, b.kind, kind) for b in parts], null_wins=True),
                  least([_k(b.hi, b.kind, kind) for b in parts], null_wins=False),
                  kind, any(b.lo_inf for b in parts), all(b.hi_inf for b in parts),
                  all(b.nonneg for b in parts))


def _max(parts: Sequence[Bounds]) -> Bounds:
    kind = common_kind([b.kind for b in parts])
    return Bounds(greatest([_k(b.lo, b.kind, kind) for b in parts], null_wins=False),
                  greatest([_k(b.hi, b.kind, kind) for b in parts], null_wins=True),
                  kind, all(b.lo_inf for b in parts), any(b.hi_inf for b in parts),
                  any(b.nonneg for b in parts))


def _mul(a: Bounds, b: Bounds) -> Bounds:
    """Interval product: the smallest and largest corner products, 0 × ∞ = 0."""
    kind = common_kind([a.kind, b.kind])
    alo, ahi = _k(a.lo, a.kind, kind), _k(a.hi, a.kind, kind)
    blo, bhi = _k(b.lo, b.kind, kind), _k(b.hi, b.kind, kind)
    if a.nonneg and b.nonneg:
        hi = binary(exp.Mul, ahi, bhi)
        if a.hi_inf or b.hi_inf:
            hi = case((or_(binary(exp.EQ, ahi, lit(0)), binary(exp.EQ, bhi, lit(0))), lit(0)), default=hi)
        return Bounds(binary(exp.Mul, alo, blo), hi, kind, False, a.hi_inf or b.hi_inf, True)
    corners = [(alo, a.lo_inf, -1, blo, b.lo_inf, -1), (alo, a.lo_inf, -1, bhi, b.hi_inf, 1),
               (ahi, a.hi_inf, 1, blo, b.lo_inf, -1), (ahi, a.hi_inf, 1, bhi, b.hi_inf, 1)]
    values, neg_inf, pos_inf = [], [], []
    for x, x_inf, x_sign, y, y_inf, y_sign in corners:
        product = binary(exp.Mul, x, y)
        if not (x_inf or y_inf):
            values.append((product, product))
            continue
        sx = case((is_null(x), lit(x_sign)), default=exp.Sign(this=x)) if x_inf else exp.Sign(this=x)
        sy = case((is_null(y), lit(y_sign)), default=exp.Sign(this=y)) if y_inf else exp.Sign(this=y)
        infinite = or_(*([is_null(x)] if x_inf else []), *([is_null(y)] if y_inf else []))
        sign = binary(exp.Mul, sx, sy)
        neg = and_(infinite, binary(exp.LT, sign, lit(0)))
        pos = and_(infinite, binary(exp.GT, sign, lit(0)))
        finite = exp.Coalesce(this=product, expressions=[lit(0)])
        neg_inf.append(neg)
        pos_inf.append(pos)
        # for the minimum a +∞ corner does not count, for the maximum a −∞ one does not
        values.append((case((pos, exp.Null()), default=finite), case((neg, exp.Null()), default=finite)))
    lo = least([v[0] for v in values], null_wins=False)
    hi = greatest([v[1] for v in values], null_wins=False)
    if neg_inf:
        lo = case((any_of(neg_inf), exp.Null()), default=lo)
        hi = case((any_of(pos_inf), exp.Null()), default=hi)
    return Bounds(lo, hi, kind, bool(neg_inf), bool(pos_inf))


def clamp(bounds: Bounds) -> Bounds:
    """The final amount, clamped below at zero (§5)."""
    lo = case((binary(exp.GT, bounds.lo, lit(0)), bounds.lo), default=lit(0))  # NULL (−∞) → 0
    hi = case((binary(exp.LT, bounds.hi, lit(0)), lit(0)), default=bounds.hi)
    return replace(bounds, lo=lo, hi=hi, lo_inf=False, nonneg=True)
