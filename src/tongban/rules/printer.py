"""Syntax trees (``rules.ast``) → the canonical text of docs/rules.md §1.

``print_node`` writes English keywords, codes as stored, numbers with 万/亿 where they come out
short (20000000 → 2000万, 150000000 → 1.5亿), percentages as 20%, periods as this_year /
last_year / year_before / -N, windows as last_year / last N years / years(a, b), and the fewest
parentheses the precedence allows (or < and < not < comparison < if < + - < * / < unary).
``parse(print_node(tree)) == tree`` for every tree (spans aside).

``describe_zh`` / ``describe_en`` write a plain-language sentence of a condition or an amount
for the public policy pages (names of regions, industries and qualifications instead of codes;
amounts in 元). They describe a type-checked tree; an amount is recognised by not being boolean.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

from tongban.kernel.codes import enterprise, industries, regions
from tongban.profiles.attributes import AttributeRegistry
from tongban.rules import ast
from tongban.rules.typecheck import value_type

# precedence levels; a child printed where a level is required is parenthesised below it
OR, AND, NOT, TEST, IF, SUM, PRODUCT, UNARY, ATOM = range(1, 10)

KEYWORDS = frozenset({
    "and", "or", "not", "between", "within", "in", "if", "then", "else", "true", "false", "min",
    "max", "growth", "years_since", "sum", "count_years", "tiers", "rank_tiers", "above",
    "up_to", "has", "gained", "first_time", "all_years", "any_year", "last", "years",
    "this_year", "last_year", "year_before",
})
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_CODE = re.compile(r"[A-Z][A-Z0-9]*|\d+")
_CJK_WORD = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
    "[\u3400-\u4dbf\u4e00-\u4e13\u4e15-\u6215\u6217-\u9fff\uf900-\ufaff“”·]*"
)
_PERIODS = {0: "this_year", -1: "last_year", -2: "year_before"}
_YI = Decimal(100_000_000)
_WAN = Decimal(10_000)
_LIMIT = Decimal(10) ** 20  # beyond this, plain digits (Decimal % would overflow its precision)


def print_node(node: ast.Node) -> str:
    """The canonical text of a condition or value."""
    return _print(node, OR)


def print_rule(rule: ast.Rule) -> tuple[str, str | None]:
    """The canonical texts of a rule's condition and amount (None without an amount)."""
    return print_node(rule.condition), print_node(rule.amount) if rule.amount is not None else None


# ---------------------------------------------------------------- literals


def decimal_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 0.50 → 0.5, 2E+3 → 2000."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0.0") else text


def number_text(value: Decimal) -> str:
    """2000万, 1.5亿, 300000 → 30万, 1000, 0.5, -5."""
    if value < 0:
        return "-" + number_text(-value)
    if value < _LIMIT and value == value.to_integral_value():
        if value >= _YI and value % 1_000_000 == 0:
            return decimal_text(value / _YI) + "亿"
        if value >= _WAN and value % 1_000 == 0:
            return decimal_text(value / _WAN) + "万"
    return decimal_text(value)


def period_text(period: int) -> str:
    return _PERIODS.get(period, str(period))


def window_text(window: ast.Window) -> str:
    if window.start == window.end == -1:
        return "last_year"
    if window.start == window.end == 0:
        return "this_year"
    if window.end == -1 and window.start < -1:
        return f"last {-window.start} years"
    return f"years({window.start}, {window.end})"


def value_text(value: str) -> str:
    """A code or name as a literal that reads back as the same string."""
    if _NAME.fullmatch(value) and value not in KEYWORDS:
        return value
    if _CODE.fullmatch(value) or (_CJK_WORD.fullmatch(value) and value not in ("且", "或", "非")):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _codes_text(codes: tuple[str, ...]) -> str:
    if len(codes) == 1:
        return value_text(codes[0])
    return "[" + ", ".join(value_text(c) for c in codes) + "]"


# ---------------------------------------------------------------- nodes


def precedence(node: ast.Node) -> int:
    """The level of a node's printed form."""
    match node:
        case ast.Or():
            return OR
        case ast.And():
            return AND
        case ast.Not():
            return NOT
        case ast.Compare() | ast.Between() | ast.Within() | ast.In():
            return TEST
        case ast.If():
            return IF
        case ast.Arith(operator="+" | "-"):
            return SUM
        case ast.Arith():
            return PRODUCT
        case ast.Number(value=value) | ast.Percent(value=value) if value < 0 or str(value).startswith("-"):
            return UNARY
    return ATOM


