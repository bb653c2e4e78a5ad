"""The library's calculator: anyone enters figures and sees whether a live item applies, for how
much, and why (docs/policy-library.md).

The form has one field per column the item's rule reads — the attributes (``ast``) with the
years their periods and per-year constructs look at, labelled from the attribute registry, and
for each qualification the rule asks about: held or not, since, until. Money is in yuan and
accepts 万 and 亿 (``2100万``, ``0.21亿``); ratios are percentages (``5`` or ``5%``). The figures
become an entity row through ``rules.entity.entity_from_json`` (which validates and converts);
the rule is evaluated today by the single-entity evaluator and explained by ``rules.explain``.
An empty field is unknown, never zero: the item is then "likely" and the answer lists the data
that would decide it. A bad figure is a field error, never a server error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from tongban.kernel.clock import today
from tongban.kernel.codes import enterprise
from tongban.kernel.errors import N_, FieldProblem, NotFound, ValidationFailed
from tongban.policy import library
from tongban.profiles.attributes import AttributeRegistry, AttributeType, builtin_registry
from tongban.rules import ast, columns
from tongban.rules.entity import entity_from_json
from tongban.rules.evaluate import AmountRange, Evaluation, Status, evaluate
from tongban.rules.explain import column_label, explain_lines, money_text, near_miss_message

MAX_INPUT = 100  # characters in one field
MSG_INVALID = N_("Some of the figures are not valid.")
MSG_NOT_A_FIELD = N_("This calculator has no such field.")
MSG_TOO_LONG = N_("At most {limit} characters.")
MSG_MONEY = N_("Enter an amount in yuan, such as 2100万 or 21000000.")
MSG_RATIO = N_("Enter a percentage, such as 5 or 5%.")
MSG_YES_NO = N_("Choose yes or no.")
MSG_SINCE = N_("Enter the date it was granted.")
MSG_NO_RULE = N_("This item has no conditions to calculate.")

YES = {"yes", "true", "1", "是", "有"}
NO = {"no", "false", "0", "否", "无"}
UNITS = {"zh": {"money": "元", "ratio": "%", "count": "", "number": ""}, "en": {"money": "CNY", "ratio": "%"}}


@dataclass(frozen=True)
class CalcField:
    """One input of the calculator form."""

    name: str  # the column: revenue@2025, registered_region, qualifications#high_tech(.since/.until)
    label: str
    kind: str  # an AttributeType value, or "tag" (held: yes/no)
    unit: str = ""
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CalcResult:
    code: str
    title: str
    at: date
    status: Status
    amount: AmountRange | None
    amount_text: str
    lines: list[str]
    near_misses: list[str]
    deciding: list[str]
    fields: list[CalcField] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


def _zh(language: str) -> bool:
    return language.startswith("zh")


# --- the form ------------------------------------------------------------------------------------


def _columns(rule: ast.Rule, registry: AttributeRegistry, at: date) -> list[str]:
    """The columns the rule can read at ``at``, in order of first appearance (years newest first);
    per-year constructs read the years they look at (first_time: the history up to its period)."""
    found: dict[str, None] = {}
    history = list(columns.history_years(at))

    def visit(node: ast.Node, years: list[int]) -> None:
        match node:
            case ast.FirstTime(condition=condition, period=period):
                visit(condition, [y for y in history if y <= at.year + period])
                return
            case (
                ast.AllYears(condition=c, window=w)
                | ast.AnyYear(condition=c, window=w)
                | ast.CountYears(condition=c, window=w)
            ):
                visit(c, [at.year + o for o in w.offsets()])
                return
            case ast.Attr(key=key, period=period):
                attribute = registry.get(key)
                if attribute is not None and attribute.yearly:
                    targets = years if period is None else [at.year + period]
                    found.update((columns.yearly(key, y), None) for y in sorted(targets, reverse=True))
                elif attribute is not None:
                    found[key] = None
            case ast.Growth(key=key, period=period, base=base):
                found.update(
                    {columns.yearly(key, at.year + period): None, columns.yearly(key, at.year + base): None}
                )
            case ast.SumYears(key=key, window=window):
                found.update(
                    (columns.yearly(key, at.year + o), None) for o in sorted(window.offsets(), reverse=True)
                )
            case ast.Has(key=key, tag=tag) | ast.Gained(key=key, tag=tag):
                found[f"{key}#{tag}"] = None
        for child in node.children():
            visit(child, years)

    visit(rule.condition, [])
    if rule.amount is not None:
        visit(rule.amount, [])
    return list(found)


def _gained_tags(rule: ast.Rule) -> set[str]:
    nodes = [rule.condition] + ([rule.amount] if rule.amount is not None else [])
    return {f"{n.key}#{n.tag}" for root in nodes for n in ast.walk(root) if isinstance(n, ast.Gained)}


def form_fields(rule: ast.Rule, at: date, language: str = "zh-CN") -> list[CalcField]:
    """The calculator's inputs for a rule evaluated at ``at``."""
    registry = builtin_registry()
    zh = _zh(language)
    fields: list[CalcField] = []
    for column in _columns(rule, registry, at):
        if "#" in column:
            _key, _, tag = column.partition("#")
            qualification = enterprise.qualification(tag)
            name = qualification.name(language) if qualification else tag
            yes_no = (
                ("", "不确定" if zh else "not sure"),
                ("yes", "是" if zh else "yes"),
                ("no", "否" if zh else "no"),
            )
            fields.append(
                CalcField(column, (f"是否具有{name}" if zh else f"Holds {name}"), "tag", options=yes_no)
            )
            fields.append(
                CalcField(
                    f"{column}.since", f"{name}认定日期" if zh else f"{name} since", "date", hint="YYYY-MM-DD"
                )
            )
            fields.append(
                CalcField(
                    f"{column}.until",
                    f"{name}有效期至" if zh else f"{name} valid until",
                    "date",
                    hint="YYYY-MM-DD",
                )
            )
            continue
        attribute = registry[column.split("@", 1)[0]]
        kind = attribute.type
        label = column_label(column, registry, at.year, language)
        if "@" in column and zh:
            label = f"{label}（{column.split('@')[1]}年）"
        elif "@" in column:
            label = f"{label} ({column.split('@')[1]})"
        options: tuple[tuple[str, str], ...] = ()
        hint = ""
        if kind is AttributeType.BOOL:
            options = (
                ("", "不确定" if zh else "not sure"),
                ("yes", "是" if zh else "yes"),
                ("no", "否" if zh else "no"),
            )
        elif kind is AttributeType.CODE:
            entries = enterprise.sizes() if attribute.code_list == "enterprise_size" else enterprise.types()
            options = (
                ("", "不确定" if zh else "not sure"),
                *tuple((e.code, e.zh if zh else e.en) for e in entries),
            )
        elif kind is AttributeType.MONEY:
            hint = "单位：元，可写 2100万、0.21亿" if zh else "In yuan; 2100万 and 0.21亿 are accepted"
        elif kind is AttributeType.RATIO:
            hint = "百分数，如 5 表示 5%" if zh else "A percentage: 5 means 5%"
        elif kind is AttributeType.DATE:
            hint = "YYYY-MM-DD"
        elif kind is AttributeType.REGION:
            hint = (
                "行政区划名称或代码，如 思明区、350203" if zh else "A region's name or code, such as 350203"
            )
        elif kind is AttributeType.INDUSTRY:
            hint = "行业名称或代码，如 C3911" if zh else "An industry's name or code, such as C3911"
        unit = UNITS["zh" if zh else "en"].get(kind.value, "")
        fields.append(CalcField(column, label, kind.value, unit, hint, options))
    return fields


