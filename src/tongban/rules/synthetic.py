"""Synthetic enterprises and policy items for the population benchmark and tests.

``enterprises_table`` draws a snapshot in the ``rules.columns`` layout, vectorised with NumPy:
registered mostly in 厦门市 (3502xx), some elsewhere in 福建; industries from the demo city's
GB/T 4754 classes (``demo.city.sectors``) weighted towards manufacturing, with each section's
revenue level, spread and productivity; yearly figures over the history window growing with
noise; qualifications with validity intervals. ``missing`` is the probability that any one
value is null (unknown).

``items`` draws conditions and amounts shaped like real 若干措施 clauses: 3–8 atoms, region
and industry filters, yearly thresholds, growth, ratios, tags, caps and tiers — with many items
sharing the same few atoms ("registered in the city", "no serious dishonesty", popular
thresholds), as real policies do.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray

from tongban.demo.city.sectors import CLASSES, SECTORS, WAN, classify_sizes, size_table
from tongban.kernel.codes import regions
from tongban.rules import ast
from tongban.rules.columns import HISTORY_YEARS, tag_since, tag_until, yearly

# district shares inside 厦门市; the rest of 福建 gets OTHER_FUJIAN of all enterprises
XIAMEN = {"350203": 0.22, "350205": 0.12, "350206": 0.26, "350211": 0.16, "350212": 0.12, "350213": 0.12}
OTHER_FUJIAN = 0.15
SECTION_BOOST = {"C": 4.0, "G": 2.0, "I": 1.5, "M": 1.5, "F": 1.0}
SIZES = ("large", "medium", "small", "micro")
TYPES = (
    ("llc", 0.78),
    ("sole_shareholder_llc", 0.1),
    ("joint_stock", 0.04),
    ("foreign_invested", 0.03),
    ("hmt_invested", 0.03),
    ("partnership", 0.02),
)
# tag, base share, validity years (None: open-ended), share boost for C/I/M
TAGS = (
    ("high_tech", 0.06, 3, 2.5),
    ("tech_sme", 0.08, 1, 2.0),
    ("innovative_sme", 0.05, 3, 1.5),
    ("srdi_provincial", 0.025, 3, 2.0),
    ("srdi_little_giant", 0.004, 3, 3.0),
    ("headquarters", 0.01, None, 1.0),
    ("gazelle", 0.01, 1, 1.5),
)


def _regions_elsewhere() -> list[str]:
    return [
        r.code
        for r in regions.all_regions()
        if r.code.startswith("35") and not r.code.startswith("3502") and r.level == "county"
    ]


def enterprises_table(n: int, at: date, seed: int = 0, missing: float = 0.0) -> pa.Table:
    """``n`` synthetic enterprises as an Arrow table in the columns layout, evaluated at ``at``."""
    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {}

    def put(
        name: str, values: NDArray[Any], arrow_type: pa.DataType, null: NDArray[np.bool_] | None = None
    ) -> None:
        drop = rng.random(n) < missing if missing > 0 else np.zeros(n, dtype=np.bool_)
        if null is not None:
            drop |= null
        cols[name] = pa.array(values, type=arrow_type, mask=drop if drop.any() else None)

    def put_codes(name: str, choices: list[str], index: NDArray[np.int64]) -> None:
        arr = pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(choices))
        plain = arr.dictionary_decode()
        if missing > 0:
            drop = rng.random(n) < missing
            plain = pa.array(plain.to_numpy(zero_copy_only=False), type=pa.string(), mask=drop)
        cols[name] = plain

    # where
    xiamen = list(XIAMEN)
    elsewhere = _regions_elsewhere()
    places = xiamen + elsewhere
    weights = np.array(
        [w * (1 - OTHER_FUJIAN) for w in XIAMEN.values()] + [OTHER_FUJIAN / len(elsewhere)] * len(elsewhere)
    )
    region = rng.choice(len(places), size=n, p=weights / weights.sum())
    put_codes("registered_region", places, region)
    moved = rng.random(n) < 0.06
    tax = np.where(moved, rng.choice(len(xiamen), size=n), region)
    put_codes("tax_region", places, tax)

    # what
    cw = np.array([c.weight * SECTION_BOOST.get(c.section, 0.4) for c in CLASSES])
    cls = rng.choice(len(CLASSES), size=n, p=cw / cw.sum())
    put_codes("industry", [c.code for c in CLASSES], cls)
    section = [SECTORS[c.section] for c in CLASSES]
    median = np.array([s.median_revenue * c.revenue_factor for s, c in zip(section, CLASSES, strict=True)])[
        cls
    ]
    sigma = np.array([s.sigma for s in section])[cls]
    productivity = np.array([s.productivity for s in section])[cls]
    wage = np.array([s.wage for s in section])[cls]
    techy = np.isin(np.array([c.section for c in CLASSES])[cls], ["C", "I", "M"])

    age_years = np.where(rng.random(n) < 0.4, rng.exponential(4.0, n), rng.exponential(12.0, n))
    age_days = np.maximum((age_years * 365.25).astype(np.int64), 30)
    established = np.datetime64(at, "D") - age_days.astype("timedelta64[D]")
    put("established_on", established, pa.date32())
    type_p = np.array([p for _, p in TYPES])
    put_codes(
        "enterprise_type", [t for t, _ in TYPES], rng.choice(len(TYPES), size=n, p=type_p / type_p.sum())
    )
    put("serious_dishonesty", rng.random(n) < 0.005, pa.bool_())
    put("capacity_utilisation", np.round(rng.uniform(40, 100, n), 1), pa.float64())
    put(
        "registered_capital",
        (np.exp(rng.normal(np.log(200 * WAN), 1.3, n)) * 100).astype(np.int64),
        pa.int64(),
    )

    # yearly figures for the five years before ``at`` (this year's are not in yet)
    years = list(range(at.year - HISTORY_YEARS, at.year))
    level = np.log(median * WAN) + sigma * rng.standard_normal(n)
    drift = rng.normal(0.05, 0.08, n)
    log_rev = level[:, None] + np.cumsum(rng.normal(drift[:, None], 0.2, (n, len(years))), axis=1)
    year_start = np.array([np.datetime64(f"{y}-01-01", "D") for y in years])
    alive = established.astype(np.int64)[:, None] < year_start.astype(np.int64)[None, :] + 365
    revenue = np.where(alive, np.exp(log_rev), 0.0)
    rd_share = np.where(rng.random(n) < np.where(techy, 0.45, 0.08), rng.uniform(0.005, 0.12, n), 0.0)
    employees = np.maximum((revenue / (productivity[:, None] * WAN) * rng.lognormal(0, 0.3, (n, 1))), 0)
    employees = np.where(alive, np.maximum(employees.astype(np.int64), 1), 0)
    insured = (employees * rng.uniform(0.6, 1.0, (n, 1))).astype(np.int64)
    layoffs = np.where(
        rng.random((n, len(years))) < 0.05, (insured * rng.uniform(0, 0.3, (n, len(years)))), 0
    )
    tax_paid = revenue * rng.uniform(0.01, 0.06, (n, 1))
    figures: dict[str, NDArray[Any]] = {
        "revenue": revenue,
        "rd_expense": revenue * rd_share[:, None] * rng.uniform(0.8, 1.2, (n, len(years))),
        "tax_paid": tax_paid,
        "local_contribution": tax_paid * rng.uniform(0.3, 0.5, (n, 1)),
        "net_profit": revenue * rng.normal(0.05, 0.1, (n, len(years))),
        "unemployment_premium": insured * wage[:, None] * 12 * 0.005,
        "max_penalty": np.where(
            rng.random((n, len(years))) < 0.02, np.exp(rng.normal(np.log(3 * WAN), 1.2, (n, len(years)))), 0.0
        ),
        "provincial_tech_grant": np.where(
            rng.random((n, len(years))) < np.where(techy, 0.03, 0.003)[:, None],
            np.round(rng.uniform(20, 800, (n, len(years)))) * WAN,
            0.0,
        ),
    }
    for key, money in figures.items():
        for j, y in enumerate(years):
            put(yearly(key, y), (money[:, j] * 100).astype(np.int64), pa.int64())
    counts: dict[str, NDArray[Any]] = {
        "employees": employees,
        "insured_headcount": insured,
        "layoffs": layoffs.astype(np.int64),
        "major_accidents": (rng.random((n, len(years))) < 0.002).astype(np.int64),
        "patents": np.cumsum(rng.poisson(np.where(techy, 1.5, 0.1)[:, None], (n, len(years))), axis=1),
        "qualifying_hires": np.where(
            rng.random((n, len(years))) < 0.08, rng.integers(1, 6, (n, len(years))), 0
        ),
    }
    for key, count in counts.items():
        for j, y in enumerate(years):
            put(yearly(key, y), count[:, j].astype(np.int64), pa.int64())
    put(
        yearly("qualifying_hires", at.year),
        np.where(rng.random(n) < 0.08, rng.integers(1, 6, n), 0).astype(np.int64),
        pa.int64(),
    )
    export = np.where(rng.random(n) < 0.15, rng.uniform(0.05, 0.9, n), 0.0)
    for y in years:
        put(yearly("export_share", y), np.clip(export + rng.normal(0, 0.03, n), 0, 1), pa.float64())
    last = np.clip(employees[:, -1], 1, None)
    size = classify_sizes(size_table()[cls], last, revenue[:, -1].astype(np.int64))
    put_codes("enterprise_size", list(SIZES), size.astype(np.int64))

    # qualifications: known set (True), each tag with since/until
    put("qualifications", np.ones(n, dtype=np.bool_), pa.bool_())
    day0 = np.datetime64(at, "D")
    for tag, share, validity, boost in TAGS:
        holds = rng.random(n) < share * np.where(techy, boost, 0.5)
        since = day0 - rng.integers(1, 365 * 6, n).astype("timedelta64[D]")
        put(tag_since("qualifications", tag), since, pa.date32(), null=~holds)
        if validity is not None:
            until = since + np.timedelta64(365 * validity - 1, "D")
            put(tag_until("qualifications", tag), until, pa.date32(), null=~holds)
    return pa.table(cols)


# ---------------------------------------------------------------- items


def _a(key: str, period: int | None = None) -> ast.Attr:
    return ast.Attr(key, period)


def _num(text: str) -> ast.Number:
    return ast.Number(Decimal(text))


def _ge(left: ast.Node, right: ast.Node) -> ast.Compare:
    return ast.Compare(">=", left, right)


CITY = ast.Within(_a("registered_region"), ("350200",))
CITY_TAX = ast.Within(_a("tax_region"), ("350200",))
HONEST = ast.Not(_a("serious_dishonesty"))
NO_ACCIDENTS = ast.AllYears(ast.Compare("=", _a("major_accidents"), _num("0")), ast.Window(-3, -1))
NO_BIG_FINE = ast.Compare("<=", _a("max_penalty", -1), _num("100000"))
INDUSTRIES = (
    ("C",),
    ("C", "B", "D"),
    ("I",),
    ("M",),
    ("I", "M"),
    ("39",),
    ("26",),
    ("35", "34"),
    ("G",),
    ("51",),
    ("F",),
    ("C", "I"),
    ("13", "14", "15"),
    ("E",),
    ("3911", "3921", "3922"),
)
SMALL = ast.In(_a("enterprise_size"), ("small", "micro"))
BIGGER = ast.In(_a("enterprise_size"), ("medium", "large"))


def _pick(rng: np.random.Generator, popular: list[int], low: int, high: int, step: int) -> int:
    """A popular threshold half of the time, otherwise a round value of its own."""
    if rng.random() < 0.5:
        return int(rng.choice(popular))
    return int(rng.integers(low // step, high // step + 1)) * step


def _thresholds(rng: np.random.Generator) -> ast.Node:
    kind = int(rng.integers(0, 17))
    choice = rng.choice

    def pick(popular: list[int], low: int, high: int, step: int) -> str:
        return str(_pick(rng, popular, low, high, step))

    wan = 10_000
    match kind:
        case 0 | 1:
            revenue = pick(
                [200 * wan, 500 * wan, 1000 * wan, 2000 * wan, 5000 * wan, 10000 * wan],
                100 * wan,
                20000 * wan,
                100 * wan,
            )
            return _ge(_a("revenue", -1), _num(revenue))
        case 2:
            return ast.Compare(
                ">", ast.Growth("revenue"), ast.Percent(Decimal(pick([10, 15, 20, 30], 5, 50, 1)))
            )
        case 3:
            ratio = ast.Arith("/", _a("rd_expense", -1), _a("revenue", -1))
            return _ge(ratio, ast.Percent(Decimal(pick([3, 5, 6], 1, 10, 1))))
        case 4:
            return _ge(_a("employees", -1), _num(pick([10, 20, 50, 100], 5, 500, 5)))
        case 5:
            return ast.Compare("<", ast.YearsSince(_a("established_on")), _num(pick([3, 5], 1, 10, 1)))
        case 6:
            return ast.Has("qualifications", str(choice([t for t, *_ in TAGS])))
        case 7:
            tag = str(choice(["srdi_provincial", "srdi_little_giant", "high_tech"]))
            return ast.Gained("qualifications", tag, ast.Window(-1, -1))
        case 8:
            level = pick([2000 * wan, 5000 * wan], 500 * wan, 10000 * wan, 500 * wan)
            return ast.FirstTime(_ge(_a("revenue"), _num(level)), -1)
        case 9:
            return _ge(
                _a("tax_paid", -1),
                _num(pick([50 * wan, 100 * wan, 500 * wan], 10 * wan, 1000 * wan, 10 * wan)),
            )
        case 10:
            return ast.Compare(
                ">", _a("local_contribution", -1), _num(pick([500 * wan], 100 * wan, 2000 * wan, 100 * wan))
            )
        case 11:
            return ast.Compare(">", _a("provincial_tech_grant", -1), _num("0"))
        case 12:
            return _ge(_a("qualifying_hires", 0), _num("1"))
        case 13:
            return _ge(_a("patents", -1), _num(pick([5, 10, 20], 1, 50, 1)))
        case 14:
            return _ge(_a("export_share", -1), ast.Percent(Decimal(pick([20, 30, 50], 5, 80, 5))))
        case 15:
            level = pick([1000 * wan], 200 * wan, 5000 * wan, 100 * wan)
            return _ge(ast.CountYears(_ge(_a("revenue"), _num(level)), ast.Window(-3, -1)), _num("2"))
        case _:
            ins = _a("insured_headcount", -1)
            rate = ast.Arith("/", _a("layoffs", -1), ins)
            return ast.Or(
                (
                    ast.And(
                        (
                            ast.Compare("<=", ins, _num("30")),
                            ast.Compare("<=", rate, ast.Percent(Decimal(20))),
                        )
                    ),
                    ast.And(
                        (
                            ast.Compare(">", ins, _num("30")),
                            ast.Compare("<=", rate, ast.Percent(Decimal("5.5"))),
                        )
                    ),
                )
            )


def _amount(rng: np.random.Generator, condition: ast.Node) -> ast.Node:
    kind = int(rng.integers(0, 9))

    def wan(k: int) -> ast.Number:
        return _num(str(k * 10000))

    choice = rng.choice
    match kind:
        case 0 | 1:
            return wan(int(choice([5, 10, 20, 30, 50, 100])))
        case 2:
            key = str(choice(["rd_expense", "unemployment_premium", "provincial_tech_grant", "tax_paid"]))
            rate = ast.Percent(Decimal(str(choice(["10", "50", "60", "5.5"]))))
            return ast.Extremum("min", (ast.Arith("*", rate, _a(key, -1)), wan(int(choice([100, 200, 300])))))
        case 3:
            steps = (
                ast.TierStep(Decimal(20000000), wan(10)),
                ast.TierStep(Decimal(50000000), wan(20)),
                ast.TierStep(Decimal(100000000), wan(50)),
            )
            return ast.Tiers(_a("revenue", -1), steps)
        case 4:
            return ast.If(ast.Has("qualifications", "srdi_little_giant"), wan(50), wan(20))
        case 5:
            grow = ast.Above(_a("revenue", -1), _a("revenue", -2))
            return ast.Extremum("min", (ast.Arith("*", ast.Percent(Decimal(1)), grow), wan(200)))
        case 6:
            return ast.Arith("*", _num("1000"), _a("qualifying_hires", 0))
        case 7:
            return ast.UpTo(wan(int(choice([30, 50]))))
        case _:
            inc = ast.Extremum(
                "max", (ast.Arith("-", _a("local_contribution", -1), _a("local_contribution", -2)), _num("0"))
            )
            return ast.Extremum("min", (ast.Arith("*", ast.Percent(Decimal(50)), inc), wan(1000)))


def items(m: int, seed: int = 0) -> dict[str, ast.Rule]:
    """``m`` items named ``item0000`` …, drawn to share atoms the way real policies do."""
    rng = np.random.default_rng(seed)
    districts = list(XIAMEN)
    out: dict[str, ast.Rule] = {}
    for i in range(m):
        parts: list[ast.Node] = []
        u = rng.random()
        if u < 0.55:
            parts.append(CITY)
        elif u < 0.85:
            parts.append(ast.Within(_a("registered_region"), (str(rng.choice(districts)),)))
        if rng.random() < 0.5:
            parts.append(CITY_TAX)
        u = rng.random()
        if u < 0.55:
            parts.append(ast.Within(_a("industry"), INDUSTRIES[int(rng.integers(0, len(INDUSTRIES)))]))
        elif u < 0.9:  # an industry chain of its own: a few divisions or classes
            picked = rng.choice(len(CLASSES), size=int(rng.integers(1, 4)), replace=False)
            codes = {CLASSES[int(c)].code[: int(rng.choice([2, 4]))] for c in picked}
            parts.append(ast.Within(_a("industry"), tuple(sorted(codes))))
        for atom, p in ((HONEST, 0.6), (NO_ACCIDENTS, 0.4), (NO_BIG_FINE, 0.3)):
            if rng.random() < p:
                parts.append(atom)
        size = rng.random()
        if size < 0.25:
            parts.append(SMALL)
        elif size < 0.35:
            parts.append(BIGGER)
        for _ in range(int(rng.integers(1, 4))):
            parts.append(_thresholds(rng))
        condition = ast.And(tuple(dict.fromkeys(parts)))
        out[f"item{i:04d}"] = ast.Rule(condition, _amount(rng, condition))
    return out


def at_date() -> date:
    """The evaluation date the benchmark and tests use."""
    return date(2025, 6, 30)
