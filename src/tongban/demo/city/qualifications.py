"""Qualifications, grants and negative records of one chunk of enterprises.

Holders are drawn by quota: a chunk of n enterprises gets round(rate × n) holders (rounded at
random, so the expectation is exact), chosen among the enterprises that could plausibly hold
the title (高新技术企业 among research-minded companies that have existed for a year, 小巨人
among large 专精特新 firms …), weighted where the real population leans one way. At small
scale, rare titles get at least ``policy_case_floor`` holders over the whole run, and their
certification years cycle through the last years, so that every policy clause has new,
old and lapsed holders to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from tongban.demo.city.context import Context, IntArray, State
from tongban.demo.city.enterprises import (
    KIND_COMPANY,
    KIND_INDIVIDUAL,
    Enterprises,
    finish_figures,
)
from tongban.demo.city.sectors import CLASSES, SECTORS, WAN

FloatArray = NDArray[np.float64]

TECH_WEIGHT = {"C": 1.0, "I": 1.3, "M": 1.2, "D": 0.3, "E": 0.1, "F": 0.05, "L": 0.05}
VIOLATIONS = (
    "虚假宣传", "价格违法", "销售不合格产品", "未经许可从事经营活动", "侵犯注册商标专用权",
    "计量违法", "特种设备使用违法", "不正当竞争", "产品质量违法",
)
FOOD_VIOLATIONS = ("销售不符合食品安全标准的食品", "未取得食品经营许可从事食品经营", "虚假宣传",
                   "价格违法")
FOOD_CLASSES = ("13", "14", "15", "5124", "5127", "5212", "5213", "5226", "62", "61")
ACCIDENT_TYPES = (
    "物体打击", "车辆伤害", "机械伤害", "起重伤害", "触电", "高处坠落", "坍塌", "火灾", "中毒和窒息",
    "其他伤害",
)
DISHONESTY = (  # reason, the department that put the firm on the list ({city}: 厦门市)
    ("严重违法失信（市场监管领域）", "{city}市场监督管理局"),
    ("重大税收违法失信主体", "国家税务总局{city}税务局"),
    ("拖欠农民工工资失信联合惩戒", "{city}人力资源和社会保障局"),
    ("安全生产严重失信", "{city}应急管理局"),
)
HQ_TYPES = ("综合型总部", "地区总部", "职能型总部")


@dataclass
class Records:
    """Sparse per-enterprise records; ``pos`` is the position in the chunk."""

    high_tech: list[tuple[int, date]] = field(default_factory=list)  # certificates issued
    tech_sme: list[tuple[int, int, date]] = field(default_factory=list)  # (pos, year, entered)
    srdi: list[tuple[int, str, date]] = field(default_factory=list)  # level: 省级 or 国家级
    grants: list[tuple[int, str, date, int, str]] = field(default_factory=list)
    headquarters: list[tuple[int, date, str]] = field(default_factory=list)
    penalties: list[tuple[int, date, int, str, str]] = field(default_factory=list)
    accidents: list[tuple[int, date, str, int, int, int, str]] = field(default_factory=list)
    dishonesty: list[tuple[int, date, date | None, str, str]] = field(default_factory=list)


def _quota(ctx: Context, rng: np.random.Generator, rate: float, n: int, floored: bool) -> int:
    cfg = ctx.config
    share = max(rate, cfg.policy_case_floor / cfg.scale) if floored else rate
    expected = share * n
    whole = int(expected)
    return whole + int(rng.random() < expected - whole)


def _pick(rng: np.random.Generator, eligible: NDArray[np.bool_], k: int,
          weight: FloatArray | None = None) -> IntArray:
    idx = np.flatnonzero(eligible)
    k = min(k, len(idx))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    p = None
    if weight is not None:
        w = weight[idx]
        p = w / w.sum()
    return np.sort(rng.choice(idx, size=k, replace=False, p=p)).astype(np.int64)


def _day(rng: np.random.Generator, year: int, first: tuple[int, int], last: tuple[int, int],
         not_before: date, not_after: date) -> date:
    lo = max(date(year, *first), not_before)
    hi = min(date(year, *last), not_after)
    if hi < lo:
        hi = lo
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def _between(rng: np.random.Generator, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def _cycle(state: State, key: str, years: tuple[int, ...]) -> int:
    return years[(state.next_seq(key) - 1) % len(years)]


def assign(ctx: Context, state: State, rng: np.random.Generator, ent: Enterprises) -> None:
    """Draw the holders, write their records, then finish the figures that depend on them."""
    q = ctx.config.qualifications
    ref = ctx.config.reference_year
    as_of = ctx.as_of
    n = ent.n
    rec = Records()
    est = [d.astype(object) for d in ent.established]
    est_year = ent.established.astype("datetime64[Y]").astype(np.int64) + 1970
    rev = ent.revenue[:, 2] / 100.0  # last figure year, yuan
    active = ~ent.dormant & ent.exists[:, 2]
    company = ent.is_company() & active
    tech = np.array([TECH_WEIGHT.get(s, 0.02) for s in ent.section])

    # 高新技术企业: valid (certificate of the last three years) and lapsed ones
    can_ht = company & (est_year <= ref - 2)
    w_ht = tech * np.where(rev >= 300 * WAN, 1.0, 0.3)
    ht = _pick(rng, can_ht, _quota(ctx, rng, q.high_tech, n, True), w_ht)
    lapsed = _pick(rng, can_ht & (est_year <= ref - 5) & ~np.isin(np.arange(n), ht),
                   _quota(ctx, rng, q.high_tech_expired, n, True), w_ht)
    for group, offsets in ((ht, (1, 2, 3)), (lapsed, (4, 5, 6))):
        for pos in group.tolist():
            year = max(ref - int(rng.choice(offsets)), int(est_year[pos]) + 1)
            while year >= ref - 12 and year >= est_year[pos] + 1:
                rec.high_tech.append((pos, _day(rng, year, (10, 15), (12, 28), est[pos], as_of)))
                if rng.random() > 0.5:
                    break
                year -= 3

    # 科技型中小企业: entered for the current year (valid) or only for earlier years (lapsed)
    young = est_year >= ref - 4
    can_sme = company & (ent.employees[:, 2] <= 500) & (rev <= 20000 * WAN)
    w_sme = tech * np.where(young, 2.0, 1.0)
    sme = _pick(rng, can_sme, _quota(ctx, rng, q.tech_sme, n, True), w_sme)
    sme_lapsed = _pick(rng, can_sme & ~np.isin(np.arange(n), sme),
                       _quota(ctx, rng, q.tech_sme * 0.3, n, True), w_sme)
    for group, latest in ((sme, ref), (sme_lapsed, ref - 1)):
        for pos in group.tolist():
            for year in range(latest, ref - 4, -1):
                if year < est_year[pos] or (year < latest and rng.random() < 0.4):
                    break
                last = as_of if year == ref else date(year, 12, 20)
                rec.tech_sme.append((pos, year, _day(rng, year, (3, 1), (11, 30), est[pos], last)))

    # 专精特新: provincial SMEs, and national 小巨人 among the larger ones
    w_srdi = np.array([{"C": 3.0, "I": 1.0, "M": 0.7}.get(s, 0.1) for s in ent.section])
    can_srdi = company & (est_year <= ref - 3) & (rev >= 500 * WAN)
    w_srdi = w_srdi * np.where(rev >= 1000 * WAN, 1.0, 0.3)
    provincial = _pick(rng, can_srdi, _quota(ctx, rng, q.srdi_provincial, n, True), w_srdi)
    giants = _pick(rng, can_srdi & (rev >= 2000 * WAN),
                   _quota(ctx, rng, q.srdi_little_giant, n, True),
                   w_srdi * np.where(rev >= 5000 * WAN, 1.0, 0.3))
    for pos in provincial.tolist():
        year = _cycle(state, "srdi_provincial", (ref - 1, ref - 2, ref - 3, ref - 4))
        rec.srdi.append((pos, "省级", _day(rng, year, (11, 1), (12, 28), est[pos], as_of)))
    for pos in giants.tolist():
        year = _cycle(state, "srdi_national", (ref - 1, ref - 2, ref - 3))
        rec.srdi.append((pos, "国家级", _day(rng, year, (7, 1), (9, 30), est[pos], as_of)))
        if pos not in provincial:
            rec.srdi.append((pos, "省级", _day(rng, year - 2, (11, 1), (12, 28), est[pos], as_of)))

    # 技术改造专项资金: provincial grants (matched 1:0.5 by the city, E10) and city grants
    industrial = np.array([s in "CD" for s in ent.section])
    can_grant = company & (rev >= 500 * WAN)
    w_grant = np.where(industrial, 1.0, 0.1) * np.where(rev >= 2000 * WAN, 1.0, 0.2)
    for level, rate, key, median in (("省级", q.provincial_grant, "grant_p", 200),
                                     ("市级", q.city_grant, "grant_c", 80)):
        for pos in _pick(rng, can_grant, _quota(ctx, rng, rate, n, True), w_grant).tolist():
            year = _cycle(state, key, (ref - 1, ref - 2, ref - 3))
            amount = float(np.clip(median * np.exp(rng.normal(0.0, 0.8)), 20, 1500))
            feature = CLASSES[int(ent.cls[pos])].features[0]
            project = _project(rng, feature)
            when = _day(rng, year, (6, 1), (12, 20), est[pos], as_of)
            rec.grants.append((pos, level, when, round(amount) * WAN * 100, project))

    # 总部企业: a city designation of large firms
    hq_sections = np.array([s in "CFGIJKLM" for s in ent.section])
    can_hq = company & (est_year <= ref - 2) & (rev >= 10000 * WAN) & hq_sections
    w_hq = np.sqrt(np.maximum(rev, 1.0))
    for pos in _pick(rng, can_hq, _quota(ctx, rng, q.headquarters, n, True), w_hq).tolist():
        year = int(rng.integers(max(2016, int(est_year[pos]) + 1), ref))
        kind = HQ_TYPES[int(rng.integers(0, len(HQ_TYPES)))]
        rec.headquarters.append((pos, _day(rng, year, (3, 1), (12, 20), est[pos], as_of), kind))

    _negative(ctx, state, rng, ent, rec, est)
    ent.extra["records"] = rec
    _finish(ctx, rng, ent, ht, lapsed, sme, sme_lapsed, provincial, giants)


def _project(rng: np.random.Generator, feature: str) -> str:
    templates = ("{f}智能化技术改造项目", "{f}数字化车间建设项目", "{f}生产线升级改造项目",
                 "年产{x}万件{f}产品技术改造项目", "{f}绿色低碳改造项目")
    template = templates[int(rng.integers(0, len(templates)))]
    return template.format(f=feature, x=int(rng.integers(5, 500)))


def _negative(ctx: Context, state: State, rng: np.random.Generator, ent: Enterprises,
              rec: Records, est: list[date]) -> None:
    q = ctx.config.qualifications
    floor = ctx.config.policy_case_floor
    ref = ctx.config.reference_year
    n = ent.n
    window_start = date(ref - 5, 1, 1)
    alive = np.ones(n, dtype=bool)
    weight = np.where(ent.kind == KIND_INDIVIDUAL, 1.2, 1.0)
    for pos in _pick(rng, alive, _quota(ctx, rng, q.penalty, n, False), weight).tolist():
        for _ in range(1 + int(rng.random() < 0.2)):
            when = _between(rng, max(est[pos], window_start), ctx.as_of)
            if rng.random() < 0.15:
                amount, category = 0, "警告"
            elif rng.random() < q.large_penalty or (floor and state.floor_left("penalty", floor)):
                # above 10万元, most of them not far above
                amount = int(10 * WAN * np.exp(abs(rng.normal(0.0, 0.8)))) // 100 * 100 + 100
                category = "罚款；没收违法所得"
            else:
                amount = int(min(100_000, round(5000 * np.exp(rng.normal(0.0, 1.2)), -2)))
                category = "罚款"
            code = CLASSES[int(ent.cls[pos])].code
            pool = FOOD_VIOLATIONS if code.startswith(FOOD_CLASSES) else VIOLATIONS
            violation = pool[int(rng.integers(0, len(pool)))]
            rec.penalties.append((pos, when, max(amount, 0) * 100, violation, category))

    risk = np.array([SECTORS[s].accident_risk for s in ent.section])
    risk = risk * np.sqrt(ent.employees[:, 2] + 1.0)
    can = alive & (ent.kind == KIND_COMPANY) & (risk > 0)
    for pos in _pick(rng, can, _quota(ctx, rng, q.accident, n, True), risk).tolist():
        when = _between(rng, max(est[pos], window_start), ctx.as_of)
        u = rng.random()
        if (floor and state.floor_left("accident_major", floor)) or 0.9 <= u < 0.98:
            level, deaths, hurt = "较大", int(rng.integers(3, 10)), int(rng.integers(0, 10))
            loss = int(rng.integers(200, 3000))
        elif u >= 0.98:
            level, deaths, hurt = "重大", int(rng.integers(10, 30)), int(rng.integers(10, 50))
            loss = int(rng.integers(5000, 10000))
        else:
            level, deaths, hurt = "一般", int(rng.random() < 0.6), int(rng.integers(0, 4))
            loss = int(rng.integers(5, 300))
        kind = ACCIDENT_TYPES[int(rng.integers(0, len(ACCIDENT_TYPES)))]
        rec.accidents.append((pos, when, level, deaths, hurt, loss * WAN * 100, kind))

    for pos in _pick(rng, alive, _quota(ctx, rng, q.serious_dishonesty, n, True)).tolist():
        listed = _between(rng, max(est[pos], window_start), ctx.as_of)
        removed: date | None = listed + timedelta(days=int(rng.integers(365, 1100)))
        keep = floor and state.floor_left("dishonesty_listed", floor)
        if keep or rng.random() < 0.7 or (removed is not None and removed > ctx.as_of):
            removed = None
        reason, department = DISHONESTY[int(rng.integers(0, len(DISHONESTY)))]
        rec.dishonesty.append((pos, listed, removed, reason, department))


def _finish(ctx: Context, rng: np.random.Generator, ent: Enterprises, ht: IntArray,
            lapsed: IntArray, sme: IntArray, sme_lapsed: IntArray, provincial: IntArray,
            giants: IntArray) -> None:
    """R&D intensity, tax factor and patent rate from the titles, then the dependent figures."""
    n = ent.n
    rev = ent.revenue[:, 2] / 100.0
    propensity = np.array([SECTORS[s].rd_propensity for s in ent.section])
    propensity = np.where(ent.kind == KIND_COMPANY, propensity, 0.0)
    spends = rng.random(n) < propensity
    ratio = np.where(spends, np.clip(0.025 * np.exp(rng.normal(0.0, 0.6, n)), 0.002, 0.2), 0.0)
    ratio[sme] = rng.uniform(0.02, 0.15, len(sme))
    ratio[sme_lapsed] = rng.uniform(0.01, 0.08, len(sme_lapsed))
    for group in (provincial, giants):
        ratio[group] = np.maximum(ratio[group], rng.uniform(0.03, 0.08, len(group)))
    ratio[lapsed] = rng.uniform(0.01, 0.06, len(lapsed))
    threshold = np.where(rev < 5000 * WAN, 0.05, np.where(rev < 20000 * WAN, 0.04, 0.03))
    meets = rng.random(n) < 0.9
    ht_ratio = threshold * np.where(meets, rng.uniform(1.0, 1.8, n), rng.uniform(0.6, 1.0, n))
    ratio[ht] = ht_ratio[ht]
    tax_factor = np.ones(n)
    tax_factor[ht] = 0.8  # 15 % corporate income tax instead of 25 %
    patent_rate = np.where(ratio > 0, 1.0 + ratio * 40.0, np.where(rng.random(n) < 0.03, 0.8, 0.0))
    patent_rate[ht] += 6.0
    patent_rate[sme] += 2.0
    patent_rate[provincial] += 3.0
    patent_rate[giants] += 10.0
    finish_figures(ctx, rng, ent, ratio, tax_factor, patent_rate)
