"""A readable explanation of an ``Evaluation`` in Chinese (default) or English.

    ✗ 上年度营业收入 1,790万元，要求 ≥ 2,000万元：还差210万元
    ? 缺少数据：上年度研发费用（税务局·企业年度纳税情况）
    金额：30万元 —— 上年度研发费用 300万元 × 10% = 30万元，未超过上限 100万元

Sentences are built from two templates each (Chinese and English) in this module rather than
gettext msgids: they are assembled from many small parts (labels, values, operators) that a
translator could not reorder as whole messages anyway. Attribute labels come from the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tongban.kernel.codes import enterprise, industries, regions
from tongban.profiles.attributes import AttributeRegistry
from tongban.rules import ast, columns
from tongban.rules.evaluate import AtomResult, Evaluation, Status, negated_atoms, printed_text
from tongban.rules.evaluate_amounts import AmountCompiler
from tongban.rules.scalars import UNDEF, Interval

MARKS = {True: "✓", False: "✗", None: "?"}
OPERATORS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "=": "=", "!=": "≠"}


def _zh(language: str) -> bool:
    return language.startswith("zh")


# ------------------------------------------------------------------ values


def _grouped(value: Decimal) -> str:
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def money_text(fen: int | float, language: str = "zh-CN") -> str:
    """1790000000 → '1,790万元' (zh) / 'CNY 17,900,000' (en); amounts under 1万元 in 元."""
    if isinstance(fen, float):
        return "无上限" if _zh(language) else "no limit"
    yuan = Decimal(fen) / 100
    if not _zh(language):
        return f"CNY {_grouped(yuan)}" if fen % 100 == 0 else f"CNY {yuan:,.2f}"
    if abs(fen) >= 1_000_000:
        return f"{_grouped(Decimal(fen) / 1_000_000)}万元"
    return f"{_grouped(yuan)}元" if fen % 100 == 0 else f"{yuan:,.2f}元"


def period_label(year: int, at_year: int, language: str) -> str:
    offset = year - at_year
    if _zh(language):
        return {0: "本年度", -1: "上年度", -2: "前年度"}.get(offset, f"{year}年")
    return {0: "this year", -1: "last year", -2: "the year before"}.get(offset, f"in {year}")


def column_label(column: str, registry: AttributeRegistry, at_year: int, language: str) -> str:
    """'revenue@2024' → '上年度营业收入' / 'revenue last year'."""
    key, _, year = column.partition("@")
    key, _, tag = key.partition("#")
    attribute = registry.get(key)
    label = attribute.label(language) if attribute else key
    if tag:
        code, _, part = tag.partition(".")
        name = _tag_name(code, language)
        return f"{name}{'认定日期' if part == 'since' else '有效期至'}" if _zh(language) \
            else f"{name} {'since' if part == 'since' else 'until'}"
    if not year:
        return label
    when = period_label(int(year), at_year, language)
    return f"{when}{label}" if _zh(language) else f"{label} {when}"


def _tag_name(code: str, language: str) -> str:
    item = enterprise.qualification(code)
    return item.name(language) if item else code


def _code_name(kind: str, code: str, language: str, code_list: str | None = None) -> str:
    if kind == "region":
        region = regions.get(code)
        if region is None:
            return code
        return f"{region.name}（{code}）" if _zh(language) else f"{code} {region.name}"
    if kind == "industry":
        industry = industries.get(code)
        if industry is None:
            return code
        return f"{industry.name}（{code}）" if _zh(language) else f"{code} {industry.name}"
    if code_list == "enterprise_size":
        size = enterprise.size(code)
        return (size.zh if _zh(language) else size.en) if size else code
    if code_list == "enterprise_type":
        kind_ = enterprise.enterprise_type(code)
        return (kind_.zh if _zh(language) else kind_.en) if kind_ else code
    return code


def value_text(value: object, kind: str, language: str, code_list: str | None = None) -> str:
    """A value of a type for people: money in 万元, ratios as percentages, codes with names."""
    zh = _zh(language)
    if value is None:
        return "未知" if zh else "unknown"
    if value is UNDEF:
        return "无法计算（除数为零）" if zh else "undefined (division by zero)"
    if kind == "money" and isinstance(value, int | float):
        return money_text(value, language)
    if kind == "ratio" and isinstance(value, int | float):
        return f"{_grouped(Decimal(repr(float(value) * 100)).quantize(Decimal('0.01')))}%"
    if kind == "bool":
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if kind in ("region", "industry", "code"):
        return _code_name(kind, str(value), language, code_list)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float):
        return _grouped(Decimal(repr(value)))
    if isinstance(value, Fraction):
        return _grouped(Decimal(value.numerator) / Decimal(value.denominator))
    return str(value)


def _interval_text(interval: Interval, kind: str, language: str) -> str:
    low, high = interval
    if low == high:
        return value_text(low, kind, language)
    zh = _zh(language)
    low_text, high_text = value_text(low, kind, language), value_text(high, kind, language)
    if high == float("inf"):
        if low == float("-inf") or low == 0:
            return "未知" if zh else "unknown"
        return f"不少于{low_text}" if zh else f"at least {low_text}"
    if low == float("-inf"):
        return f"不超过{high_text}" if zh else f"at most {high_text}"
    return f"{value_text(low, kind, language)} ～ {value_text(high, kind, language)}"


# ------------------------------------------------------------------ near misses


def near_miss_message(miss: dict[str, Any] | Any, evaluation: Evaluation, language: str = "zh-CN",
                      with_label: bool = True) -> str:
    """'营业收入还差210万元' / 'revenue needs CNY 2,100,000 more'."""
    attribute = evaluation.registry.get(miss["attribute"])
    label = attribute.label(language) if attribute else miss["attribute"]
    gap, needed, kind = miss["gap"], miss["needed"], miss["type"]
    zh = _zh(language)
    if miss["operator"] == "=":
        text = (f"需为{value_text(needed, kind, language)}" if zh
                else f"must be {value_text(needed, kind, language)}")
    elif gap > 0 and miss["operator"] == ">" and kind == "money":
        amount = value_text(gap - 1, kind, language)
        text = f"需再增加{amount}以上" if zh else f"needs more than {amount} more"
    elif gap > 0:
        amount = value_text(gap, kind, language)
        text = f"还差{amount}" if zh else f"needs {amount} more"
    elif miss["operator"] == "<" and kind == "money":
        amount = value_text(-gap - 1, kind, language)
        text = f"需减少{amount}以上" if zh else f"must fall by more than {amount}"
    else:
        text = (f"需减少{value_text(-gap, kind, language)}" if zh
                else f"must fall by {value_text(-gap, kind, language)}")
    if not with_label:
        return text
    return f"{label}{text}" if zh else f"{label} {text}"


# ------------------------------------------------------------------ atoms


class _Explainer:
    def __init__(self, evaluation: Evaluation, language: str, row: dict[str, object]) -> None:
        self.evaluation, self.language = evaluation, language
        self.registry = evaluation.registry
        self.compiler = AmountCompiler(evaluation.registry, evaluation.at)
        self.year = evaluation.at.year
        self.row = row
        self.zh = _zh(language)
        self.results = {ast.canonical_key(r.node): r for r in evaluation.atoms}

    def label(self, node: ast.Node) -> str:
        """What a value expression is: '上年度营业收入', '研发费用 / 营业收入'."""
        match node:
            case ast.Attr(key=key, period=period):
                attribute = self.registry.get(key)
                if attribute is None:
                    return key
                if attribute.yearly and period is not None:
                    column = columns.yearly(key, self.year + period)
                    return column_label(column, self.registry, self.year, self.language)
                return attribute.label(self.language)
            case ast.Growth(key=key, period=period, base=base):
                attribute = self.registry.get(key)
                name = attribute.label(self.language) if attribute else key
                now = period_label(self.year + period, self.year, self.language)
                then = period_label(self.year + base, self.year, self.language)
                return f"{now}{name}比{then}增长" if self.zh else f"growth of {name} {now} over {then}"
            case ast.Arith(operator="/", left=left, right=right):
                return f"{self.label(left)} / {self.label(right)}"
            case ast.YearsSince(arg=arg):
                return f"自{self.label(arg)}起的年数" if self.zh else f"years since {self.label(arg)}"
        return printed_text(node)

    def scalar(self, node: ast.Node, kind: str | None = None) -> str:
        value = self.compiler.value(node, kind)(self.row, 0)
        return value_text(value, kind or self.compiler.typeof(node), self.language,
                          self._code_list(node))

    def _code_list(self, node: ast.Node) -> str | None:
        if isinstance(node, ast.Attr):
            attribute = self.registry.get(node.key)
            return attribute.code_list if attribute else None
        return None

    def atom(self, result: AtomResult, negated: bool = False) -> str:
        """One line for an atom; a ``negated`` atom (only used under not) is marked by its negation."""
        if negated:
            mark = MARKS[None if result.value is None else not result.value]
            if isinstance(result.node, ast.Attr):
                shown = self.scalar(result.node, "bool")
                return (f"{mark} {self.label(result.node)}：{shown}，要求为否" if self.zh
                        else f"{mark} {self.label(result.node)}: {shown}, required no")
            inner = self.atom(result)[2:]
            return f"{mark} 要求不成立：{inner}" if self.zh else f"{mark} must not hold: {inner}"
        node, mark = result.node, MARKS[result.value]
        zh = self.zh
        match node:
            case ast.Compare(operator=written, left=left, right=right) if isinstance(
                    right, ast.Number | ast.Percent) or isinstance(left, ast.Number | ast.Percent):
                operator: str = written
                if isinstance(left, ast.Number | ast.Percent):
                    left, right = right, left
                    operator = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(operator, operator)
                kind = self.compiler.typeof(left)
                constant = self.scalar(right, kind)
                symbol = OPERATORS[operator]
                text = (f"{self.label(left)} {self.scalar(left)}，要求 {symbol} {constant}" if zh
                        else f"{self.label(left)} is {self.scalar(left)}, required {symbol} {constant}")
                if result.near_miss is not None:
                    miss = near_miss_message(result.near_miss, self.evaluation, self.language,
                                             with_label=not isinstance(left, ast.Attr))
                    text += f"：{miss}" if zh else f": {miss}"
                return f"{mark} {text}"
            case ast.Within(value=value, codes=codes) | ast.In(value=value, codes=codes):
                kind = self.compiler.typeof(value)
                wanted = "、".join(_code_name(kind, c, self.language, self._code_list(value)) for c in codes)
                how = ("属于" if isinstance(node, ast.Within) else "为") if zh else (
                    "within" if isinstance(node, ast.Within) else "one of")
                return (f"{mark} {self.label(value)} {self.scalar(value)}，要求{how} {wanted}" if zh
                        else f"{mark} {self.label(value)} is {self.scalar(value)}, required {how} {wanted}")
            case ast.Has(key=key, tag=tag) | ast.Gained(key=key, tag=tag):
                name = _tag_name(tag, self.language)
                since = self.row.get(columns.tag_since(key, tag))
                until = self.row.get(columns.tag_until(key, tag))
                if isinstance(node, ast.Gained):
                    first = self.year + node.window.start
                    last = self.year + node.window.end
                    years = f"{first}年" if first == last else f"{first}–{last}年"
                    want = f"{years}新获得{name}" if zh else f"newly gained {name} in {years.rstrip('年')}"
                else:
                    want = f"持有有效的{name}" if zh else f"holds a valid {name}"
                if result.value is None:
                    state = "资质数据未知" if zh else "qualifications unknown"
                elif since is None:
                    state = "未持有" if zh else "not held"
                else:
                    period = f"{since}起" + (f"，至{until}" if until else "") if zh else \
                        f"since {since}" + (f", until {until}" if until else "")
                    state = period
                return f"{mark} {want}（{state}）" if zh else f"{mark} {want} ({state})"
            case ast.Attr():
                return f"{mark} {self.label(node)}：{self.scalar(node, 'bool')}" if zh else \
                    f"{mark} {self.label(node)}: {self.scalar(node, 'bool')}"
        values = [
            f"{column_label(c.column, self.registry, self.year, self.language)} "
            f"{value_text(c.value, self._kind(c.attribute), self.language)}"
            for c in result.columns if "#" not in c.column
        ]
        detail = ("（" + "，".join(values) + "）") if zh else (" (" + "; ".join(values) + ")")
        return f"{mark} {self.per_year(node) or result.text}{detail if values else ''}"

    def per_year(self, node: ast.Node) -> str | None:
        """first_time / all_years / any_year / count_years in words, or None."""
        zh = self.zh
        match node:
            case ast.FirstTime(condition=condition, period=period):
                when = period_label(self.year + period, self.year, self.language)
                inner = printed_text(condition)
                return f"{when}首次满足 {inner}" if zh else f"{inner} for the first time {when}"
            case ast.AllYears(condition=condition, window=window) | ast.AnyYear(condition=condition,
                                                                                 window=window):
                years = self.window_text(window)
                inner = printed_text(condition)
                if isinstance(node, ast.AllYears):
                    return f"{years}每年均满足 {inner}" if zh else f"{inner} in every year of {years}"
                return f"{years}至少有一年满足 {inner}" if zh else f"{inner} in at least one year of {years}"
        return None

    def window_text(self, window: ast.Window) -> str:
        first, last = self.year + window.start, self.year + window.end
        if window.end == -1 and window.start < -1:
            span = f"近{-window.start}年" if self.zh else f"the last {-window.start} years"
        else:
            span = ""
        years = f"{first}年" if first == last else f"{first}–{last}年"
        if not self.zh:
            years = years.rstrip("年")
        return f"{span}（{years}）" if span and self.zh else (f"{span} ({years})" if span else years)

    def condition(self, node: ast.Node, depth: int = 0, negated: bool = False) -> list[str]:
        """The condition's lines: and-ed atoms one per line, or-ed groups under a heading."""
        indent = "  " * depth
        match node:
            case ast.And(args=args) if not negated:
                return [line for arg in args for line in self.condition(arg, depth)]
            case ast.Or(args=args) if not negated:
                value = self.compiler.condition(node)(self.row, 0)
                head = "满足以下任一项：" if self.zh else "one of the following:"
                lines = [f"{indent}{MARKS[value]} {head}"]
                for arg in args:
                    if isinstance(arg, ast.And):
                        inner = self.compiler.condition(arg)(self.row, 0)
                        group = "以下各项同时满足：" if self.zh else "all of:"
                        lines.append(f"{indent}  {MARKS[inner]} {group}")
                        lines += [line for a in arg.args for line in self.condition(a, depth + 2)]
                    else:
                        lines += self.condition(arg, depth + 1)
                return lines
            case ast.Not(arg=arg) if isinstance(arg, ast.And | ast.Or | ast.Not) or negated:
                value = self.compiler.condition(ast.Not(node) if negated else node)(self.row, 0)
                head = "要求以下不成立：" if self.zh else "must not hold:"
                return [f"{indent}{MARKS[value]} {head}", *self.condition(arg, depth + 1)]
            case ast.Not(arg=arg):
                return self.condition(arg, depth, negated=True)
        result = self.results.get(ast.canonical_key(node))
        if result is None:
            return []
        return [indent + self.atom(result, negated)]

    def _kind(self, key: str) -> str:
        attribute = self.registry.get(key)
        return attribute.type.value if attribute else "number"

    # -------------------------------------------------------------- amounts

    def interval(self, node: ast.Node, target: str) -> Interval:
        return self.compiler.amount(node, False, target)(self.row)

    def how(self, node: ast.Node, target: str = "money") -> str:
        """How a part of an amount is computed, with its value."""
        zh = self.zh
        value = _interval_text(self.interval(node, target), target, self.language)
        match node:
            case ast.Number() | ast.Percent():
                return value
            case ast.Attr():
                if self.interval(node, target)[0] != self.interval(node, target)[1]:
                    return f"{self.label(node)} {'未知' if zh else 'unknown'}"
                return f"{self.label(node)} {value}"
            case ast.Arith(operator="*", left=left, right=right) if target == "money":
                money_side, other, rate = self.compiler.money_product(left, right)
                factor = printed_text(other) if rate is not None else self.how(other, "count")
                return f"{self._part(money_side, 'money')} × {factor} = {value}"
            case ast.Arith(operator=operator, left=left, right=right) if operator in ("+", "-"):
                sign = "+" if operator == "+" else "−"
                return f"{self._part(left, target)} {sign} {self._part(right, target)} = {value}"
            case ast.Extremum(function=function, args=args):
                bounds = [a for a in args if isinstance(a, ast.Number)]
                others = [a for a in args if not isinstance(a, ast.Number)]
                if len(others) == 1 and len(bounds) == 1:
                    inner = self.interval(others[0], target)
                    bound = self.interval(bounds[0], target)
                    limit = value_text(bound[0], target, self.language)
                    return self._bounded(function, self.how(others[0], target), inner, bound, limit)
                parts = "，".join(self.how(a, target) for a in args) if zh else "; ".join(
                    self.how(a, target) for a in args)
                pick = ("取较低者" if function == "min" else "取较高者") if zh else (
                    "the lower" if function == "min" else "the higher")
                return f"{parts}，{pick} = {value}" if zh else f"{parts}: {pick} = {value}"
            case ast.Above(value=base, threshold=threshold):
                above, below = self._part(base, target), self._part(threshold, target)
                return (f"{above} 超过 {below} 的部分 = {value}" if zh
                        else f"the part of {above} above {below} = {value}")
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                test = self.compiler.condition(condition)(self.row, 0)
                text = printed_text(condition)
                if test is None:
                    first, second = self.how(then, target), self.how(otherwise, target)
                    if zh:
                        return f"「{text}」未知：{first} 或 {second}"
                    return f"“{text}” unknown: {first} or {second}"
                chosen = then if test else otherwise
                if zh:
                    return f"{'符合' if test else '不符合'}「{text}」，按 {self.how(chosen, target)}"
                return f"“{text}” is {'true' if test else 'false'}: {self.how(chosen, target)}"
            case ast.UpTo(cap=cap):
                return (f"最高 {self.how(cap)}，具体金额由主管部门在上限内确定" if zh
                        else f"at most {self.how(cap)}, the amount decided by the department")
            case ast.Tiers(value=base):
                kind = self.compiler.typeof(base)
                return (f"按{self.label(base)} {self.scalar(base, kind)} 所在档次 = {value}" if zh
                        else f"tier for {self.label(base)} {self.scalar(base, kind)} = {value}")
        return f"{printed_text(node)} = {value}"

    def _bounded(self, function: str, text: str, inner: Interval, bound: Interval, limit: str) -> str:
        """min(x, cap): within or above the cap; max(x, floor): above or below the floor."""
        zh = self.zh
        if inner[0] != inner[1] and (inner[1] > bound[0] if function == "min" else inner[0] < bound[0]):
            words = ("最高", "at most") if function == "min" else ("最低", "at least")
            word = words[0] if zh else words[1]
            return f"{text}，{word} {limit}" if zh else f"{text}, {word} {limit}"
        if function == "min":
            if inner[0] > bound[0]:
                return f"{text}，超过上限 {limit}，按上限计" if zh else f"{text}, capped at {limit}"
            return f"{text}，未超过上限 {limit}" if zh else f"{text}, within the cap of {limit}"
        if inner[1] < bound[0]:
            return f"{text}，低于下限 {limit}，按下限计" if zh else f"{text}, below the floor {limit}, raised"
        return f"{text}，不低于下限 {limit}" if zh else f"{text}, not below the floor of {limit}"

    def _part(self, node: ast.Node, target: str) -> str:
        text = self.how(node, target)
        return f"（{text}）" if isinstance(node, ast.Arith | ast.Extremum | ast.If) and self.zh else (
            f"({text})" if isinstance(node, ast.Arith | ast.Extremum | ast.If) else text)


