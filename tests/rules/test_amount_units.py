"""Per-head amounts inside min / max / if / above agree on every back-end: a plain number times a
count met by money is yuan per head (``min(500 * insured_headcount[last_year], 20万)`` pays
10,000元 for 20 insured staff, not 100元). Found by the demo's policies; the random agreement
search had not drawn this shape."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.rules.test_agreement import AT, REGISTRY, check, duck, postgres  # noqa: F401 - fixtures
from tongban.rules import ast
from tongban.rules.evaluate import evaluate
from tongban.rules.parser import parse_rule
from tongban.rules.typecheck import check_rule

AMOUNTS = {
    "min(500 * insured_headcount[last_year], 20万)": 10_000,
    "max(500 * insured_headcount[last_year], 1万)": 10_000,
    "min(3000 * above(insured_headcount[last_year], 5), 30万)": 45_000,
    "min(1000 * insured_headcount[last_year], 1万)": 10_000,
    "if insured_headcount[last_year] > 10 then 500 * insured_headcount[last_year] else 1000": 10_000,
    "up_to(min(500 * insured_headcount[last_year], 20万))": 10_000,
    # plain numbers inside min / max / if / above are yuan too, whatever surrounds them
    "min(0, 0) + 1": 1,
    "min(1, 2) * 2": 2,
    "max(3, 4) + min(1, 2)": 5,
    "above(5, 2) * 2 + 1": 7,
}


def _rule(amount: str) -> ast.Rule:
    return check_rule(parse_rule("registered_capital >= 0", amount), REGISTRY, amount_text=amount)


@pytest.mark.parametrize("amount", sorted(AMOUNTS))
def test_per_head_amounts_are_yuan_per_head(
    amount: str,
    duck: duckdb.DuckDBPyConnection,  # noqa: F811 - the fixture imported above
    postgres: Any,  # noqa: F811
) -> None:
    rule = _rule(amount)
    last_year = AT.year - 1
    row: dict[str, object] = {"registered_capital": 100, f"insured_headcount@{last_year}": 20}
    result = evaluate(rule, row, AT, REGISTRY)
    assert result.amount is not None
    assert result.amount.high_fen == AMOUNTS[amount] * 100
    rows: list[dict[str, object]] = [
        row,
        {"registered_capital": 100},
        {**row, f"insured_headcount@{last_year}": 0},
    ]
    check(rule, rows, duck, postgres)


@pytest.mark.parametrize(
    "amount", ["up_to(net_profit[last_year]) + 10", "tiers(up_to(net_profit[last_year]), [0: 1万, 10: 2万])"]
)
def test_a_cap_below_zero_pays_nothing(
    amount: str,
    duck: duckdb.DuckDBPyConnection,  # noqa: F811 - the fixture imported above
    postgres: Any,  # noqa: F811
) -> None:
    rule = _rule(amount)
    last_year = AT.year - 1
    rows: list[dict[str, object]] = [
        {"registered_capital": 100, f"net_profit@{last_year}": -1000},
        {"registered_capital": 100, f"net_profit@{last_year}": 5000},
        {"registered_capital": 100},
    ]
    result = evaluate(rule, rows[0], AT, REGISTRY)
    assert result.amount is not None and result.amount.low_fen <= (result.amount.high_fen or 0)
    check(rule, rows, duck, postgres)
