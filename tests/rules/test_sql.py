"""The SQL compiler (rules/sql.py) against hand-checked expectations, on DuckDB and — when
``TONGBAN_TEST_DATABASE_URL`` is set, as in CI — on PostgreSQL; injection attempts stay data;
the Spark SQL parses back and means the same."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.columns import columns_read
from tongban.rules.parser import parse_rule
from tongban.rules.sql import compile_items, compile_rule, to_sql
from tongban.rules.typecheck import check_rule

from .test_agreement import arrow_table, postgres_rows, run_postgres, sql_outcomes

AT = date(2025, 6, 15)  # last year 2024, year before 2023
REGISTRY = builtin_registry()
POSTGRES_URL = os.environ.get("TONGBAN_TEST_DATABASE_URL")
WAN = 10_000 * 100  # 1万元 in fen

Row = dict[str, object]
Outcome = tuple[int, int | None, int | None]

E: dict[str, tuple[str, str | None]] = {
    "E1": ("registered_region within 厦门市 and tax_region within 3502 and industry within [B, C, D]"
           " and first_time(revenue >= 2000万, last_year)", "20万"),
    "E2": ("has(qualifications, 高新技术企业)", "min(10% * rd_expense[last_year], 100万)"),
    "E3": ("gained(qualifications, srdi_little_giant, last_year) or gained(qualifications, srdi_provincial, last_year)",
           "if gained(qualifications, srdi_little_giant, last_year) then 50万 else 20万"),
    "E4": ("revenue[last_year] >= 5000万 and growth(revenue, last_year, year_before) > 20%",
           "min(1% * (revenue[last_year] - revenue[year_before]), 200万)"),
    "E5": ("enterprise_size in [小型, 微型] and qualifying_hires[this_year] >= 1", "1000 * qualifying_hires[this_year]"),
    "E6": ("years_since(established_on) < 3 and has(qualifications, 科技型中小企业)"
           " and rd_expense[last_year] / revenue[last_year] >= 5%", "up_to(30万)"),
    "E7": ("all_years(major_accidents = 0, last 3 years) and not serious_dishonesty"
           " and all_years(max_penalty <= 10万, last 3 years)", None),
    "E8": ("(insured_headcount[last_year] <= 30 and layoffs[last_year] / insured_headcount[last_year] <= 20%)"
           " or (insured_headcount[last_year] > 30 and layoffs[last_year] / insured_headcount[last_year] <= 5.5%)",
           "60% * unemployment_premium[last_year]"),
    "E9": ("has(qualifications, 总部企业) and local_contribution[last_year] > 500万",
           "min(50% * above(local_contribution[last_year], local_contribution[year_before]), 1000万)"),
    "E10": ("provincial_tech_grant[last_year] > 0", "min(0.5 * provincial_tech_grant[last_year], 300万)"),
    # the rounding rule on negative money: 5.5% × −10 fen = −0.55 → −1; 5.5% × −9 = −0.495 → 0
    "R1": ("true", "5.5% * net_profit[last_year] + 1"),
    # halves round up (towards +∞): 50% × −3 fen = −1.5 → −1; 50% × 3 = 1.5 → 2
    "R2": ("true", "50% * net_profit[last_year] + 1"),
}

XIAMEN = {"registered_region": "350203", "tax_region": "350206", "industry": "3511"}
HIGH_TECH = {"qualifications": True, "qualifications#high_tech.since": date(2023, 1, 1)}

# (rule, row, expected outcome): status 0 ineligible / 1 likely / 2 eligible, amount in fen.
CASES: list[tuple[str, Row, Outcome]] = [
    ("E1", {**XIAMEN, "revenue@2023": 1800 * WAN, "revenue@2024": 2100 * WAN}, (2, 20 * WAN, 20 * WAN)),
    ("E1", {**XIAMEN, "revenue@2022": 2500 * WAN, "revenue@2023": 1900 * WAN, "revenue@2024": 2100 * WAN},
     (0, None, None)),
    ("E1", {**XIAMEN, "revenue@2024": 2100 * WAN}, (1, 20 * WAN, 20 * WAN)),  # 2023 unknown
    ("E1", {**XIAMEN, "revenue@2020": 100, "revenue@2022": 1000, "revenue@2023": 1000,
            "revenue@2024": 2100 * WAN}, (1, 20 * WAN, 20 * WAN)),  # 2021 unknown after the first record
    ("E1", {**XIAMEN, "industry": "C", "revenue@2023": 0, "revenue@2024": 2000 * WAN}, (2, 20 * WAN, 20 * WAN)),
    ("E1", {**XIAMEN, "industry": "0610", "revenue@2023": 0, "revenue@2024": 2000 * WAN}, (2, 20 * WAN, 20 * WAN)),
    ("E1", {**XIAMEN, "industry": "51", "revenue@2023": 0, "revenue@2024": 2000 * WAN}, (0, None, None)),
    ("E1", {**XIAMEN, "tax_region": "350102", "revenue@2023": 0, "revenue@2024": 2000 * WAN}, (0, None, None)),
    ("E2", {**HIGH_TECH, "rd_expense@2024": 300 * WAN}, (2, 30 * WAN, 30 * WAN)),
    ("E2", {**HIGH_TECH, "rd_expense@2024": 2000 * WAN}, (2, 100 * WAN, 100 * WAN)),
    ("E2", {**HIGH_TECH}, (1, 0, 100 * WAN)),
    ("E2", {**HIGH_TECH, "rd_expense@2024": 5}, (2, 1, 1)),  # 0.5 fen rounds up
    ("E2", {**HIGH_TECH, "rd_expense@2024": 4}, (2, 0, 0)),
    ("E2", {**HIGH_TECH, "qualifications#high_tech.until": date(2025, 6, 14)}, (0, None, None)),
    ("E2", {**HIGH_TECH, "qualifications#high_tech.until": date(2025, 6, 15), "rd_expense@2024": 10},
     (2, 1, 1)),
    ("E2", {"qualifications": True}, (0, None, None)),
    ("E2", {}, (1, 0, 100 * WAN)),
    ("E3", {"qualifications": True, "qualifications#srdi_little_giant.since": date(2024, 3, 1),
            "qualifications#srdi_provincial.since": date(2024, 1, 1)}, (2, 50 * WAN, 50 * WAN)),
    ("E3", {"qualifications": True, "qualifications#srdi_provincial.since": date(2024, 12, 31)},
     (2, 20 * WAN, 20 * WAN)),
    ("E3", {"qualifications": True, "qualifications#srdi_provincial.since": date(2025, 1, 1)}, (0, None, None)),
    ("E4", {"revenue@2023": 5000 * WAN, "revenue@2024": 6500 * WAN}, (2, 15 * WAN, 15 * WAN)),
    ("E4", {"revenue@2023": 5000 * WAN, "revenue@2024": 6000 * WAN}, (0, None, None)),  # exactly 20%
    ("E4", {"revenue@2023": 0, "revenue@2024": 6000 * WAN}, (0, None, None)),  # growth undefined
    ("E4", {"revenue@2024": 6000 * WAN}, (1, 0, 60 * WAN)),  # 1% × (6000万 − [0, ∞))
    ("E5", {"enterprise_size": "small", "qualifying_hires@2025": 3}, (2, 3000 * 100, 3000 * 100)),
    ("E5", {"enterprise_size": "medium", "qualifying_hires@2025": 3}, (0, None, None)),
    ("E5", {"enterprise_size": "micro"}, (1, 0, None)),
    ("E6", {"established_on": date(2022, 6, 16), "qualifications": True,
            "qualifications#tech_sme.since": date(2024, 6, 1), "rd_expense@2024": 5, "revenue@2024": 100},
     (2, 0, 30 * WAN)),  # up_to: eligible, the amount is the range up to the cap
    ("E6", {"established_on": date(2022, 6, 15), "qualifications": True,
            "qualifications#tech_sme.since": date(2024, 6, 1), "rd_expense@2024": 5, "revenue@2024": 100},
     (0, None, None)),  # three years old on the day
    ("E6", {"established_on": date(2024, 1, 1), "qualifications": True,
            "qualifications#tech_sme.since": date(2024, 6, 1), "rd_expense@2024": 5, "revenue@2024": 0},
     (0, None, None)),  # revenue 0: the ratio is undefined, the comparison false
    ("E6", {"established_on": date(2024, 1, 1), "qualifications": True,
            "qualifications#tech_sme.since": date(2024, 6, 1), "revenue@2024": 0}, (1, 0, 30 * WAN)),
    ("E7", {"major_accidents@2022": 0, "major_accidents@2023": 0, "major_accidents@2024": 0,
            "max_penalty@2022": 10 * WAN, "max_penalty@2023": 0, "max_penalty@2024": 0, "serious_dishonesty": False},
     (2, None, None)),
    ("E7", {"major_accidents@2022": 0, "major_accidents@2023": 0, "serious_dishonesty": False}, (1, None, None)),
    ("E7", {"major_accidents@2023": 1}, (0, None, None)),
    ("E8", {"insured_headcount@2024": 20, "layoffs@2024": 4, "unemployment_premium@2024": 12347},
     (2, 7408, 7408)),  # 20% ≤ 20%; 60% × 123.47元 = 74.082元
    ("E8", {"insured_headcount@2024": 200, "layoffs@2024": 11, "unemployment_premium@2024": 100}, (2, 60, 60)),
    ("E8", {"insured_headcount@2024": 200, "layoffs@2024": 12, "unemployment_premium@2024": 100}, (0, None, None)),
    ("E8", {"insured_headcount@2024": 0, "layoffs@2024": 0, "unemployment_premium@2024": 100}, (0, None, None)),
    ("E8", {"insured_headcount@2024": 10, "layoffs@2024": 0}, (1, 0, None)),
    ("E9", {"qualifications": True, "qualifications#headquarters.since": date(2020, 1, 1),
            "local_contribution@2023": 600 * WAN, "local_contribution@2024": 800 * WAN}, (2, 100 * WAN, 100 * WAN)),
    ("E9", {"qualifications": True, "qualifications#headquarters.since": date(2020, 1, 1),
            "local_contribution@2023": 900 * WAN, "local_contribution@2024": 800 * WAN}, (2, 0, 0)),
    ("E9", {"qualifications": True, "qualifications#headquarters.since": date(2020, 1, 1),
            "local_contribution@2024": 800 * WAN}, (1, 0, 400 * WAN)),
    ("E9", {"qualifications": True, "qualifications#headquarters.since": date(2020, 1, 1),
            "local_contribution@2024": 500 * WAN}, (0, None, None)),  # strictly more than 500万
    ("E10", {"provincial_tech_grant@2024": 100 * WAN}, (2, 50 * WAN, 50 * WAN)),
    ("E10", {"provincial_tech_grant@2024": 1000 * WAN}, (2, 300 * WAN, 300 * WAN)),
    ("E10", {"provincial_tech_grant@2024": 0}, (0, None, None)),
    ("R1", {"net_profit@2024": -10}, (2, 99, 99)),
    ("R1", {"net_profit@2024": -9}, (2, 100, 100)),
    ("R1", {"net_profit@2024": -2000000}, (2, 0, 0)),  # −110000 + 100: clamped at 0
    ("R1", {}, (1, 0, None)),  # a signed unknown: (−∞, +∞) clamped
    ("R2", {"net_profit@2024": -3}, (2, 99, 99)),
    ("R2", {"net_profit@2024": 3}, (2, 102, 102)),
]


def rule_of(name: str) -> ast.Rule:
    condition, amount = E[name]
    return check_rule(parse_rule(condition, amount), REGISTRY, condition_text=condition, amount_text=amount)


def columns_of(rule: ast.Rule) -> list[str]:
    return columns_read([rule.condition, *([rule.amount] if rule.amount is not None else [])], REGISTRY, AT)


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    if not POSTGRES_URL:
        pytest.skip("TONGBAN_TEST_DATABASE_URL is not set")
    import psycopg
    from sqlalchemy.engine import make_url

    connection = psycopg.connect(make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(
        hide_password=False))
    yield connection
    connection.close()


def on_duckdb(connection: duckdb.DuckDBPyConnection, rule: ast.Rule, batch: Sequence[Row],
              dialect_sql: str | None = None) -> list[Outcome]:
    table = arrow_table(REGISTRY, columns_of(rule), batch)
    connection.register("profiles", table)
    try:
        sql = dialect_sql or to_sql(compile_rule(rule, REGISTRY, AT), "duckdb")
        return sql_outcomes(connection.execute(sql).fetchall(), len(batch))
    finally:
        connection.unregister("profiles")


def grouped() -> list[tuple[str, list[Row], list[Outcome]]]:
    names = sorted({name for name, _, _ in CASES})
    return [(name, [row for n, row, _ in CASES if n == name], [out for n, _, out in CASES if n == name])
            for name in names]


@pytest.mark.parametrize(("name", "batch", "expected"), grouped(), ids=[g[0] for g in grouped()])
def test_policy_examples_on_duckdb(duck: duckdb.DuckDBPyConnection, name: str, batch: list[Row],
                                   expected: list[Outcome]) -> None:
    assert on_duckdb(duck, rule_of(name), batch) == expected


@pytest.mark.parametrize(("name", "batch", "expected"), grouped(), ids=[g[0] for g in grouped()])
def test_policy_examples_on_postgres(postgres: Any, name: str, batch: list[Row], expected: list[Outcome]) -> None:
    rule = rule_of(name)
    sql = to_sql(compile_rule(rule, REGISTRY, AT), "postgres")
    assert run_postgres(postgres, sql, REGISTRY, columns_of(rule), batch) == expected


def test_items_in_one_query_give_what_each_item_gives(duck: duckdb.DuckDBPyConnection) -> None:
    rules = {name: rule_of(name) for name in E}
    batch = [row for _, row, _ in CASES]
    columns = sorted({c for rule in rules.values() for c in columns_of(rule)})
    table = arrow_table(REGISTRY, columns, batch)
    duck.register("profiles", table)
    try:
        expected: set[tuple[object, ...]] = set()
        for name, rule in rules.items():
            single = duck.execute(to_sql(compile_rule(rule, REGISTRY, AT), "duckdb")).fetchall()
            expected.update((name, *found) for found in single)
        assert len(expected) > len(rules)
        for shape in ("shared", "union"):
            query = compile_items(rules, REGISTRY, AT, shape=shape)  # type: ignore[arg-type]
            found = duck.execute(to_sql(query, "duckdb")).fetchall()
            assert len(found) == len(expected) and set(found) == expected
    finally:
        duck.unregister("profiles")


def test_items_in_one_query_on_postgres(postgres: Any) -> None:
    rules = {name: rule_of(name) for name in E}
    batch = [row for _, row, _ in CASES]
    columns = sorted({c for rule in rules.values() for c in columns_of(rule)})
    expected: set[tuple[object, ...]] = set()
    for name, rule in rules.items():
        single = postgres_rows(postgres, to_sql(compile_rule(rule, REGISTRY, AT), "postgres"), REGISTRY, columns,
                               batch)
        expected.update((name, *found) for found in single)
    for shape in ("shared", "union"):
        query = to_sql(compile_items(rules, REGISTRY, AT, shape=shape), "postgres")  # type: ignore[arg-type]
        found = postgres_rows(postgres, query, REGISTRY, columns, batch)
        assert len(found) == len(expected) and set(found) == expected


def test_a_column_the_table_lacks_is_unknown(duck: duckdb.DuckDBPyConnection) -> None:
    rule = rule_of("E2")
    query = compile_rule(rule, REGISTRY, AT, columns={"subject", "qualifications"})
    table = arrow_table(REGISTRY, ["qualifications"], [{"qualifications": True}, {"qualifications": None}])
    duck.register("profiles", table)
    try:
        # e0: the set is known and no since column → holds no high_tech; e1: the set is unknown
        assert duck.execute(to_sql(query, "duckdb")).fetchall() == [("e1", 1, 0, 100 * WAN)]
    finally:
        duck.unregister("profiles")


# ------------------------------------------------------------------ injection

EVIL = ("x'); DROP TABLE profiles; --", 'a"b; DELETE FROM profiles', "c\\'; SELECT 1; --", "$$; --")


@pytest.mark.parametrize("evil", EVIL)
def test_codes_and_tags_with_quotes_stay_literal(duck: duckdb.DuckDBPyConnection, evil: str) -> None:
    rule = ast.Rule(ast.Or((
        ast.In(ast.Attr("enterprise_size"), (evil, "small")),
        ast.Within(ast.Attr("registered_region"), (evil,)),
        ast.Within(ast.Attr("industry"), (evil,)),
        ast.Has("qualifications", evil),
    )), ast.Number(Decimal(1)))
    since = f"qualifications#{evil}.since"
    columns = ["enterprise_size", "registered_region", "industry", "qualifications", since,
               f"qualifications#{evil}.until"]
    batch: list[Row] = [
        {"enterprise_size": evil, "registered_region": "350203", "industry": "C", "qualifications": True},
        {"enterprise_size": "large", "registered_region": "350203", "industry": "C", "qualifications": True,
         since: date(2020, 1, 1)},
        {"enterprise_size": "large", "registered_region": evil, "industry": "C", "qualifications": True},
        {"enterprise_size": "large", "registered_region": "350203", "industry": "C", "qualifications": True},
    ]
    table = arrow_table(REGISTRY, columns, batch)
    duck.register("profiles", table)
    try:
        for dialect in ("duckdb", "postgres", "spark"):
            sql = to_sql(compile_rule(rule, REGISTRY, AT), dialect)  # type: ignore[arg-type]
            parsed = sqlglot.parse(sql, read=dialect)
            assert len(parsed) == 1 and isinstance(parsed[0], exp.Select), sql
        found = duck.execute(to_sql(compile_rule(rule, REGISTRY, AT), "duckdb")).fetchall()
        assert sorted(r[0] for r in found) == ["e0", "e1", "e2"]
    finally:
        duck.unregister("profiles")
    assert duck.execute("SELECT 1").fetchall() == [(1,)]


def test_injection_stays_literal_on_postgres(postgres: Any) -> None:
    evil = EVIL[0]
    rule = ast.Rule(ast.In(ast.Attr("enterprise_size"), (evil,)), None)
    sql = to_sql(compile_rule(rule, REGISTRY, AT), "postgres")
    found = run_postgres(postgres, sql, REGISTRY, ["enterprise_size"],
                         [{"enterprise_size": evil}, {"enterprise_size": "small"}])
    assert found == [(2, None, None), (0, None, None)]


# ------------------------------------------------------------------ Spark SQL


def test_spark_sql_parses_and_means_the_same(duck: duckdb.DuckDBPyConnection) -> None:
    for name, batch, expected in grouped():
        rule = rule_of(name)
        spark = to_sql(compile_rule(rule, REGISTRY, AT), "spark")
        tree = sqlglot.parse_one(spark, read="spark")
        assert "`revenue@2024`" in spark or "`" in spark
        assert '"' not in spark  # identifiers in backticks, strings in single quotes
        # Read back as Spark SQL and run on DuckDB: the same meaning survives the dialect.
        assert on_duckdb(duck, rule, batch, tree.sql("duckdb")) == expected, name


def test_spark_sql_key_constructs() -> None:
    rule = rule_of("E2")
    spark = to_sql(compile_rule(rule, REGISTRY, AT), "spark")
    assert " DIV " in spark and "//" not in spark  # exact integer division for the rounding rule
    assert "`qualifications#high_tech.since`" in spark
    assert "CAST('2025-06-15' AS DATE)" in spark
    ratio = to_sql(compile_rule(rule_of("E6"), REGISTRY, AT), "spark")
    assert "CAST(`rd_expense@2024` AS DOUBLE) / CAST(`revenue@2024` AS DOUBLE)" in ratio
    items = to_sql(compile_items({"a": rule, "b": rule_of("E1")}, REGISTRY, AT), "spark")
    assert "MATERIALIZED" not in items and "UNION ALL" in items
    sqlglot.parse_one(items, read="spark")
    industry = to_sql(compile_rule(rule_of("E1"), REGISTRY, AT), "spark")
    assert "LEFT(`industry`, 2) IN ('13'" in industry and "`industry` = 'C'" in industry
    assert "LEFT(`registered_region`, 4) = '3502'" in industry


def test_postgres_integer_division_is_exact_for_negative_values() -> None:
    sql = to_sql(compile_rule(rule_of("R1"), REGISTRY, AT), "postgres")
    assert "DIV(" in sql and "%" in sql
