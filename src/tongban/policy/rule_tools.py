"""Rule tools of the publishing workbench: check a condition and an amount as the officer types
(problems with their spans, the canonical text, a plain-language description), the attribute
catalogue the condition builder offers, the builder's structured form of a checked condition,
and the preview of who qualifies for a rule being drafted.

The builder edits a condition as groups ("all of" / "any of") of rows (attribute, operator,
period, value). ``to_builder`` turns a checked tree into that form when every part of it is a
shape the builder knows, else None: the text is then beyond the builder and stays authoritative.
The text the builder writes (``policy_builder.js``) parses back into the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from tongban.kernel.clock import today
from tongban.kernel.codes import enterprise, industries
from tongban.kernel.errors import N_
from tongban.kernel.i18n import translate
from tongban.kernel.permissions import Actor, Permission, require
from tongban.policy import service
from tongban.profiles.attributes import Attribute, AttributeType, builtin_registry
from tongban.rules import ast
from tongban.rules.errors import RuleInvalid, RuleProblem
from tongban.rules.printer import describe_en, describe_zh, print_node

CONDITION_LIMIT = 20_000  # characters of rule text accepted by the checker
MSG_TOO_COMPLEX = N_("The rule is too long or too deeply nested to check.")

# --- operators and periods offered by the builder ---------------------------------------------

COMPARISONS = (">=", "<=", ">", "<", "=", "!=")

OPERATORS: dict[str, tuple[str, str]] = {
    ">=": ("≥ 不低于", "≥ at least"),
    "<=": ("≤ 不超过", "≤ at most"),
    ">": ("> 超过", "> above"),
    "<": ("< 低于", "< below"),
    "=": ("= 等于", "= equal to"),
    "!=": ("≠ 不等于", "≠ not equal to"),
    "between": ("介于", "between"),
    "first_time": ("首次达到", "first time at least"),
    "growth": ("增长率不低于", "growth at least"),
    "is_true": ("是", "is true"),
    "is_false": ("否", "is false"),
    "years_since_lt": ("距今不满（年）", "fewer years ago than"),
    "years_since_ge": ("距今已满（年）", "at least years ago"),
    "within": ("属于（含下级）", "within"),
    "not_within": ("不属于", "not within"),
    "in": ("为其中之一", "one of"),
    "not_in": ("不为其中之一", "none of"),
    "has": ("具有", "has"),
    "not_has": ("不具有", "does not have"),
    "gained": ("新获得", "gained"),
}

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "money": (*COMPARISONS, "between"),
    "number": (*COMPARISONS, "between"),
    "count": (*COMPARISONS, "between"),
    "ratio": (*COMPARISONS, "between"),
    "bool": ("is_true", "is_false"),
    "date": (">=", "<=", ">", "<", "between", "years_since_lt", "years_since_ge"),
    "region": ("within", "not_within", "in"),
    "industry": ("within", "not_within"),
    "code": ("in", "not_in"),
    "tags": ("has", "not_has", "gained"),
}
YEARLY_EXTRA = ("first_time", "growth")

SINGLE_PERIODS: dict[str, tuple[int, str, str]] = {
    "last_year": (-1, "上年度", "last year"),
    "year_before": (-2, "前年度", "the year before"),
    "this_year": (0, "本年度", "this year"),
}
WINDOW_YEARS = (2, 3, 4, 5)
WINDOW_KINDS: dict[str, tuple[str, str]] = {
    "all": ("近{n}年每年", "every year of the last {n}"),
    "any": ("近{n}年任一年", "any year of the last {n}"),
    "sum": ("近{n}年合计", "total of the last {n} years"),
}
UNITS: dict[str, tuple[str, str]] = {
    "money": ("元（可写 万、亿）", "yuan (万 and 亿 accepted)"),
    "ratio": ("%", "%"),
    "count": ("个/人", "count"),
    "date": ("YYYY-MM-DD", "YYYY-MM-DD"),
}


def periods() -> dict[str, list[dict[str, str]]]:
    single = [{"key": k, "zh": zh, "en": en} for k, (_, zh, en) in SINGLE_PERIODS.items()]
    windows = [
        {"key": f"{kind}:{n}", "zh": zh.format(n=n), "en": en.format(n=n)}
        for kind, (zh, en) in WINDOW_KINDS.items()
        for n in WINDOW_YEARS
    ]
    gained = [{"key": "last_year", "zh": "上年度", "en": "last year"}] + [
        {"key": f"last:{n}", "zh": f"近{n}年", "en": f"in the last {n} years"} for n in WINDOW_YEARS
    ]
    return {"single": single, "windows": windows, "gained": gained}


def _codes(attribute: Attribute) -> list[dict[str, str]]:
    if attribute.type is AttributeType.CODE:
        items = enterprise.sizes() if attribute.code_list == "enterprise_size" else enterprise.types()
        return [{"code": c.code, "zh": c.zh, "en": c.en} for c in items]
    if attribute.type is AttributeType.TAGS:
        return [{"code": q.code, "zh": q.zh, "en": q.en} for q in enterprise.qualifications()]
    if attribute.type is AttributeType.INDUSTRY:
        return [{"code": i.code, "zh": i.name, "en": i.name} for i in industries.all_industries("section")]
    return []


def attribute_catalogue() -> list[dict[str, Any]]:
    """Every attribute of the registry as the builder offers it."""
    out: list[dict[str, Any]] = []
    for attribute in builtin_registry().values():
        kind = attribute.type.value
        operators = OPERATORS_BY_TYPE[kind]
        if attribute.yearly and attribute.type in (
            AttributeType.MONEY,
            AttributeType.COUNT,
            AttributeType.NUMBER,
        ):
            operators = (*operators, *YEARLY_EXTRA)
        unit = UNITS.get(kind, ("", ""))
        out.append(
            {
                "key": attribute.key,
                "label_zh": attribute.label_zh,
                "label_en": attribute.label_en,
                "type": kind,
                "yearly": attribute.yearly,
                "unit_zh": unit[0],
                "unit_en": unit[1],
                "code_list": attribute.code_list or "",
                "codes": _codes(attribute),
                "operators": list(operators),
            }
        )
    return out


def catalogue_for(actor: Actor) -> list[dict[str, Any]]:
    """The attribute catalogue, for staff who read or draft policies."""
    require(actor, Permission.POLICY_READ)
    return attribute_catalogue()


def operator_labels() -> list[dict[str, str]]:
    return [{"key": k, "zh": zh, "en": en} for k, (zh, en) in OPERATORS.items()]


# --- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # translated into the request's language
    part: str  # "condition" or "amount"
    start: int | None
    end: int | None


@dataclass(frozen=True)
class RuleCheck:
    ok: bool
    condition: str | None = None  # canonical text
    amount: str | None = None
    description_zh: str = ""
    description_en: str = ""
    amount_description_zh: str = ""
    amount_description_en: str = ""
    problems: list[Problem] = field(default_factory=list)
    builder: dict[str, Any] | None = None
    rule: ast.Rule | None = None


def problem_of(problem: RuleProblem) -> Problem:
    span = problem.span
    return Problem(
        code=problem.code,
        message=translate(problem.message, **problem.params),
        part=str(problem.params.get("part", "condition")),
        start=span.start if span else None,
        end=span.end if span else None,
    )


def check_texts(condition: str, amount: str = "") -> RuleCheck:
    """Parse and type-check; never raises for bad text (every problem is listed instead)."""
    if len(condition) > CONDITION_LIMIT or len(amount) > CONDITION_LIMIT:
        part = "condition" if len(condition) > CONDITION_LIMIT else "amount"
        return RuleCheck(
            ok=False, problems=[Problem("rules.too_long", translate(MSG_TOO_COMPLEX), part, None, None)]
        )
    try:
        rule = service.compile_rule(condition, amount)
        registry = builtin_registry()
        condition_zh = describe_zh(rule.condition, registry)
        condition_en = describe_en(rule.condition, registry)
        amount_zh = describe_zh(rule.amount, registry) if rule.amount is not None else ""
        amount_en = describe_en(rule.amount, registry) if rule.amount is not None else ""
        printed_condition = print_node(rule.condition)
        printed_amount = print_node(rule.amount) if rule.amount is not None else None
    except RuleInvalid as error:
        return RuleCheck(ok=False, problems=[problem_of(p) for p in error.problems])
    except (RecursionError, ArithmeticError, ValueError, OverflowError):
        return RuleCheck(
            ok=False,
            problems=[Problem("rules.too_complex", translate(MSG_TOO_COMPLEX), "condition", None, None)],
        )
    return RuleCheck(
        ok=True,
        condition=printed_condition,
        amount=printed_amount,
        description_zh=condition_zh,
        description_en=condition_en,
        amount_description_zh=amount_zh,
        amount_description_en=amount_en,
        builder=to_builder(rule.condition),
        rule=rule,
    )


def check_for(actor: Actor, condition: str, amount: str = "") -> RuleCheck:
    """The builder's check, for staff who read or draft policies."""
    require(actor, Permission.POLICY_READ)
    return check_texts(condition, amount)