# --- reading the figures -------------------------------------------------------------------------


def parse_money(value: Any) -> Decimal | None:
    """Yuan from 21000000, '2,100万', '0.21亿', '2100万元'; None when it is not an amount."""
    if isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", "").replace("，", "").replace(" ", "").removesuffix("元")
    factor = Decimal(1)
    if text.endswith("万"):
        text, factor = text[:-1], Decimal(10_000)
    elif text.endswith("亿"):
        text, factor = text[:-1], Decimal(100_000_000)
    try:
        number = Decimal(text) * factor
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def entity_data(fields: list[CalcField], inputs: Mapping[str, Any], rule: ast.Rule) -> dict[str, Any]:
    """The JSON entity of the figures (``rules.entity`` shape); ValidationFailed per field."""
    known = {f.name: f for f in fields}
    problems: list[FieldProblem] = []
    data: dict[str, Any] = {}
    tags: dict[str, list[dict[str, Any]]] = {}
    answered: set[str] = set()
    gained = _gained_tags(rule)
    for name, raw in inputs.items():
        if name not in known:
            problems.append(FieldProblem(name, MSG_NOT_A_FIELD))
            continue
        value = _text(raw) if not isinstance(raw, bool | int | float) else raw
        if isinstance(value, str) and len(value) > MAX_INPUT:
            problems.append(FieldProblem(name, MSG_TOO_LONG, {"limit": MAX_INPUT}))
            continue
        if value == "" or (known[name].kind == "date" and "#" in name):
            continue  # unknown; a qualification's dates are read with it
        kind = known[name].kind
        if kind == "tag":
            flag = _yes_no(value)
            key, _, tag = name.partition("#")
            if flag is None:
                problems.append(FieldProblem(name, MSG_YES_NO))
                continue
            answered.add(key)
            if flag:
                since = _text(inputs.get(f"{name}.since"))
                if not since and name in gained:
                    problems.append(FieldProblem(f"{name}.since", MSG_SINCE))
                    continue
                item = {"tag": tag, "since": since or today().isoformat()}
                until = _text(inputs.get(f"{name}.until"))
                if until:
                    item["until"] = until
                tags.setdefault(key, []).append(item)
        elif kind == "bool":
            flag = _yes_no(value)
            if flag is None:
                problems.append(FieldProblem(name, MSG_YES_NO))
            else:
                data[name] = flag
        elif kind == "money":
            money = parse_money(value)
            if money is None:
                problems.append(FieldProblem(name, MSG_MONEY))
            else:
                data[name] = str(money)
        elif kind == "ratio":
            try:
                data[name] = str(Decimal(str(value).strip().removesuffix("%")) / 100)
            except InvalidOperation:
                problems.append(FieldProblem(name, MSG_RATIO))
        else:
            data[name] = value
    for key in answered:  # answering one qualification makes the list known
        data[key] = tags.get(key, [])
    if problems:
        raise ValidationFailed(MSG_INVALID, fields=problems)
    return data


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in YES else False if text in NO else None


