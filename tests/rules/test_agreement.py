"""One meaning, four back-ends (docs/rules.md): random well-typed trees and random data with
missing values must give the same status and amount per row from the single-entity evaluator,
the population engine, DuckDB SQL and PostgreSQL SQL.

The PostgreSQL leg runs when ``TONGBAN_TEST_DATABASE_URL`` is set (always in CI): the rows go
into a TEMP table that is dropped with the transaction of each example.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongban.profiles.attributes import AttributeRegistry, builtin_registry
from tongban.rules import ast
from tongban.rules.columns import ARROW_TYPES, columns_read
from tongban.rules.evaluate import evaluate
from tongban.rules.population import match
from tongban.rules.sql import compile_rule, to_sql

from .strategies import rows, well_typed_rules

AT = date(2025, 6, 15)
REGISTRY = builtin_registry()
POSTGRES_URL = os.environ.get("TONGBAN_TEST_DATABASE_URL")
KEY = "subject"
SKIP = set(os.environ.get("TONGBAN_AGREEMENT_SKIP", "").split(","))  # for local bisecting only

Outcome = tuple[int, int | None, int | None]  # status (0 ineligible), low, high (None unbounded)

_PG_TYPES = {"int64": "BIGINT", "float64": "DOUBLE PRECISION", "bool": "BOOLEAN", "date32": "DATE",
             "string": "TEXT"}


def arrow_type(registry: AttributeRegistry, column: str) -> str:
    if "#" in column:
        return "date32"
    return ARROW_TYPES[registry[column.split("@", 1)[0]].type]


def arrow_table(registry: AttributeRegistry, columns: Sequence[str], batch: Sequence[dict[str, object]]) -> pa.Table:
    arrays = {KEY: pa.array([f"e{i}" for i in range(len(batch))], type=pa.string())}
    for column in columns:
        arrays[column] = pa.array([row.get(column) for row in batch], type=pa.type_for_alias(
            arrow_type(registry, column)))
    return pa.table(arrays)


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    if not POSTGRES_URL:
        yield None
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(url)
    yield connection
    connection.close()


def sql_outcomes(result: Sequence[tuple[Any, ...]], n: int) -> list[Outcome]:
    found = {str(k): (int(s), lo, hi) for k, s, lo, hi in result}
    return [found.get(f"e{i}", (0, None, None)) for i in range(n)]


def run_duckdb(connection: duckdb.DuckDBPyConnection, sql: str, table: pa.Table) -> list[Outcome]:
    connection.register("profiles", table)
    try:
        return sql_outcomes(connection.execute(sql).fetchall(), table.num_rows)
    finally:
        connection.unregister("profiles")


def run_postgres(connection: Any, sql: str, registry: AttributeRegistry, columns: Sequence[str],
                 batch: Sequence[dict[str, object]]) -> list[Outcome]:
    return sql_outcomes(postgres_rows(connection, sql, registry, columns, batch), len(batch))


def postgres_rows(connection: Any, sql: str, registry: AttributeRegistry, columns: Sequence[str],
                  batch: Sequence[dict[str, object]]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` over a TEMP table ``profiles`` of the batch (dropped afterwards)."""
    from psycopg import sql as pgsql

    names = [KEY, *columns]
    definition = pgsql.SQL(", ").join(
        pgsql.SQL("{} {}").format(pgsql.Identifier(c), pgsql.SQL(_PG_TYPES["string" if c == KEY else
                                                                           arrow_type(registry, c)]))
        for c in names
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(pgsql.SQL("CREATE TEMP TABLE profiles ({}) ON COMMIT DROP").format(definition))
            insert = pgsql.SQL("INSERT INTO profiles ({}) VALUES ({})").format(
                pgsql.SQL(", ").join(pgsql.Identifier(c) for c in names),
                pgsql.SQL(", ").join(pgsql.Placeholder() for _ in names))
            cursor.executemany(insert, [[f"e{i}", *(row.get(c) for c in columns)] for i, row in enumerate(batch)])
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.rollback()


def evaluator_outcome(rule: ast.Rule, row: dict[str, object]) -> Outcome:
    result = evaluate(rule, row, AT, REGISTRY)
    status = result.status.code
    if status == 0 or result.amount is None:
        return status, None, None
    return status, result.amount.low_fen, result.amount.high_fen


def population_outcomes(rule: ast.Rule, table: pa.Table) -> list[Outcome]:
    result = match({"item": rule}, table, AT, REGISTRY)
    out: list[Outcome] = []
    for i in range(table.num_rows):
        found = result.for_row(i).get("item")
        if found is None:
            out.append((0, None, None))
        elif rule.amount is None:
            out.append((found[0], None, None))
        else:
            out.append(found)
    return out


def disagreement(rule: ast.Rule, row: dict[str, object], results: dict[str, Outcome]) -> str:
    printable = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
    return (f"back-ends disagree at {AT}\nrule: {json.dumps(rule.to_json(), ensure_ascii=False)}\n"
            f"row: {json.dumps(printable, ensure_ascii=False)}\n"
            + "\n".join(f"  {name}: {outcome}" for name, outcome in results.items()))


def check(rule: ast.Rule, batch: list[dict[str, object]], duck: duckdb.DuckDBPyConnection, postgres: Any) -> None:
    columns = columns_read([rule.condition, *([rule.amount] if rule.amount is not None else [])], REGISTRY, AT)
    table = arrow_table(REGISTRY, columns, batch)
    select = compile_rule(rule, REGISTRY, AT, table="profiles", key=KEY)
    legs: dict[str, list[Outcome]] = {
        "evaluator": [evaluator_outcome(rule, row) for row in batch],
        "duckdb": run_duckdb(duck, to_sql(select, "duckdb"), table),
    }
    if "population" not in SKIP:
        legs["population"] = population_outcomes(rule, table)
    if postgres is not None:
        legs["postgres"] = run_postgres(postgres, to_sql(select, "postgres"), REGISTRY, columns, batch)
    for i, row in enumerate(batch):
        results = {name: outcomes[i] for name, outcomes in legs.items()}
        assert len(set(results.values())) == 1, disagreement(rule, row, results)


@settings(deadline=None, max_examples=int(os.environ.get("TONGBAN_AGREEMENT_EXAMPLES", "100")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_backend_gives_the_same_status_and_amount(data: st.DataObject, duck: duckdb.DuckDBPyConnection,
                                                        postgres: Any) -> None:
    rule = data.draw(well_typed_rules(REGISTRY, AT), label="rule")
    columns = columns_read([rule.condition, *([rule.amount] if rule.amount is not None else [])], REGISTRY, AT)
    batch = data.draw(st.lists(rows(REGISTRY, AT, columns), min_size=20, max_size=30), label="rows")
    check(rule, batch, duck, postgres)
