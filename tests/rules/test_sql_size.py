"""The size of the compiled SQL stays linear in the size of the rule, as PostgreSQL plans it.

The compiler names large repeated values in layers of ``SELECT *, expr AS name`` (``Lets`` in
``rules/sql_values.py``). PostgreSQL flattens a subquery in FROM into the query above unless it
has a LIMIT or OFFSET, putting each name's expression back in place of every use: the planner
then sees the tree without its sharing, exponential in the depth of the rule (a random rule
once failed in CI with ``invalid memory alloc request size 1073741824``). ``planned_size``
counts the nodes of the query after that flattening; each layer's ``OFFSET 0`` keeps it linear.

Before the fence (and the sharing of equal expressions), the chain of rank tiers below at depth
6 planned as 5·10^11 nodes, and depth 3 took PostgreSQL four minutes to EXPLAIN; now it is
about 5,000 nodes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from tongban.rules import ast
from tongban.rules.columns import columns_read
from tongban.rules.parser import parse_rule
from tongban.rules.sql import Dialect, compile_items, compile_rule, to_sql
from tongban.rules.typecheck import check_rule

from .strategies import rows, well_typed_rules
from .test_agreement import AT, REGISTRY, check

POSTGRES_URL = os.environ.get("TONGBAN_TEST_DATABASE_URL")

# Bounds per distinct subtree of the rule (``rule_size``), from measurement with about 2×
# headroom: random rules reach 2,500 characters and 280 planned nodes per subtree (small rules,
# where first_time's years and the fixed frame of the query dominate); the deep ones below
# 1,300 and 240 (a chain of rank tiers tends to 2,300 characters: each level adds only two
# distinct subtrees).
TEXT_PER_NODE = 5000
PLANNED_PER_NODE = 600


def planned_size(query: exp.Expr) -> int:
    """Nodes of ``query`` once every layer without LIMIT or OFFSET is flattened into the query
    above, each named column replaced by its expression (what PostgreSQL's planner does)."""
    names: dict[str, exp.Expr] = {}
    for select in query.find_all(exp.Select):
        if select.args.get("offset") is None and select.args.get("limit") is None:
            for e in select.expressions:
                if isinstance(e, exp.Alias) and e.alias.startswith("__r"):
                    names[e.alias] = e.this
    sizes: dict[str, int] = {}

    def size(e: exp.Expr) -> int:
        total = 0
        for node in e.walk():
            if isinstance(node, exp.Column) and node.name in names:
                if node.name not in sizes:
                    sizes[node.name] = size(names[node.name])
                total += sizes[node.name]
            else:
                total += 1
        return total

    return size(query)


def rule_size(rule: ast.Rule) -> int:
    """Distinct subtrees of the rule: a subtree written twice compiles to the same names."""
    roots = [rule.condition, *([rule.amount] if rule.amount is not None else [])]
    return len({ast.canonical_key(node) for root in roots for node in ast.walk(root)})


# Deep amounts: each builds level n + 1 from level n (``x``).
DEEP: dict[str, tuple[str, Callable[[str], str]]] = {
    "rank_tiers_chain": ("net_profit[last_year]", lambda x: (
        f"rank_tiers({x} - revenue[last_year], [0: 5, 100万: 100万, 500万: 500万])")),
    "tiers_of_ratios": ("net_profit[last_year]", lambda x: (
        f"tiers({x} / tax_paid[last_year], [0.1: 100, 0.5: net_profit[last_year]])")),
    "min_max_chain": ("net_profit[last_year]", lambda x: (
        f"min(max({x} - tax_paid[last_year], {x} + 100), 500万)")),
    "if_above": ("net_profit[last_year]", lambda x: (
        f"if {x} > 100 then above({x}, revenue[last_year]) else {x} - tax_paid[this_year]")),
    "tiers_of_min_max_caps": ("net_profit[last_year]", lambda x: (
        f"tiers(min(max({x} * 30%, {x} + revenue[last_year]), up_to(above({x}, tax_paid[last_year]))),"
        f" [0: {x}, 100万: above({x}, 10)])")),
}
DEPTHS = {"tiers_of_min_max_caps": 3}  # its tree grows 5× a level


def deep_rule(family: str, depth: int) -> ast.Rule:
    amount, step = DEEP[family]
    for _ in range(depth):
        amount = step(amount)
    condition = "revenue[last_year] > 0 or net_profit[last_year] < 0"
    return check_rule(parse_rule(condition, amount), REGISTRY, condition_text=condition, amount_text=amount)


def assert_linear(rule: ast.Rule) -> None:
    nodes = rule_size(rule)
    query = compile_rule(rule, REGISTRY, AT)
    planned = planned_size(query)
    assert planned <= PLANNED_PER_NODE * nodes, f"{planned} planned nodes for {nodes} rule nodes"
    dialects: tuple[Dialect, ...] = ("duckdb", "postgres", "spark")
    for dialect in dialects:
        text = len(to_sql(query, dialect))
        assert text <= TEXT_PER_NODE * nodes, f"{text} characters of {dialect} for {nodes} rule nodes"


@pytest.mark.parametrize("family", sorted(DEEP))
def test_deep_amounts_compile_to_linear_sql(family: str) -> None:
    for depth in range(1, DEPTHS.get(family, 6) + 1):
        assert_linear(deep_rule(family, depth))


def test_items_sharing_deep_amounts_plan_linearly() -> None:
    rules = {f"{family}{depth}": deep_rule(family, depth) for family in DEEP for depth in (1, 3)}
    query = compile_items(rules, REGISTRY, AT)
    nodes = sum(rule_size(rule) for rule in rules.values())
    assert planned_size(query) <= PLANNED_PER_NODE * nodes


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(rule=well_typed_rules(REGISTRY, AT, depth=4))
def test_random_rules_compile_to_linear_sql(rule: ast.Rule) -> None:
    assert_linear(rule)


def test_spark_sql_has_no_offset_fences() -> None:
    query = compile_rule(deep_rule("rank_tiers_chain", 3), REGISTRY, AT)
    assert "OFFSET 0" in to_sql(query, "postgres") and "OFFSET 0" in to_sql(query, "duckdb")
    assert "OFFSET" not in to_sql(query, "spark")


# ------------------------------------------------------------ on the databases


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

    url = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    # a regression must fail here, not take the shared server's memory
    connection = psycopg.connect(url, options="-c statement_timeout=60000")
    yield connection
    connection.close()


@pytest.mark.parametrize("family", ["rank_tiers_chain", "tiers_of_min_max_caps"])
@settings(deadline=None, max_examples=3, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_deep_rules_plan_and_agree_on_postgres(data: st.DataObject, family: str, duck: duckdb.DuckDBPyConnection,
                                               postgres: Any) -> None:
    rule = deep_rule(family, DEPTHS.get(family, 6))
    assert_linear(rule)  # before PostgreSQL sees it
    assert rule.amount is not None
    columns = columns_read([rule.condition, rule.amount], REGISTRY, AT)
    batch = data.draw(st.lists(rows(REGISTRY, AT, columns), min_size=20, max_size=30), label="rows")
    check(rule, batch, duck, postgres)
