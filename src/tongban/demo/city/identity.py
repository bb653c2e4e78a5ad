"""Who each enterprise is: its code, name, legal representative, address and tax office.

Codes: GB 32100 统一社会信用代码 with registration authority 9 (市场监管) and category 1
(enterprises), 2 (个体工商户) or 3 (农民专业合作社), and N2 for village collectives registered
by 农业农村; characters 3–8 the district (or, for a share of companies, the city) and 9–17 a
GB 11714 organisation code: numeric for firms founded before the 2015 reform (era prefixes as
the old codes had), "MA…" after it. Bodies come from counters, so no two enterprises share one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

from tongban.demo.city import codes, names
from tongban.demo.city.context import Context, State
from tongban.demo.city.enterprises import (
    KIND_COMPANY,
    KIND_COOPERATIVE,
    KIND_INDIVIDUAL,
    KIND_RURAL,
    RURAL_TYPE,
    Enterprises,
)
from tongban.demo.city.sectors import CLASSES, WAN
from tongban.kernel.codes import enterprise as enterprise_codes
from tongban.kernel.codes import regions

REFORM = np.datetime64("2015-10-01", "D")  # 三证合一: new bodies are "MA…" from here on
CREDIT_RATINGS = ("A", "B", "M", "C", "D")
CREDIT_P = np.array([0.15, 0.50, 0.25, 0.07, 0.03])
SOLE_FORMS = ("商行", "经营部", "工作室", "服务中心")
_AUTHORITY = {KIND_COMPANY: "91", KIND_INDIVIDUAL: "92", KIND_COOPERATIVE: "93", KIND_RURAL: "N2"}


@dataclass
class Identity:
    uscc: list[str]
    name: list[str]
    legal_rep: list[str]
    address: list[str]  # as registered with 市场监管
    other_address: list[str]  # another address in the same district (a move not told to 税务)
    registrar: list[str]
    approved: list[date]
    unit_no: list[str]  # 人社 单位编号
    tax_region: list[str]
    tax_office: list[str]
    credit: list[str]


def type_name(code: str) -> str:
    if code == RURAL_TYPE[0]:
        return RURAL_TYPE[1]
    found = enterprise_codes.enterprise_type(code)
    if found is None:
        raise ValueError(f"unknown enterprise type {code}")
    return found.zh


@cache
def _outside_counties(city: str) -> tuple[tuple[str, str], ...]:
    """(code, 国家税务总局…税务局) of the other counties of the province, for firms taxed there."""
    province = regions.get(city[:2] + "0000")
    found: list[tuple[str, str]] = []
    for other in regions.children(province.code if province else city[:2] + "0000"):
        if other.code == city or other.level != "city":
            continue
        for county in regions.children(other.code):
            found.append((county.code, f"国家税务总局{other.name}{county.name}税务局"))
    return tuple(found)


def _era_prefix(year: int, u: float) -> str:
    if year < 1995:
        return ("15", "26")[int(u * 2)]
    if year < 2005:
        return ("61", "70", "73")[int(u * 3)]
    return ("75", "76", "77", "78", "79")[int(u * 5)]


def _org9(state: State, seed: int, established: np.datetime64, kind: int, u: float) -> str:
    if kind == KIND_COMPANY and established < REFORM:
        year = int(str(established)[:4])
        prefix = _era_prefix(year, u)
        counter = state.numeric_counters.get(prefix, 0)
        state.numeric_counters[prefix] = counter + 1
        return codes.orgcode(codes.numeric_body(prefix, counter))
    counter = state.ma_counter
    state.ma_counter += 1
    return codes.orgcode(codes.ma_body(counter, seed % codes.MA_SPACE))


def _name(ctx: Context, state: State, ent: Enterprises, i: int, u: float, v: float) -> str:
    cls = CLASSES[int(ent.cls[i])]
    district = ctx.district_names[ent.district[i]]
    city, short = ctx.city_name, ctx.city_short
    kind = int(ent.kind[i])
    if kind == KIND_INDIVIDUAL:
        shop = cls.shops[int(u * len(cls.shops))]
        return f"{city}{district}{state.brands.take('个体:' + shop)}{shop}"
    feature = cls.features[int(u * len(cls.features))]
    if kind == KIND_COOPERATIVE:
        return f"{city}{district}{state.brands.take('合作社:' + feature)}{feature}专业合作社"
    if kind == KIND_RURAL:
        counter = state.villages.get(district, 0)
        state.villages[district] = counter + 1
        return f"{city}{district}{names.village(counter)}股份经济合作社"
    brand = state.brands.take(feature)
    form = ent.type_code[i]
    if form in ("joint_stock", "listed"):
        return f"{short}{brand}{feature}股份有限公司"
    if form == "state_owned":
        return f"{city}{brand}{feature}公司"
    if form == "wholly_state_owned_company":
        return f"{short}{brand}{feature}集团有限公司"
    if form == "collective":
        return f"{city}{district}{brand}{feature}厂"
    if form == "sole_proprietorship":
        return f"{city}{district}{brand}{feature}{SOLE_FORMS[int(v * len(SOLE_FORMS))]}"
    if form == "partnership":
        return f"{short}{brand}{feature}合伙企业（有限合伙）"
    if form == "branch":
        parent = names.OTHER_CITIES[int(v * len(names.OTHER_CITIES))] if v < 0.7 else short
        return f"{parent}{brand}{feature}有限公司{city}{district}分公司"
    if form == "foreign_invested":
        return f"{brand}（{short}）{feature}有限公司"
    prefix = city if v < 0.08 else short
    return f"{prefix}{brand}{feature}有限公司"


def assign(ctx: Context, state: State, rng: np.random.Generator, ent: Enterprises) -> Identity:
    cfg = ctx.config
    n = ent.n
    u = rng.random((n, 10))
    numbers = rng.integers(1, 800, (n, 2))
    legal_rep = names.person_names(rng, rng.random(n) < 0.75)
    credit_idx = rng.choice(len(CREDIT_RATINGS), size=n, p=CREDIT_P)
    outside = _outside_counties(ctx.city_code)
    as_of = ctx.as_of
    records = ent.extra["records"]
    dishonest = {pos for pos, *_ in records.dishonesty}
    ident = Identity([], [], [], [], [], [], [], [], [], [], [])
    for i in range(n):
        kind = int(ent.kind[i])
        district = ent.district[i]
        district_name = ctx.district_names[district]
        city_level = kind == KIND_COMPANY and u[i, 0] < cfg.city_level_registration
        region = ctx.city_code if city_level else district
        org9 = _org9(state, cfg.seed, ent.established[i], kind, float(u[i, 1]))
        authority = _AUTHORITY[kind]
        ident.uscc.append(codes.uscc(authority[0], authority[1], region, org9))
        ident.name.append(_name(ctx, state, ent, i, float(u[i, 2]), float(u[i, 3])))
        ident.legal_rep.append(legal_rep[i])
        roads = names.roads_for(district)
        street = names.address(roads, float(u[i, 4]), int(numbers[i, 0]), float(u[i, 5]))
        ident.address.append(f"{ctx.city_name}{district_name}{street}")
        moved = names.address(roads, float(u[i, 5]), int(numbers[i, 1]), float(u[i, 4]))
        if moved == street:
            moved = f"{street[:-1]}附{int(numbers[i, 1]) % 9 + 1}号" if street.endswith("号") \
                else f"{street}（{int(numbers[i, 1])}号）"
        ident.other_address.append(f"{ctx.city_name}{district_name}{moved}")
        if kind == KIND_RURAL:
            ident.registrar.append(f"{ctx.city_name}{district_name}农业农村局")
        elif city_level:
            ident.registrar.append(f"{ctx.city_name}市场监督管理局")
        else:
            ident.registrar.append(f"{ctx.city_name}{district_name}市场监督管理局")
        est = ent.established[i].astype(object)
        span = max((as_of - est).days, 0)
        changed = u[i, 6] < 0.6
        ident.approved.append(est + timedelta(days=int(u[i, 7] * span)) if changed else est)
        ident.unit_no.append(f"{district}{((ent.start + i) * 48271 + 10_000_019) % 10**8:08d}")
        if u[i, 8] < cfg.qualifications.tax_outside_city and outside:
            code, office = outside[int(u[i, 9] * len(outside))]
            ident.tax_region.append(code)
            ident.tax_office.append(office)
        elif ent.revenue[i, 2] >= 50_000 * WAN * 100:
            ident.tax_region.append(ctx.city_code)
            ident.tax_office.append(f"国家税务总局{ctx.city_name}税务局第一税务分局")
        else:
            ident.tax_region.append(district)
            ident.tax_office.append(f"国家税务总局{ctx.city_name}{district_name}税务局")
        young = (as_of - est).days < 365
        credit = "D" if i in dishonest else "M" if young else CREDIT_RATINGS[int(credit_idx[i])]
        ident.credit.append(credit)
    ent.extra["identity"] = ident
    return ident
