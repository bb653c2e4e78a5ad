"""The population engine (rules.population) against the single-entity evaluator: same status,
same amount, for every row and item (docs/rules.md §3–§5)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from tongban.rules import ast, population, synthetic
from tongban.rules.columns import tag_since, tag_until, yearly
from tongban.rules.evaluate import compile_rule
from tongban.rules.parser import parse_rule

AT = date(2025, 6, 30)

# E1–E10 (../shared/policy-examples.md) with codes as the type checker stores them, and more
# rules so that every node of ast.py is exercised.
RULES: dict[str, tuple[str, str | None]] = {
    "E1": (
        "registered_region within 350200 and tax_region within 350200 and industry within [B, C, D]"
        " and revenue[last_year] >= 2000万 and first_time(revenue >= 2000万, last_year)",
        "20万",
    ),
    "E2": ("has(qualifications, high_tech)", "min(10% * rd_expense[last_year], 100万)"),
    "E3": (
        "gained(qualifications, srdi_little_giant, last_year) or gained(qualifications, srdi_provincial, last_year)",
        "if gained(qualifications, srdi_little_giant, last_year) then 50万 else 20万",
    ),
    "E4": (
        "revenue[last_year] >= 5000万 and growth(revenue, last_year, year_before) > 20%",
        "min(1% * (revenue[last_year] - revenue[year_before]), 200万)",
    ),
    "E5": (
        "enterprise_size in [small, micro] and qualifying_hires[this_year] >= 1",
        "1000 * qualifying_hires[this_year]",
    ),
    "E6": (
        "years_since(established_on) < 3 and has(qualifications, tech_sme)"
        " and rd_expense[last_year] / revenue[last_year] >= 5%",
        "up_to(30万)",
    ),
    "E7": (
        "all_years(major_accidents = 0, last 3 years) and not serious_dishonesty"
        " and max_penalty[last_year] <= 10万",
        None,
    ),
    "E8": (
        "(insured_headcount[last_year] <= 30 and layoffs[last_year] / insured_headcount[last_year] <= 20%)"
        " or (insured_headcount[last_year] > 30 and layoffs[last_year] / insured_headcount[last_year] <= 5.5%)",
        "60% * unemployment_premium[last_year]",
    ),
    "E9": (
        "has(qualifications, headquarters) and local_contribution[last_year] > 500万",
        "min(50% * max(local_contribution[last_year] - local_contribution[year_before], 0), 1000万)",
    ),
    "E10": ("provincial_tech_grant[last_year] > 0", "min(0.5 * provincial_tech_grant[last_year], 300万)"),
    "between": (
        "export_share[last_year] between [10%, 60%] and capacity_utilisation between [50, 90]",
        "tiers(revenue[last_year], [500万: 5万, 2000万: 10万 + 1% * revenue[last_year], 1亿: 50万])",
    ),
    "rank": (
        "count_years(revenue >= 1000万, last 3 years) >= 2 and industry in [3911, 3921, 2641]",
        "rank_tiers(employees[last_year], [10: 30万, 100: 10万])",
    ),
    "sum": (
        "sum(tax_paid, last 3 years) >= 300万 or any_year(net_profit < 0, years(-4, -2))",
        "above(sum(tax_paid, last 3 years), 300万) * 0.055 + up_to(5万)",
    ),
    "if": (
        "(if enterprise_size in [micro] then employees[last_year] else patents[last_year]) >= 5",
        "max(2万, 0.3% * registered_capital) - 1万",
    ),
    "dates": (
        "established_on >= 2015-01-01 and not (registered_region within 350203)"
        " and years_since(2020-03-01) = 5",
        "10000 * count_years(patents >= 1, last 3 years)",
    ),
    "growth": (
        "growth(employees, last_year, year_before) >= 10% and min(employees[last_year], 50) >= 20",
        "if growth(revenue, last_year, year_before) > 15% then 20万 else up_to(10万)",
    ),
    "undefined": (
        "revenue[last_year] >= 0",
        "tiers(revenue[last_year] / revenue[year_before], [1: 10万, 2: 20万])"
        " + rank_tiers(growth(employees, last_year, year_before), [0.1: 1万])",
    ),
    "signed": (
        "net_profit[last_year] + net_profit[year_before] > 0 and registered_region in [350206, 350211]",
        "min(net_profit[last_year] * 10%, 50万)",
    ),
}


def _rules() -> dict[str, ast.Rule]:
    return {name: parse_rule(condition, amount) for name, (condition, amount) in RULES.items()}


def _expected(
    rules: dict[str, ast.Rule], table: pa.Table
) -> dict[tuple[str, int], tuple[int, int, int | None]]:
    compiled = {name: compile_rule(rule, at=AT) for name, rule in rules.items()}
    out: dict[tuple[str, int], tuple[int, int, int | None]] = {}
    for i, row in enumerate(table.to_pylist()):
        for name, rule in compiled.items():
            status, amount = rule.decide(row)
            if status.code:
                out[(name, i)] = (
                    status.code,
                    amount.low_fen if amount else 0,
                    amount.high_fen if amount else 0,
                )
    return out


def _got(result: population.PopulationResult) -> dict[tuple[str, int], tuple[int, int, int | None]]:
    return {
        (name, row): (status, low, high if high is not None else None)
        for name, row, status, low, high, _ in result.matches()
    }


def _compare(rules: dict[str, ast.Rule], table: pa.Table) -> int:
    expected = _expected(rules, table)
    got = _got(population.match(rules, table, AT))
    wrong = {
        k: (got.get(k), expected.get(k)) for k in set(got) | set(expected) if got.get(k) != expected.get(k)
    }
    assert not wrong, sorted(wrong.items())[:10]
    return len(expected)


@pytest.mark.parametrize("missing", [0.0, 0.2])
def test_every_construct_agrees_with_the_evaluator(missing: float) -> None:
    table = synthetic.enterprises_table(1500, AT, seed=7, missing=missing)
    assert _compare(_rules(), table) > 100


def test_synthetic_items_agree_with_the_evaluator() -> None:
    table = synthetic.enterprises_table(800, AT, seed=3, missing=0.15)
    rules = synthetic.items(300, seed=3)
    assert _compare(rules, table) > 1000


def _e1_table() -> pa.Table:
    def revenue(wan: dict[int, int | None]) -> dict[str, int | None]:
        return {yearly("revenue", y): (v * 10_000 * 100 if v is not None else None) for y, v in wan.items()}

    rows = [
        {**revenue({2023: 1800, 2024: 2100})},  # first time in 2024
        {**revenue({2022: 2500, 2023: 1900, 2024: 2100})},  # not first time
        {**revenue({2023: None, 2024: 2100})},  # history missing
        {**revenue({2021: 1000, 2022: None, 2023: 1500, 2024: 2100})},  # a gap: unknown
    ]
    common = {"registered_region": "350203", "tax_region": "350206", "industry": "3911"}
    columns = sorted({k for r in rows for k in r})
    data = {c: [r.get(c) for r in rows] for c in columns}
    data.update({k: [v] * len(rows) for k, v in common.items()})
    schema = {c: pa.int64() for c in columns}
    return pa.table({c: pa.array(v, type=schema.get(c, pa.string())) for c, v in data.items()})


def test_e1_first_time_cases() -> None:
    rules = {"E1": _rules()["E1"]}
    result = population.match(rules, _e1_table(), AT)
    assert result.for_row(0) == {"E1": (2, 20_000_000, 20_000_000)}
    assert result.for_row(1) == {}
    assert result.for_row(2) == {"E1": (1, 20_000_000, 20_000_000)}
    assert result.for_row(3)["E1"][0] == 1
    _compare(rules, _e1_table())


def test_e2_likely_with_cap_and_open_atoms() -> None:
    table = pa.table(
        {
            "qualifications": pa.array([True, True, True, None]),
            tag_since("qualifications", "high_tech"): pa.array(
                [date(2024, 1, 1)] * 3 + [None], type=pa.date32()
            ),
            tag_until("qualifications", "high_tech"): pa.array([date(2026, 12, 31)] * 4, type=pa.date32()),
            yearly("rd_expense", 2024): pa.array([300 * 10**6, 2000 * 10**6, None, None], type=pa.int64()),
        }
    )
    rules = {"E2": _rules()["E2"], "E6": _rules()["E6"]}
    result = population.match(rules, table, AT)
    assert result.for_row(0) == {"E2": (2, 30 * 10**6, 30 * 10**6)}
    assert result.for_row(1) == {"E2": (2, 100 * 10**6, 100 * 10**6)}
    assert result.for_row(2) == {"E2": (1, 0, 100 * 10**6)}
    assert result.for_row(3) == {"E2": (1, 0, 100 * 10**6), "E6": (1, 0, 30 * 10**6)}
    e2 = result.items["E2"]
    assert e2.open_atoms.tolist() == [0, 0, 0, 1]  # the unknown tag set stands in the way
    assert "E6" not in result.for_row(0)  # established_on unknown but tech_sme known absent: false
    _compare(rules, table)


def test_open_atoms_mark_what_stands_in_the_way() -> None:
    table = synthetic.enterprises_table(500, AT, seed=5, missing=0.2)
    rules = _rules()
    result = population.match(rules, table, AT)
    rows = table.to_pylist()
    for name, found in result.items.items():
        compiled = compile_rule(rules[name], at=AT)
        positive = population.polarities(rules[name].condition)[2]
        assert [ast.canonical_key(a) for a in found.atoms] == [ast.canonical_key(a) for a in compiled.atoms]
        for row, mask in zip(found.rows.tolist(), found.open_atoms.tolist(), strict=True):
            values = compiled.atom_values(rows[row])
            want = sum(1 << i for i, (v, p) in enumerate(zip(values, positive, strict=True)) if v is not p)
            assert mask == want, (name, row)


def test_empty_table_and_missing_columns() -> None:
    rules = _rules()
    empty = population.match(rules, pa.table({"industry": pa.array([], type=pa.string())}), AT)
    assert empty.total() == 0
    bare = pa.table({"industry": pa.array(["3911", None])})
    result = population.match(rules, bare, AT)
    _compare(rules, bare)
    assert result.for_row(0)  # everything unknown: likely items remain


def test_matching_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "matching.py"
    spec = importlib.util.spec_from_file_location("matching_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(
        ["--enterprises", "200", "--items", "20", "--python-rows", "50", "--single-rows", "20", "--json"]
    )
    assert report["agree"] is True
    assert set(report["engines"]) == {"tongban", "duckdb_sql", "openfisca_items", "openfisca_atoms", "python"}
    for engine in report["engines"].values():
        assert {"seconds", "peak_mb"} <= set(engine), engine
    assert report["engines"]["python"]["extrapolated_from"] == 50
    assert {"p50_ms", "p99_ms"} <= set(report["single"])
    assert '"agree": true' in capsys.readouterr().out