def explain_lines(evaluation: Evaluation, language: str = "zh-CN",
                  sources: dict[str, Any] | None = None) -> list[str]:
    """The explanation as lines: verdict, each condition, missing data, the amount."""
    zh = _zh(language)
    explainer = _Explainer(evaluation, language, _row_of(evaluation))
    verdict = {
        Status.ELIGIBLE: ("符合条件", "eligible"),
        Status.LIKELY: ("可能符合（部分数据缺失）", "likely eligible (some data is missing)"),
        Status.INELIGIBLE: ("不符合条件", "not eligible"),
    }[evaluation.status]
    lines = [(f"结论：{verdict[0]}" if zh else f"Result: {verdict[1]}")]
    lines += explainer.condition(evaluation.rule.condition)
    if evaluation.deciding:
        missing = [_missing(c, evaluation, language, sources) for c in evaluation.deciding]
        lines.append(("缺少数据：" + "；".join(missing)) if zh else ("Missing data: " + "; ".join(missing)))
    amount = evaluation.amount
    if amount is not None and evaluation.rule.amount is not None:
        high = amount.high_fen if amount.high_fen is not None else float("inf")
        total = _interval_text((amount.low_fen, high), "money", language)
        how = explainer.how(evaluation.rule.amount)
        lines.append(f"金额：{total} —— {how}" if zh else f"Amount: {total} — {how}")
    return lines


def explain(evaluation: Evaluation, language: str = "zh-CN") -> str:
    return "\n".join(explain_lines(evaluation, language))


def _row_of(evaluation: Evaluation) -> dict[str, object]:
    row: dict[str, object] = {}
    for atom in evaluation.atoms:
        for read in atom.columns:
            row[read.column] = read.value
    row.update(evaluation.row)
    return row


def _missing(column: str, evaluation: Evaluation, language: str, sources: dict[str, Any] | None) -> str:
    label = column_label(column, evaluation.registry, evaluation.at.year, language)
    source = (sources or {}).get(column) or evaluation.sources.get(column) \
        or evaluation.sources.get(column.split("@", 1)[0].split("#", 1)[0])
    if not source:
        return label
    where = "·".join(str(source[k]) for k in ("department", "resource") if source.get(k))
    return f"{label}（{where}）" if _zh(language) else f"{label} ({where})"


def atom_lines(results: Sequence[AtomResult], evaluation: Evaluation, language: str = "zh-CN") -> list[str]:
    explainer = _Explainer(evaluation, language, _row_of(evaluation))
    negated = negated_atoms(evaluation.rule.condition)
    return [explainer.atom(r, ast.canonical_key(r.node) in negated) for r in results]
