"""The type checker of conditions and amounts (docs/rules.md §2), run when a rule is saved.

``check(node, registry, role=…)`` returns the *resolved* tree — region, industry, code-list and
tag names replaced by their codes (厦门市 → 350200, 制造业 → C, 小型 → small, 高企 → high_tech) —
or raises ``RuleInvalid`` listing every problem found, each with its stable code, an English
msgid (zh_CN in the catalog) and the span of the node concerned. Pass the text the tree was
parsed from as ``text=`` to narrow the span of a bad code to the code itself.

``value_type(node, registry)`` tells the value type of an expression of a checked tree, for the
back-ends: one of money, count, number, ratio, bool, date, region, industry, code, tags. A plain
number literal takes the type of what it meets (``expect`` when it stands alone; "number"
without).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

from tongban.kernel.codes import enterprise, industries, regions
from tongban.kernel.errors import N_
from tongban.profiles.attributes import Attribute, AttributeRegistry, AttributeType
from tongban.rules import ast
from tongban.rules.columns import HISTORY_YEARS
from tongban.rules.errors import RuleInvalid, RuleProblem

Role = Literal["condition", "amount"]

# value types: the attribute types, plus a plain number literal (adapts) and an error (no cascade)
MONEY, COUNT, NUMBER, RATIO = "money", "count", "number", "ratio"
BOOL, DATE, REGION, INDUSTRY, CODE, TAGS = "bool", "date", "region", "industry", "code", "tags"
LITERAL, ERROR = "literal", "error"
NUMERIC = frozenset({MONEY, COUNT, NUMBER, RATIO, LITERAL})

# how a type is named in messages: {type} (English, also shown in Chinese) and {type_zh}
TYPE_NAMES: dict[str, tuple[str, str]] = {
    MONEY: ("money", "金额"), COUNT: ("count", "计数"), NUMBER: ("number", "数值"),
    RATIO: ("ratio", "比率"), BOOL: ("bool", "是/否"), DATE: ("date", "日期"),
    REGION: ("region", "行政区划"), INDUSTRY: ("industry", "行业"), CODE: ("code", "代码"),
    TAGS: ("tags", "资质称号"), LITERAL: ("number", "数字"),
}

MSG_UNKNOWN_ATTRIBUTE = N_("There is no attribute “{key}”.")
MSG_PERIOD_REQUIRED = N_("{key} is yearly: say which year, as in {key}[last_year].")
MSG_PERIOD_NOT_ALLOWED = N_("{key} is not yearly: remove the year.")
MSG_PERIOD_IN_PER_YEAR = N_(
    "Inside {construct} the year of {key} is the construct's: write {key} without a year."
)
MSG_NESTED_PER_YEAR = N_("{construct} cannot be used inside another per-year construct.")
MSG_PERIOD_RANGE = N_(
    "The year {period} is out of range: only this year and the {years} years before it are kept."
)
MSG_WINDOW_RANGE = N_(
    "The years {start} to {end} are out of range: they must run forward, from at most {years} years "
    "back to this year."
)
MSG_NOT_A_CONDITION = N_("This is a value of type {type}, not a condition that is true or false.")
MSG_NOT_AN_AMOUNT = N_("The amount must be money, not a value of type {type}.")
MSG_ARITH_TYPE = N_("“{operator}” cannot be applied to {left} and {right}.")
MSG_ARITH_UNITS = N_("“{operator}” mixes {left} with {right}.")
MSG_COMPARE_TYPE = N_("A {left} value cannot be compared with a {right} value using “{operator}”.")
MSG_COMPARE_UNITS = N_("A {left} value cannot be compared with a {right} value: the units differ.")
MSG_COMMON_TYPE = N_("The values of {function} do not have one type: {left} and {right}.")
MSG_VALUE_TYPE = N_("{function} needs a {expected} value, not {type}.")
MSG_BAD_RATE = N_(
    "An amount of money can only be multiplied by a constant rate of at least 0 (such as 10% or 0.5) "
    "or by a count."
)
MSG_FEN = N_("{value} yuan is not a whole number of fen.")
MSG_TIERS_ORDER = N_("The tier steps must be in strictly ascending order: {at} comes after {previous}.")
MSG_TIERS_AMOUNT = N_("Each tier step must give money, not a value of type {type}.")
MSG_FIRST_TIME = N_(
    "The condition of first_time must read exactly one yearly attribute; it reads {count}: {keys}."
)
MSG_WITHIN = N_("within takes a region or an industry, not {type}; use in for other codes.")
MSG_IN = N_("in takes a code, a region or an industry, not {type}.")
MSG_TAGS = N_("{key} is not a set of qualifications.")
MSG_UNKNOWN_REGION = N_("There is no region “{value}”.")
MSG_AMBIGUOUS_REGION = N_("The region name “{value}” is ambiguous: {candidates}. Write the code instead.")
MSG_UNKNOWN_INDUSTRY = N_("There is no industry “{value}”.")
MSG_AMBIGUOUS_INDUSTRY = N_("The industry “{value}” is not an exact name; did you mean {candidates}?")
MSG_UNKNOWN_CODE = N_("“{value}” is not a value of {key}.")
MSG_UNKNOWN_TAG = N_("There is no qualification “{value}”.")

PER_YEAR_NAMES: dict[type[ast.Node], str] = {
    ast.FirstTime: "first_time", ast.CountYears: "count_years", ast.AllYears: "all_years",
    ast.AnyYear: "any_year",
}


def check(
    node: ast.Node, registry: AttributeRegistry, *, role: Role, text: str | None = None
) -> ast.Node:
    """The resolved tree of a condition (role="condition": boolean) or an amount (money)."""
    checker = _Checker(registry, text)
    resolved = checker.root(node, role)
    if checker.problems:
        raise RuleInvalid(checker.problems, text)
    return resolved


def check_rule(
    rule: ast.Rule, registry: AttributeRegistry, *,
    condition_text: str | None = None, amount_text: str | None = None,
) -> ast.Rule:
    """Check a rule's condition and amount together; the problems of both are reported, each with
    ``params["part"]`` "condition" or "amount" (which text its span refers to)."""
    problems: list[RuleProblem] = []
    parts: list[ast.Node | None] = []
    texts = (("condition", rule.condition, condition_text), ("amount", rule.amount, amount_text))
    for part, node, text in texts:
        if node is None:
            parts.append(None)
            continue
        checker = _Checker(registry, text)
        parts.append(checker.root(node, "condition" if part == "condition" else "amount"))
        problems += [dataclasses.replace(p, params={**p.params, "part": part}) for p in checker.problems]
    if problems:
        raise RuleInvalid(problems, condition_text)
    assert parts[0] is not None
    return ast.Rule(parts[0], parts[1])


def value_type(node: ast.Node, registry: AttributeRegistry, expect: str | None = None) -> str:
    """The value type of an expression of a checked tree (see the module docstring)."""
    checker = _Checker(registry, None)
    _, kind = checker.value(node, expect)
    if kind in (LITERAL, ERROR):
        return expect or NUMBER
    return kind


# ---------------------------------------------------------------- code resolution


def resolve_region(value: str) -> tuple[str | None, str, dict[str, Any]]:
    """(six-digit code, or None with the message and params of the problem)."""
    if value.strip().isdigit():
        normal = regions.normalise(value)
        if normal is not None and regions.get(normal) is not None:
            return normal, "", {}
        return None, MSG_UNKNOWN_REGION, {"value": value}
    found = regions.lookup(value)
    if len(found) == 1:
        return found[0].code, "", {}
    if not found:
        return None, MSG_UNKNOWN_REGION, {"value": value}
    names = "、".join(f"{regions.full_name(r.code)} {r.code}" for r in found[:5])
    return None, MSG_AMBIGUOUS_REGION, {"value": value, "candidates": names}


def resolve_industry(value: str) -> tuple[str | None, str, dict[str, Any]]:
    normal = industries.normalise(value)
    if normal is not None:
        if industries.is_valid_code(normal):
            return normal, "", {}
        return None, MSG_UNKNOWN_INDUSTRY, {"value": value}
    found = industries.lookup(value)
    exact = [i for i in found if i.name == value.strip()]
    if len(exact) == 1:
        return exact[0].code, "", {}
    if not found:
        return None, MSG_UNKNOWN_INDUSTRY, {"value": value}
    names = "、".join(f"{i.name} {i.code}" for i in (exact or found)[:5])
    return None, MSG_AMBIGUOUS_INDUSTRY, {"value": value, "candidates": names}


def _attribute_params(attribute: Attribute) -> dict[str, Any]:
    return {"key": attribute.key, "label_en": attribute.label_en, "label_zh": attribute.label_zh}


def _type_params(prefix: str, kind: str) -> dict[str, Any]:
    en, zh = TYPE_NAMES.get(kind, (kind, kind))
    return {prefix: en, f"{prefix}_zh": zh}


def _period_name(period: int) -> str:
    return {0: "this_year", -1: "last_year", -2: "year_before"}.get(period, str(period))


# ---------------------------------------------------------------- the checker


class _Checker:
    def __init__(self, registry: AttributeRegistry, text: str | None) -> None:
        self.registry = registry
        self.text = text
        self.problems: list[RuleProblem] = []
        self.per_year: str | None = None  # the name of the per-year construct we are inside

    # ------------------------------------------------------------ reporting

    def report(self, code: str, message: str, node: ast.Node | None, **params: Any) -> None:
        self.problems.append(RuleProblem(code, message, node.span if node is not None else None, params))

    def report_value(self, code: str, message: str, node: ast.Node, raw: str, **params: Any) -> None:
        """A problem with a code or tag written inside ``node``: the span narrows to it if found."""
        span = node.span
        if span is not None and self.text is not None:
            segment = self.text[span.start:span.end]
            for form in (raw, f'"{raw}"'):
                index = segment.rfind(form)
                if index >= 0:
                    span = ast.Span(span.start + index, span.start + index + len(form))
                    break
        self.problems.append(RuleProblem(code, message, span, params))

    def root(self, node: ast.Node, role: Role) -> ast.Node:
        if role == "condition":
            return self.condition(node)
        resolved, kind = self.value(node, MONEY)
        if kind == LITERAL:
            self.adapt(resolved, MONEY)
        elif kind not in (MONEY, ERROR):
            self.report("rules.not_an_amount", MSG_NOT_AN_AMOUNT, node, **_type_params("type", kind))
        return resolved

    # ------------------------------------------------------------ periods

    def period(self, period: int, node: ast.Node, *, lowest: int = -HISTORY_YEARS) -> None:
        if not lowest <= period <= 0:
            self.report("rules.period_out_of_range", MSG_PERIOD_RANGE, node,
                        period=_period_name(period), years=HISTORY_YEARS)

    def window(self, window: ast.Window, node: ast.Node) -> None:
        if not -HISTORY_YEARS <= window.start <= window.end <= 0:
            self.report("rules.period_out_of_range", MSG_WINDOW_RANGE, node,
                        start=window.start, end=window.end, years=HISTORY_YEARS)

    def attribute(self, key: str, node: ast.Node) -> Attribute | None:
        attribute = self.registry.get(key)
        if attribute is None:
            self.report("rules.unknown_attribute", MSG_UNKNOWN_ATTRIBUTE, node, key=key)
        return attribute

    def yearly_key(self, key: str, node: ast.Node, kinds: Sequence[str]) -> Attribute | None:
        """The attribute of growth/sum: known, yearly, of one of ``kinds``, outside per-year."""
        attribute = self.attribute(key, node)
        if attribute is None:
            return None
        if not attribute.yearly:
            self.report("rules.period_not_allowed", MSG_PERIOD_NOT_ALLOWED, node,
                        **_attribute_params(attribute))
            return None
        if self.per_year is not None:
            self.report("rules.period_not_allowed", MSG_PERIOD_IN_PER_YEAR, node,
                        construct=self.per_year, **_attribute_params(attribute))
        if attribute.type not in kinds:
            function = "growth" if isinstance(node, ast.Growth) else "sum"
            self.report("rules.type_mismatch", MSG_VALUE_TYPE, node, function=function,
                        **_type_params("expected", kinds[0]), **_type_params("type", str(attribute.type)))
            return None
        return attribute

    # ------------------------------------------------------------ literals

    def adapt(self, node: ast.Node, kind: str) -> None:
        """A literal (or constant expression of literals) used as ``kind``: money must be whole fen."""
        if kind != MONEY:
            return
        for item in ast.walk(node):
            if isinstance(item, ast.Number) and (item.value * 100) != (item.value * 100).to_integral_value():
                self.report("rules.type_mismatch", MSG_FEN, item, value=str(item.value))

    def common(self, items: list[tuple[ast.Node, str]], expect: str | None, function: str,
               node: ast.Node) -> str:
        """The common type of values that must agree (min, max, if, above); literals adapt."""
        kinds = [k for _, k in items if k not in (LITERAL, ERROR)]
        if any(k == ERROR for _, k in items):
            return ERROR
        if not kinds:
            kind = expect if expect in NUMERIC else LITERAL
        else:
            kind = kinds[0]
            for other in kinds[1:]:
                if {kind, other} == {COUNT, NUMBER}:
                    kind = NUMBER
                elif other != kind:
                    code = "rules.unit_mismatch" if {kind, other} <= NUMERIC else "rules.type_mismatch"
                    self.report(code, MSG_COMMON_TYPE, node, function=function,
                                **_type_params("left", kind), **_type_params("right", other))
                    return ERROR
        if kind not in NUMERIC and kind != DATE and function != "if":
            self.report("rules.type_mismatch", MSG_VALUE_TYPE, node, function=function,
                        **_type_params("expected", NUMBER), **_type_params("type", kind))
            return ERROR
        for item, k in items:
            if k == LITERAL:
                if kind not in NUMERIC:
                    self.report("rules.type_mismatch", MSG_COMMON_TYPE, item, function=function,
                                **_type_params("left", kind), **_type_params("right", LITERAL))
                    return ERROR
                self.adapt(item, kind)
        return kind

    # ------------------------------------------------------------ conditions

    def condition(self, node: ast.Node) -> ast.Node:
        resolved, kind = self.value(node, BOOL)
        if kind not in (BOOL, ERROR):
            self.report("rules.not_a_condition", MSG_NOT_A_CONDITION, node, **_type_params("type", kind))
        return resolved

    def per_year_condition(self, node: ast.Node, condition: ast.Node) -> ast.Node:
        construct = PER_YEAR_NAMES[type(node)]
        if self.per_year is not None:
            self.report("rules.type_mismatch", MSG_NESTED_PER_YEAR, node, construct=construct)
        outer, self.per_year = self.per_year, construct
        try:
            return self.condition(condition)
        finally:
            self.per_year = outer

    def compare(self, node: ast.Node, operator: str, left: tuple[ast.Node, str],
                right: tuple[ast.Node, str]) -> None:
        (ln, lk), (rn, rk) = left, right
        if ERROR in (lk, rk):
            return
        if LITERAL in (lk, rk):
            other, literal = (rk, ln) if lk == LITERAL else (lk, rn)
            if other in NUMERIC:
                self.adapt(literal, other)
                return
        elif lk == rk or {lk, rk} == {COUNT, NUMBER}:
            if lk == TAGS or (lk in (BOOL, REGION, INDUSTRY, CODE) and operator not in ("=", "!=")):
                self.report("rules.type_mismatch", MSG_COMPARE_TYPE, node, operator=operator,
                            **_type_params("left", lk), **_type_params("right", rk))
            return
        elif {lk, rk} <= NUMERIC:
            self.report("rules.unit_mismatch", MSG_COMPARE_UNITS, node,
                        **_type_params("left", lk), **_type_params("right", rk))
            return
        self.report("rules.type_mismatch", MSG_COMPARE_TYPE, node, operator=operator,
                    **_type_params("left", lk), **_type_params("right", rk))

    def codes(self, node: ast.Within | ast.In, kind: str, code_list: str | None) -> tuple[str, ...]:
        out: list[str] = []
        for raw in node.codes:
            code: str | None
            if kind == REGION:
                code, message, params = resolve_region(raw)
            elif kind == INDUSTRY:
                code, message, params = resolve_industry(raw)
            else:
                lookup = enterprise.lookup_size if code_list == "enterprise_size" else enterprise.lookup_type
                found = lookup(raw)
                code, message = (found.code, "") if found is not None else (None, MSG_UNKNOWN_CODE)
                attribute = node.value.key if isinstance(node.value, ast.Attr) else ""
                params = {"value": raw, **_attribute_params(self.registry[attribute])} if attribute else {
                    "value": raw, "key": "", "label_en": "", "label_zh": ""}
            if code is None:
                self.report_value("rules.unknown_code", message, node, raw, **params)
            else:
                out.append(code)
        return tuple(out) if len(out) == len(node.codes) else node.codes

    def tag(self, node: ast.Has | ast.Gained) -> str:
        attribute = self.attribute(node.key, node)
        if attribute is not None and attribute.type is not AttributeType.TAGS:
            self.report("rules.type_mismatch", MSG_TAGS, node, **_attribute_params(attribute))
        found = enterprise.lookup_qualification(node.tag)
        if found is None:
            self.report_value("rules.unknown_code", MSG_UNKNOWN_TAG, node, node.tag, value=node.tag)
            return node.tag
        return found.code

    # ------------------------------------------------------------ every node

    def value(self, node: ast.Node, expect: str | None = None) -> tuple[ast.Node, str]:
        replace = dataclasses.replace
        match node:
            case ast.Attr(key=key, period=period):
                attribute = self.attribute(key, node)
                if attribute is None:
                    return node, ERROR
                params = _attribute_params(attribute)
                if not attribute.yearly and period is not None:
                    self.report("rules.period_not_allowed", MSG_PERIOD_NOT_ALLOWED, node, **params)
                elif attribute.yearly and self.per_year is not None and period is not None:
                    self.report("rules.period_not_allowed", MSG_PERIOD_IN_PER_YEAR, node,
                                construct=self.per_year, **params)
                elif attribute.yearly and self.per_year is None and period is None:
                    self.report("rules.period_required", MSG_PERIOD_REQUIRED, node, **params)
                elif period is not None:
                    self.period(period, node)
                return node, str(attribute.type)
            case ast.Number():
                return node, LITERAL
            case ast.Percent():
                return node, RATIO
            case ast.DateLiteral():
                return node, DATE
            case ast.BoolLiteral():
                return node, BOOL
            case ast.Arith(operator=operator, left=left, right=right):
                (ln, lk), (rn, rk) = self.value(left, expect), self.value(right, expect)
                kind = self.arith(node, operator, (ln, lk), (rn, rk), expect)
                return replace(node, left=ln, right=rn), kind
            case ast.Extremum(function=function, args=args):
                items = [self.value(a, expect) for a in args]
                kind = self.common(items, expect, function, node)
                return replace(node, args=tuple(n for n, _ in items)), kind
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                c = self.condition(condition)
                items = [self.value(then, expect), self.value(otherwise, expect)]
                kind = self.common(items, expect, "if", node)
                return replace(node, condition=c, then=items[0][0], otherwise=items[1][0]), kind
            case ast.Above(value=value, threshold=threshold):
                items = [self.value(value, expect), self.value(threshold, expect)]
                kind = self.common(items, expect, "above", node)
                return replace(node, value=items[0][0], threshold=items[1][0]), kind
            case ast.UpTo(cap=cap):
                cn, ck = self.value(cap, MONEY)
                self.money_operand(cn, ck, "up_to")
                return replace(node, cap=cn), MONEY
            case ast.Tiers():
                return self.tiers(node)
            case ast.Growth(key=key, period=period, base=base):
                if self.yearly_key(key, node, (MONEY, COUNT, NUMBER)) is not None:
                    self.period(period, node)
                    self.period(base, node)
                return node, RATIO
            case ast.SumYears(key=key, window=window):
                attribute = self.yearly_key(key, node, (MONEY, COUNT, NUMBER, RATIO))
                self.window(window, node)
                return node, str(attribute.type) if attribute is not None else ERROR
            case ast.YearsSince(arg=arg):
                an, ak = self.value(arg)
                if ak not in (DATE, ERROR):
                    self.report("rules.type_mismatch", MSG_VALUE_TYPE, arg, function="years_since",
                                **_type_params("expected", DATE), **_type_params("type", ak))
                return replace(node, arg=an), COUNT
            case ast.CountYears(condition=condition, window=window):
                c = self.per_year_condition(node, condition)
                self.window(window, node)
                return replace(node, condition=c), COUNT
            case ast.Compare(operator=operator, left=left, right=right):
                lv, rv = self.value(left), self.value(right)
                self.compare(node, operator, lv, rv)
                return replace(node, left=lv[0], right=rv[0]), BOOL
            case ast.Between(value=value, low=low, high=high):
                v, lo, hi = self.value(value), self.value(low), self.value(high)
                self.compare(node, "<=", lo, v)
                self.compare(node, "<=", v, hi)
                return replace(node, value=v[0], low=lo[0], high=hi[0]), BOOL
            case ast.Within(value=value) | ast.In(value=value):
                return self.membership(node, value)
            case ast.Has():
                return replace(node, tag=self.tag(node)), BOOL
            case ast.Gained(window=window):
                self.window(window, node)
                return replace(node, tag=self.tag(node)), BOOL
            case ast.FirstTime(condition=condition, period=period):
                c = self.per_year_condition(node, condition)
                self.first_time_keys(c, node)
                self.period(period, node, lowest=-HISTORY_YEARS + 1)
                return replace(node, condition=c), BOOL
            case ast.AllYears(condition=condition, window=window) | ast.AnyYear(
                condition=condition, window=window
            ):
                c = self.per_year_condition(node, condition)
                self.window(window, node)
                return replace(node, condition=c), BOOL
            case ast.And(args=args) | ast.Or(args=args):
                return replace(node, args=tuple(self.condition(a) for a in args)), BOOL
            case ast.Not(arg=arg):
                return replace(node, arg=self.condition(arg)), BOOL
        raise TypeError(f"not a rule node: {node!r}")

    def money_operand(self, node: ast.Node, kind: str, function: str) -> None:
        if kind == LITERAL:
            self.adapt(node, MONEY)
        elif kind not in (MONEY, ERROR):
            self.report("rules.type_mismatch", MSG_VALUE_TYPE, node, function=function,
                        **_type_params("expected", MONEY), **_type_params("type", kind))

    def arith(self, node: ast.Node, operator: str, left: tuple[ast.Node, str], right: tuple[ast.Node, str],
              expect: str | None) -> str:
        (ln, lk), (rn, rk) = left, right
        if ERROR in (lk, rk):
            return ERROR
        if not {lk, rk} <= NUMERIC:
            self.report("rules.type_mismatch", MSG_ARITH_TYPE, node, operator=operator,
                        **_type_params("left", lk), **_type_params("right", rk))
            return ERROR
        if lk == rk == LITERAL:
            return LITERAL
        if operator == "*":
            if MONEY in (lk, rk):
                other_node, other = (rn, rk) if lk == MONEY else (ln, lk)
                if other == COUNT:
                    return MONEY
                if isinstance(other_node, ast.Number | ast.Percent) and other_node.value >= 0:
                    return MONEY
                self.report("rules.bad_rate", MSG_BAD_RATE, node)
                return ERROR
            if LITERAL in (lk, rk) and COUNT in (lk, rk):
                if expect == MONEY:
                    self.adapt(ln if lk == LITERAL else rn, MONEY)
                    return MONEY
                return COUNT
            lk, rk = (rk if lk == LITERAL else lk), (lk if rk == LITERAL else rk)
            if lk == rk:
                return lk
            if {lk, rk} == {COUNT, NUMBER}:
                return NUMBER
        elif operator == "/":
            lk, rk = (rk if lk == LITERAL else lk), (lk if rk == LITERAL else rk)
            if lk == rk and lk in (MONEY, COUNT, RATIO):
                self.adapt(ln, lk)
                self.adapt(rn, rk)
                return RATIO
            if {lk, rk} <= {COUNT, NUMBER}:
                return NUMBER
        else:
            if LITERAL in (lk, rk):
                other = rk if lk == LITERAL else lk
                self.adapt(ln if lk == LITERAL else rn, other)
                return other
            if lk == rk:
                return lk
            if {lk, rk} == {COUNT, NUMBER}:
                return NUMBER
        self.report("rules.unit_mismatch", MSG_ARITH_UNITS, node, operator=operator,
                    **_type_params("left", lk), **_type_params("right", rk))
        return ERROR

    def membership(self, node: ast.Within | ast.In, value: ast.Node) -> tuple[ast.Node, str]:
        vn, vk = self.value(value)
        if vk == ERROR:
            return dataclasses.replace(node, value=vn), BOOL
        allowed = (REGION, INDUSTRY) if isinstance(node, ast.Within) else (REGION, INDUSTRY, CODE)
        if vk not in allowed:
            message = MSG_WITHIN if isinstance(node, ast.Within) else MSG_IN
            self.report("rules.type_mismatch", message, node, **_type_params("type", vk))
            return dataclasses.replace(node, value=vn), BOOL
        code_list = None
        if vk == CODE and isinstance(value, ast.Attr):
            code_list = self.registry[value.key].code_list
        return dataclasses.replace(node, value=vn, codes=self.codes(node, vk, code_list)), BOOL

    def tiers(self, node: ast.Tiers) -> tuple[ast.Node, str]:
        vn, vk = self.value(node.value)
        if vk not in NUMERIC and vk != ERROR:
            function = "rank_tiers" if node.by == "rank" else "tiers"
            self.report("rules.type_mismatch", MSG_VALUE_TYPE, node.value, function=function,
                        **_type_params("expected", NUMBER), **_type_params("type", vk))
        steps: list[ast.TierStep] = []
        previous: Decimal | None = None
        for step in node.steps:
            if previous is not None and step.at <= previous:
                self.report("rules.bad_tiers", MSG_TIERS_ORDER, step.amount, at=str(step.at),
                            previous=str(previous))
            previous = step.at
            an, ak = self.value(step.amount, MONEY)
            if ak == LITERAL:
                self.adapt(an, MONEY)
            elif ak not in (MONEY, ERROR):
                self.report("rules.bad_tiers", MSG_TIERS_AMOUNT, step.amount, **_type_params("type", ak))
            steps.append(ast.TierStep(step.at, an))
        return dataclasses.replace(node, value=vn, steps=tuple(steps)), MONEY

    def first_time_keys(self, condition: ast.Node, node: ast.Node) -> None:
        keys: list[str] = []
        for item in ast.walk(condition):
            if isinstance(item, ast.Attr):
                attribute = self.registry.get(item.key)  # an unknown one is reported already
                if (attribute is None or attribute.yearly) and item.key not in keys:
                    keys.append(item.key)
        if len(keys) != 1:
            self.report("rules.first_time_one_attribute", MSG_FIRST_TIME, node,
                        count=len(keys), keys=", ".join(keys) or "-")