def preview_rule(session: Session, actor: Actor, condition: str, amount: str = "") -> dict[str, Any] | None:
    """Who qualifies now for a rule being drafted (None: no profile snapshot yet); a rule that
    does not check raises ``RuleInvalid``."""
    require(actor, Permission.POLICY_DRAFT)
    rule = service.compile_rule(condition, amount)
    return _compute(session, rule, today())


def _compute(session: Session, rule: ast.Rule, at: date) -> dict[str, Any] | None:
    from tongban.policy import preview

    return preview.compute(session, rule, at)


# --- the builder's structured form ------------------------------------------------------------


def _literal(node: ast.Node) -> str | None:
    if isinstance(node, ast.Number | ast.Percent | ast.DateLiteral):
        return print_node(node)
    return None


def _single(period: int | None) -> str | None:
    for key, (offset, _, _) in SINGLE_PERIODS.items():
        if offset == period:
            return key
    return None


def _last_n(window: ast.Window) -> int | None:
    n = -window.start
    return n if window.end == -1 and n in WINDOW_YEARS else None


def _row(
    attribute: str, operator: str, period: str = "", value: str = "", value2: str = ""
) -> dict[str, Any]:
    return {
        "type": "row",
        "attribute": attribute,
        "operator": operator,
        "period": period,
        "value": value,
        "value2": value2,
    }


