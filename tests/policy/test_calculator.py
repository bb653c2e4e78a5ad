"""The calculator: figures in, eligibility, amount and explanation out (policy-examples.md)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.policy.test_library import MOMENT, new_policy, publish
from tongban.kernel.clock import Clock
from tongban.kernel.errors import ValidationFailed
from tongban.policy import jobs
from tongban.policy.library_calculator import calculate, parse_money
from tongban.rules.evaluate import Status

E1_FIGURES = {
    "registered_region": "思明区",
    "tax_region": "350200",
    "industry": "C3911",
    "revenue@2024": "1800万",
}


@pytest.fixture
def items(
    demo_city: dict[str, Any], db: Session, frozen_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    frozen_clock.freeze(MOMENT)  # 2026: last year is 2025
    monkeypatch.setattr(jobs, "match_items", lambda *args, **kwargs: None)
    policy = new_policy(db)
    found = {"e1": publish(db, policy, "e01"), "e2": publish(db, policy, "e02", title="研发费用补助")}
    db.commit()
    return found


def test_e1_first_time_above_scale_is_eligible_for_20_wan(db: Session, items: dict[str, str]) -> None:
    result = calculate(db, items["e1"], E1_FIGURES | {"revenue@2025": "2,100万"})
    assert result.status is Status.ELIGIBLE
    assert result.amount_text == "20万元"
    assert result.lines[0].startswith("结论：符合条件")


def test_e1_below_the_threshold_says_how_much_is_missing(db: Session, items: dict[str, str]) -> None:
    result = calculate(db, items["e1"], E1_FIGURES | {"revenue@2025": "1900万"})
    assert result.status is Status.INELIGIBLE
    assert any("还差100万元" in m for m in result.near_misses)
    english = calculate(db, items["e1"], E1_FIGURES | {"revenue@2025": "19000000"}, "en")
    assert any("CNY 1,000,000" in m for m in english.near_misses)


def test_missing_figures_are_unknown_not_zero(db: Session, items: dict[str, str]) -> None:
    result = calculate(db, items["e1"], {"registered_region": "思明区", "revenue@2025": "2100万"})
    assert result.status is Status.LIKELY
    assert any("纳税地" in d for d in result.deciding)
    assert any("营业收入" in d for d in result.deciding)  # the year before decides "first time"


def test_e2_capped_amount_and_likely_without_rd(db: Session, items: dict[str, str]) -> None:
    holds = {"qualifications#high_tech": "yes", "qualifications#high_tech.since": "2024-01-01"}
    assert calculate(db, items["e2"], holds | {"rd_expense@2025": "300万"}).amount_text == "30万元"
    assert calculate(db, items["e2"], holds | {"rd_expense@2025": "5000万"}).amount_text == "100万元"
    likely = calculate(db, items["e2"], holds)
    assert likely.status is Status.LIKELY and "100万元" in likely.amount_text
    assert calculate(db, items["e2"], {"qualifications#high_tech": "no"}).status is Status.INELIGIBLE


def test_bad_figures_are_field_errors(db: Session, items: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as error:
        calculate(
            db,
            items["e1"],
            {
                "revenue@2025": "很多",
                "registered_region": "火星",
                "industry": "ZZ",
                "no_such": "1",
                "revenue@2024": "-5",
            },
        )
    fields = {p.field for p in error.value.fields}
    assert {"revenue@2025", "no_such"} <= fields
    with pytest.raises(ValidationFailed) as error:
        calculate(db, items["e1"], {"registered_region": "火星", "revenue@2024": "-5", "industry": "ZZ"})
    assert {p.field for p in error.value.fields} == {"registered_region", "revenue@2024", "industry"}


def test_money_accepts_wan_and_yi() -> None:
    assert parse_money("2,100万") == 21_000_000
    assert parse_money("0.21亿") == 21_000_000
    assert parse_money("2100万元") == 21_000_000
    assert parse_money("abc") is None


FIGURE = st.one_of(
    st.just(""),
    st.integers(min_value=-(10**12), max_value=10**13).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.sampled_from(["2100万", "1.5亿", "万", "1e400", "NaN", "思明区", "C", "yes", "2024-13-01", "\u3000"]),
    st.text(max_size=120),
)
FIELDS = ["registered_region", "tax_region", "industry", "revenue@2025", "revenue@2024", "revenue@2023"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(figures=st.dictionaries(st.sampled_from(FIELDS), FIGURE, max_size=6))
def test_any_figures_give_a_result_or_field_errors(
    db: Session, items: dict[str, str], figures: dict[str, str]
) -> None:
    try:
        result = calculate(db, items["e1"], figures)
    except ValidationFailed as error:
        assert error.fields and all(p.field in FIELDS for p in error.fields)
    else:
        assert result.status in (Status.ELIGIBLE, Status.LIKELY, Status.INELIGIBLE)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(low=st.integers(0, 10**8), high=st.integers(0, 10**8))
def test_more_revenue_never_makes_e1_worse_and_more_rd_never_pays_less(
    db: Session, items: dict[str, str], low: int, high: int
) -> None:
    low, high = sorted((low, high))
    rank = {Status.INELIGIBLE: 0, Status.LIKELY: 1, Status.ELIGIBLE: 2}
    base = E1_FIGURES | {"revenue@2024": "1000万"}
    poorer = calculate(db, items["e1"], base | {"revenue@2025": str(low)})
    richer = calculate(db, items["e1"], base | {"revenue@2025": str(high)})
    assert rank[poorer.status] <= rank[richer.status]
    holds = {"qualifications#high_tech": "yes"}
    less = calculate(db, items["e2"], holds | {"rd_expense@2025": str(low)}).amount
    more = calculate(db, items["e2"], holds | {"rd_expense@2025": str(high)}).amount
    assert less is not None and more is not None and less.low_fen <= more.low_fen