def _print(node: ast.Node, level: int) -> str:
    text = _bare(node)
    return f"({text})" if precedence(node) < level else text


def _bare(node: ast.Node) -> str:
    match node:
        case ast.Or(args=args):
            return " or ".join(_print(a, AND) for a in args)
        case ast.And(args=args):
            return " and ".join(_print(a, NOT) for a in args)
        case ast.Not(arg=arg):
            return "not " + _print(arg, NOT)
        case ast.Compare(operator=operator, left=left, right=right):
            return f"{_print(left, SUM)} {operator} {_print(right, SUM)}"
        case ast.Between(value=value, low=low, high=high):
            return f"{_print(value, SUM)} between [{_print(low, IF)}, {_print(high, IF)}]"
        case ast.Within(value=value, codes=codes):
            return f"{_print(value, SUM)} within {_codes_text(codes)}"
        case ast.In(value=value, codes=codes):
            return f"{_print(value, SUM)} in {_codes_text(codes)}"
        case ast.If(condition=condition, then=then, otherwise=otherwise):
            return f"if {_print(condition, OR)} then {_print(then, SUM)} else {_print(otherwise, IF)}"
        case ast.Arith(operator="+" | "-" as operator, left=left, right=right):
            return f"{_print(left, SUM)} {operator} {_print(right, PRODUCT)}"
        case ast.Arith(operator=operator, left=left, right=right):
            return f"{_print(left, PRODUCT)} {operator} {_print(right, UNARY)}"
        case ast.Number(value=value):
            return number_text(value)
        case ast.Percent(value=value):
            return decimal_text(value) + "%"
        case ast.DateLiteral(value=value):
            return value.isoformat()
        case ast.BoolLiteral(value=value):
            return "true" if value else "false"
        case ast.Attr(key=key, period=period):
            return key if period is None else f"{key}[{period_text(period)}]"
        case ast.Extremum(function=function, args=args):
            return f"{function}({', '.join(_print(a, IF) for a in args)})"
        case ast.Growth(key=key, period=period, base=base):
            return f"growth({key}, {period_text(period)}, {period_text(base)})"
        case ast.YearsSince(arg=arg):
            return f"years_since({_print(arg, IF)})"
        case ast.SumYears(key=key, window=window):
            return f"sum({key}, {window_text(window)})"
        case ast.CountYears(condition=condition, window=window):
            return f"count_years({_print(condition, OR)}, {window_text(window)})"
        case ast.Tiers(value=value, steps=steps, by=by):
            name = "tiers" if by == "amount" else "rank_tiers"
            table = ", ".join(f"{number_text(s.at)}: {_print(s.amount, IF)}" for s in steps)
            return f"{name}({_print(value, IF)}, [{table}])"
        case ast.Above(value=value, threshold=threshold):
            return f"above({_print(value, IF)}, {_print(threshold, IF)})"
        case ast.UpTo(cap=cap):
            return f"up_to({_print(cap, IF)})"
        case ast.Has(key=key, tag=tag):
            return f"has({key}, {value_text(tag)})"
        case ast.Gained(key=key, tag=tag, window=window):
            return f"gained({key}, {value_text(tag)}, {window_text(window)})"
        case ast.FirstTime(condition=condition, period=period):
            return f"first_time({_print(condition, OR)}, {period_text(period)})"
        case ast.AllYears(condition=condition, window=window):
            return f"all_years({_print(condition, OR)}, {window_text(window)})"
        case ast.AnyYear(condition=condition, window=window):
            return f"any_year({_print(condition, OR)}, {window_text(window)})"
    raise TypeError(f"not a rule node: {node!r}")


# ---------------------------------------------------------------- plain-language descriptions


def describe_zh(node: ast.Node, registry: AttributeRegistry) -> str:
    """A plain Chinese sentence for a (checked) condition or amount, for the public policy pages:
    注册地在厦门市，…，上年度营业收入首次达到2000万元 / 上年度研发费用的10%，最高100万元."""
    return _Describer(registry, "zh").top(node)


