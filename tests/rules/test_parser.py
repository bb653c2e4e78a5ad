"""The text form of the rules language → syntax trees (docs/rules.md §1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tongban.kernel import i18n
from tongban.rules import ast
from tongban.rules.errors import RuleInvalid
from tongban.rules.parser import parse_amount, parse_condition, parse_expression, parse_rule

# The policy clauses E1–E10 of ../shared/policy-examples.md: (condition, amount or None).
EXAMPLES: dict[str, tuple[str, str | None]] = {
    "E1": (
        "registered_region within 厦门市 and tax_region within 厦门市 and industry within [B, C, D]"
        " and revenue[last_year] >= 2000万 and first_time(revenue >= 2000万, last_year)",
        "20万",
    ),
    "E2": ("has(qualifications, 高新技术企业)", "min(10% * rd_expense[last_year], 100万)"),
    "E3": (
        "gained(qualifications, srdi_little_giant, last_year) or gained(qualifications, srdi_provincial, last_year)",
        "if gained(qualifications, srdi_little_giant, last_year) then 50万 else 20万",
    ),
    "E4": (
        "revenue[last_year] >= 5000万 and growth(revenue, last_year, year_before) > 20%",
        "min(1% * (revenue[last_year] - revenue[year_before]), 200万)",
    ),
    "E5": (
        "enterprise_size in [小型, 微型] and qualifying_hires[this_year] >= 1",
        "1000 * qualifying_hires[this_year]",
    ),
    "E6": (
        "years_since(established_on) < 3 and has(qualifications, 科技型中小企业)"
        " and rd_expense[last_year] / revenue[last_year] >= 5%",
        "up_to(30万)",
    ),
    "E7": (
        "all_years(major_accidents = 0, last 3 years) and not serious_dishonesty"
        " and all_years(max_penalty <= 10万, last 3 years)",
        None,
    ),
    "E8": (
        "(insured_headcount[last_year] <= 30 and layoffs[last_year] / insured_headcount[last_year] <= 20%)"
        " or (insured_headcount[last_year] > 30 and layoffs[last_year] / insured_headcount[last_year] <= 5.5%)",
        "60% * unemployment_premium[last_year]",
    ),
    "E9": (
        "has(qualifications, 总部企业) and local_contribution[last_year] > 500万",
        "min(50% * above(local_contribution[last_year], local_contribution[year_before]), 1000万)",
    ),
    "E10": ("provincial_tech_grant[last_year] > 0", "min(0.5 * provincial_tech_grant[last_year], 300万)"),
}

def zh(problem_message: str, **params: object) -> str:
    """The Chinese text of a message, as the platform shows it."""
    return i18n.translate(problem_message, language="zh-CN", **params)


def A(key: str, period: int | None = None) -> ast.Attr:
    return ast.Attr(key, period)


def N(value: int | str) -> ast.Number:
    return ast.Number(Decimal(value))


def syntax_error(text: str) -> tuple[str, ast.Span, str]:
    with pytest.raises(RuleInvalid) as caught:
        parse_expression(text)
    [problem] = caught.value.problems
    assert problem.code == "rules.syntax"
    assert problem.span is not None
    return problem.message.format(**problem.params), problem.span, zh(problem.message, **problem.params)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_policy_clause_parses(name: str) -> None:
    condition, amount = EXAMPLES[name]
    rule = parse_rule(condition, amount)
    assert isinstance(rule.condition, ast.Node)
    assert (rule.amount is None) == (amount is None)


def test_e1_tree_keeps_names_as_written() -> None:
    condition, amount = EXAMPLES["E1"]
    assert parse_condition(condition) == ast.And((
        ast.Within(A("registered_region"), ("厦门市",)),
        ast.Within(A("tax_region"), ("厦门市",)),
        ast.Within(A("industry"), ("B", "C", "D")),
        ast.Compare(">=", A("revenue", -1), N(20_000_000)),
        ast.FirstTime(ast.Compare(">=", A("revenue"), N(20_000_000)), -1),
    ))
    assert parse_amount(amount or "") == N(200_000)


def test_e4_e5_e9_amounts() -> None:
    assert parse_amount(EXAMPLES["E4"][1] or "") == ast.Extremum("min", (
        ast.Arith("*", ast.Percent(Decimal(1)), ast.Arith("-", A("revenue", -1), A("revenue", -2))),
        N(2_000_000),
    ))
    assert parse_amount(EXAMPLES["E5"][1] or "") == ast.Arith("*", N(1000), A("qualifying_hires", 0))
    assert parse_condition(EXAMPLES["E5"][0]) == ast.And((
        ast.In(A("enterprise_size"), ("小型", "微型")),
        ast.Compare(">=", A("qualifying_hires", 0), N(1)),
    ))
    assert parse_amount(EXAMPLES["E9"][1] or "") == ast.Extremum("min", (
        ast.Arith("*", ast.Percent(Decimal(50)),
                  ast.Above(A("local_contribution", -1), A("local_contribution", -2))),
        N(10_000_000),
    ))


def test_spans_point_at_the_text() -> None:
    text = EXAMPLES["E1"][0]
    tree = parse_condition(text)
    assert isinstance(tree, ast.And)
    compare = tree.args[3]
    assert compare.span is not None
    assert text[compare.span.start:compare.span.end] == "revenue[last_year] >= 2000万"
    assert isinstance(compare, ast.Compare)
    assert compare.left.span is not None
    assert text[compare.left.span.start:compare.left.span.end] == "revenue[last_year]"
    assert tree.span == ast.Span(0, len(text))
    for node in ast.walk(tree):
        assert node.span is not None and 0 <= node.span.start < node.span.end <= len(text)


def test_precedence_and_associativity() -> None:
    assert parse_expression("a - b - c") == ast.Arith("-", ast.Arith("-", A("a"), A("b")), A("c"))
    assert parse_expression("a + b * c") == ast.Arith("+", A("a"), ast.Arith("*", A("b"), A("c")))
    assert parse_expression("a or b and not c") == ast.Or((A("a"), ast.And((A("b"), ast.Not(A("c"))))))
    assert parse_expression("not a > 1") == ast.Not(ast.Compare(">", A("a"), N(1)))
    assert parse_expression("(a or b) or c") == ast.Or((ast.Or((A("a"), A("b"))), A("c")))


def test_chinese_keywords_and_comments() -> None:
    text = "非 serious_dishonesty 且 revenue[-1] > 1 # 上年度\n或 employees[0] >= 10  # 人数"
    assert parse_condition(text) == ast.Or((
        ast.And((ast.Not(A("serious_dishonesty")), ast.Compare(">", A("revenue", -1), N(1)))),
        ast.Compare(">=", A("employees", 0), N(10)),
    ))
    # 且 right after a name ends it; 且末县 (a county) is still one name
    assert parse_condition("registered_region within 厦门市且industry within C") == ast.And((
        ast.Within(A("registered_region"), ("厦门市",)), ast.Within(A("industry"), ("C",)),
    ))
    assert parse_condition("registered_region within 且末县") == ast.Within(A("registered_region"), ("且末县",))


@pytest.mark.parametrize(("text", "value"), [
    ("300000", N(300000)),
    ("2000万", N(20_000_000)),
    ("1.5亿", N(150_000_000)),
    ("0.5", ast.Number(Decimal("0.5"))),
    ("-5", N(-5)),
    ("5.5%", ast.Percent(Decimal("5.5"))),
    ("-x", ast.Arith("-", N(0), A("x"))),
    ("2024-02-29", ast.DateLiteral(date(2024, 2, 29))),
    ("true", ast.BoolLiteral(True)),
    ("a ≥ 1", ast.Compare(">=", A("a"), N(1))),
])
def test_literals(text: str, value: ast.Node) -> None:
    assert parse_expression(text) == value


def test_periods_windows_and_calls() -> None:
    assert parse_expression("revenue[-3] + revenue[this_year] + revenue[year_before]") == ast.Arith(
        "+", ast.Arith("+", A("revenue", -3), A("revenue", 0)), A("revenue", -2))
    assert parse_expression("sum(revenue, years(-4, -2))") == ast.SumYears("revenue", ast.Window(-4, -2))
    assert parse_expression("count_years(revenue > 0, last 3 years)") == ast.CountYears(
        ast.Compare(">", A("revenue"), N(0)), ast.Window(-3, -1))
    assert parse_expression("any_year(patents > 0, this_year)") == ast.AnyYear(
        ast.Compare(">", A("patents"), N(0)), ast.Window(0, 0))
    assert parse_expression("growth(revenue)") == ast.Growth("revenue", -1, -2)
    assert parse_expression("growth(revenue, this_year, -3)") == ast.Growth("revenue", 0, -3)
    assert parse_expression("max(a, b, 1)") == ast.Extremum("max", (A("a"), A("b"), N(1)))
    assert parse_expression("tiers(revenue[-1], [1000万: 10万, 5000万: 30万])") == ast.Tiers(
        A("revenue", -1), (ast.TierStep(Decimal(10_000_000), N(100_000)),
                           ast.TierStep(Decimal(50_000_000), N(300_000))))
    assert parse_expression("rank_tiers(rank, [3: 10万, 1: 30万])") == ast.Tiers(
        A("rank"), (ast.TierStep(Decimal(3), N(100_000)), ast.TierStep(Decimal(1), N(300_000))), "rank")
    assert parse_expression("x between [1, 2 + 3]") == ast.Between(A("x"), N(1), ast.Arith("+", N(2), N(3)))
    assert parse_expression('industry in [C39, 0101, "a \\"b\\""]') == ast.In(
        A("industry"), ("C39", "0101", 'a "b"'))
    assert parse_expression("if a then 1 else if b then 2 else 3") == ast.If(
        A("a"), N(1), ast.If(A("b"), N(2), N(3)))
    assert parse_expression("(if a then 1 else 2) + 3") == ast.Arith("+", ast.If(A("a"), N(1), N(2)), N(3))


@pytest.mark.parametrize(("text", "found", "near"), [
    ("revenue[last_year] >= ", "", "revenue[last_year] >="),
    ("revenue[last_year] >= 2000万 and", "", "2000万 and"),
    ("a b", "b", "a"),
    ("min(a)", ")", "min(a"),
])
def test_syntax_errors_say_what_and_where(text: str, found: str, near: str) -> None:
    message, span, chinese = syntax_error(text)
    assert near[-8:] in message and near[-8:] in chinese
    if found:
        assert text[span.start:span.end] == found
        assert f"“{found}”" in message
    else:
        assert span.start == len(text.rstrip())


def test_syntax_error_lists_what_was_expected() -> None:
    message, span, chinese = syntax_error("has(qualifications 高企)")
    assert "“,”" in message and "“,”" in chinese
    assert span == ast.Span(19, 21)


@pytest.mark.parametrize(("text", "bad"), [
    ("established_on > 2024-13-01", "2024-13-01"),
    ("revenue[1.5] > 0", "1.5"),
    ("industry within 3.5", "3.5"),
    ("count_years(a, last 2.5 years) > 1", "2.5"),
    ("a $ b", "$"),
])
def test_bad_literals_are_pointed_at(text: str, bad: str) -> None:
    message, span, chinese = syntax_error(text)
    assert text[span.start:span.end] == bad
    assert bad in chinese or (bad == "$" and "$" in message)


def test_if_inside_arithmetic_needs_parentheses() -> None:
    _message, span, chinese = syntax_error("1 + if a then 2 else 3")
    assert (span.start, span.end) == (4, 6)
    assert "括号" in chinese


def test_empty_text() -> None:
    message, span, chinese = syntax_error("  # only a comment")
    assert message == "The rule is empty." and chinese == "规则为空。"
    assert span == ast.Span(0, 18)


def test_parse_rule_reports_both_texts() -> None:
    with pytest.raises(RuleInvalid) as caught:
        parse_rule("a >", "1 +")
    assert [p.params["part"] for p in caught.value.problems] == ["condition", "amount"]
    assert parse_rule("a", "  ").amount is None


def test_full_width_punctuation() -> None:
    assert parse_expression("min（revenue[last_year]，100万）") == ast.Extremum(
        "min", (A("revenue", -1), N(1_000_000)))
    assert parse_expression("tiers(v, [1万：2])") == ast.Tiers(A("v"), (ast.TierStep(Decimal(10_000), N(2)),))
