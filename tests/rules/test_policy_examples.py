"""Every worked case of policy-examples.md (E1–E10) on the demo rule files, applying in 2025."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import tongban.demo
from tongban.rules.entity import entity_from_json
from tongban.rules.evaluate import AmountRange, Evaluation, Status, evaluate
from tongban.rules.explain import explain_lines
from tongban.rules.files import RuleFile, read_rule_file

AT = date(2025, 6, 1)
RULES = Path(tongban.demo.__file__).parent / "rules"
WAN = 1_000_000  # fen


def rule_file(prefix: str) -> RuleFile:
    (path,) = RULES.glob(f"{prefix}_*.rules")
    return read_rule_file(path)


def run(prefix: str, entity: dict[str, Any]) -> Evaluation:
    data = entity_from_json(entity)
    return evaluate(rule_file(prefix).rule, data.row, AT, sources=data.sources)


def wan(low: float, high: float | None = -1) -> AmountRange:
    top = low if high == -1 else high
    return AmountRange(round(low * WAN), None if top is None else round(top * WAN))


def test_there_is_a_rule_file_for_every_clause() -> None:
    files = sorted(p.name for p in RULES.glob("*.rules"))
    assert [name[:3] for name in files] == [f"e{i:02d}" for i in range(1, 11)]
    for path in RULES.glob("*.rules"):
        parsed = read_rule_file(path)
        assert parsed.title and parsed.clause
        assert "#" in path.read_text("utf-8").splitlines()[1]  # the clause text as a comment


# ------------------------------------------------------------------ E1 first time above scale

XIAMEN_FACTORY = {"registered_region": "思明区", "tax_region": "厦门市", "industry": "C3911"}


def e1(revenue: dict[str, Any]) -> Evaluation:
    return run("e01", {**XIAMEN_FACTORY, "revenue": revenue})


def test_e1_first_time_above_2000wan_is_eligible() -> None:
    result = e1({"2023": 18_000_000, "2024": 21_000_000})
    assert (result.status, result.amount) == (Status.ELIGIBLE, wan(20))


def test_e1_above_before_is_not_first_time() -> None:
    result = e1({"2022": 25_000_000, "2023": 19_000_000, "2024": 21_000_000})
    assert (result.status, result.amount) == (Status.INELIGIBLE, None)


def test_e1_missing_history_is_likely() -> None:
    result = e1({"2023": None, "2024": 21_000_000})
    assert result.status is Status.LIKELY
    assert result.deciding == ("revenue@2023",)


def test_e1_outside_the_city_or_industry_is_ineligible() -> None:
    revenue = {"2023": 18_000_000, "2024": 21_000_000}
    assert run("e01", {**XIAMEN_FACTORY, "tax_region": "福州市", "revenue": revenue}).status is Status.INELIGIBLE
    assert run("e01", {**XIAMEN_FACTORY, "industry": "软件开发", "revenue": revenue}).status is Status.INELIGIBLE


def test_e1_near_miss_says_how_much_revenue_is_missing() -> None:
    result = e1({"2023": 17_000_000, "2024": 17_900_000})
    assert result.status is Status.INELIGIBLE
    (miss,) = [a.near_miss for a in result.atoms if a.near_miss is not None]
    assert miss["column"] == "revenue@2024"
    assert (miss["current"], miss["needed"], miss["gap"]) == (1790 * WAN, 2000 * WAN, 210 * WAN)
    atoms = result.to_json()["atoms"]
    assert [a["near_miss"]["message"] for a in atoms if "near_miss" in a] == ["营业收入还差210万元"]
    assert "✗ 上年度营业收入 1,790万元，要求 ≥ 2,000万元：还差210万元" in explain_lines(result)


# ------------------------------------------------------------------ E2 R&D subsidy with a cap

HIGH_TECH = [{"tag": "高新技术企业", "since": "2023-01-01", "until": "2025-12-31"}]


@pytest.mark.parametrize(("rd_yuan", "expected"), [(3_000_000, wan(30)), (20_000_000, wan(100))])
def test_e2_ten_percent_of_rd_capped_at_100wan(rd_yuan: int, expected: AmountRange) -> None:
    result = run("e02", {"qualifications": HIGH_TECH, "rd_expense": {"2024": rd_yuan}})
    assert (result.status, result.amount) == (Status.ELIGIBLE, expected)


def test_e2_unknown_rd_is_likely_with_at_most_100wan() -> None:
    result = run("e02", {"qualifications": HIGH_TECH})
    assert (result.status, result.amount, result.deciding) == (Status.LIKELY, wan(0, 100), ("rd_expense@2024",))


def test_e2_expired_or_missing_certificate_is_ineligible() -> None:
    expired = [{"tag": "high_tech", "since": "2021-01-01", "until": "2023-12-31"}]
    assert run("e02", {"qualifications": expired, "rd_expense": {"2024": 1}}).status is Status.INELIGIBLE
    assert run("e02", {"qualifications": [], "rd_expense": {"2024": 1}}).status is Status.INELIGIBLE
    assert run("e02", {"rd_expense": {"2024": 1}}).status is Status.LIKELY


# ------------------------------------------------------------------ E3 tiers by qualification level


@pytest.mark.parametrize(("tags", "status", "amount"), [
    ([{"tag": "小巨人", "since": "2024-07-01"}], Status.ELIGIBLE, wan(50)),
    ([{"tag": "专精特新中小企业", "since": "2024-03-01"}], Status.ELIGIBLE, wan(20)),
    # both newly certified: the higher only, never both
    ([{"tag": "srdi_little_giant", "since": "2024-07-01"}, {"tag": "srdi_provincial", "since": "2024-01-01"}],
     Status.ELIGIBLE, wan(50)),
    # certified before last year: not new
    ([{"tag": "srdi_little_giant", "since": "2022-07-01"}], Status.INELIGIBLE, None),
    # little giant of 2022, provincial new in 2024: the provincial award
    ([{"tag": "srdi_little_giant", "since": "2022-07-01"}, {"tag": "srdi_provincial", "since": "2024-01-01"}],
     Status.ELIGIBLE, wan(20)),
    (None, Status.LIKELY, wan(20, 50)),
])
def test_e3_newly_certified_level(tags: Any, status: Status, amount: AmountRange | None) -> None:
    result = run("e03", {"qualifications": tags})
    assert (result.status, result.amount) == (status, amount)


# ------------------------------------------------------------------ E4 increment with growth


def test_e4_growth_30_percent_rewards_one_percent_of_the_increment() -> None:
    result = run("e04", {"revenue": {"2023": 50_000_000, "2024": 65_000_000}})
    assert (result.status, result.amount) == (Status.ELIGIBLE, wan(15))


def test_e4_cap_and_growth_threshold() -> None:
    assert run("e04", {"revenue": {"2023": 100_000_000, "2024": 400_000_000}}).amount == wan(200)
    # exactly 20% is not "above 20%"
    assert run("e04", {"revenue": {"2023": 50_000_000, "2024": 60_000_000}}).status is Status.INELIGIBLE
    result = run("e04", {"revenue": {"2023": 50_000_000, "2024": 55_000_000}})
    (miss,) = [a.near_miss for a in result.atoms if a.near_miss is not None]
    assert miss["gap"] == 500 * WAN + 1  # strictly above 6000万
    assert run("e04", {"revenue": {"2024": 65_000_000}}).status is Status.LIKELY


# ------------------------------------------------------------------ E5 per head


def test_e5_one_thousand_yuan_per_qualifying_hire() -> None:
    result = run("e05", {"enterprise_size": "小型", "qualifying_hires": {"2025": 3}})
    assert (result.status, result.amount) == (Status.ELIGIBLE, AmountRange(300_000, 300_000))
    assert run("e05", {"enterprise_size": "中型", "qualifying_hires": {"2025": 3}}).status is Status.INELIGIBLE
    assert run("e05", {"enterprise_size": "micro", "qualifying_hires": {"2025": 0}}).status is Status.INELIGIBLE
    likely = run("e05", {"qualifying_hires": {"2025": 2}})
    assert (likely.status, likely.amount) == (Status.LIKELY, AmountRange(200_000, 200_000))


# ------------------------------------------------------------------ E6 ratio condition, up to a cap

YOUNG_TECH = {"established_on": "2023-05-01", "qualifications": [{"tag": "科技型中小企业", "since": "2025-01-01"}]}


def test_e6_discretionary_amount_up_to_30wan_is_eligible() -> None:
    result = run("e06", {**YOUNG_TECH, "rd_expense": {"2024": 600_000}, "revenue": {"2024": 10_000_000}})
    assert (result.status, result.amount) == (Status.ELIGIBLE, wan(0, 30))


def test_e6_zero_revenue_is_false_not_an_error() -> None:
    result = run("e06", {**YOUNG_TECH, "rd_expense": {"2024": 600_000}, "revenue": {"2024": 0}})
    assert result.status is Status.INELIGIBLE


def test_e6_unknown_ratio_part_is_likely_and_old_firms_are_out() -> None:
    assert run("e06", {**YOUNG_TECH, "rd_expense": {"2024": 600_000}}).status is Status.LIKELY
    old = {**YOUNG_TECH, "established_on": "2022-06-01", "rd_expense": {"2024": 1}, "revenue": {"2024": 1}}
    assert run("e06", old).status is Status.INELIGIBLE
    short = run("e06", {**YOUNG_TECH, "rd_expense": {"2024": 400_000}, "revenue": {"2024": 10_000_000}})
    (miss,) = [a.near_miss for a in short.atoms if a.near_miss is not None]
    assert (miss["attribute"], miss["gap"]) == ("rd_expense", 10 * WAN)


# ------------------------------------------------------------------ E7 negative conditions over a window

CLEAN = {"serious_dishonesty": False,
         "major_accidents": {"2022": 0, "2023": 0, "2024": 0},
         "max_penalty": {"2022": 0, "2023": 100_000, "2024": 5_000}}


def test_e7_clean_record_is_eligible_without_amount() -> None:
    result = run("e07", CLEAN)
    assert (result.status, result.amount) == (Status.ELIGIBLE, None)


def test_e7_nothing_shared_is_unknown_not_clean() -> None:
    result = run("e07", {"serious_dishonesty": False, "max_penalty": CLEAN["max_penalty"],
                         "major_accidents": {"2022": 0, "2023": 0}})
    assert (result.status, result.deciding) == (Status.LIKELY, ("major_accidents@2024",))
    assert run("e07", {}).status is Status.LIKELY


@pytest.mark.parametrize("change", [
    {"serious_dishonesty": True},
    {"major_accidents": {"2022": 1, "2023": 0, "2024": 0}},
    {"max_penalty": {"2022": 0, "2023": "100000.01", "2024": 0}},
])
def test_e7_any_violation_is_ineligible(change: dict[str, Any]) -> None:
    assert run("e07", {**CLEAN, **change}).status is Status.INELIGIBLE


# ------------------------------------------------------------------ E8 size-dependent thresholds


@pytest.mark.parametrize(("insured", "layoffs", "status"), [
    (30, 6, Status.ELIGIBLE),     # small: 20% allowed
    (30, 7, Status.INELIGIBLE),
    (200, 11, Status.ELIGIBLE),   # larger: 5.5% allowed
    (200, 12, Status.INELIGIBLE),
    (31, 6, Status.INELIGIBLE),   # 31 insured falls in the 5.5% branch
    (100, 0, Status.ELIGIBLE),    # no layoffs
])
def test_e8_layoff_rate_by_size(insured: int, layoffs: int, status: Status) -> None:
    result = run("e08", {"insured_headcount": {"2024": insured}, "layoffs": {"2024": layoffs},
                         "unemployment_premium": {"2024": "12345.67"}})
    assert result.status is status
    if status is Status.ELIGIBLE:
        assert result.amount == AmountRange(740_740, 740_740)  # 60% of 1,234,567 fen = 740,740.2


def test_e8_unknown_headcount_is_likely() -> None:
    result = run("e08", {"layoffs": {"2024": 0}, "unemployment_premium": {"2024": 10_000}})
    assert (result.status, result.deciding) == (Status.LIKELY, ("insured_headcount@2024",))


# ------------------------------------------------------------------ E9 incremental local contribution

HQ = [{"tag": "总部企业", "since": "2020-01-01"}]


@pytest.mark.parametrize(("before", "last", "status", "amount"), [
    (6_000_000, 8_000_000, Status.ELIGIBLE, wan(100)),     # 50% of the 200万 increment
    (9_000_000, 8_000_000, Status.ELIGIBLE, wan(0)),       # no increment: nothing, never negative
    (10_000_000, 40_000_000, Status.ELIGIBLE, wan(1000)),  # capped
    (4_000_000, 5_000_000, Status.INELIGIBLE, None),       # 500万 is not "above 500万"
])
def test_e9_half_of_the_increment(before: int, last: int, status: Status, amount: AmountRange | None) -> None:
    result = run("e09", {"qualifications": HQ, "local_contribution": {"2023": before, "2024": last}})
    assert (result.status, result.amount) == (status, amount)


def test_e9_unknown_previous_year_gives_a_range() -> None:
    result = run("e09", {"qualifications": HQ, "local_contribution": {"2024": 8_000_000}})
    assert (result.status, result.amount) == (Status.LIKELY, wan(0, 400))


# ------------------------------------------------------------------ E10 matching funds


@pytest.mark.parametrize(("grant", "status", "amount"), [
    (4_000_000, Status.ELIGIBLE, wan(200)),
    (8_000_000, Status.ELIGIBLE, wan(300)),
    ("0.03", Status.ELIGIBLE, AmountRange(2, 2)),  # 1.5 fen rounds half up
    (0, Status.INELIGIBLE, None),
])
def test_e10_matching_half_of_the_provincial_grant(grant: Any, status: Status, amount: AmountRange | None) -> None:
    result = run("e10", {"provincial_tech_grant": {"2024": grant}})
    assert (result.status, result.amount) == (status, amount)
