"""Explanations in Chinese and English, money formatting and near-miss messages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.profiles.attributes import builtin_registry
from tongban.rules.entity import entity_from_json
from tongban.rules.evaluate import Evaluation, Status, evaluate
from tongban.rules.explain import explain, explain_lines, money_text
from tongban.rules.parser import parse_rule
from tongban.rules.typecheck import check_rule

AT = date(2025, 6, 1)
REGISTRY = builtin_registry()


def run(condition: str, amount: str | None, entity: dict[str, Any]) -> Evaluation:
    data = entity_from_json(entity)
    rule = check_rule(parse_rule(condition, amount), REGISTRY)
    return evaluate(rule, data.row, AT, REGISTRY, data.sources)


@pytest.mark.parametrize(("fen", "zh", "en"), [
    (1_790_000_000, "1,790万元", "CNY 17,900,000"),
    (210_000_000, "210万元", "CNY 2,100,000"),
    (12_500_000, "12.5万元", "CNY 125,000"),
    (300_000, "3,000元", "CNY 3,000"),
    (1_234_567, "1.234567万元", "CNY 12,345.67"),
    (5, "0.05元", "CNY 0.05"),
    (0, "0元", "CNY 0"),
])
def test_money_text(fen: int, zh: str, en: str) -> None:
    assert money_text(fen, "zh-CN") == zh
    assert money_text(fen, "en") == en


RD = ("has(qualifications, 高新技术企业)", "min(10% * rd_expense[last_year], 100万)")
HIGH_TECH = [{"tag": "high_tech", "since": "2023-01-01", "until": "2025-12-31"}]


def test_amount_explains_the_rate_and_the_cap() -> None:
    result = run(*RD, {"qualifications": HIGH_TECH, "rd_expense": {"2024": 3_000_000}})
    lines = explain_lines(result)
    assert lines[0] == "结论：符合条件"
    assert lines[-1] == "金额：30万元 —— 上年度研发费用 300万元 × 10% = 30万元，未超过上限 100万元"
    capped = run(*RD, {"qualifications": HIGH_TECH, "rd_expense": {"2024": 20_000_000}})
    assert explain_lines(capped)[-1].endswith("超过上限 100万元，按上限计")


def test_english_explanation() -> None:
    result = run(*RD, {"qualifications": HIGH_TECH, "rd_expense": {"2024": 3_000_000}})
    text = explain(result, "en")
    assert text.startswith("Result: eligible")
    assert "R&D expense last year CNY 3,000,000 × 10% = CNY 300,000, within the cap of CNY 1,000,000" in text


def test_likely_item_names_the_missing_data_and_its_department() -> None:
    entity = {"qualifications": HIGH_TECH,
              "_sources": {"rd_expense@2024": {"department": "税务局", "resource": "研发费用加计扣除"}}}
    lines = explain_lines(run(*RD, entity))
    assert lines[0] == "结论：可能符合（部分数据缺失）"
    assert "缺少数据：上年度研发费用（税务局·研发费用加计扣除）" in lines
    assert lines[-1].startswith("金额：0元 ～ 100万元 —— 上年度研发费用 未知")
    assert "Missing data: R&D expense last year (税务局·研发费用加计扣除)" in explain(run(*RD, entity), "en")


def test_each_condition_is_marked() -> None:
    result = run("registered_region within 厦门市 and revenue[last_year] >= 2000万 and not serious_dishonesty",
                 None, {"registered_region": "思明区", "revenue": {"2024": 17_900_000}, "serious_dishonesty": False})
    lines = explain_lines(result)
    assert lines[1] == "✓ 注册地 思明区（350203），要求属于 厦门市（350200）"
    assert lines[2] == "✗ 上年度营业收入 1,790万元，要求 ≥ 2,000万元：还差210万元"
    assert lines[3] == "✓ 列入严重失信主体名单：否，要求为否"
    unknown = explain_lines(run("revenue[last_year] >= 2000万", None, {}))
    assert unknown[1] == "? 上年度营业收入 未知，要求 ≥ 2,000万元"
    assert unknown[2] == "缺少数据：上年度营业收入"


def test_ratio_and_growth_near_misses() -> None:
    ratio = run("rd_expense[last_year] / revenue[last_year] >= 5%", None,
                {"rd_expense": {"2024": 400_000}, "revenue": {"2024": 10_000_000}})
    assert explain_lines(ratio)[1] == "✗ 上年度研发费用 / 上年度营业收入 4%，要求 ≥ 5%：研发费用还差10万元"
    growth = run("growth(revenue, last_year, year_before) > 20%", None,
                 {"revenue": {"2023": 50_000_000, "2024": 55_000_000}})
    assert explain_lines(growth)[1] == "✗ 上年度营业收入比前年度增长 10%，要求 > 20%：营业收入需再增加500万元以上"
    layoffs = run("layoffs[last_year] / insured_headcount[last_year] <= 5.5%", None,
                  {"layoffs": {"2024": 12}, "insured_headcount": {"2024": 200}})
    assert explain_lines(layoffs)[1].endswith("裁员人数需减少1")
    assert layoffs.to_json("en")["atoms"][0]["near_miss"]["message"] == "layoffs must fall by 1"


def test_per_year_constructs_in_words() -> None:
    result = run("all_years(major_accidents = 0, last 3 years)", None,
                 {"major_accidents": {"2022": 0, "2023": 0}})
    line = explain_lines(result)[1]
    assert line.startswith("? 近3年（2022–2024年）每年均满足 major_accidents = 0")
    assert "上年度较大及以上生产安全事故数 未知" in line
    first = run("first_time(revenue >= 2000万, last_year)", "20万",
                {"revenue": {"2023": 18_000_000, "2024": 21_000_000}})
    assert explain_lines(first)[1].startswith("✓ 上年度首次满足 revenue >= 2000万")


def test_if_amount_and_per_head_amount() -> None:
    tiers = run("true", "if gained(qualifications, srdi_little_giant, last_year) then 50万 else 20万",
                {"qualifications": [{"tag": "小巨人", "since": "2024-07-01"}]})
    assert explain_lines(tiers)[-1] == (
        "金额：50万元 —— 符合「gained(qualifications, srdi_little_giant, last_year)」，按 50万元")
    hires = run("true", "1000 * qualifying_hires[this_year]", {"qualifying_hires": {"2025": 3}})
    assert explain_lines(hires)[-1] == "金额：3,000元 —— 1,000元 × 本年度新招用登记失业半年以上人员数 3 = 3,000元"


def test_to_json_carries_values_and_sources() -> None:
    entity = {"revenue": {"2024": "21000000.50"},
              "_sources": {"revenue@2024": {"department": "税务局", "resource": "企业年度纳税情况",
                                            "recorded_at": "2025-03-01"}}}
    data = run("revenue[last_year] >= 2000万", "20万", entity).to_json()
    assert data["status"] == "eligible"
    assert data["amount"] == {"low": "200000.00", "high": "200000.00"}
    (atom,) = data["atoms"]
    assert atom["text"] == "revenue[last_year] >= 2000万"
    assert atom["value"] is True
    assert atom["columns"] == [{"column": "revenue@2024", "attribute": "revenue", "value": "21000000.50",
                                "source": {"department": "税务局", "resource": "企业年度纳税情况",
                                           "recorded_at": "2025-03-01"}}]


# ------------------------------------------------------------------ near misses are minimal

OPERATORS = ["<", "<=", ">", ">=", "="]


def _with(row: dict[str, object], column: str, value: object) -> dict[str, object]:
    return {**row, column: value}


@settings(deadline=None, max_examples=150)
@given(shape=st.sampled_from(["attr", "ratio", "growth"]), operator=st.sampled_from(OPERATORS),
       current=st.integers(0, 10**10), other=st.integers(1, 10**10), threshold=st.integers(0, 300))
def test_near_miss_is_the_smallest_passing_change(shape: str, operator: str, current: int, other: int,
                                                  threshold: int) -> None:
    if shape == "attr":
        text, row = f"revenue[last_year] {operator} {threshold}万", {"revenue@2024": current}
    elif shape == "ratio":
        text = f"rd_expense[last_year] / revenue[last_year] {operator} {threshold}%"
        row = {"rd_expense@2024": current, "revenue@2024": other}
    else:
        text = f"growth(revenue, last_year, year_before) {operator} {threshold}%"
        row = {"revenue@2024": current, "revenue@2023": other}
    rule = check_rule(parse_rule(text), REGISTRY)
    result = evaluate(rule, row, AT, REGISTRY)
    if result.status is not Status.INELIGIBLE:
        assert all(a.near_miss is None for a in result.atoms)
        return
    (miss,) = [a.near_miss for a in result.atoms]
    if miss is None:  # "=" can be impossible to meet in fen for a ratio
        assert operator == "="
        return
    assert miss["column"] == "revenue@2024" if shape != "ratio" else miss["column"] == "rd_expense@2024"
    column, needed = miss["column"], miss["needed"]
    assert miss["gap"] == needed - row[column]
    assert evaluate(rule, _with(row, column, needed), AT, REGISTRY).status is Status.ELIGIBLE
    closer = needed - 1 if miss["gap"] > 0 else needed + 1
    assert evaluate(rule, _with(row, column, closer), AT, REGISTRY).status is Status.INELIGIBLE


def test_alternatives_are_grouped() -> None:
    result = run("(insured_headcount[last_year] <= 30 and layoffs[last_year] / insured_headcount[last_year] <= 20%)"
                 " or (insured_headcount[last_year] > 30 and layoffs[last_year] / insured_headcount[last_year]"
                 " <= 5.5%)", "60% * unemployment_premium[last_year]",
                 {"insured_headcount": {"2024": 30}, "layoffs": {"2024": 6}, "unemployment_premium": {"2024": 100000}})
    assert explain_lines(result)[1:5] == [
        "✓ 满足以下任一项：",
        "  ✓ 以下各项同时满足：",
        "    ✓ 上年度年末参保人数 30，要求 ≤ 30",
        "    ✓ 上年度裁员人数 / 上年度年末参保人数 20%，要求 ≤ 20%",
    ]
    assert explain_lines(result)[-1] == "金额：6万元 —— 上年度失业保险费实缴金额 10万元 × 60% = 6万元"
    negated = run("not (revenue[last_year] >= 1亿 or serious_dishonesty)", None,
                  {"revenue": {"2024": 1000}, "serious_dishonesty": False})
    assert explain_lines(negated)[1:] == ["✓ 要求以下不成立：", "  ✗ 满足以下任一项：",
                                          "    ✗ 上年度营业收入 1,000元，要求 ≥ 10,000万元",
                                          "    ✗ 列入严重失信主体名单：否"]