def describe_en(node: ast.Node, registry: AttributeRegistry) -> str:
    """The English counterpart of ``describe_zh``."""
    return _Describer(registry, "en").top(node)


_CMP_WORDS = {
    "zh": {">=": "达到", ">": "超过", "<=": "不超过", "<": "低于", "=": "为", "!=": "不为"},
    "en": {">=": "at least", ">": "above", "<=": "at most", "<": "below", "=": "equal to",
           "!=": "not equal to"},
}
_SIMPLE = (ast.Attr, ast.Number, ast.Percent, ast.DateLiteral, ast.BoolLiteral, ast.Growth, ast.SumYears)


class _Describer:
    """Describes nodes; ``year`` is the period a per-year construct gives its yearly attributes."""

    def __init__(self, registry: AttributeRegistry, language: str) -> None:
        self.registry = registry
        self.zh = language == "zh"

    def top(self, node: ast.Node) -> str:
        """A condition, or else an amount (always money)."""
        if self.kind(node) == "bool":
            return self.text(node, None)
        return self.value(node, None, True)

    # ------------------------------------------------------------ words

    def period(self, period: int) -> str:
        if self.zh:
            return {0: "本年度", -1: "上年度", -2: "前年度"}.get(period, f"{-period}年前")
        return {0: "this year", -1: "last year", -2: "the year before"}.get(period, f"{-period} years ago")

    def window(self, window: ast.Window) -> str:
        if window.start == window.end:
            return self.period(window.start)
        if window.end == -1:
            return f"近{-window.start}年" if self.zh else f"in the last {-window.start} years"
        if self.zh:
            return f"{self.period(window.start)}至{self.period(window.end)}"
        return f"from {self.period(window.start)} to {self.period(window.end)}"

    def label(self, key: str) -> str:
        attribute = self.registry.get(key)
        if attribute is None:
            return key
        return attribute.label_zh if self.zh else attribute.label_en

    def money(self, value: Decimal) -> str:
        if self.zh:
            return number_text(value) + "元"
        return f"{value.normalize():,f} yuan".replace(".0 ", " ")

    def join(self, items: list[str], last: str) -> str:
        if len(items) <= 1:
            return "".join(items)
        sep = "、" if self.zh else ", "
        word = {"or": "或" if self.zh else " or ", "and": "和" if self.zh else " and "}[last]
        return sep.join(items[:-1]) + word + items[-1]

    def code_name(self, kind: str, code: str) -> str:
        if kind == "region":
            region = regions.get(code) if code.isdigit() else None
            return region.name if region else code
        if kind == "industry":
            industry = industries.get(code)
            return industry.name if industry else code
        found = enterprise.size(code) or enterprise.enterprise_type(code)
        if found is None:
            return code
        return found.zh if self.zh else found.en

    def tag(self, code: str) -> str:
        found = enterprise.qualification(code) or enterprise.lookup_qualification(code)
        return found.name("zh" if self.zh else "en") if found else code

    def kind(self, node: ast.Node) -> str:
        try:
            return value_type(node, self.registry)
        except (KeyError, TypeError):
            return "number"

    # ------------------------------------------------------------ values

    def value(self, node: ast.Node, year: int | None, as_money: bool = False) -> str:
        zh = self.zh
        match node:
            case ast.Attr(key=key, period=period):
                when = period if period is not None else year
                if when is None:
                    return self.label(key)
                if zh:
                    return f"{self.period(when)}{self.label(key)}"
                return f"{self.label(key)} {self.period(when)}"
            case ast.Number(value=value):
                if as_money:
                    return self.money(value)
                return number_text(value) if zh else decimal_text(value)
            case ast.Percent(value=value):
                return decimal_text(value) + "%"
            case ast.DateLiteral(value=value):
                return f"{value.year}年{value.month}月{value.day}日" if zh else value.isoformat()
            case ast.BoolLiteral(value=value):
                return ("是" if value else "否") if zh else ("yes" if value else "no")
            case ast.Arith(operator=operator, left=left, right=right):
                kinds = (self.kind(left), self.kind(right))
                money = as_money or "money" in kinds
                if operator == "*" and isinstance(left, ast.Percent | ast.Number):
                    left, right = right, left
                    kinds = kinds[::-1]
                if operator == "*" and isinstance(right, ast.Percent | ast.Number) and kinds[0] == "money":
                    base = self.operand(left, year, money)
                    rate = self.value(right, year)
                    if isinstance(right, ast.Percent):
                        return f"{base}的{rate}" if zh else f"{rate} of {base}"
                    return f"{base}的{rate}倍" if zh else f"{rate} times {base}"
                if operator == "/":
                    a, b = self.operand(left, year), self.operand(right, year)
                    return f"{a}占{b}的比例" if zh else f"the ratio of {a} to {b}"
                words = {"+": ("加", "plus"), "-": ("减", "minus"), "*": ("×", "times")}[operator]
                a = self.operand(left, year, money)
                b = self.operand(right, year, money)
                return f"{a}{words[0]}{b}" if zh else f"{a} {words[1]} {b}"
            case ast.Extremum(function=function, args=args):
                money = as_money or any(self.kind(a) == "money" for a in args)
                if len(args) == 2 and isinstance(args[1], ast.Number):
                    word = ("最高", "at most") if function == "min" else ("最低", "at least")
                    first = self.value(args[0], year, money)
                    return f"{first}，{word[0]}{self.value(args[1], year, money)}" if zh else (
                        f"{first}, {word[1]} {self.value(args[1], year, money)}")
                items = [self.value(a, year, money) for a in args]
                if zh:
                    return self.join(items, "and") + ("中的较小者" if function == "min" else "中的较大者")
                which = "smaller" if function == "min" else "larger"
                return f"the {which} of " + self.join(items, "and")
            case ast.Growth(key=key, period=period, base=base):
                if zh:
                    return f"{self.period(period)}{self.label(key)}较{self.period(base)}的增长率"
                return f"the growth of {self.label(key)} from {self.period(base)} to {self.period(period)}"
            case ast.YearsSince(arg=arg):
                since = self.value(arg, year)
                return f"自{since}起的整年数" if zh else f"whole years since {since}"
            case ast.SumYears(key=key, window=window):
                if zh:
                    return f"{self.window(window)}{self.label(key)}合计"
                return f"the total {self.label(key)} {self.window(window)}"
            case ast.CountYears(condition=condition, window=window):
                inner = self.per_year(condition, window.start if window.start == window.end else None)
                return f"{self.window(window)}中{inner}的年数" if zh else (
                    f"the number of years {self.window(window)} in which {inner}")
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                c = self.text(condition, year)
                a, b = self.value(then, year, as_money), self.value(otherwise, year, as_money)
                return f"{c}的，{a}；否则{b}" if zh else f"{a} if {c}, otherwise {b}"
            case ast.Tiers(value=value, steps=steps, by=by):
                v = self.value(value, year)
                money = self.kind(value) == "money"
                parts = []
                for step in steps:
                    at = self.value(ast.Number(step.at), year, money)
                    amount = self.value(step.amount, year, True)
                    if by == "rank":
                        parts.append(f"前{at}名{amount}" if zh else f"{amount} for rank {at} or better")
                    else:
                        parts.append(f"达到{at}的{amount}" if zh else f"{amount} from {at}")
                return f"按{v}分档：" + "；".join(parts) if zh else f"by {v}: " + "; ".join(parts)
            case ast.Above(value=value, threshold=threshold):
                money = as_money or self.kind(value) == "money"
                v, t = self.value(value, year, money), self.value(threshold, year, money)
                return f"{v}超过{t}的部分" if zh else f"the part of {v} above {t}"
            case ast.UpTo(cap=cap):
                return f"最高{self.value(cap, year, True)}" if zh else f"up to {self.value(cap, year, True)}"
        return self.text(node, year)

    def operand(self, node: ast.Node, year: int | None, as_money: bool = False) -> str:
        text = self.value(node, year, as_money)
        if isinstance(node, _SIMPLE):
            return text
        return f"（{text}）" if self.zh else f"({text})"

    # ------------------------------------------------------------ conditions

    def per_year(self, condition: ast.Node, year: int | None) -> str:
        return self.text(condition, year)

    def compare(self, node: ast.Compare, year: int | None, first_time: bool = False) -> str:
        left, right = node.left, node.right
        money = "money" in (self.kind(left), self.kind(right))
        word = _CMP_WORDS["zh" if self.zh else "en"][node.operator]
        if (isinstance(left, ast.YearsSince) and isinstance(right, ast.Number)
                and node.operator in ("<", ">=")):
            since = self.value(left.arg, year)
            n = number_text(right.value)
            if self.zh:
                return f"{since}距今{'不满' if node.operator == '<' else '已满'}{n}年"
            return f"{'less than' if node.operator == '<' else 'at least'} {n} years since {since}"
        a, b = self.value(left, year, money), self.value(right, year, money)
        if self.zh:
            return f"{a}{'首次' if first_time else ''}{word}{b}"
        return f"{a} {word} {b}" + (" for the first time" if first_time else "")

    def text(self, node: ast.Node, year: int | None) -> str:
        zh = self.zh
        match node:
            case ast.And(args=args):
                implied = {_in_year(a.condition, a.period) for a in args if isinstance(a, ast.FirstTime)}
                parts = [self.nested(a, year, ast.Or) for a in args if a not in implied]
                return "，".join(parts) if zh else "; ".join(parts)
            case ast.Or(args=args):
                parts = [self.nested(a, year, ast.And) for a in args]
                return "，或".join(parts) if zh else "; or ".join(parts)
            case ast.Not(arg=ast.Attr(key=key) as arg):
                label = self.value(arg, year)
                if zh:
                    return "未" + label if self.label(key).startswith("列入") else "不是" + label
                return f"not {label}"
            case ast.Not(arg=arg):
                return f"并非{self.nested(arg, year, ast.And | ast.Or)}" if zh else (
                    f"not {self.nested(arg, year, ast.And | ast.Or)}")
            case ast.Compare():
                return self.compare(node, year)
            case ast.Between(value=value, low=low, high=high):
                money = self.kind(value) == "money"
                v, lo, hi = (self.value(x, year, money) for x in (value, low, high))
                return f"{v}在{lo}至{hi}之间" if zh else f"{v} between {lo} and {hi}"
            case ast.Within(value=value, codes=codes) | ast.In(value=value, codes=codes):
                kind = self.kind(value)
                names = self.join([self.code_name(kind, c) for c in codes], "or")
                v = self.value(value, year)
                if zh:
                    return f"{v}{'在' if kind == 'region' else '属于' if kind == 'industry' else '为'}{names}"
                return f"{v} {'in' if kind in ('region', 'industry') else 'is'} {names}"
            case ast.Has(tag=tag):
                return f"为有效期内的{self.tag(tag)}" if zh else f"a {self.tag(tag)} (currently valid)"
            case ast.Gained(tag=tag, window=window):
                if zh:
                    return f"{self.window(window)}新认定为{self.tag(tag)}"
                return f"newly recognised as {self.tag(tag)} {self.window(window)}"
            case ast.FirstTime(condition=ast.Compare() as condition, period=period):
                return self.compare(condition, period, first_time=True)
            case ast.FirstTime(condition=condition, period=period):
                inner = self.text(condition, period)
                return f"{self.period(period)}首次满足：{inner}" if zh else f"for the first time {inner}"
            case ast.AllYears(condition=condition, window=window):
                inner = self.per_year(condition, window.start if window.start == window.end else None)
                if zh:
                    return f"{self.window(window)}每年{inner}"
                return f"every year {self.window(window)}: {inner}"
            case ast.AnyYear(condition=condition, window=window):
                inner = self.per_year(condition, window.start if window.start == window.end else None)
                return f"{self.window(window)}至少有一年{inner}" if zh else (
                    f"in at least one year {self.window(window)}: {inner}")
            case ast.Attr():
                return self.value(node, year)
        return self.value(node, year, self.kind(node) == "money")

    def nested(self, node: ast.Node, year: int | None, wrap: Any) -> str:
        text = self.text(node, year)
        if isinstance(node, wrap):
            return f"（{text}）" if self.zh else f"({text})"
        return text


def _in_year(condition: ast.Node, period: int) -> ast.Node:
    """A per-year condition with its yearly attributes read in ``period`` (first_time(c, p) implies it)."""
    match condition:
        case ast.Attr(period=None):
            return dataclasses.replace(condition, period=period)
        case ast.Compare(left=left, right=right):
            return dataclasses.replace(condition, left=_in_year(left, period), right=_in_year(right, period))
    return condition
