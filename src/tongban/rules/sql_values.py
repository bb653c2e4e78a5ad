"""Values of the rules language as sqlglot trees (the value half of ``rules/sql.py``, with
``rules/sql_amounts.py`` for amounts; the meaning is docs/rules.md §3–§4).

A value compiles to a ``Val``: its SQL expression (NULL when unknown), and, for values that can
be *undefined* (a division by zero, a growth on a base ≤ 0), a three-valued flag that is TRUE
when every value read is known and the result is undefined, FALSE when it is defined, NULL when
something read is unknown (unknown wins over undefined).

Money is BIGINT fen throughout; ``money × rate`` rounds
with ``floor((2·m·n + d) / (2·d))`` in exact integer arithmetic (floor built from ``%`` and an
exact integer division, so it is the same on every dialect and for negative values); divisions
and ratios are DOUBLE. Nothing is built from text: literals are bound as sqlglot literals.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from sqlglot import exp

from tongban.profiles.attributes import AttributeRegistry, AttributeType
from tongban.rules import ast
from tongban.rules.columns import history_years, yearly

Kind = Literal["int", "double", "decimal", "other"]
NUMERIC = ("money", "count", "number", "ratio")
_INT_TYPES = ("money", "count")


class Lets:
    """Named intermediate columns: a large value used several times (an interval end, a NULL
    test beside its use) is computed once, in a layer of ``SELECT *, expr AS name`` over the one
    below, and referred to by name, so nesting does not copy whole trees (which grows
    exponentially); small ones are repeated inline, and the same expression shared twice gets
    one name.

    Each layer ends in ``OFFSET 0``, which keeps PostgreSQL from flattening it into the query
    above: flattening puts every name's expression back in place of each of its uses, so the
    planner would see the exponential tree again (``invalid memory alloc request size``). DuckDB
    does not inline layers and ignores the no-op offset; ``to_sql`` drops it for Spark, which
    collapses a projection only when that duplicates no expensive expression."""

    def __init__(self, prefix: str = "__r") -> None:
        self.prefix = prefix
        self.layers: dict[str, int] = {}
        self.exprs: list[tuple[str, exp.Expr, int]] = []
        self.names: dict[str, str] = {}  # SQL text of a shared expression → its name

    def share(self, e: exp.Expr, *, force: bool = False) -> exp.Expr:
        if _atomic(e) or (not force and _small(e)):
            return e
        text = e.sql()
        name = self.names.get(text)
        if name is None:
            refs = [self.layers.get(c.name, 0) for c in e.find_all(exp.Column)]
            layer = 1 + max(refs, default=0)
            name = self.names[text] = f"{self.prefix}{len(self.exprs)}"
            self.layers[name] = layer
            self.exprs.append((name, e, layer))
        return exp.column(name, quoted=True)

    def source(self, table: exp.Expr) -> exp.Expr:
        """The table with every layer of named columns on top, each fenced by ``OFFSET 0``."""
        source = table
        for layer in range(1, max(self.layers.values(), default=0) + 1):
            named = [alias(e, name, quoted=True) for name, e, at in self.exprs if at == layer]
            select = exp.select(exp.Star(), *named, copy=False).from_(source, copy=False)
            select = select.offset(0, copy=False)
            source = alias(exp.Subquery(this=select), f"l{layer}")
        return source


_LETS: ContextVar[Lets | None] = ContextVar("_LETS", default=None)


def share(e: exp.Expr, *, force: bool = False) -> exp.Expr:
    """``e`` as a named column of the query being compiled (unchanged when atomic, small unless
    ``force``, or outside a query)."""
    lets = _LETS.get()
    return lets.share(e, force=force) if lets is not None else e


@contextmanager
def sharing(lets: Lets) -> Iterator[Lets]:
    """Compile with ``lets`` collecting the named columns."""
    token = _LETS.set(lets)
    try:
        yield lets
    finally:
        _LETS.reset(token)


SHARE_ABOVE = 40  # nodes: smaller expressions are repeated inline (the engines share them)


def _small(e: exp.Expr) -> bool:
    if _atomic(e):
        return True
    return all(size <= SHARE_ABOVE for size, _ in enumerate(e.walk(), start=1))


def _atomic(e: exp.Expr) -> bool:
    if isinstance(e, exp.Column | exp.Literal | exp.Null | exp.Boolean):
        return True
    if isinstance(e, exp.Cast | exp.Paren | exp.Neg):
        return _atomic(e.this)
    return False


def lit(value: Decimal | int | str) -> exp.Expr:
    """A numeric literal, negative ones as unary minus (what the dialects parse back)."""
    number = Decimal(value)
    text = format(number.normalize() if number != number.to_integral_value() else number.quantize(1), "f")
    if text.startswith("-"):
        return exp.Paren(this=exp.Neg(this=exp.Literal.number(text[1:])))
    return exp.Literal.number(text)


def double(e: exp.Expr) -> exp.Expr:
    return exp.Cast(this=e, to=exp.DataType.build("DOUBLE"))


def bigint(e: exp.Expr) -> exp.Expr:
    return exp.Cast(this=e, to=exp.DataType.build("BIGINT"))


def p(e: exp.Expr) -> exp.Expr:
    """Parenthesised unless atomic, so a tree prints with the grouping it was built with."""
    if isinstance(e, exp.Column | exp.Literal | exp.Paren | exp.Null | exp.Boolean | exp.Cast | exp.Case
                  | exp.Func) and not isinstance(e, exp.Binary):
        return e
    return exp.Paren(this=e)


def is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=p(e), expression=exp.Null())


def is_true(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=p(e), expression=exp.true())


def any_of(items: Sequence[exp.Expr]) -> exp.Expr:
    return or_(*items) if items else exp.false()


def all_of(items: Sequence[exp.Expr]) -> exp.Expr:
    return and_(*items) if items else exp.true()


def case(*whens: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Expr:
    ifs = [exp.If(this=condition, true=value) for condition, value in whens]
    return exp.Case(ifs=ifs, default=default)


# The builders below do not copy their arguments (sqlglot's helpers do by default, which makes
# building a large tree quadratic); a subtree may be referenced twice, and sqlglot copies the
# whole tree into a proper one before generating SQL.


def and_(*items: exp.Expr) -> exp.Expr:
    return exp.and_(*items, copy=False)


def or_(*items: exp.Expr) -> exp.Expr:
    return exp.or_(*items, copy=False)


def not_(item: exp.Expr) -> exp.Expr:
    return exp.not_(item, copy=False)


def alias(e: exp.Expr, name: str, quoted: bool = True) -> exp.Expr:
    return exp.alias_(e, name, quoted=quoted, copy=False)


def binary(cls: type[exp.Binary], left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return cls(this=p(left), expression=p(right))


def least(items: Sequence[exp.Expr], *, null_wins: bool) -> exp.Expr:
    """Smallest of the items. ``null_wins``: NULL if any is NULL; otherwise NULLs are ignored
    (NULL only when all are). Explicit, since LEAST treats NULL differently per dialect."""
    return _extreme(exp.Least, items, null_wins)


def greatest(items: Sequence[exp.Expr], *, null_wins: bool) -> exp.Expr:
    return _extreme(exp.Greatest, items, null_wins)


def _extreme(cls: type[exp.Func], items: Sequence[exp.Expr], null_wins: bool) -> exp.Expr:
    if len(items) == 1:
        return items[0]
    items = [share(i) for i in items]
    if null_wins:
        guarded = cls(this=items[0], expressions=list(items[1:]))
        return case((any_of([is_null(i) for i in items]), exp.Null()), default=guarded)
    # Each argument replaced, when NULL, by some non-NULL one: no NULL reaches the function
    # unless all are NULL, and then every dialect returns NULL.
    filled = [
        exp.Coalesce(this=item, expressions=[o for j, o in enumerate(items) if j != i])
        for i, item in enumerate(items)
    ]
    return cls(this=filled[0], expressions=filled[1:])


@dataclass(frozen=True)
class Val:
    """A compiled value. ``nullable``: may be unknown. ``undef``: see the module docstring
    (None when the value can never be undefined)."""

    v: exp.Expr
    kind: Kind
    type: str
    nullable: bool = True
    undef: exp.Expr | None = None
    constant: Decimal | None = None  # for literals

    def unknown(self) -> exp.Expr | None:
        if self.undef is not None:
            return is_null(self.undef)
        return is_null(self.v) if self.nullable else None

    def undef_flag(self) -> exp.Expr:
        """Three-valued undefined flag (also for values that are never undefined)."""
        if self.undef is not None:
            return self.undef
        if not self.nullable:
            return exp.false()
        return case((is_null(self.v), exp.Null()), default=exp.false())




def strict(children: Sequence[Val], v: exp.Expr, kind: Kind, type_: str,
           undefined_when: exp.Expr | None = None) -> Val:
    """A value that reads ``children``: unknown if any is, undefined if any is or if
    ``undefined_when`` holds."""
    nullable = any(c.nullable for c in children)
    if undefined_when is None and all(c.undef is None for c in children):
        return Val(v, kind, type_, nullable)
    unknown = [u for c in children if (u := c.unknown()) is not None]
    undefined = [is_true(c.undef) for c in children if c.undef is not None]
    if undefined_when is not None:
        undefined.append(is_true(undefined_when))
    whens = [(any_of(unknown), exp.Null())] if unknown else []
    flag = case(*whens, (any_of(undefined), exp.true()), default=exp.false())
    return Val(v, kind, type_, True, flag)


def as_kind(val: Val, kind: Kind) -> exp.Expr:
    if kind == "double" and val.kind != "double":
        if val.constant is not None:
            return double(lit(val.constant))
        return double(val.v)
    return val.v


def common_kind(kinds: Collection[Kind]) -> Kind:
    if "double" in kinds:
        return "double"
    if "decimal" in kinds:
        return "decimal"
    if "other" in kinds:
        return "other"
    return "int"


def round_rate(m: exp.Expr, rate: Fraction) -> exp.Expr:
    """floor((2·m·n + d) / (2·d)) in integer arithmetic: the nearest fen, halves up."""
    n, d = rate.numerator, rate.denominator
    if n == 0:
        return lit(0)
    if d == 1:
        return binary(exp.Mul, m, lit(n))
    a = share(binary(exp.Add, binary(exp.Mul, m, lit(2 * n)), lit(d)))
    b = lit(2 * d)
    # a − (a mod b) with a non-negative mod is a multiple of b: any integer division is exact.
    mod = binary(exp.Mod, binary(exp.Add, binary(exp.Mod, a, b), b), b)
    return bigint(exp.IntDiv(this=p(binary(exp.Sub, a, mod)), expression=b))


class ValueCompiler:
    """Compiles value and amount nodes. ``condition`` is supplied by the subclass (sql.py)."""

    def __init__(self, registry: AttributeRegistry, at: date, columns: Collection[str] | None = None) -> None:
        self.registry = registry
        self.at = at
        self.columns = columns
        self.year: int | None = None  # the year of the enclosing per-year construct

    # ------------------------------------------------------------ hooks

    def condition(self, node: ast.Node) -> exp.Expr:
        raise NotImplementedError

    def in_year(self, year: int, build: Callable[[], exp.Expr]) -> exp.Expr:
        saved, self.year = self.year, year
        try:
            return build()
        finally:
            self.year = saved

    # ------------------------------------------------------------ columns and types

    def column(self, name: str, type_: AttributeType) -> exp.Expr:
        if self.columns is not None and name not in self.columns:
            return exp.Cast(this=exp.Null(), to=exp.DataType.build(_SQL_TYPES[type_]))
        return exp.column(name, quoted=True)

    def attr_column(self, key: str, period: int | None) -> exp.Expr:
        attribute = self.registry[key]
        if not attribute.yearly:
            return self.column(key, attribute.type)
        year = self.at.year + period if period is not None else self.year
        if year is None or year not in history_years(self.at):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build(_SQL_TYPES[attribute.type]))
        return self.column(yearly(key, year), attribute.type)

    def type_of(self, node: ast.Node, expect: str | None = None) -> str:
        """The value type of a node ("literal" for a plain number with nothing to adapt to)."""
        match node:
            case ast.Attr(key=key) | ast.SumYears(key=key):
                return str(self.registry[key].type)
            case ast.Number():
                return expect or "literal"
            case ast.Percent():
                return "ratio"
            case ast.DateLiteral():
                return "date"
            case ast.BoolLiteral():
                return "bool"
            case ast.Growth() | ast.Arith(operator="/"):
                return "ratio" if isinstance(node, ast.Growth) or self._div_is_ratio(node) else "number"
            case ast.YearsSince() | ast.CountYears():
                return "count"
            case ast.Tiers() | ast.UpTo():
                return "money"
            case ast.Arith(operator=op, left=left, right=right):
                lt, rt = self.type_of(left), self.type_of(right)
                if op == "*":
                    per_head = expect == "money" and "count" in (lt, rt) and "literal" in (lt, rt)
                    if "money" in (lt, rt) or per_head:
                        return "money"
                    if lt == rt == "count" or {lt, rt} == {"count", "literal"}:
                        return "count"
                    if "ratio" in (lt, rt):
                        return "ratio"
                    return "number" if (lt, rt) != ("literal", "literal") else expect or "literal"
                return _sum_type(lt, rt, expect)
            # the expected type reaches the arguments, as in the evaluator: min(500 × head count,
            # 20万) met by money is yuan per head on both sides
            case ast.Extremum(args=args):
                return _common([self.type_of(a, expect) for a in args], expect)
            case ast.If(then=then, otherwise=otherwise):
                return _common([self.type_of(then, expect), self.type_of(otherwise, expect)], expect)
            case ast.Above(value=value, threshold=threshold):
                return _common([self.type_of(value, expect), self.type_of(threshold, expect)], expect)
        return "bool"

    def _div_is_ratio(self, node: ast.Arith) -> bool:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        lt, rt = (rt if lt == "literal" else lt), (lt if rt == "literal" else rt)
        return lt == rt and lt in ("money", "count", "ratio")

    # ------------------------------------------------------------ values

    def literal(self, value: Decimal, type_: str) -> Val:
        if type_ == "money":
            fen = value * 100
            kind: Kind = "int" if fen == fen.to_integral_value() else "decimal"
            return Val(lit(fen), kind, "money", False, constant=fen)
        if type_ in ("number", "ratio"):
            return Val(double(lit(value)), "double", type_, False, constant=value)
        kind = "int" if value == value.to_integral_value() else "decimal"
        return Val(lit(value), kind, type_, False, constant=value)

    def value(self, node: ast.Node, expect: str | None = None) -> Val:
        val = self._value(node, expect)
        undef = share(val.undef) if val.undef is not None else None
        return replace(val, v=share(val.v), undef=undef)

    def _value(self, node: ast.Node, expect: str | None = None) -> Val:
        match node:
            case ast.Attr(key=key, period=period):
                attribute = self.registry[key]
                kind = _KINDS.get(attribute.type, "other")
                return Val(self.attr_column(key, period), kind, str(attribute.type))
            case ast.Number(value=value):
                return self.literal(value, expect or "literal")
            case ast.Percent(value=value):
                return self.literal(value / 100, "ratio")
            case ast.DateLiteral(value=value):
                day = exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
                return Val(day, "other", "date", False)
            case ast.BoolLiteral(value=value):
                return Val(exp.true() if value else exp.false(), "other", "bool", False)
            case ast.Arith():
                return self._arith(node, expect)
            case ast.Extremum(function=function, args=args):
                type_ = self.type_of(node, expect)
                vals = [self.value(a, type_) for a in args]
                kind = common_kind([v.kind for v in vals])
                items = [as_kind(v, kind) for v in vals]
                pick = least if function == "min" else greatest
                return strict(vals, pick(items, null_wins=True), kind, type_)
            case ast.Growth(key=key, period=period, base=base):
                attribute = self.registry[key]
                cur = Val(self.attr_column(key, period), _KINDS[attribute.type], str(attribute.type))
                old = Val(self.attr_column(key, base), _KINDS[attribute.type], str(attribute.type))
                diff = binary(exp.Sub, cur.v, old.v)
                zero = binary(exp.LTE, old.v, lit(0))
                ratio = case((zero, exp.Null()), default=binary(exp.Div, double(diff), double(old.v)))
                return strict([cur, old], ratio, "double", "ratio", zero)
            case ast.YearsSince(arg=arg):
                if isinstance(arg, ast.DateLiteral):
                    return self.literal(Decimal(_years_since(arg.value, self.at)), "count")
                d = self.value(arg)
                return strict([d], self._years_since(d.v), "int", "count")
            case ast.SumYears(key=key, window=window):
                attribute = self.registry[key]
                cols = [self.attr_column(key, o) for o in window.offsets()]
                total = cols[0]
                for c in cols[1:]:
                    total = binary(exp.Add, total, c)
                return Val(total, _KINDS[attribute.type], str(attribute.type))
            case ast.CountYears(condition=condition, window=window):
                terms = [
                    case((c, lit(1)), (not_(p(c)), lit(0)), default=exp.Null())
                    for c in map(share, self.per_year(condition, window.offsets()))
                ]
                total = terms[0]
                for t in terms[1:]:
                    total = binary(exp.Add, total, t)
                return Val(total, "int", "count")
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                type_ = self.type_of(node, expect)
                c = share(self.condition(condition))
                a, b = self.value(then, type_), self.value(otherwise, type_)
                kind = common_kind([a.kind, b.kind])
                v = case((c, as_kind(a, kind)), (not_(p(c)), as_kind(b, kind)), default=exp.Null())
                if a.undef is None and b.undef is None:
                    return Val(v, kind, type_)
                flag = case((c, a.undef_flag()), (not_(p(c)), b.undef_flag()), default=exp.Null())
                return Val(v, kind, type_, True, flag)
            case ast.Above(value=value, threshold=threshold):
                type_ = self.type_of(node, expect)
                va, vt = self.value(value, type_), self.value(threshold, type_)
                kind = common_kind([va.kind, vt.kind])
                diff = binary(exp.Sub, as_kind(va, kind), as_kind(vt, kind))
                above = case((binary(exp.LT, diff, lit(0)), lit(0)), default=diff)
                return strict([va, vt], above, kind, type_)
            case ast.UpTo(cap=cap):
                return self.value(cap, "money")
            case ast.Tiers():
                return self._tiers_value(node)
        raise ValueError(f"{node.op} cannot be compiled as a value here")

    def _tiers_value(self, node: ast.Tiers) -> Val:
        """A tier table as a plain value: unknown with its input, 0 when that is undefined."""
        vtype = self.type_of(node.value)
        v = self.value(node.value, vtype)
        ats = [self.literal(s.at, vtype if vtype != "literal" else "count").v for s in node.steps]
        amounts = [self.value(s.amount, "money") for s in node.steps]
        value = as_kind(v, "double") if v.kind == "double" else v.v
        if node.by == "amount":
            steps = reversed(list(zip(ats, amounts, strict=True)))
            whens = [(binary(exp.GTE, value, at), a) for at, a in steps]
        else:
            whens = [(binary(exp.LTE, value, at), a) for at, a in zip(ats, amounts, strict=True)]
        zero = Val(lit(0), "int", "money", False)
        chosen = [(test, a.v) for test, a in whens]
        flag_whens: list[tuple[exp.Expr, exp.Expr]] = []
        if v.undef is not None:
            chosen.insert(0, (is_true(v.undef), lit(0)))
            flag_whens.append((is_true(v.undef), exp.false()))
        result = case(*chosen, default=lit(0))
        unknown = v.unknown()
        if unknown is not None:
            result = case((unknown, exp.Null()), default=result)
        if all(a.undef is None for a in amounts) and not any(a.nullable for a in amounts):
            return Val(result, "int", "money", v.nullable or v.undef is not None)
        flags = [(test, a.undef_flag()) for test, a in whens]
        flag = case(*([(unknown, exp.Null())] if unknown is not None else []), *flag_whens, *flags,
                    default=zero.undef_flag())
        return Val(result, "int", "money", True, flag)

    def per_year(self, condition: ast.Node, offsets: Sequence[int]) -> list[exp.Expr]:
        return [self.in_year(self.at.year + o, lambda: self.condition(condition)) for o in offsets]

    def _years_since(self, d: exp.Expr) -> exp.Expr:
        def part(cls: type[exp.Func]) -> exp.Expr:
            return bigint(cls(this=d))

        month, day = lit(self.at.month), lit(self.at.day)
        later = or_(binary(exp.GT, part(exp.Month), month),
                        and_(binary(exp.EQ, part(exp.Month), month), binary(exp.GT, part(exp.Day), day)))
        years = binary(exp.Sub, lit(self.at.year), part(exp.Year))
        return binary(exp.Sub, years, case((later, lit(1)), default=lit(0)))

    def _operands(self, node: ast.Arith) -> tuple[Val, Val]:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        return (self.value(node.left, rt if lt == "literal" else lt),
                self.value(node.right, lt if rt == "literal" else rt))

    def _arith(self, node: ast.Arith, expect: str | None) -> Val:
        type_ = self.type_of(node, expect)
        rate = self.rate_of(node, expect)
        if rate is not None:
            money, r = rate
            m = self.value(money, "money")
            return strict([m], round_rate(m.v, r), "int", "money")
        if node.operator == "*" and type_ == "money":  # money × count, literal money × count
            lt, rt = self.type_of(node.left), self.type_of(node.right)
            left = self.value(node.left, "money" if lt == "literal" else lt)
            right = self.value(node.right, "money" if rt == "literal" else rt)
            return strict([left, right], binary(exp.Mul, left.v, right.v), "int", "money")
        left, right = self._operands(node)
        if node.operator == "/":
            zero = binary(exp.EQ, right.v, lit(0))
            quotient = case((zero, exp.Null()), default=binary(exp.Div, as_kind(left, "double"),
                                                               as_kind(right, "double")))
            return strict([left, right], quotient, "double", type_, zero)
        both_constant = left.constant is not None and right.constant is not None
        if both_constant and "double" not in (left.kind, right.kind):
            assert left.constant is not None and right.constant is not None
            folded = {"+": left.constant + right.constant, "-": left.constant - right.constant,
                      "*": left.constant * right.constant}[node.operator]
            return Val(lit(folded), common_kind([left.kind, right.kind]), type_, False, constant=folded)
        kind = common_kind([left.kind, right.kind])
        cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.operator]
        return strict([left, right], binary(cls, as_kind(left, kind), as_kind(right, kind)), kind, type_)

    def rate_of(self, node: ast.Node, expect: str | None = None) -> tuple[ast.Node, Fraction] | None:
        """(money operand, exact rate) for ``money × rate`` / ``rate × money`` (a plain number
        beside a plain number is money when money is expected: the left one)."""
        if not isinstance(node, ast.Arith) or node.operator != "*":
            return None
        for money, rate in ((node.left, node.right), (node.right, node.left)):
            money_type = self.type_of(money)
            if money_type == "literal" and expect == "money" and money is node.left:
                money_type = "money"
            if isinstance(rate, ast.Number | ast.Percent) and money_type == "money":
                value = rate.value if isinstance(rate, ast.Number) else rate.value / 100
                return money, Fraction(value)
        return None

    # ------------------------------------------------------------ amounts (intervals)

def _years_since(d: date, at: date) -> int:
    return at.year - d.year - (1 if (at.month, at.day) < (d.month, d.day) else 0)


def _sum_type(lt: str, rt: str, expect: str | None) -> str:
    if lt == "literal":
        lt = rt
    if rt == "literal":
        rt = lt
    if lt == "literal":
        return expect or "literal"
    if lt == rt:
        return lt
    if {lt, rt} == {"number", "count"}:
        return "number"
    return lt


def _common(types: Sequence[str], expect: str | None) -> str:
    known = [t for t in types if t != "literal"]
    if not known:
        return expect or "literal"
    if "number" in known and set(known) <= {"number", "count"}:
        return "number"
    return known[0]


_KINDS: dict[AttributeType, Kind] = {
    AttributeType.MONEY: "int", AttributeType.COUNT: "int",
    AttributeType.NUMBER: "double", AttributeType.RATIO: "double",
}
_SQL_TYPES: dict[AttributeType, str] = {
    AttributeType.MONEY: "BIGINT", AttributeType.COUNT: "BIGINT", AttributeType.NUMBER: "DOUBLE",
    AttributeType.RATIO: "DOUBLE", AttributeType.BOOL: "BOOLEAN", AttributeType.DATE: "DATE",
    AttributeType.REGION: "VARCHAR", AttributeType.INDUSTRY: "VARCHAR", AttributeType.CODE: "VARCHAR",
    AttributeType.TAGS: "BOOLEAN",
}
