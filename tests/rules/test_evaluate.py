"""The single-entity evaluator against docs/rules.md §3–§5: Kleene logic, unknown vs undefined,
the rounding rule, amount intervals and the status rule, first_time and the per-year constructs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.evaluate import AmountRange, Status, compile_rule, evaluate
from tongban.rules.itemset import ItemSet
from tongban.rules.parser import parse_rule
from tongban.rules.scalars import apply_rate
from tongban.rules.typecheck import check_rule

AT = date(2025, 6, 1)
REGISTRY = builtin_registry()
WAN = 1_000_000  # 1万元 in fen


def rule(condition: str, amount: str | None = None) -> ast.Rule:
    return check_rule(parse_rule(condition, amount), REGISTRY)


def status(condition: str, row: Mapping[str, object], amount: str | None = None) -> Status:
    return evaluate(rule(condition, amount), row, AT).status


def amount_of(amount: str, row: Mapping[str, object], condition: str = "true") -> AmountRange | None:
    return evaluate(rule(condition, amount), row, AT).amount


# ------------------------------------------------------------------ Kleene logic

# three atoms whose values we control: count >= 1 is true for 1, false for 0, unknown for None
ATOMS = ("employees[last_year] >= 1", "patents[last_year] >= 1", "layoffs[last_year] >= 1")
COLUMNS = ("employees@2024", "patents@2024", "layoffs@2024")
KLEENE = st.sampled_from([True, False, None])


def _row(values: tuple[bool | None, ...]) -> dict[str, object]:
    return {c: (None if v is None else int(v)) for c, v in zip(COLUMNS, values, strict=True)}


def _rank(v: bool | None) -> float:
    return 0.5 if v is None else float(v)


def _unrank(r: float) -> bool | None:
    return None if r == 0.5 else bool(r)


@st.composite
def kleene_trees(draw: st.DrawFn, depth: int = 3) -> tuple[str, object]:
    """(text, a function of the three atom values giving the expected Kleene value)."""
    if depth == 0 or draw(st.booleans()):
        i = draw(st.integers(0, 2))
        return ATOMS[i], lambda vs, i=i: vs[i]
    kind = draw(st.sampled_from(["and", "or", "not"]))
    if kind == "not":
        text, f = draw(kleene_trees(depth - 1))
        return f"not ({text})", lambda vs, f=f: _unrank(1 - _rank(f(vs)))
    (ta, fa), (tb, fb) = draw(kleene_trees(depth - 1)), draw(kleene_trees(depth - 1))
    pick = min if kind == "and" else max
    return f"({ta}) {kind} ({tb})", lambda vs, fa=fa, fb=fb: _unrank(pick(_rank(fa(vs)), _rank(fb(vs))))


@settings(deadline=None)
@given(tree=kleene_trees(), values=st.tuples(KLEENE, KLEENE, KLEENE))
def test_conditions_follow_kleene_logic(tree: tuple[str, object], values: tuple[bool | None, ...]) -> None:
    text, expected = tree
    want = expected(values)  # type: ignore[operator]
    got = status(text, _row(values))
    assert got is {True: Status.ELIGIBLE, False: Status.INELIGIBLE, None: Status.LIKELY}[want]


@pytest.mark.parametrize(("a", "b", "conj", "disj"), [
    (None, False, Status.INELIGIBLE, Status.LIKELY),
    (None, True, Status.LIKELY, Status.ELIGIBLE),
    (None, None, Status.LIKELY, Status.LIKELY),
    (True, False, Status.INELIGIBLE, Status.ELIGIBLE),
])
def test_and_or_truth_tables(a: bool | None, b: bool | None, conj: Status, disj: Status) -> None:
    row = _row((a, b, None))
    assert status(f"{ATOMS[0]} and {ATOMS[1]}", row) is conj
    assert status(f"{ATOMS[0]} or {ATOMS[1]}", row) is disj


def test_missing_is_unknown_never_zero() -> None:
    assert status("layoffs[last_year] = 0", {}) is Status.LIKELY
    assert status("not serious_dishonesty", {}) is Status.LIKELY
    assert status("not serious_dishonesty", {"serious_dishonesty": False}) is Status.ELIGIBLE


# ------------------------------------------------------------------ unknown vs undefined


def test_division_by_zero_makes_the_comparison_false_and_its_negation_true() -> None:
    ratio = "rd_expense[last_year] / revenue[last_year] >= 5%"
    assert status(ratio, {"rd_expense@2024": 100, "revenue@2024": 0}) is Status.INELIGIBLE
    assert status(f"not ({ratio})", {"rd_expense@2024": 100, "revenue@2024": 0}) is Status.ELIGIBLE
    assert status("rd_expense[last_year] / revenue[last_year] between [0, 1]",
                  {"rd_expense@2024": 1, "revenue@2024": 0}) is Status.INELIGIBLE


def test_unknown_wins_over_undefined() -> None:
    ratio = "rd_expense[last_year] / revenue[last_year] >= 5%"
    assert status(ratio, {"revenue@2024": 0}) is Status.LIKELY


@pytest.mark.parametrize(("base", "expected"), [(0, Status.INELIGIBLE), (-100, Status.INELIGIBLE),
                                                (100, Status.ELIGIBLE), (None, Status.LIKELY)])
def test_growth_on_a_base_of_zero_or_below_is_undefined(base: int | None, expected: Status) -> None:
    row = {"net_profit@2024": 200, "net_profit@2023": base}
    assert status("growth(net_profit, last_year, year_before) > 20%", row) is expected


def test_ratio_arithmetic_is_ieee_double() -> None:
    # 6 / 30 is exactly the double nearest 0.2, so 20% compares equal
    assert status("layoffs[last_year] / insured_headcount[last_year] <= 20%",
                  {"layoffs@2024": 6, "insured_headcount@2024": 30}) is Status.ELIGIBLE
    assert status("layoffs[last_year] / insured_headcount[last_year] <= 20%",
                  {"layoffs@2024": 7, "insured_headcount@2024": 30}) is Status.INELIGIBLE
    # growth takes the difference in fen, then divides as doubles: (1.2·b − b) / b = 0.2 exactly here
    row = {"revenue@2024": 120 * WAN, "revenue@2023": 100 * WAN}
    assert status("growth(revenue, last_year, year_before) >= 20%", row) is Status.ELIGIBLE
    assert status("growth(revenue, last_year, year_before) > 20%", row) is Status.INELIGIBLE


# ------------------------------------------------------------------ money and rounding


@settings(deadline=None)
@given(fen=st.integers(-10**12, 10**12), numerator=st.integers(0, 10_000), places=st.integers(0, 3))
def test_rate_rounding_is_nearest_fen_halves_up(fen: int, numerator: int, places: int) -> None:
    rate = Fraction(numerator, 10**places) / 100  # a percentage literal with `places` decimals
    exact = Fraction(fen) * rate
    assert apply_rate(fen, rate) == math.floor(exact + Fraction(1, 2))


@settings(deadline=None)
@given(fen=st.integers(0, 10**12), percent=st.decimals(0, 100, places=2))
def test_money_times_a_percentage_literal(fen: int, percent: Decimal) -> None:
    result = amount_of(f"{percent}% * revenue[last_year]", {"revenue@2024": fen})
    expected = math.floor(Fraction(fen) * Fraction(percent) / 100 + Fraction(1, 2))
    assert result == AmountRange(expected, expected)


def test_rounding_examples() -> None:
    assert amount_of("0.5 * provincial_tech_grant[last_year]", {"provincial_tech_grant@2024": 3}) == AmountRange(2, 2)
    assert amount_of("5.5% * revenue[last_year]", {"revenue@2024": 100}) == AmountRange(6, 6)  # 5.5 → 6
    assert amount_of("1000 * qualifying_hires[this_year]", {"qualifying_hires@2025": 3}) == AmountRange(
        300_000, 300_000)
    assert amount_of("revenue[last_year] - revenue[year_before]", {"revenue@2024": 5, "revenue@2023": 3}) == \
        AmountRange(2, 2)


# ------------------------------------------------------------------ intervals


def test_unknown_money_is_zero_to_unbounded() -> None:
    assert amount_of("10% * rd_expense[last_year]", {}) == AmountRange(0, None)
    assert amount_of("min(10% * rd_expense[last_year], 100万)", {}) == AmountRange(0, 100 * WAN)
    assert amount_of("max(10% * rd_expense[last_year], 1万)", {}) == AmountRange(WAN, None)


def test_subtraction_takes_opposite_ends_and_the_amount_is_clamped_at_zero() -> None:
    row = {"revenue@2024": 500 * WAN}
    assert amount_of("revenue[last_year] - revenue[year_before]", row) == AmountRange(0, 500 * WAN)
    assert amount_of("revenue[year_before] - revenue[last_year]", row) == AmountRange(0, None)
    assert amount_of("above(revenue[last_year], revenue[year_before])", row) == AmountRange(0, 500 * WAN)
    assert amount_of("revenue[last_year] - 600万", row) == AmountRange(0, 0)


def test_signed_unknown_is_unbounded_both_ways() -> None:
    assert amount_of("net_profit[last_year]", {}) == AmountRange(0, None)
    assert amount_of("min(net_profit[last_year], 5万)", {}) == AmountRange(0, 5 * WAN)


def test_money_times_count_takes_corner_products_with_zero_times_infinity_zero() -> None:
    assert amount_of("1000 * qualifying_hires[this_year]", {}) == AmountRange(0, None)
    assert amount_of("revenue[last_year] * qualifying_hires[this_year]", {"revenue@2024": 0}) == \
        AmountRange(0, 0)


def test_if_with_an_unknown_condition_takes_the_hull() -> None:
    text = "if has(qualifications, high_tech) then 50万 else 20万"
    assert amount_of(text, {}) == AmountRange(20 * WAN, 50 * WAN)
    assert amount_of(text, {"qualifications": True}) == AmountRange(20 * WAN, 20 * WAN)


def test_tiers_by_amount_and_by_rank() -> None:
    tiers = "tiers(revenue[last_year], [5000万: 10万, 1亿: 20万])"
    assert amount_of(tiers, {"revenue@2024": 4999 * WAN}) == AmountRange(0, 0)
    assert amount_of(tiers, {"revenue@2024": 5000 * WAN}) == AmountRange(10 * WAN, 10 * WAN)
    assert amount_of(tiers, {"revenue@2024": 20000 * WAN}) == AmountRange(20 * WAN, 20 * WAN)
    assert amount_of(tiers, {}) == AmountRange(0, 20 * WAN)
    ranks = "rank_tiers(employees[last_year], [3: 30万, 10: 10万])"
    assert amount_of(ranks, {"employees@2024": 1}) == AmountRange(30 * WAN, 30 * WAN)
    assert amount_of(ranks, {"employees@2024": 4}) == AmountRange(10 * WAN, 10 * WAN)
    assert amount_of(ranks, {"employees@2024": 11}) == AmountRange(0, 0)
    assert amount_of(ranks, {}) == AmountRange(0, 30 * WAN)


def test_tiers_of_an_undefined_value_pay_nothing() -> None:
    text = "tiers(rd_expense[last_year] / revenue[last_year], [0.05: 10万])"
    assert amount_of(text, {"rd_expense@2024": 1, "revenue@2024": 0}) == AmountRange(0, 0)


def test_sum_adds_the_window() -> None:
    row = {"tax_paid@2022": 1, "tax_paid@2023": 2, "tax_paid@2024": 3}
    assert amount_of("sum(tax_paid, last 3 years)", row) == AmountRange(6, 6)
    assert amount_of("sum(tax_paid, last 3 years)", {"tax_paid@2022": 1}) == AmountRange(1, None)
    assert status("sum(tax_paid, last 3 years) >= 6", {"tax_paid@2022": 1}) is Status.LIKELY


# ------------------------------------------------------------------ status rule


def test_status_rule_two_passes() -> None:
    high_tech = {"qualifications": True, "qualifications#high_tech.since": date(2023, 1, 1)}
    capped = rule("has(qualifications, high_tech)", "min(10% * rd_expense[last_year], 100万)")
    result = evaluate(capped, high_tech, AT)
    assert (result.status, result.amount) == (Status.LIKELY, AmountRange(0, 100 * WAN))
    assert result.deciding == ("rd_expense@2024",)
    discretionary = rule("has(qualifications, high_tech)", "up_to(30万)")
    result = evaluate(discretionary, high_tech, AT)
    assert (result.status, result.amount) == (Status.ELIGIBLE, AmountRange(0, 30 * WAN))
    unknown_cap = rule("has(qualifications, high_tech)", "up_to(10% * rd_expense[last_year])")
    assert evaluate(unknown_cap, high_tech, AT).status is Status.LIKELY
    ineligible = evaluate(capped, {"qualifications": True}, AT)
    assert (ineligible.status, ineligible.amount) == (Status.INELIGIBLE, None)
    likely = evaluate(capped, {}, AT)
    assert (likely.status, likely.amount, likely.deciding) == (Status.LIKELY, AmountRange(0, 100 * WAN),
                                                               ("qualifications",))


def test_status_codes_and_amount_json() -> None:
    assert [s.code for s in Status] == [2, 1, 0]
    assert AmountRange(30_000_050, None).to_json() == {"low": "300000.50", "high": None}


def test_deciding_leaves_out_atoms_that_cannot_change_the_result() -> None:
    text = f"({ATOMS[0]} and {ATOMS[1]}) or {ATOMS[2]}"
    result = evaluate(rule(text), {"patents@2024": 0}, AT)
    assert result.status is Status.LIKELY
    assert result.deciding == ("layoffs@2024",)


# ------------------------------------------------------------------ tags, codes, dates


def test_has_uses_the_validity_interval() -> None:
    since, until = "qualifications#high_tech.since", "qualifications#high_tech.until"
    has = "has(qualifications, high_tech)"
    assert status(has, {}) is Status.LIKELY
    assert status(has, {"qualifications": True}) is Status.INELIGIBLE
    assert status(has, {"qualifications": True, since: date(2025, 6, 1)}) is Status.ELIGIBLE
    assert status(has, {"qualifications": True, since: date(2025, 6, 2)}) is Status.INELIGIBLE
    assert status(has, {"qualifications": True, since: date(2022, 1, 1), until: date(2025, 6, 1)}) is \
        Status.ELIGIBLE
    assert status(has, {"qualifications": True, since: date(2022, 1, 1), until: date(2025, 5, 31)}) is \
        Status.INELIGIBLE


def test_gained_looks_at_the_year_of_since() -> None:
    gained = "gained(qualifications, srdi_provincial, last 2 years)"
    since = "qualifications#srdi_provincial.since"
    assert status(gained, {"qualifications": True, since: date(2023, 1, 1)}) is Status.ELIGIBLE
    assert status(gained, {"qualifications": True, since: date(2022, 12, 31)}) is Status.INELIGIBLE
    assert status(gained, {"qualifications": True, since: date(2025, 1, 1)}) is Status.INELIGIBLE


def test_within_is_hierarchical_and_in_is_exact() -> None:
    assert status("registered_region within 3502", {"registered_region": "350203"}) is Status.ELIGIBLE
    assert status("registered_region within 3502", {"registered_region": "350102"}) is Status.INELIGIBLE
    assert status("industry within C", {"industry": "3511"}) is Status.ELIGIBLE
    assert status("industry within 35", {"industry": "3511"}) is Status.ELIGIBLE
    assert status("industry within [B, D]", {"industry": "3911"}) is Status.INELIGIBLE
    assert status("enterprise_size in [small]", {"enterprise_size": "micro"}) is Status.INELIGIBLE


@pytest.mark.parametrize(("established", "years"), [
    (date(2022, 6, 1), 3), (date(2022, 6, 2), 2), (date(2025, 7, 1), -1), (date(2024, 2, 29), 1)])
def test_years_since_counts_whole_years(established: date, years: int) -> None:
    row = {"established_on": established}
    assert status(f"years_since(established_on) = {years}" if years >= 0 else
                  "years_since(established_on) < 0", row) is Status.ELIGIBLE


# ------------------------------------------------------------------ per-year constructs


def _revenue(**years: int | None) -> dict[str, object]:
    return {f"revenue@{year[1:]}": (None if v is None else v * WAN) for year, v in years.items()}


FIRST_TIME = "first_time(revenue >= 2000万, last_year)"


@pytest.mark.parametrize(("row", "expected"), [
    (_revenue(y2023=1800, y2024=2100), Status.ELIGIBLE),
    (_revenue(y2022=2500, y2023=1900, y2024=2100), Status.INELIGIBLE),
    (_revenue(y2024=2100), Status.LIKELY),
    (_revenue(y2023=None, y2024=2100), Status.LIKELY),
    (_revenue(y2023=1800, y2024=1900), Status.INELIGIBLE),
    # the first record is 2021, so 2022 (unknown) is looked back on
    (_revenue(y2021=1000, y2023=1900, y2024=2100), Status.LIKELY),
    # years before the first record do not count; 2020 is outside nothing here
    (_revenue(y2021=1000, y2022=1500, y2023=1900, y2024=2100), Status.ELIGIBLE),
    (_revenue(y2020=3000, y2021=1000, y2022=1500, y2023=1900, y2024=2100), Status.INELIGIBLE),
    # 2019 is outside the history window (2020–2025) and is never read
    (_revenue(y2019=3000, y2023=1900, y2024=2100), Status.ELIGIBLE),
])
def test_first_time(row: dict[str, object], expected: Status) -> None:
    assert status(FIRST_TIME, row) is expected


def test_first_time_deciding_names_the_years_looked_back_on() -> None:
    result = evaluate(rule(FIRST_TIME), _revenue(y2021=1000, y2024=2100), AT)
    assert result.deciding == ("revenue@2022", "revenue@2023")


def test_count_years_is_unknown_when_any_year_is() -> None:
    row = {"major_accidents@2022": 1, "major_accidents@2023": 0}
    assert status("count_years(major_accidents > 0, last 3 years) >= 1", row) is Status.LIKELY
    row["major_accidents@2024"] = 0
    assert status("count_years(major_accidents > 0, last 3 years) >= 1", row) is Status.ELIGIBLE
    assert amount_of("1万 * count_years(major_accidents > 0, last 3 years)", {"major_accidents@2022": 1}) == \
        AmountRange(WAN, 3 * WAN)


def test_all_years_and_any_year_are_kleene_over_the_window() -> None:
    row = {"major_accidents@2022": 0, "major_accidents@2023": 1}
    assert status("all_years(major_accidents = 0, last 3 years)", row) is Status.INELIGIBLE
    assert status("any_year(major_accidents > 0, last 3 years)", row) is Status.ELIGIBLE
    row["major_accidents@2023"] = 0
    assert status("all_years(major_accidents = 0, last 3 years)", row) is Status.LIKELY
    assert status("any_year(major_accidents > 0, last 3 years)", row) is Status.LIKELY


# ------------------------------------------------------------------ compiled and item sets


def test_a_compiled_rule_decides_like_evaluate() -> None:
    compiled = compile_rule(rule(FIRST_TIME, "20万"), REGISTRY, AT)
    for row in (_revenue(y2023=1800, y2024=2100), _revenue(y2024=2100), {}):
        full = compiled.evaluate(row)
        assert compiled.decide(row) == (full.status, full.amount)


ITEMS = {
    "first": (FIRST_TIME, "20万"),
    "rd": ("has(qualifications, high_tech)", "min(10% * rd_expense[last_year], 100万)"),
    "same-atom": ("revenue[last_year] >= 2000万 and not serious_dishonesty", "up_to(5万)"),
    "growth": ("growth(revenue, last_year, year_before) > 20%", None),
    "either": ("revenue[last_year] >= 2000万 or has(qualifications, high_tech)",
               "if has(qualifications, high_tech) then 50万 else 20万"),
}

ROWS = st.fixed_dictionaries({}, optional={
    "revenue@2023": st.sampled_from([0, 1800 * WAN, 2500 * WAN]),
    "revenue@2024": st.sampled_from([0, 1900 * WAN, 2100 * WAN]),
    "rd_expense@2024": st.integers(0, 2000 * WAN),
    "serious_dishonesty": st.booleans(),
    "qualifications": st.just(True),
    "qualifications#high_tech.since": st.dates(date(2020, 1, 1), date(2026, 1, 1)),
})


@settings(deadline=None)
@given(row=ROWS)
def test_item_set_matches_the_evaluator_item_by_item(row: dict[str, object]) -> None:
    rules = {name: rule(*texts) for name, texts in ITEMS.items()}
    items = ItemSet(rules, REGISTRY, AT)
    assert items.distinct_atoms < sum(len(ast.atoms(r.condition)) for r in rules.values())
    expected = []
    for name, item in rules.items():
        result = evaluate(item, row, AT)
        if result.status is not Status.INELIGIBLE:
            expected.append((name, result.status, result.amount))
    assert items.match(row) == expected
