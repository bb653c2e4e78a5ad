"""One enterprise re-matched against 1,000 generated items (DESIGN §8: p50 ≤ 2 ms, p99 ≤ 10 ms).

Items have 3–8 atoms drawn from a shared pool (so atoms repeat across items, as in real
policies) combined with and/or/not, and amounts with random rates, caps, tiers and up_to
(mostly distinct per item). Rows are random and generous (~160 items match per enterprise).

    .venv/bin/python benchmarks/rules_itemset.py [--items 1000] [--rows 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date
from decimal import Decimal

from tongban.rules import ast
from tongban.rules.itemset import ItemSet

AT = date(2025, 6, 1)
TAGS = ["high_tech", "tech_sme", "srdi_provincial", "srdi_little_giant", "headquarters", "gazelle"]
MONEY_KEYS = ["revenue", "tax_paid", "local_contribution", "rd_expense", "unemployment_premium"]


def _money(value: int) -> ast.Number:
    return ast.Number(Decimal(value))


def atom_pool(rng: random.Random) -> list[ast.Node]:
    pool: list[ast.Node] = [
        ast.Within(ast.Attr("registered_region"), ("350200",)),
        ast.Within(ast.Attr("tax_region"), ("350200",)),
        ast.Within(ast.Attr("registered_region"), ("350203",)),
        ast.Within(ast.Attr("industry"), ("C",)),
        ast.Within(ast.Attr("industry"), ("B", "C", "D")),
        ast.Within(ast.Attr("industry"), ("I",)),
        ast.In(ast.Attr("enterprise_size"), ("small", "micro")),
        ast.Not(ast.Attr("serious_dishonesty")),
        ast.AllYears(
            ast.Compare("=", ast.Attr("major_accidents"), ast.Number(Decimal(0))), ast.Window(-3, -1)
        ),
        ast.AllYears(ast.Compare("<=", ast.Attr("max_penalty"), _money(100_000)), ast.Window(-3, -1)),
        ast.Compare("<", ast.YearsSince(ast.Attr("established_on")), ast.Number(Decimal(3))),
    ]
    pool += [ast.Has("qualifications", tag) for tag in TAGS]
    pool += [ast.Gained("qualifications", tag, ast.Window(-1, -1)) for tag in TAGS]
    for key in MONEY_KEYS:
        for threshold in (500, 1000, 2000, 5000, 10000):
            pool.append(ast.Compare(">=", ast.Attr(key, -1), _money(threshold * 10_000)))
    for threshold in (1000, 2000, 5000):
        pool.append(ast.FirstTime(ast.Compare(">=", ast.Attr("revenue"), _money(threshold * 10_000)), -1))
    for rate in (5, 10, 20, 30):
        pool.append(ast.Compare(">", ast.Growth("revenue", -1, -2), ast.Percent(Decimal(rate))))
    for share in (3, 5, 8):
        pool.append(
            ast.Compare(
                ">=",
                ast.Arith("/", ast.Attr("rd_expense", -1), ast.Attr("revenue", -1)),
                ast.Percent(Decimal(share)),
            )
        )
    for n in (10, 30, 100):
        pool.append(ast.Compare(">=", ast.Attr("employees", -1), ast.Number(Decimal(n))))
    rng.shuffle(pool)
    return pool


def amount(rng: random.Random) -> ast.Node | None:
    key = rng.choice(MONEY_KEYS)
    shapes: list[ast.Node | None] = [
        None,
        _money(rng.choice([10, 20, 50]) * 10_000),
        ast.Extremum(
            "min",
            (
                ast.Arith("*", ast.Percent(Decimal(rng.randint(1, 30))), ast.Attr(key, -1)),
                _money(rng.randint(1, 200) * 10_000),
            ),
        ),
        ast.UpTo(_money(rng.randint(1, 100) * 10_000)),
        ast.Tiers(
            ast.Attr("revenue", -1),
            (
                ast.TierStep(Decimal(rng.randint(1, 5) * 10_000_000), _money(rng.randint(1, 20) * 10_000)),
                ast.TierStep(Decimal(100_000_000), _money(rng.randint(20, 50) * 10_000)),
            ),
        ),
        ast.Arith("*", _money(1000), ast.Attr("qualifying_hires", 0)),
    ]
    return rng.choice(shapes)


def items(count: int, rng: random.Random) -> dict[str, ast.Rule]:
    pool = atom_pool(rng)
    out: dict[str, ast.Rule] = {}
    for i in range(count):
        chosen = rng.sample(pool, rng.randint(3, 8))
        if len(chosen) > 4 and rng.random() < 0.3:
            condition: ast.Node = ast.And((*chosen[:-2], ast.Or((chosen[-2], ast.Not(chosen[-1])))))
        else:
            condition = ast.And(tuple(chosen))
        out[f"item-{i:04d}"] = ast.Rule(condition, amount(rng))
    return out


def row(rng: random.Random) -> dict[str, object]:
    data: dict[str, object] = {
        "registered_region": rng.choice(["350203", "350206", "350100"]),
        "tax_region": rng.choice(["350203", "350206", None]),
        "industry": rng.choice(["3911", "C", "0610", "6511", None]),
        "enterprise_size": rng.choice(["small", "micro", "medium", None]),
        "serious_dishonesty": rng.choice([False, False, None]),
        "established_on": date(rng.randint(2015, 2025), rng.randint(1, 12), 1),
        "qualifications": rng.choice([True, True, None]),
    }
    for tag in rng.sample(TAGS, 2):
        data[f"qualifications#{tag}.since"] = date(rng.randint(2021, 2025), 1, 1)
    for year in range(2020, 2026):
        for key in MONEY_KEYS:
            if rng.random() < 0.85:
                data[f"{key}@{year}"] = rng.randint(1, 20_000) * 1_000_000
        for key in ("employees", "major_accidents", "qualifying_hires"):
            if rng.random() < 0.85:
                data[f"{key}@{year}"] = rng.randint(0, 3 if key == "major_accidents" else 200)
        data[f"max_penalty@{year}"] = rng.randint(0, 200_000) * 100
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(20251127)
    started = time.perf_counter()
    itemset = ItemSet(items(args.items, rng), at=AT)
    built = time.perf_counter() - started
    rows = [row(rng) for _ in range(args.rows)]
    for r in rows[:50]:
        itemset.match(r)  # warm-up
    wall: list[float] = []
    cpu: list[float] = []
    matched = 0
    for r in rows:
        t0, c0 = time.perf_counter(), time.thread_time()
        matched += len(itemset.match(r))
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    print(
        f"{len(itemset)} items, {itemset.distinct_atoms} distinct atoms, built in {built * 1000:.0f} ms, "
        f"{matched / len(rows):.0f} items eligible or likely per enterprise"
    )
    for name, timings in (("wall", wall), ("cpu", cpu)):
        timings.sort()
        p50 = statistics.median(timings)
        p99 = timings[int(len(timings) * 0.99) - 1]
        worst = timings[-1]
        print(f"match one enterprise ({name} time): p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms")


if __name__ == "__main__":
    main()