def _attr_period(node: ast.Node) -> tuple[str, str] | None:
    """An attribute read as the builder writes it: current, or yearly with a single period."""
    if not isinstance(node, ast.Attr):
        return None
    attribute = builtin_registry().get(node.key)
    if attribute is None:
        return None
    if not attribute.yearly:
        return (node.key, "") if node.period is None else None
    period = _single(node.period)
    return (node.key, period) if period else None


def _comparison(node: ast.Node, window: str = "") -> dict[str, Any] | None:
    """``attr op literal`` or ``attr between [a, b]``; inside all/any-years the attribute has
    no period and ``window`` names the construct."""
    if isinstance(node, ast.Compare):
        value = _literal(node.right)
        target, operator = node.left, node.operator
    elif isinstance(node, ast.Between):
        low, high = _literal(node.low), _literal(node.high)
        if low is None or high is None:
            return None
        target = node.value
        if window:
            if isinstance(target, ast.Attr) and target.period is None:
                return _row(target.key, "between", window, low, high)
            return None
        found = _attr_period(target)
        return _row(found[0], "between", found[1], low, high) if found else None
    else:
        return None
    if value is None:
        return None
    if window:
        if isinstance(target, ast.Attr) and target.period is None:
            return _row(target.key, operator, window, value)
        return None
    if isinstance(target, ast.SumYears):
        n = _last_n(target.window)
        return _row(target.key, operator, f"sum:{n}", value) if n else None
    if isinstance(target, ast.Growth) and operator == ">=" and target.base == target.period - 1:
        period = _single(target.period)
        return _row(target.key, "growth", period, value) if period else None
    if isinstance(target, ast.YearsSince) and isinstance(target.arg, ast.Attr) and operator in ("<", ">="):
        kind = "years_since_lt" if operator == "<" else "years_since_ge"
        return _row(target.arg.key, kind, "", value)
    found = _attr_period(target)
    return _row(found[0], operator, found[1], value) if found else None


def _codes_value(codes: tuple[str, ...]) -> str:
    return ", ".join(codes)


def _atom(node: ast.Node) -> dict[str, Any] | None:
    match node:
        case ast.Compare() | ast.Between():
            return _comparison(node)
        case (
            ast.AllYears(condition=condition, window=window) | ast.AnyYear(condition=condition, window=window)
        ):
            n = _last_n(window)
            kind = "all" if isinstance(node, ast.AllYears) else "any"
            return _comparison(condition, f"{kind}:{n}") if n else None
        case ast.FirstTime(
            condition=ast.Compare(operator=">=", left=ast.Attr(key=key, period=None), right=right),
            period=period,
        ):
            value, single = _literal(right), _single(period)
            return _row(key, "first_time", single, value) if value and single else None
        case ast.Attr(key=key, period=None):
            return _row(key, "is_true")
        case ast.Within(value=ast.Attr(key=key, period=None), codes=codes):
            return _row(key, "within", "", _codes_value(codes))
        case ast.In(value=ast.Attr(key=key, period=None), codes=codes):
            return _row(key, "in", "", _codes_value(codes))
        case ast.Has(key=key, tag=tag):
            return _row(key, "has", "", tag)
        case ast.Gained(key=key, tag=tag, window=window):
            if window.start == window.end == -1:
                return _row(key, "gained", "last_year", tag)
            n = _last_n(window)
            return _row(key, "gained", f"last:{n}", tag) if n else None
        case ast.Not(arg=arg):
            inner = _atom(arg)
            negated = {"is_true": "is_false", "within": "not_within", "in": "not_in", "has": "not_has"}
            if inner is None or inner["operator"] not in negated:
                return None
            return {**inner, "operator": negated[inner["operator"]]}
    return None


def _item(node: ast.Node) -> dict[str, Any] | None:
    if isinstance(node, ast.And | ast.Or):
        return _group(node)
    return _atom(node)


def _group(node: ast.And | ast.Or) -> dict[str, Any] | None:
    items = [_item(a) for a in node.args]
    if any(i is None for i in items):
        return None
    return {"type": "group", "join": "all" if isinstance(node, ast.And) else "any", "items": items}


def to_builder(condition: ast.Node) -> dict[str, Any] | None:
    """The builder's form of a checked condition (a top-level group), or None when some part of
    it is beyond what the builder shows."""
    if isinstance(condition, ast.And | ast.Or):
        return _group(condition)
    atom = _atom(condition)
    return {"type": "group", "join": "all", "items": [atom]} if atom else None
