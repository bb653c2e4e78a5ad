"""Persons: the people the enterprises hired in the hire window, as 人社局 records them.

Only hires are generated (1 January of the year before the reference year up to the
extraction date), at ``hire_rate`` per insured employee per year and at most ``max_hires`` per
enterprise: the whole workforce would be some ten million people at a million enterprises,
and the policies that read person records (E5) look at new hires only.

Resident ID numbers (GB 11643) are unique by construction: birth dates fall in four age bands
with disjoint birth-date ranges, and within a band a counter is mapped one-to-one onto
(birth date, sequence) pairs, so no two persons can share a number whatever their region.
The sequence's last digit is odd for men and even for women, as on real cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

from tongban.demo.city import codes, names
from tongban.demo.city.context import Context, State
from tongban.demo.city.enterprises import KIND_INDIVIDUAL, Enterprises, unit_first_year
from tongban.kernel.codes import regions

# Age bands as birth-year offsets before the reference year, and their share among hires.
BANDS: tuple[tuple[int, int, float], ...] = ((25, 19, 0.27), (35, 25, 0.40), (45, 35, 0.20),
                                             (59, 45, 0.13))  # 18–59 at hire
_BAND_STEP = 1_000_003  # prime: a one-to-one scramble of each band's (day, sequence) space
# Where people come from: most from Fujian, many from the inland provinces that send workers.
PROVINCES: tuple[tuple[str, float], ...] = (
    ("36", 0.20), ("51", 0.15), ("43", 0.12), ("41", 0.12), ("34", 0.10), ("52", 0.10),
    ("44", 0.06), ("42", 0.06), ("50", 0.05), ("45", 0.04),
)
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177",
                   "180", "181", "186", "187", "188", "189", "191", "199", "166")
CONTRACT_MONTHS = np.array([12, 24, 36, 60, 6, 3])
CONTRACT_P = np.array([0.35, 0.15, 0.35, 0.05, 0.07, 0.03])


@dataclass
class Hires:
    """Persons and their hire records; ``employer`` is the position in the chunk."""

    employer: list[int]
    ric: list[str]
    name: list[str]
    male: list[bool]
    birth: list[date]
    household: list[str]
    mobile: list[str]
    hired: list[date]
    contract_months: list[int]
    prior: list[str]  # 登记失业人员 / 应届高校毕业生 / 其他
    unemployed_since: list[date | None]
    insured: list[bool]

    @property
    def n(self) -> int:
        return len(self.ric)


@cache
def _counties(prefix: str) -> tuple[str, ...]:
    return tuple(
        r.code for r in regions.all_regions()
        if r.level == "county" and not r.grouping and r.code.startswith(prefix)
    )


@cache
def _province_pool(province: str, city: str) -> tuple[str, ...]:
    return tuple(c for c in _counties(province) if not c.startswith(city[:4]))


_PROVINCE_CUMULATIVE = np.cumsum([w for _, w in PROVINCES]) / sum(w for _, w in PROVINCES)


def _origin(ctx: Context, u: float, v: float) -> str:
    """A county of origin: a third from the city, a third from the rest of the province."""
    if u < 0.35:
        index = int(np.searchsorted(np.cumsum(ctx.district_p), v, side="right"))
        return ctx.districts[min(index, len(ctx.districts) - 1)]
    if u < 0.70:
        pool = _province_pool(ctx.province, ctx.city_code)
    else:
        index = min(int(np.searchsorted(_PROVINCE_CUMULATIVE, v, side="right")),
                    len(PROVINCES) - 1)
        pool = _counties(PROVINCES[index][0])
        v = (v * 7919) % 1.0  # reuse the draw for the county within the province
    return pool[int(v * len(pool))] if pool else ctx.districts[0]


def _band_days(ref: int, band: tuple[int, int, float]) -> tuple[date, int]:
    first = date(ref - band[0], 1, 1)
    return first, (date(ref - band[1], 1, 1) - first).days


def _birth_and_sequence(ctx: Context, state: State, band: int, male: bool) -> tuple[date, int]:
    first, days = _band_days(ctx.config.reference_year, BANDS[band])
    space = days * 500
    counter = state.person_bands[band]
    if counter >= space:
        raise ValueError("resident ID space of an age band exhausted; lower hire_rate")
    state.person_bands[band] = counter + 1
    u = (counter * _BAND_STEP + ctx.config.seed) % space
    half, day = divmod(u, days)
    return first + timedelta(days=day), half * 2 + int(male)


def generate(ctx: Context, state: State, rng: np.random.Generator, ent: Enterprises) -> Hires:
    cfg = ctx.config
    window_start = date(cfg.reference_year - 1, 1, 1)
    as_of = ctx.as_of
    window_years = max((as_of - window_start).days, 1) / 365.25
    insured = ent.insured[:, 2]
    has_unit = unit_first_year(ent) < 3
    rate = np.where(insured > 0, cfg.hire_rate * insured * window_years,
                    np.where(ent.kind == KIND_INDIVIDUAL, 0.05, 0.0))
    rate = np.where(ent.dormant, 0.0, rate)
    counts = np.minimum(rng.poisson(rate), cfg.max_hires)
    employer = np.repeat(np.arange(ent.n), counts)
    h = len(employer)
    male = rng.random(h) < 0.55
    band = rng.choice(len(BANDS), size=h, p=np.array([b[2] for b in BANDS]))
    u = rng.random((h, 8))
    contract = rng.choice(CONTRACT_MONTHS, size=h, p=CONTRACT_P)
    unemployed_months = np.where(rng.random(h) < 0.4, rng.integers(1, 6, h), rng.integers(6, 31, h))
    mobiles = rng.integers(0, 10**8, h)
    result = Hires([], [], [], [], [], [], [], [], [], [], [], [])
    result.name = names.person_names(rng, male)
    for k in range(h):
        pos = int(employer[k])
        born, sequence = _birth_and_sequence(ctx, state, int(band[k]), bool(male[k]))
        origin = _origin(ctx, float(u[k, 0]), float(u[k, 1]))
        est = ent.established[pos].astype(object)
        start = max(window_start, est)
        hired = start + timedelta(days=int(u[k, 2] * max((as_of - start).days, 0)))
        age = hired.year - born.year
        if u[k, 3] < cfg.registered_unemployed_share:
            prior = "登记失业人员"
            since: date | None = hired - timedelta(days=int(unemployed_months[k] * 30.44 + 3))
        elif age < 26 and u[k, 3] < cfg.registered_unemployed_share + 0.2:
            prior, since = "应届高校毕业生", None
        else:
            prior, since = "其他", None
        result.employer.append(pos)
        result.ric.append(codes.ric(origin, born, sequence))
        result.male.append(bool(male[k]))
        result.birth.append(born)
        result.household.append(origin if u[k, 4] < 0.8 else ent.district[pos])
        prefix = MOBILE_PREFIXES[int(u[k, 5] * len(MOBILE_PREFIXES))]
        result.mobile.append(f"{prefix}{int(mobiles[k]):08d}")
        result.hired.append(hired)
        result.contract_months.append(int(contract[k]))
        result.prior.append(prior)
        result.unemployed_since.append(since)
        # an employer without an insured-unit registration cannot pay anyone's insurance
        result.insured.append(bool(has_unit[pos] and u[k, 6] < 0.95))
    state.persons += h
    return result
