"""The canonical text of syntax trees: parse(print(tree)) == tree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rules.test_parser import EXAMPLES
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.parser import parse_expression, parse_rule
from tongban.rules.printer import KEYWORDS, describe_en, describe_zh, number_text, print_node, print_rule
from tongban.rules.typecheck import check_rule

REGISTRY = builtin_registry()

# ---------------------------------------------------------------- strategies (syntactic trees)

names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
decimals = st.builds(
    lambda n, k: Decimal(n).scaleb(-k),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=4),
)
periods = st.integers(min_value=-8, max_value=3)
windows = st.builds(ast.Window, periods, periods)
codes_text = st.one_of(
    st.sampled_from(["C", "C39", "3502", "0101", "厦门市", "且末县", "小型", "high_tech", "专精特新“小巨人”企业"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=6),
)

leaves: st.SearchStrategy[ast.Node] = st.one_of(
    st.builds(ast.Attr, names, st.none() | periods),
    st.builds(ast.Number, decimals),
    st.builds(ast.Percent, decimals),
    st.builds(ast.DateLiteral, st.dates(min_value=date(1000, 1, 1))),
    st.builds(ast.BoolLiteral, st.booleans()),
    st.builds(ast.Growth, names, periods, periods),
    st.builds(ast.SumYears, names, windows),
    st.builds(ast.Has, names, codes_text),
    st.builds(ast.Gained, names, codes_text, windows),
)


def _extend(children: st.SearchStrategy[ast.Node]) -> st.SearchStrategy[ast.Node]:
    many = st.lists(children, min_size=2, max_size=3).map(tuple)
    steps = st.lists(st.builds(ast.TierStep, decimals, children), min_size=1, max_size=3).map(tuple)
    code_lists = st.lists(codes_text, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        st.builds(ast.Arith, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(ast.Compare, st.sampled_from(["<", "<=", ">", ">=", "=", "!="]), children, children),
        st.builds(ast.And, many),
        st.builds(ast.Or, many),
        st.builds(ast.Not, children),
        st.builds(ast.If, children, children, children),
        st.builds(ast.Extremum, st.sampled_from(["min", "max"]), many),
        st.builds(ast.Between, children, children, children),
        st.builds(ast.Within, children, code_lists),
        st.builds(ast.In, children, code_lists),
        st.builds(ast.YearsSince, children),
        st.builds(ast.CountYears, children, windows),
        st.builds(ast.Tiers, children, steps, st.sampled_from(["amount", "rank"])),
        st.builds(ast.Above, children, children),
        st.builds(ast.UpTo, children),
        st.builds(ast.FirstTime, children, periods),
        st.builds(ast.AllYears, children, windows),
        st.builds(ast.AnyYear, children, windows),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_parse_of_print_is_the_tree(tree: ast.Node) -> None:
    text = print_node(tree)
    assert parse_expression(text) == tree, text
    assert print_node(parse_expression(text)) == text


# ---------------------------------------------------------------- the policy clauses


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_policy_clauses_round_trip(name: str) -> None:
    condition, amount = EXAMPLES[name]
    for text in (condition, amount):
        if text is not None:
            tree = parse_expression(text)
            assert parse_expression(print_node(tree)) == tree


def test_canonical_text_of_clauses() -> None:
    # the texts of E1–E7, E9, E10 are already canonical
    for name, (condition, amount) in EXAMPLES.items():
        if name != "E8":
            assert print_rule(ast.Rule(parse_expression(condition),
                                       parse_expression(amount) if amount else None)) == (condition, amount)
    # E8 needs no parentheses: and binds tighter than or
    assert print_node(parse_expression(EXAMPLES["E8"][0])) == (
        "insured_headcount[last_year] <= 30 and layoffs[last_year] / insured_headcount[last_year] <= 20%"
        " or insured_headcount[last_year] > 30 and layoffs[last_year] / insured_headcount[last_year] <= 5.5%"
    )


@pytest.mark.parametrize(("value", "text"), [
    (20_000_000, "2000万"),
    (150_000_000, "1.5亿"),
    (100_000_000, "1亿"),
    (300_000, "30万"),
    (15_000, "1.5万"),
    (1000, "1000"),
    (12_345, "12345"),
    (-50_000, "-5万"),
    (Decimal("0.50"), "0.5"),
])
def test_numbers_with_wan_and_yi(value: int | Decimal, text: str) -> None:
    assert number_text(Decimal(value)) == text


@pytest.mark.parametrize(("text", "canonical"), [
    ("非 a 且 b 或 c", "not a and b or c"),
    ("a and (b and c)", "a and (b and c)"),
    ("((a + b)) * c", "(a + b) * c"),
    ("a - (b - c)", "a - (b - c)"),
    ("a - (b + c) - d / (e * f)", "a - (b + c) - d / (e * f)"),
    ("-(x)", "0 - x"),
    ("- 5%", "-5%"),
    ("not (a > 1)", "not a > 1"),
    ("(a > 1) = true", "(a > 1) = true"),
    ("revenue[-1] >= 20000000", "revenue[last_year] >= 2000万"),
    ("sum(revenue, years(-3, -1))", "sum(revenue, last 3 years)"),
    ("sum(revenue, years(-1, -1))", "sum(revenue, last_year)"),
    ("sum(revenue, years(-4, 0))", "sum(revenue, years(-4, 0))"),
    ("growth(revenue)", "growth(revenue, last_year, year_before)"),
    ("x in [\"and\", 'a']".replace("'", '"'), 'x in ["and", a]'),
    ('industry within "C"', "industry within C"),
    ("(if a then 1 else 2) * 3", "(if a then 1 else 2) * 3"),
    ("if a then (if b then 1 else 2) else if c then 3 else 4",
     "if a then (if b then 1 else 2) else if c then 3 else 4"),
    ("a ≥ 1", "a >= 1"),
    ("tiers(v, [-5: 1, 1万: 2])", "tiers(v, [-5: 1, 1万: 2])"),
])
def test_canonical_text(text: str, canonical: str) -> None:
    assert print_node(parse_expression(text)) == canonical


# ---------------------------------------------------------------- plain-language descriptions


def _checked(name: str) -> ast.Rule:
    condition, amount = EXAMPLES[name]
    return check_rule(parse_rule(condition, amount), REGISTRY)


def test_describe_e1_in_chinese() -> None:
    rule = _checked("E1")
    assert describe_zh(rule.condition, REGISTRY) == (
        "注册地在厦门市，纳税地在厦门市，所属行业属于采矿业、制造业或电力、热力、燃气及水生产和供应业，"
        "上年度营业收入首次达到2000万元"
    )
    assert rule.amount is not None
    assert describe_zh(rule.amount, REGISTRY) == "20万元"
    assert describe_en(rule.amount, REGISTRY) == "200,000 yuan"


@pytest.mark.parametrize(("name", "condition", "amount"), [
    ("E2", "为有效期内的高新技术企业", "上年度研发费用的10%，最高100万元"),
    ("E3", "上年度新认定为专精特新“小巨人”企业，或上年度新认定为专精特新中小企业",
     "上年度新认定为专精特新“小巨人”企业的，50万元；否则20万元"),
    ("E4", "上年度营业收入达到5000万元，上年度营业收入较前年度的增长率超过20%",
     "（上年度营业收入减前年度营业收入）的1%，最高200万元"),
    ("E5", "企业规模为小型或微型，本年度新招用登记失业半年以上人员数达到1",
     "本年度新招用登记失业半年以上人员数×1000元"),
    ("E6", "成立日期距今不满3年，为有效期内的科技型中小企业，上年度研发费用占上年度营业收入的比例达到5%",
     "最高30万元"),
    ("E7", "近3年每年较大及以上生产安全事故数为0，未列入严重失信主体名单，近3年每年单笔最高罚款金额不超过10万元",
     None),
    ("E9", "为有效期内的总部企业，上年度地方财政贡献超过500万元",
     "（上年度地方财政贡献超过前年度地方财政贡献的部分）的50%，最高1000万元"),
    ("E10", "上年度省级技术改造专项资金超过0元", "上年度省级技术改造专项资金的0.5倍，最高300万元"),
])
def test_describe_clauses_in_chinese(name: str, condition: str, amount: str | None) -> None:
    rule = _checked(name)
    assert describe_zh(rule.condition, REGISTRY) == condition
    assert (describe_zh(rule.amount, REGISTRY) if rule.amount else None) == amount


def test_describe_in_english() -> None:
    rule = _checked("E2")
    assert describe_en(rule.condition, REGISTRY) == "a high-tech enterprise (currently valid)"
    assert rule.amount is not None
    assert describe_en(rule.amount, REGISTRY) == "10% of R&D expense last year, at most 1,000,000 yuan"
    e8 = _checked("E8")
    assert describe_en(e8.condition, REGISTRY).startswith(
        "(insured employees at year end last year at most 30; the ratio of layoffs last year")


@given(trees)
@settings(max_examples=100, deadline=None)
def test_describe_never_fails(tree: ast.Node) -> None:
    assert isinstance(describe_zh(tree, REGISTRY), str)
    assert isinstance(describe_en(tree, REGISTRY), str)
