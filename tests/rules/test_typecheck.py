"""The type checker: names resolved to codes, every problem reported with its code and span."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.rules.test_parser import EXAMPLES, zh
from tongban.kernel.i18n_catalog import read_catalog
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast, parser, typecheck
from tongban.rules.errors import RuleInvalid, RuleProblem
from tongban.rules.parser import parse_expression, parse_rule
from tongban.rules.printer import print_node
from tongban.rules.typecheck import Role, check, check_rule, value_type

REGISTRY = builtin_registry()


def resolved(text: str, role: Role = "condition") -> ast.Node:
    return check(parse_expression(text), REGISTRY, role=role, text=text)


def problems(text: str, role: Role = "condition") -> list[RuleProblem]:
    with pytest.raises(RuleInvalid) as caught:
        resolved(text, role)
    return caught.value.problems


def one(text: str, code: str, covers: str, role: Role = "condition") -> tuple[str, str]:
    """The single problem of ``text``: its code, the text its span covers; (English, 中文)."""
    [problem] = problems(text, role)
    assert problem.code == code
    assert problem.span is not None
    assert text[problem.span.start:problem.span.end] == covers
    return problem.message.format(**problem.params), zh(problem.message, **problem.params)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_policy_clause_type_checks(name: str) -> None:
    condition, amount = EXAMPLES[name]
    rule = check_rule(parse_rule(condition, amount), REGISTRY, condition_text=condition, amount_text=amount)
    # the resolved tree prints, parses back and checks to itself
    again = check_rule(ast.Rule(parse_expression(print_node(rule.condition)),
                                parse_expression(print_node(rule.amount)) if rule.amount else None), REGISTRY)
    assert again == rule
    assert ast.Rule.from_json(rule.to_json()) == rule
    if rule.amount is not None:
        assert value_type(rule.amount, REGISTRY, "money") == "money"


def test_names_resolve_to_codes() -> None:
    e1 = resolved(EXAMPLES["E1"][0])
    assert isinstance(e1, ast.And)
    assert e1.args[0] == ast.Within(ast.Attr("registered_region"), ("350200",))
    assert resolved("tax_region within [3502, 思明区, 35]") == ast.Within(
        ast.Attr("tax_region"), ("350200", "350203", "350000"))
    assert resolved("industry within [制造业, c39, C3911, 采矿业]") == ast.Within(
        ast.Attr("industry"), ("C", "39", "3911", "B"))
    assert resolved("enterprise_size in [小型, 微型企业, medium]") == ast.In(
        ast.Attr("enterprise_size"), ("small", "micro", "medium"))
    assert resolved("enterprise_type in 有限责任公司") == ast.In(ast.Attr("enterprise_type"), ("llc",))
    assert resolved("has(qualifications, 高企)") == ast.Has("qualifications", "high_tech")
    assert resolved('gained(qualifications, "专精特新“小巨人”企业", last_year)') == ast.Gained(
        "qualifications", "srdi_little_giant", ast.Window(-1, -1))


def test_all_problems_are_reported() -> None:
    text = "revenu[last_year] > 1 and revenue > 1 and industry within 不存在的行业 and serious_dishonesty[-1]"
    found = problems(text)
    assert [p.code for p in found] == [
        "rules.unknown_attribute", "rules.period_required", "rules.unknown_code", "rules.period_not_allowed"]
    spans = [text[p.span.start:p.span.end] for p in found if p.span]
    assert spans == ["revenu[last_year]", "revenue", "不存在的行业", "serious_dishonesty[-1]"]


def test_unknown_attribute() -> None:
    _, chinese = one("revenu[last_year] >= 2000万", "rules.unknown_attribute", "revenu[last_year]")
    assert chinese == "没有名为“revenu”的属性。"


def test_period_required_names_the_attribute() -> None:
    english, chinese = one("revenue >= 2000万", "rules.period_required", "revenue")
    assert "营业收入" in chinese and "revenue[last_year]" in chinese
    assert "revenue" in english


@pytest.mark.parametrize(("text", "covers", "label"), [
    ("registered_capital[last_year] > 100万", "registered_capital[last_year]", "注册资本"),
    ("first_time(revenue[last_year] >= 2000万, last_year)", "revenue[last_year]", "营业收入"),
    ("growth(registered_capital) > 5%", "growth(registered_capital)", "注册资本"),
])
def test_period_not_allowed(text: str, covers: str, label: str) -> None:
    _, chinese = one(text, "rules.period_not_allowed", covers)
    assert label in chinese


@pytest.mark.parametrize(("text", "covers"), [
    ("revenue[-6] > 0", "revenue[-6]"),
    ("revenue[1] > 0", "revenue[1]"),
    ("all_years(major_accidents = 0, last 6 years)", "all_years(major_accidents = 0, last 6 years)"),
    ("sum(revenue, years(-1, -3)) > 0", "sum(revenue, years(-1, -3))"),
    ("growth(revenue, last_year, -7) > 0", "growth(revenue, last_year, -7)"),
    ("first_time(revenue > 0, -5)", "first_time(revenue > 0, -5)"),
    ("gained(qualifications, 高企, years(-2, 1))", "gained(qualifications, 高企, years(-2, 1))"),
])
def test_period_out_of_range(text: str, covers: str) -> None:
    _, chinese = one(text, "rules.period_out_of_range", covers)
    assert "超出范围" in chinese


@pytest.mark.parametrize(("text", "covers", "says"), [
    ("registered_region within 鼓楼区", "鼓楼区", "福建省福州市鼓楼区 350102"),
    ("registered_region within 不存在市", "不存在市", "不存在市"),
    ("registered_region within 999999", "999999", "999999"),
    ("industry within [C, 9999]", "9999", "9999"),
    ("industry within 软件", "软件", "软件开发"),
    ("enterprise_size in [小型, 巨型]", "巨型", "企业规模"),
    ("has(qualifications, 不存在的称号)", "不存在的称号", "不存在的称号"),
])
def test_unknown_code(text: str, covers: str, says: str) -> None:
    _, chinese = one(text, "rules.unknown_code", covers)
    assert says in chinese


@pytest.mark.parametrize(("text", "covers"), [
    ("registered_region < 3", "registered_region < 3"),
    ("established_on + 1 > 2", "established_on + 1"),
    ("enterprise_size within 小型", "enterprise_size within 小型"),
    ("revenue[last_year] in [1, 2]", "revenue[last_year] in [1, 2]"),
    ("has(revenue, 高企)", "has(revenue, 高企)"),
    ("years_since(revenue[last_year]) < 3", "revenue[last_year]"),
    ("revenue[last_year] >= 0.001", "0.001"),
    ("all_years(any_year(patents > 0, last_year), last 3 years)", "any_year(patents > 0, last_year)"),
    ("serious_dishonesty > true", "serious_dishonesty > true"),
    ("established_on > 5", "established_on > 5"),
])
def test_type_mismatch(text: str, covers: str) -> None:
    one(text, "rules.type_mismatch", covers)


@pytest.mark.parametrize(("text", "covers", "says"), [
    ("revenue[last_year] >= 5%", "revenue[last_year] >= 5%", "金额（money）不能与比率（ratio）比较"),
    ("revenue[last_year] + employees[last_year] > 0", "revenue[last_year] + employees[last_year]",
     "金额（money）和计数（count）"),
    ("max(revenue[last_year], employees[last_year]) > 0", "max(revenue[last_year], employees[last_year])",
     "金额（money）和计数（count）"),
    ("export_share[last_year] > employees[last_year]", "export_share[last_year] > employees[last_year]",
     "比率（ratio）不能与计数（count）比较"),
])
def test_unit_mismatch(text: str, covers: str, says: str) -> None:
    _, chinese = one(text, "rules.unit_mismatch", covers)
    assert says in chinese


def test_not_a_condition() -> None:
    _, chinese = one("revenue[last_year]", "rules.not_a_condition", "revenue[last_year]")
    assert chinese == "这是金额（money），不是能判断真假的条件。"
    one("serious_dishonesty and 3", "rules.not_a_condition", "3")


def test_not_an_amount() -> None:
    _, chinese = one("employees[last_year]", "rules.not_an_amount", "employees[last_year]", role="amount")
    assert "计数" in chinese
    one("revenue[last_year] > 1", "rules.not_an_amount", "revenue[last_year] > 1", role="amount")


@pytest.mark.parametrize("text", [
    "revenue[last_year] * revenue[year_before]",
    "-5% * revenue[last_year]",
    "export_share[last_year] * revenue[last_year]",
    "(1 / 2) * revenue[last_year]",
])
def test_bad_rate(text: str) -> None:
    _, chinese = one(text, "rules.bad_rate", text, role="amount")
    assert "固定比例" in chinese


def test_money_times_count_and_rates() -> None:
    assert value_type(resolved("1000 * employees[last_year]", "amount"), REGISTRY, "money") == "money"
    assert value_type(resolved("revenue[last_year] * 0", "amount"), REGISTRY) == "money"
    assert value_type(parse_expression("1000 * employees[last_year]"), REGISTRY) == "count"
    assert value_type(parse_expression("rd_expense[last_year] / revenue[last_year]"), REGISTRY) == "ratio"
    assert value_type(parse_expression("growth(revenue)"), REGISTRY) == "ratio"
    assert value_type(parse_expression("years_since(established_on)"), REGISTRY) == "count"
    assert value_type(parse_expression("patents[-1] / 2"), REGISTRY) == "ratio"
    assert value_type(parse_expression("capacity_utilisation * patents[-1]"), REGISTRY) == "number"
    assert value_type(parse_expression("sum(employees, last 3 years)"), REGISTRY) == "count"
    assert value_type(parse_expression("20万"), REGISTRY, "money") == "money"
    assert value_type(parse_expression("registered_region"), REGISTRY) == "region"


@pytest.mark.parametrize(("text", "covers", "says"), [
    ("tiers(revenue[last_year], [5000万: 10万, 1000万: 20万])", "20万", "1000万"),
    ("tiers(revenue[last_year], [0: 5%])", "5%", "比率"),
])
def test_bad_tiers(text: str, covers: str, says: str) -> None:
    [problem] = problems(text, "amount")
    assert problem.code == "rules.bad_tiers"
    assert problem.span is not None and text[problem.span.start:problem.span.end] == covers
    assert says in zh(problem.message, **problem.params) or problem.params["previous"] == str(Decimal(50000000))


def test_tiers_ascending_is_money() -> None:
    tree = resolved("tiers(revenue[last_year], [1000万: 10万, 5000万: 20万])", "amount")
    assert value_type(tree, REGISTRY) == "money"


@pytest.mark.parametrize(("text", "count"), [
    ("first_time(revenue >= 2000万 and employees >= 10, last_year)", "2"),
    ("first_time(serious_dishonesty, last_year)", "0"),
])
def test_first_time_reads_one_attribute(text: str, count: str) -> None:
    _, chinese = one(text, "rules.first_time_one_attribute", text)
    assert f"读取了 {count} 个" in chinese


def test_first_time_may_read_current_attributes_too() -> None:
    resolved("first_time(revenue >= 2000万 and industry within C, last_year)")


def test_check_rule_marks_the_part() -> None:
    rule = parse_rule("revenue > 1", "revenue[last_year] > 1")
    with pytest.raises(RuleInvalid) as caught:
        check_rule(rule, REGISTRY)
    assert [(p.code, p.params["part"]) for p in caught.value.problems] == [
        ("rules.period_required", "condition"), ("rules.not_an_amount", "amount")]


def test_money_literals_are_whole_fen() -> None:
    assert resolved("revenue[last_year] >= 0.01")
    one("min(revenue[last_year], 0.015) > 1", "rules.type_mismatch", "0.015")


def test_every_message_has_a_chinese_translation() -> None:
    catalog = {m.id: m.string for m in read_catalog() if m.id}
    messages = [value for module in (parser, typecheck) for name, value in vars(module).items()
                if name.startswith("MSG_")]
    assert len(messages) > 40
    for message in messages:
        chinese = str(catalog.get(message) or "")
        assert chinese and chinese != message, message
        # every placeholder of the msgid survives translation (as tests/kernel/test_i18n.py requires)
        assert set(re.findall(r"\{\w+\}", message)) <= set(re.findall(r"\{\w+\}", chinese)), message
