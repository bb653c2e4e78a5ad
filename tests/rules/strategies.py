"""Hypothesis strategies for the rules language: random well-typed trees and random rows.

``well_typed_rules(registry, at)`` draws rules typed per docs/rules.md §2 that cover every node
kind: comparisons on each numeric type, between, within/in with real codes, has/gained with
real qualification codes, the per-year constructs, growth, division, years_since, sum, min/max,
if, tiers and rank tiers, above, up_to, and nested and/or/not.

``rows(registry, at, columns)`` draws one row in the ``rules.columns`` layout for the given
columns, with missing values (None), zeros (division by zero, growth on a zero base), negative
values for signed attributes, values equal to (and one unit beside) the thresholds the rules
use, and dates around the evaluation date.

Overflow bound: money values are at most ``MONEY_LIMIT`` fen (10^11, i.e. 10亿元) in absolute
value and counts at most ``COUNT_LIMIT`` (10^4). Money is multiplied by a count only when the
money side is an attribute or a sum of at most six years (≤ 6·10^11 · 10^4 = 6·10^15), by a
rate with a large numerator (33.33% = 3333/10000) only in the same case, and otherwise by rates
whose numerator is at most 11 (5.5% = 11/200); the rounding rule computes 2·m·n + d, so with
at most depth-3 sums every int64 fen computation stays below 2^63 in every back-end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from tongban.kernel.codes import enterprise
from tongban.profiles.attributes import Attribute, AttributeRegistry, AttributeType
from tongban.rules import ast

MONEY_LIMIT = 10**11
COUNT_LIMIT = 10**4
# Decimal places of drawn ratios and numbers, as stored data has: a float like 2e-227 squared
# underflows, which PostgreSQL reports as an error ("value out of range: underflow") where the
# other back-ends give 0.
PLACES = 6

# Thresholds in yuan (money literals) and the row values built around them.
MONEY_YUAN = (0, 1, 100, 5000, 300000, 1000000, 5000000, 20000000, 50000000, 1000000000)
COUNTS = (0, 1, 2, 3, 10, 30, 100)
RATIOS = (Decimal("0"), Decimal("0.05"), Decimal("0.2"), Decimal("0.5"), Decimal("1"), Decimal("1.5"))
PERCENTS = (Decimal("0"), Decimal("1"), Decimal("5"), Decimal("5.5"), Decimal("10"), Decimal("20"),
            Decimal("50"), Decimal("60"), Decimal("100"), Decimal("150"))
BIG_RATES = (ast.Percent(Decimal("33.33")), ast.Number(Decimal("0.3333")), ast.Percent(Decimal("0.01")))
NUMBERS = (Decimal("0"), Decimal("0.5"), Decimal("50"), Decimal("85"), Decimal("85.5"), Decimal("100"))
RATES = (Decimal("0.5"), Decimal("1"), Decimal("2"), Decimal("0.05"), Decimal("0"))

REGION_VALUES = ("350203", "350206", "350211", "350102", "350200", "110101", "110000", "440305")
REGION_CODES = ("350200", "350000", "350203", "110000", "110100", "440300")
INDUSTRY_VALUES = ("C", "3511", "35", "351", "39", "3911", "06", "0610", "B", "D", "44", "4411", "F", "51",
                   "5111", "64", "6410", "I")
INDUSTRY_CODES = ("C", "B", "D", "F", "I", "35", "351", "3511", "39", "391", "3911", "06", "44", "51", "64")

WINDOWS = (ast.Window(-1, -1), ast.Window(-3, -1), ast.Window(-2, 0), ast.Window(0, 0), ast.Window(-5, -1),
           ast.Window(-4, -2))
OPS: tuple[ast.CompareOp, ...] = ("<", "<=", ">", ">=", "=", "!=")


def _keys(registry: AttributeRegistry, type_: AttributeType, *, yearly: bool | None = None) -> list[str]:
    return [a.key for a in registry.values() if a.type is type_ and (yearly is None or a.yearly is yearly)]


class _Gen:
    """Draws typed subtrees. ``per_year_key``: set inside a per-year construct, whose condition
    reads that one yearly attribute (without a period) and current attributes only."""

    def __init__(self, registry: AttributeRegistry, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.registry = registry
        self.draw = draw
        self.per_year_key: str | None = None

    def pick(self, items: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(items)))

    def chance(self, p: float) -> bool:
        return bool(self.draw(st.floats(0, 1)) < p)

    # ------------------------------------------------------------ attributes

    def attr(self, type_: AttributeType) -> ast.Node | None:
        if self.per_year_key is not None:
            attribute = self.registry[self.per_year_key]
            if attribute.type is type_:
                return ast.Attr(attribute.key)
            current = _keys(self.registry, type_, yearly=False)
            return ast.Attr(self.pick(current)) if current else None
        keys = _keys(self.registry, type_)
        if not keys:
            return None
        key = self.pick(keys)
        if self.registry[key].yearly:
            return ast.Attr(key, self.pick((0, -1, -1, -2, -3)))
        return ast.Attr(key)

    def yearly_key(self, types: Sequence[AttributeType]) -> str:
        return str(self.pick([a.key for a in self.registry.values() if a.yearly and a.type in types]))

    # ------------------------------------------------------------ literals

    def money_literal(self) -> ast.Number:
        return ast.Number(Decimal(self.pick(MONEY_YUAN)))

    def literal(self, type_: str) -> ast.Node:
        if type_ == "money":
            return self.money_literal()
        if type_ == "count":
            return ast.Number(Decimal(self.pick(COUNTS)))
        if type_ == "ratio":
            return ast.Percent(self.pick(PERCENTS)) if self.chance(0.6) else ast.Number(self.pick(RATIOS))
        return ast.Number(self.pick(NUMBERS))

    # ------------------------------------------------------------ values

    def value(self, type_: str, depth: int) -> ast.Node:
        builders: dict[str, Callable[[int], ast.Node]] = {
            "money": self.money, "count": self.count, "ratio": self.ratio, "number": self.number,
        }
        return builders[type_](depth)

    def money(self, depth: int, *, simple: bool = False) -> ast.Node:
        leaf = self.attr(AttributeType.MONEY)
        if simple or depth <= 0 or leaf is None or self.chance(0.35):
            if leaf is None or (self.per_year_key is None and self.chance(0.15)):
                key = self.yearly_key([AttributeType.MONEY])
                return ast.SumYears(key, self.pick(WINDOWS[:4]))
            return leaf
        kind = self.pick(("+", "-", "-", "rate", "per_head", "min", "max", "if", "above", "literal+"))
        d = depth - 1
        match kind:
            case "+" | "-":
                return ast.Arith(kind, self.money(d), self.money(d))
            case "literal+":
                return ast.Arith("+", self.money(d), self.money_literal())
            case "rate":
                if self.chance(0.25):
                    return ast.Arith("*", self.money(0, simple=True), self.pick(BIG_RATES))
                rate = ast.Percent(self.pick(PERCENTS)) if self.chance(0.6) else ast.Number(self.pick(RATES))
                return ast.Arith("*", self.money(d), rate) if self.chance(0.7) else ast.Arith("*", rate, self.money(d))
            case "per_head":
                count = self.attr(AttributeType.COUNT) or ast.Number(Decimal(3))
                return ast.Arith("*", self.money(0, simple=True), count)
            case "min" | "max":
                args = tuple(self.money(d) if self.chance(0.7) else self.money_literal()
                             for _ in range(self.draw(st.integers(2, 3))))
                return ast.Extremum(kind, args)
            case "if":
                return ast.If(self.condition(d), self.money(d), self.money(d))
        return ast.Above(self.money(d), self.money(d) if self.chance(0.4) else self.money_literal())

    def count(self, depth: int) -> ast.Node:
        leaf = self.attr(AttributeType.COUNT)
        if depth <= 0 or leaf is None or self.chance(0.4):
            if leaf is None or self.chance(0.2):
                return ast.YearsSince(ast.Attr(self.pick(_keys(self.registry, AttributeType.DATE))))
            return leaf
        kind = self.pick(("+", "-", "*", "years_since", "count_years", "min", "max", "if"))
        d = depth - 1
        match kind:
            case "+" | "-":
                return ast.Arith(kind, self.count(d), self.count(d) if self.chance(0.6) else self.literal("count"))
            case "*":
                return ast.Arith("*", self.count(0), self.count(0))
            case "years_since":
                return ast.YearsSince(ast.Attr(self.pick(_keys(self.registry, AttributeType.DATE))))
            case "count_years" if self.per_year_key is None:
                return self.per_year(lambda c, w: ast.CountYears(c, w), d)
            case "min" | "max":
                return ast.Extremum(kind, (self.count(d), self.count(d)))
            case "if":
                return ast.If(self.condition(d), self.count(d), self.count(d))
        return leaf

    def ratio(self, depth: int) -> ast.Node:
        leaf = self.attr(AttributeType.RATIO)
        if self.per_year_key is not None:
            if leaf is not None and self.chance(0.5):
                return leaf
            numeric = self.registry[self.per_year_key].type
            if numeric in (AttributeType.MONEY, AttributeType.COUNT):
                return ast.Arith("/", ast.Attr(self.per_year_key), ast.Attr(self.per_year_key))
            return leaf or ast.Percent(Decimal(5))
        d = max(depth - 1, 0)
        kind = self.pick(("attr", "money/money", "count/count", "growth", "growth", "+", "*rate", "min", "ratio/ratio"))
        match kind:
            case "money/money":
                return ast.Arith("/", self.money(d), self.money(d))
            case "count/count":
                return ast.Arith("/", self.count(d), self.count(d))
            case "growth":
                key = self.yearly_key([AttributeType.MONEY, AttributeType.COUNT])
                period = self.pick((-1, 0, -2))
                return ast.Growth(key, period, period - self.pick((1, 2)))
            case "+" if depth > 0:
                return ast.Arith(self.pick(("+", "-")), self.ratio(d), self.ratio(d))
            case "*rate" if depth > 0:
                return ast.Arith("*", self.ratio(d), ast.Percent(self.pick(PERCENTS)))
            case "min" if depth > 0:
                return ast.Extremum(self.pick(("min", "max")), (self.ratio(d), self.literal("ratio")))
            case "ratio/ratio" if depth > 0:
                return ast.Arith("/", self.ratio(d), self.ratio(d))
        return leaf or ast.Growth(self.yearly_key([AttributeType.MONEY]))

    def number(self, depth: int) -> ast.Node:
        leaf = self.attr(AttributeType.NUMBER)
        if leaf is None:
            return self.count(depth)
        if depth <= 0 or self.chance(0.4):
            return leaf
        d = depth - 1
        kind = self.pick(("+count", "-", "*", "/", "/count"))
        match kind:
            case "+count":
                return ast.Arith("+", self.number(d), self.count(d))
            case "-":
                return ast.Arith("-", self.number(d), self.literal("number"))
            case "*":
                return ast.Arith("*", self.number(0), self.number(0))
            case "/":
                return ast.Arith("/", self.number(d), self.number(d))
        return ast.Arith("/", self.number(d), self.count(0))

    # ------------------------------------------------------------ conditions

    def condition(self, depth: int) -> ast.Node:
        if depth <= 0 or self.chance(0.3):
            return self.atom(depth)
        d = depth - 1
        kind = self.pick(("and", "or", "not", "atom", "atom"))
        if kind == "and":
            return ast.And(tuple(self.condition(d) for _ in range(self.draw(st.integers(2, 3)))))
        if kind == "or":
            return ast.Or(tuple(self.condition(d) for _ in range(self.draw(st.integers(2, 3)))))
        if kind == "not":
            return ast.Not(self.condition(d))
        return self.atom(depth)

    def atom(self, depth: int) -> ast.Node:
        kinds = ["compare", "compare", "compare", "between", "within", "in", "has", "gained", "bool",
                 "per_year", "per_year", "count_years"]
        if self.per_year_key is not None:
            kinds = ["compare", "compare", "between", "bool", "within"]
        kind = self.pick(kinds)
        d = max(depth - 1, 0)
        match kind:
            case "compare":
                type_ = self.pick(("money", "money", "count", "ratio", "number", "date"))
                if self.per_year_key is not None:
                    type_ = str(self.registry[self.per_year_key].type)
                    if type_ not in ("money", "count", "ratio", "number"):
                        type_ = "count"
                if type_ == "date":
                    key = self.pick(_keys(self.registry, AttributeType.DATE))
                    return ast.Compare(self.pick(OPS), ast.Attr(key), ast.DateLiteral(self.pick(_DATES)))
                left = self.value(type_, d)
                right = self.literal(type_) if self.chance(0.7) else self.value(type_, d)
                return ast.Compare(self.pick(OPS), left, right)
            case "between":
                type_ = self.pick(("money", "count", "ratio"))
                low, high = sorted((self.literal(type_), self.literal(type_)), key=_literal_order)
                return ast.Between(self.value(type_, d), low, high)
            case "within":
                if self.chance(0.5):
                    codes = self.draw(st.lists(st.sampled_from(REGION_CODES), min_size=1, max_size=3, unique=True))
                    return ast.Within(ast.Attr(self.pick(_keys(self.registry, AttributeType.REGION))), tuple(codes))
                codes = self.draw(st.lists(st.sampled_from(INDUSTRY_CODES), min_size=1, max_size=3, unique=True))
                return ast.Within(ast.Attr(self.pick(_keys(self.registry, AttributeType.INDUSTRY))), tuple(codes))
            case "in":
                code_keys = _keys(self.registry, AttributeType.CODE)
                key = self.pick(code_keys)
                values = _code_values(self.registry[key])
                codes = self.draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
                return ast.In(ast.Attr(key), tuple(codes))
            case "has":
                return ast.Has(self.pick(_keys(self.registry, AttributeType.TAGS)), self.pick(TAGS))
            case "gained":
                return ast.Gained(self.pick(_keys(self.registry, AttributeType.TAGS)), self.pick(TAGS),
                                  self.pick(WINDOWS))
            case "bool":
                keys = _keys(self.registry, AttributeType.BOOL)
                if keys and self.chance(0.85):
                    return ast.Attr(self.pick(keys))
                return ast.BoolLiteral(self.chance(0.5))
            case "count_years":
                counted = self.per_year(lambda c, w: ast.CountYears(c, w), d)
                return ast.Compare(self.pick(OPS), counted, ast.Number(Decimal(self.pick((0, 1, 2, 3)))))
            case "per_year":
                kind = self.pick(("first_time", "all_years", "any_year"))
                if kind == "first_time":
                    return self.per_year(lambda c, w: ast.FirstTime(c, self.pick((0, -1, -1, -2, -4))), d)
                if kind == "all_years":
                    return self.per_year(lambda c, w: ast.AllYears(c, w), d)
                return self.per_year(lambda c, w: ast.AnyYear(c, w), d)
        raise AssertionError(kind)

    def per_year(self, build: Callable[[ast.Node, ast.Window], ast.Node], depth: int) -> ast.Node:
        self.per_year_key = self.yearly_key([AttributeType.MONEY, AttributeType.COUNT, AttributeType.RATIO])
        try:
            inner = self.condition(min(depth, 1))
            if not any(isinstance(n, ast.Attr) and n.key == self.per_year_key for n in ast.walk(inner)):
                inner = ast.And((inner, self.atom(0))) if self.chance(0.3) else self.per_year_compare()
            if not any(isinstance(n, ast.Attr) and n.key == self.per_year_key for n in ast.walk(inner)):
                inner = self.per_year_compare()
            return build(inner, self.pick(WINDOWS))
        finally:
            self.per_year_key = None

    def per_year_compare(self) -> ast.Node:
        assert self.per_year_key is not None
        type_ = str(self.registry[self.per_year_key].type)
        return ast.Compare(self.pick(OPS), ast.Attr(self.per_year_key), self.literal(type_))

    # ------------------------------------------------------------ amounts

    def amount(self, depth: int) -> ast.Node:
        kind = self.pick(("money", "money", "literal", "tiers", "rank_tiers", "up_to", "min_cap", "if"))
        d = max(depth - 1, 0)
        match kind:
            case "literal":
                return self.money_literal()
            case "tiers" | "rank_tiers":
                type_ = self.pick(("money", "count", "ratio", "number"))
                ats = sorted(self.draw(st.lists(st.sampled_from(_TIER_POINTS[type_]), min_size=1, max_size=4,
                                                unique=True)))
                steps = tuple(ast.TierStep(a, self.money_literal() if self.chance(0.7) else self.money(0))
                              for a in ats)
                return ast.Tiers(self.value(type_, d), steps, "amount" if kind == "tiers" else "rank")
            case "up_to":
                return ast.UpTo(self.money_literal() if self.chance(0.6) else self.money(d))
            case "min_cap":
                return ast.Extremum("min", (self.money(d), self.money_literal()))
            case "if":
                return ast.If(self.condition(d), self.amount(d), self.amount(d))
        return self.money(depth)


def _literal_order(node: ast.Node) -> Decimal:
    if isinstance(node, ast.Percent):
        return node.value / 100
    assert isinstance(node, ast.Number)
    return node.value


def _code_values(attribute: Attribute) -> list[str]:
    if attribute.code_list == "enterprise_size":
        return [s.code for s in enterprise.sizes()]
    return [t.code for t in enterprise.types()]


TAGS = (*tuple(q.code for q in enterprise.qualifications())[:6], "headquarters")
_DATES = (date(2020, 6, 15), date(2023, 1, 1), date(2024, 12, 31))
_TIER_POINTS: dict[str, tuple[Decimal, ...]] = {
    "money": tuple(Decimal(m) for m in MONEY_YUAN),
    "count": tuple(Decimal(c) for c in COUNTS),
    "ratio": (*RATIOS, Decimal("0.1"), Decimal("0.3")),
    "number": NUMBERS,
}


@st.composite
def _rules(draw: st.DrawFn, registry: AttributeRegistry, at: date, depth: int) -> ast.Rule:
    gen = _Gen(registry, draw)
    condition = gen.condition(depth)
    amount = gen.amount(depth) if draw(st.floats(0, 1)) < 0.85 else None
    return ast.Rule(condition, amount)


def well_typed_rules(registry: AttributeRegistry, at: date, depth: int = 3) -> st.SearchStrategy[ast.Rule]:
    """Random well-typed rules (docs/rules.md §2) for evaluation date ``at``."""
    return _rules(registry, at, depth)


# ---------------------------------------------------------------- rows


def _column_attribute(registry: AttributeRegistry, column: str) -> tuple[Attribute, str]:
    """The attribute of a column and its part: 'value', 'since' or 'until'."""
    if "#" in column:
        key, rest = column.split("#", 1)
        return registry[key], "since" if rest.endswith(".since") else "until"
    return registry[column.split("@", 1)[0]], "value"


def _money(draw: st.DrawFn, signed: bool) -> int:
    base = draw(st.sampled_from(MONEY_YUAN)) * 100 + draw(st.sampled_from((0, 0, 0, 1, -1, 5, 50)))
    if draw(st.integers(0, 9)) == 0:
        base = draw(st.integers(0, MONEY_LIMIT))
    base = max(base, 0)
    return -base if signed and draw(st.booleans()) else base


def _value(draw: st.DrawFn, attribute: Attribute, part: str, at: date) -> object:
    if part != "value":  # a tag's since / until
        if draw(st.integers(0, 3)) == 0:
            return None
        offset = draw(st.sampled_from((0, 0, -1, 1, -365, -366, -730, -1100, -1500, 200, 400)))
        return at + timedelta(days=offset) if part == "until" else at + timedelta(days=min(offset, 30) - 30 * draw(
            st.integers(0, 60)))
    match attribute.type:
        case AttributeType.MONEY:
            return _money(draw, attribute.signed)
        case AttributeType.COUNT:
            if draw(st.integers(0, 9)) == 0:
                return draw(st.integers(0, COUNT_LIMIT))
            return max(draw(st.sampled_from(COUNTS)) + draw(st.sampled_from((0, 0, 1, -1))), 0)
        case AttributeType.RATIO:
            if draw(st.integers(0, 4)) == 0:
                return round(draw(st.floats(-0.5, 3, allow_nan=False, allow_subnormal=False)), PLACES)
            return float(draw(st.sampled_from((*RATIOS, Decimal("-0.1"), Decimal("0.055")))))
        case AttributeType.NUMBER:
            if draw(st.integers(0, 4)) == 0:
                return round(draw(st.floats(0, 1000, allow_nan=False, allow_subnormal=False)), PLACES)
            return float(draw(st.sampled_from(NUMBERS)))
        case AttributeType.BOOL:
            return draw(st.booleans())
        case AttributeType.DATE:
            years = draw(st.integers(-8, 1))
            day = draw(st.sampled_from((0, 0, 1, -1, 45, -45)))
            try:
                anchor = at.replace(year=at.year + years)
            except ValueError:  # 29 February
                anchor = at.replace(year=at.year + years, day=28)
            return anchor + timedelta(days=day)
        case AttributeType.REGION:
            return draw(st.sampled_from(REGION_VALUES))
        case AttributeType.INDUSTRY:
            return draw(st.sampled_from(INDUSTRY_VALUES))
        case AttributeType.CODE:
            return draw(st.sampled_from(_code_values(attribute)))
        case AttributeType.TAGS:
            return True
    raise AssertionError(attribute.type)


@st.composite
def _row(draw: st.DrawFn, registry: AttributeRegistry, at: date, columns: tuple[str, ...],
         missing: float) -> dict[str, object]:
    row: dict[str, object] = {}
    for column in columns:
        attribute, part = _column_attribute(registry, column)
        if part == "value" and draw(st.floats(0, 1)) < missing:
            row[column] = None
            continue
        row[column] = _value(draw, attribute, part, at)
    return row


def rows(registry: AttributeRegistry, at: date, columns: Sequence[str],
         missing: float = 0.2) -> st.SearchStrategy[dict[str, object]]:
    """One row for ``columns`` (``rules.columns`` layout); each value missing with probability
    ``missing``. A tag's ``since`` is always drawn; whether the set is known is its own column."""
    return _row(registry, at, tuple(columns), missing)