def _field_of(where: str, data: dict[str, Any]) -> str:
    """The form field an entity problem is about: 'qualifications[0].since' → its tag's field."""
    if where.startswith(tuple(k for k, v in data.items() if isinstance(v, list))) and "[" in where:
        key, _, rest = where.partition("[")
        position, _, part = rest.partition("]")
        items = data.get(key) or []
        if position.isdigit() and int(position) < len(items):
            return f"{key}#{items[int(position)]['tag']}{part}"
    return where


# --- calculating ---------------------------------------------------------------------------------


def calculator_form(
    session: Session, code: str, language: str = "zh-CN"
) -> tuple[library.ItemPage, list[CalcField]]:
    page = library.item_page(session, code, language)
    if page.rule is None:
        raise NotFound(MSG_NO_RULE, code="item_not_calculable")
    return page, form_fields(page.rule, today(), language)


def calculate(session: Session, code: str, inputs: Mapping[str, Any], language: str = "zh-CN") -> CalcResult:
    """Evaluate the live item ``code`` for the entered figures (see the module's docstring)."""
    live = library.live_item(session, code)
    if live.rule is None:
        raise NotFound(MSG_NO_RULE, code="item_not_calculable")
    at = today()
    fields = form_fields(live.rule, at, language)
    data = entity_data(fields, inputs, live.rule)
    try:
        entity = entity_from_json(data)
    except ValidationFailed as error:
        raise ValidationFailed(
            MSG_INVALID,
            fields=[FieldProblem(_field_of(p.field, data), p.message, p.params) for p in error.fields],
        ) from None
    evaluation = evaluate(live.rule, entity.row, at, builtin_registry(), entity.sources)
    return CalcResult(
        code=live.item.code,
        title=live.version.title,
        at=at,
        status=evaluation.status,
        amount=evaluation.amount,
        amount_text=amount_text(evaluation.amount, language),
        lines=explain_lines(evaluation, language),
        near_misses=near_misses(evaluation, language),
        deciding=[column_label(c, evaluation.registry, at.year, language) for c in evaluation.deciding],
        fields=fields,
        values={k: _text(v) for k, v in inputs.items()},
    )


def near_misses(evaluation: Evaluation, language: str) -> list[str]:
    return [
        near_miss_message(atom.near_miss, evaluation, language)
        for atom in evaluation.atoms
        if atom.near_miss is not None
    ]


def amount_text(amount: AmountRange | None, language: str) -> str:
    if amount is None:
        return ""
    if amount.is_point:
        return money_text(amount.low_fen, language)
    high = (
        money_text(amount.high_fen, language)
        if amount.high_fen is not None
        else ("无上限" if _zh(language) else "no limit")
    )
    return f"{money_text(amount.low_fen, language)} ～ {high}"
