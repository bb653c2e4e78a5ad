"""Enterprises of one chunk: kind, industry, district, age and three years of figures.

Everything is vectorised with NumPy over the chunk. Figures are the truth as the enterprise
lives it; the department files (``records``) show it as each department holds it, and
``defects`` then spoils some of it. Money is integer fen (分) throughout.

How the figures hang together (per enterprise, per year t of the three figure years):
- revenue: log-normal around the section's (and class's) median, with a firm-level drift and
  year-to-year noise, ramped up over the first years after establishment and cut to the part
  of the year after establishment; dormant firms have none;
- employees: revenue / the section's revenue per head, with a firm-level factor;
- insured headcount: a firm-level coverage (mostly 60–100 %, a few firms slightly above 100 %,
  most 个体工商户 none) of employees;
- unemployment-insurance premium: insured × the firm's wage base × 12 × the employer rate;
- layoffs: mostly 0; in a few firm-years a share of the insured staff, more often after a fall
  in revenue;
- R&D, tax paid, local fiscal contribution and patents follow in ``finish_figures`` once the
  qualifications are known (高新技术企业 spend ≥ 3–5 % on R&D and pay less tax).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tongban.demo.city.context import Context, IntArray
from tongban.demo.city.sectors import CLASSES, SECTORS, WAN, classify_sizes

KIND_COMPANY, KIND_INDIVIDUAL, KIND_COOPERATIVE, KIND_RURAL = 0, 1, 2, 3
RURAL_TYPE = ("rural_collective", "农村集体经济组织")  # N2 codes, registered by 农业农村部门

# Legal forms of companies and other enterprises (shares among them).
COMPANY_TYPES: tuple[tuple[str, float], ...] = (
    ("llc", 0.695), ("sole_shareholder_llc", 0.11), ("joint_stock", 0.025), ("listed", 0.002),
    ("foreign_invested", 0.02), ("hmt_invested", 0.03), ("state_owned", 0.004),
    ("wholly_state_owned_company", 0.003), ("collective", 0.003), ("sole_proprietorship", 0.02),
    ("partnership", 0.03), ("branch", 0.058),
)
OLD_FORMS = ("state_owned", "collective")  # founded long ago

# 统计局 lists: name, how the class qualifies, revenue threshold (万元).
ABOVE_SCALE: tuple[tuple[str, str, int], ...] = (
    ("规模以上工业", "BCD", 2000),
    ("限额以上批发业", "51", 2000),
    ("限额以上零售业", "52", 500),
    ("限额以上住宿业", "61", 200),
    ("限额以上餐饮业", "62", 200),
)


@dataclass
class Enterprises:
    """One chunk of enterprises; arrays are indexed by position in the chunk."""

    start: int  # global index of the first enterprise
    kind: NDArray[np.int8]
    type_code: list[str]
    cls: IntArray  # index into sectors.CLASSES
    section: list[str]
    district: list[str]
    established: NDArray[np.datetime64]
    exists: NDArray[np.bool_]  # (n, 3): established by the end of each figure year
    dormant: NDArray[np.bool_]
    revenue: IntArray  # (n, 3) fen
    employees: IntArray  # (n, 3)
    insured: IntArray  # (n, 3)
    premium: IntArray  # (n, 3) fen
    layoffs: IntArray  # (n, 3)
    wage: IntArray  # monthly contribution base, yuan
    capital: IntArray  # registered capital in 0.01 万元 (0: a branch has none)
    rd: IntArray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    tax: IntArray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    local: IntArray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    patents: IntArray = field(default_factory=lambda: np.zeros((0, 3, 3), dtype=np.int64))
    size: NDArray[np.int8] = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int8))
    above: NDArray[np.int8] = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int8))
    extra: dict[str, Any] = field(default_factory=dict)  # identity, qualifications, records

    @property
    def n(self) -> int:
        return len(self.kind)

    def is_company(self) -> NDArray[np.bool_]:
        """Companies and other enterprises with a legal form, branches excluded."""
        branch = np.array([t == "branch" for t in self.type_code], dtype=np.bool_)
        company: NDArray[np.bool_] = (self.kind == KIND_COMPANY) & ~branch
        return company


def _pick_classes(ctx: Context, rng: np.random.Generator, sec_idx: IntArray,
                  individual: NDArray[np.bool_]) -> IntArray:
    cls = np.zeros(len(sec_idx), dtype=np.int64)
    for s, letter in enumerate(ctx.sections):
        for shop in (False, True):
            mask = (sec_idx == s) & (individual == shop)
            count = int(mask.sum())
            if not count:
                continue
            choice = (ctx.shop_classes if shop else ctx.company_classes)[letter]
            cls[mask] = choice.index[rng.choice(len(choice.index), size=count, p=choice.p)]
    return cls


def _establishment(ctx: Context, rng: np.random.Generator, kind: NDArray[np.int8],
                   old: NDArray[np.bool_]) -> NDArray[np.datetime64]:
    """Many young firms and a long tail back to 1980 (the special economic zone)."""
    n = len(kind)
    u = rng.random(n)
    age = np.where(
        u < 0.4, rng.exponential(4.0, n),
        np.where(u < 0.85, rng.exponential(10.0, n), rng.uniform(0.0, 46.0, n)),
    )
    age = np.where(kind == KIND_INDIVIDUAL, rng.exponential(4.5, n), age)
    age = np.where(old, rng.uniform(12.0, 46.0, n), age)
    as_of = np.datetime64(ctx.as_of, "D")
    earliest = np.datetime64("1980-01-01", "D")
    days = np.maximum((age * 365.25).astype(np.int64), 1)
    return np.maximum(as_of - days.astype("timedelta64[D]"), earliest)


def generate(ctx: Context, rng: np.random.Generator, start: int, n: int) -> Enterprises:
    cfg = ctx.config
    sec_idx = rng.choice(len(ctx.sections), size=n, p=ctx.section_p).astype(np.int64)
    sections = np.array(ctx.sections)[sec_idx]
    p_ind = np.array([ctx.individual_p[s] for s in ctx.sections])[sec_idx]
    individual = rng.random(n) < p_ind
    kind = np.where(individual, KIND_INDIVIDUAL, KIND_COMPANY).astype(np.int8)
    section_share = dict(zip(ctx.sections, ctx.section_p, strict=True))
    for letter, share, target in (
        ("A", cfg.farmer_cooperative_share, KIND_COOPERATIVE),
        ("K", cfg.rural_collective_share, KIND_RURAL),
    ):
        base = section_share.get(letter, 0.0) * (1 - ctx.individual_p.get(letter, 0.0))
        if base > 0:
            hit = (sections == letter) & ~individual & (rng.random(n) < min(1.0, share / base))
            kind[hit] = target
    cls = _pick_classes(ctx, rng, sec_idx, individual)
    cls[kind == KIND_RURAL] = ctx.rent_class

    type_names = [t for t, _ in COMPANY_TYPES]
    type_p = np.array([w for _, w in COMPANY_TYPES])
    drawn = rng.choice(len(type_names), size=n, p=type_p / type_p.sum())
    # partnerships hold investments and professional practices (J, L, M), not factories
    drawn = np.where((drawn == type_names.index("partnership")) & ~np.isin(sections, ["J", "L", "M"]),
                     type_names.index("llc"), drawn)
    type_code = [
        type_names[d] if k == KIND_COMPANY else
        ("individual_business", "individual_business", "farmer_cooperative", RURAL_TYPE[0])[k]
        for d, k in zip(drawn.tolist(), kind.tolist(), strict=True)
    ]
    old = np.array([t in OLD_FORMS for t in type_code])
    district_idx = rng.choice(len(ctx.districts), size=n, p=ctx.district_p)
    district = [ctx.districts[i] for i in district_idx.tolist()]
    established = _establishment(ctx, rng, kind, old)

    dormant_p = np.select(
        [kind == KIND_COMPANY, kind == KIND_INDIVIDUAL, kind == KIND_COOPERATIVE],
        [cfg.dormant_share, 0.03, 0.25], 0.0,
    )
    dormant = rng.random(n) < dormant_p

    figures = _figures(ctx, rng, kind, cls, sections, established, dormant)
    return Enterprises(
        start=start, kind=kind, type_code=type_code, cls=cls, section=sections.tolist(),
        district=district, established=established, dormant=dormant, **figures,
    )


def _figures(ctx: Context, rng: np.random.Generator, kind: NDArray[np.int8], cls: IntArray,
             sections: NDArray[np.str_], established: NDArray[np.datetime64],
             dormant: NDArray[np.bool_]) -> dict[str, Any]:
    n = len(kind)
    sec = [SECTORS[s] for s in sections.tolist()]
    median = np.array([s.median_revenue for s in sec]) * np.array(
        [CLASSES[c].revenue_factor for c in cls.tolist()]
    )
    sigma = np.array([s.sigma for s in sec])
    productivity = np.array([s.productivity for s in sec])
    individual = kind == KIND_INDIVIDUAL
    median = np.where(individual, 35.0 * np.sqrt(np.array(
        [CLASSES[c].revenue_factor for c in cls.tolist()])), median)
    median = np.where(kind == KIND_COOPERATIVE, 50.0, np.where(kind == KIND_RURAL, 300.0, median))
    sigma = np.where(kind == KIND_COMPANY, sigma, 1.0)

    # revenue (yuan): level of the first figure year, then a drift and yearly noise
    log_level = np.log(median * WAN) + sigma * rng.standard_normal(n)
    drift = rng.normal(0.05, 0.08, n)
    steps = rng.normal(drift[:, None], 0.22, (n, 3))
    steps[:, 0] = 0.0
    log_rev = log_level[:, None] + np.cumsum(steps, axis=1)
    year_end = np.array([np.datetime64(f"{y}-12-31", "D") for y in ctx.years])
    days = (year_end[None, :] - established[:, None]).astype(np.int64)
    exists = days >= 0
    age = np.maximum(days, 0) / 365.25
    ramp = 1.0 - np.exp(-(age + 0.3) / 1.5)  # young firms are still growing
    first_year = np.clip((days + 1) / 365.0, 0.0, 1.0)  # part of the year after founding
    revenue_yuan = np.exp(log_rev) * ramp * first_year
    revenue_yuan = np.where(exists & ~dormant[:, None], revenue_yuan, 0.0)
    revenue = np.round(revenue_yuan * 100).astype(np.int64)

    # employees and insured staff
    head_factor = np.exp(rng.normal(0.0, 0.5, n))
    employees = np.maximum(1, np.round(revenue_yuan / (productivity[:, None] * WAN)
                                       * head_factor[:, None])).astype(np.int64)
    employees = np.where(individual[:, None], 1 + np.minimum(rng.poisson(1.2, (n, 1)), 7),
                         employees)
    employees = np.minimum(employees, 60_000)
    idle = rng.integers(0, 2, (n, 1))
    employees = np.where(dormant[:, None], idle, employees)
    employees = np.where(exists, employees, 0)
    coverage = rng.beta(6.0, 1.2, n)
    over = rng.random(n) < 0.05  # insured slightly above year-end employees
    coverage = np.where(over, rng.uniform(1.0, 1.1, n), coverage)
    coverage = np.where(individual, np.where(rng.random(n) < 0.7, 0.0, rng.beta(2, 2, n)),
                        coverage)
    insured = np.minimum(np.round(employees * coverage[:, None]),
                         np.floor(employees * 1.1)).astype(np.int64)
    insured = np.where(dormant[:, None], 0, insured)

    wage = np.clip(np.array([s.wage for s in sec]) * np.exp(rng.normal(0.0, 0.25, n)),
                   2500, 30000).astype(np.int64)
    months_paid = rng.uniform(0.9, 1.0, (n, 3))
    premium = np.round(insured * wage[:, None] * 12 * ctx.config.unemployment_insurance_rate
                       * months_paid * 100).astype(np.int64)

    fell = np.zeros((n, 3), dtype=bool)
    fell[:, 1:] = revenue[:, 1:] < revenue[:, :-1] * 0.85
    layoff_p = ctx.config.qualifications.layoff * np.where(fell, 2.0, 1.0)
    lays = (insured >= 2) & (rng.random((n, 3)) < layoff_p)
    share = rng.beta(1.2, 8.0, (n, 3))
    layoffs = np.where(lays, np.maximum(1, np.round(insured * share)), 0).astype(np.int64)
    layoffs = np.minimum(layoffs, insured)

    capital = _capital(rng, kind, revenue_yuan[:, -1] + median * WAN * 0.2)
    return {
        "exists": exists, "revenue": revenue, "employees": employees, "insured": insured,
        "premium": premium, "layoffs": layoffs, "wage": wage, "capital": capital,
    }


_NICE = np.array([1, 2, 3, 5, 8], dtype=np.float64)


def _capital(rng: np.random.Generator, kind: NDArray[np.int8],
             scale_yuan: NDArray[np.float64]) -> IntArray:
    """Registered capital in 0.01 万元, rounded to the round figures people register."""
    n = len(kind)
    wan = np.exp(0.6 * np.log(np.maximum(scale_yuan, 1.0) / WAN) + 2.0 + rng.normal(0.0, 1.0, n))
    wan = np.where(kind == KIND_INDIVIDUAL, rng.uniform(3, 50, n), wan)
    wan = np.clip(wan, 1.0, 500_000.0)
    exponent = np.floor(np.log10(wan))
    mantissa = wan / 10**exponent
    nice = _NICE[np.clip(np.searchsorted(_NICE, mantissa), 0, len(_NICE) - 1)]
    capital: IntArray = np.round(nice * 10**exponent * 100).astype(np.int64)
    return capital


def finish_figures(ctx: Context, rng: np.random.Generator, ent: Enterprises,
                   rd_ratio: NDArray[np.float64], tax_factor: NDArray[np.float64],
                   patent_rate: NDArray[np.float64]) -> None:
    """R&D, tax, local contribution, patents, sizes and the statistical lists."""
    n = ent.n
    revenue = ent.revenue.astype(np.float64)
    noise = np.exp(rng.normal(0.0, 0.15, (n, 3)))
    ent.rd = np.where(ent.exists, np.round(revenue * rd_ratio[:, None] * noise), 0).astype(np.int64)
    burden = np.array([SECTORS[s].tax_burden for s in ent.section]) * tax_factor
    burden = burden * np.exp(rng.normal(0.0, 0.35, n))
    individual = ent.kind == KIND_INDIVIDUAL
    # 个体工商户 below 120万元 a year are mostly exempt from VAT and pay a fixed small amount
    small = revenue < 120 * WAN * 100
    rate = np.where(individual[:, None], np.where(small, 0.002, 0.01), burden[:, None])
    ent.tax = np.round(revenue * rate * np.exp(rng.normal(0.0, 0.1, (n, 3)))).astype(np.int64)
    local_share = rng.uniform(0.35, 0.5, n)
    ent.local = np.round(ent.tax * local_share[:, None]).astype(np.int64)

    # patents in force at each year end: a stock that mostly grows
    latest = rng.poisson(patent_rate)
    earlier = np.maximum(0, latest - rng.poisson(patent_rate * 0.25 + 0.2))
    first = np.maximum(0, earlier - rng.poisson(patent_rate * 0.25 + 0.2))
    totals = np.stack([first, earlier, latest], axis=1) * ent.exists
    invention = np.round(totals * rng.uniform(0.1, 0.4, (n, 1))).astype(np.int64)
    design = np.round((totals - invention) * rng.uniform(0.0, 0.3, (n, 1))).astype(np.int64)
    ent.patents = np.stack([invention, totals - invention - design, design], axis=2)

    limits = ctx.size_limits[ent.cls]
    revenue_yuan = ent.revenue // 100
    ent.size = np.stack(
        [classify_sizes(limits, ent.employees[:, t], revenue_yuan[:, t]) for t in range(3)],
        axis=1,
    )
    ent.above = _above_scale(ent, revenue_yuan)


def _above_scale(ent: Enterprises, revenue_yuan: IntArray) -> NDArray[np.int8]:
    """规模以上/限额以上 status per year, from the year's revenue (legal persons only)."""
    above = np.full((ent.n, 3), -1, dtype=np.int8)
    codes = [CLASSES[c].code for c in ent.cls.tolist()]
    legal = ent.is_company() | (ent.kind == KIND_COOPERATIVE)
    for index, (_, rule, threshold) in enumerate(ABOVE_SCALE):
        if rule.isalpha():
            match = np.array([s in rule for s in ent.section])
        else:
            match = np.array([c.startswith(rule) for c in codes])
        hit = (match & legal)[:, None] & ent.exists & (revenue_yuan >= threshold * WAN)
        above[hit] = index
    return above


def unit_first_year(ent: Enterprises) -> IntArray:
    """Index of the first figure year with insured staff (3: never): 人社 rows start there."""
    has = (ent.insured > 0) & ent.exists
    return np.where(has.any(axis=1), np.argmax(has, axis=1), 3).astype(np.int64)


def in_statistics(ent: Enterprises) -> NDArray[np.bool_]:
    """Legal-person units with an annual report for the last figure year (统计名录库)."""
    legal = ent.is_company() | (ent.kind == KIND_COOPERATIVE) | (ent.kind == KIND_RURAL)
    scope: NDArray[np.bool_] = legal & ent.exists[:, 2]
    return scope
