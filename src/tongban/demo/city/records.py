"""Rows of each department file for one chunk, as the department's system would hold them.

One builder per file (``BUILDERS``); each returns a ``Batch`` with the rows, the rows that an
enterprise-level defect (``defects.Plan``) touched, and the cells that decide a rare policy
clause (targets for the small-scale floors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from tongban.demo.city.context import Context, State
from tongban.demo.city.defects import Batch, Plan
from tongban.demo.city.enterprises import Enterprises, in_statistics, unit_first_year
from tongban.demo.city.identity import Identity, type_name
from tongban.demo.city.people import Hires
from tongban.demo.city.qualifications import Records
from tongban.demo.city.sectors import CLASSES, SIZE_NAMES
from tongban.kernel.codes import regions

ABOVE_NAMES = ("规模以上工业", "限额以上批发业", "限额以上零售业", "限额以上住宿业", "限额以上餐饮业")
REGISTERED = "存续（在营、开业、在册）"
SRDI_NAMES = {"省级": "省级专精特新中小企业", "国家级": "国家级专精特新“小巨人”企业"}


@dataclass
class Chunk:
    ctx: Context
    state: State
    ent: Enterprises
    ident: Identity
    rec: Records
    hires: Hires
    plan: Plan


def fen(value: int) -> str:
    """Yuan with two decimals from integer fen: 123456 → 1234.56."""
    sign = "-" if value < 0 else ""
    value = abs(int(value))
    return f"{sign}{value // 100}.{value % 100:02d}"


def wan(value_fen: int) -> str:
    """万元 with two decimals from fen (rounded half up)."""
    hundredths = (int(value_fen) + 5_000) // 10_000
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def thousand(value_fen: int) -> str:
    """千元 with one decimal from fen (rounded half up)."""
    tenths = (int(value_fen) + 5_000) // 10_000
    return f"{tenths // 10}.{tenths % 10}"


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def registrations(c: Chunk) -> Batch:
    ent, ident = c.ent, c.ident
    established = np.datetime_as_string(ent.established).tolist()
    rows: list[list[str]] = []
    for i in range(ent.n):
        cls = CLASSES[int(ent.cls[i])]
        capital = int(ent.capital[i])
        rows.append([
            ident.uscc[i], ident.name[i], ident.legal_rep[i], type_name(ent.type_code[i]),
            "" if ent.type_code[i] == "branch" else f"{capital // 100}.{capital % 100:02d}",
            established[i], ident.address[i], ent.district[i], cls.section + cls.code,
            ident.registrar[i], REGISTERED, ident.approved[i].isoformat(),
        ])
    frozen = {int(i) for i in np.flatnonzero(c.plan.address_mismatch)}
    return Batch(rows, frozen, [], [])


def penalties(c: Chunk) -> Batch:
    ctx = c.ctx
    rows: list[list[str]] = []
    targets = []
    for pos, when, amount, violation, category in c.rec.penalties:
        district = ctx.district_names[c.ent.district[pos]]
        seq = c.state.next_seq(f"penalty:{district}:{when.year}")
        number = f"{ctx.city_short[:1]}{district[:1]}市监罚〔{when.year}〕{seq}号"
        if amount > 100_000 * 100:
            targets.append((len(rows), 5, "penalty_amount"))
        rows.append([number, c.ident.uscc[pos], c.ident.name[pos], violation, category,
                     fen(amount), when.isoformat(), f"{ctx.city_name}{district}市场监督管理局"])
    return Batch(rows, set(), targets, [])


def patents(c: Chunk) -> Batch:
    ent = c.ent
    rows: list[list[str]] = []
    totals = ent.patents.sum(axis=2)
    for i, t in zip(*np.nonzero(totals), strict=True):
        inv, util, design = (int(x) for x in ent.patents[i, t])
        rows.append([c.ident.uscc[i], c.ident.name[i], str(c.ctx.years[t]), str(inv), str(util),
                     str(design), str(int(totals[i, t]))])
    return Batch(rows, set(), [], [])


def taxpayers(c: Chunk) -> Batch:
    ent, ident, plan = c.ent, c.ident, c.plan
    rows: list[list[str]] = []
    truth: list[tuple[int, str, str, str]] = []
    for i in range(ent.n):
        moved = bool(plan.address_mismatch[i])
        if moved:
            truth.append((i, "注册地址", "address_mismatch", ident.address[i]))
        rows.append([
            ident.uscc[i], ident.name[i], ident.other_address[i] if moved else ident.address[i],
            ident.tax_region[i], ident.tax_office[i], CLASSES[int(ent.cls[i])].code, "正常",
            ident.credit[i],
        ])
    frozen = {int(i) for i in np.flatnonzero(plan.address_mismatch)}
    return Batch(rows, frozen, [], truth)


def annual_returns(c: Chunk) -> Batch:
    ent, ident, ctx = c.ent, c.ident, c.ctx
    rows: list[list[str]] = []
    frozen: set[int] = set()
    targets: list[tuple[int, int, str]] = []
    truth: list[tuple[int, str, str, str]] = []
    hq = {pos for pos, *_ in c.rec.headquarters}
    young_sme = {pos for pos, year, _ in c.rec.tech_sme if year == ctx.config.reference_year
                 and ent.established[pos] >= np.datetime64(
                     date(ctx.config.reference_year - 3, 1, 1), "D")}
    exists = ent.exists
    for i in range(ent.n):
        stale = bool(c.plan.stale_returns[i])
        if stale:
            truth.append((-1, "", "stale_record", f"{ident.uscc[i]} {ctx.years[2]}"))
        for t in range(3):
            if not exists[i, t] or (t == 2 and stale):
                continue
            if stale:
                frozen.add(len(rows))
            if t == 2 and i in hq:
                targets.append((len(rows), 5, "hq_local"))
            if t == 2 and i in young_sme:
                targets.append((len(rows), 6, "sme_rd"))
            rows.append([ident.uscc[i], ident.name[i], str(ctx.years[t]), fen(ent.revenue[i, t]),
                         fen(ent.tax[i, t]), fen(ent.local[i, t]), fen(ent.rd[i, t])])
    return Batch(rows, frozen, targets, truth)


def insured_units(c: Chunk) -> Batch:
    ent, ident, ctx, plan = c.ent, c.ident, c.ctx, c.plan
    rows: list[list[str]] = []
    frozen: set[int] = set()
    truth: list[tuple[int, str, str, str]] = []
    first = unit_first_year(ent)
    for i in np.flatnonzero(first < 3).tolist():
        stale = bool(plan.stale_units[i])
        if stale:
            truth.append((-1, "", "stale_record", f"{ident.uscc[i]} {ctx.years[2]}"))
        for t in range(int(first[i]), 3):
            if not ent.exists[i, t] or (t == 2 and stale):
                continue
            if stale or (t == 2 and plan.headcount_mismatch[i]):
                frozen.add(len(rows))
            rows.append([ident.unit_no[i], ident.uscc[i], ident.name[i], str(ctx.years[t]),
                         str(int(ent.insured[i, t])), fen(ent.premium[i, t]),
                         str(int(ent.layoffs[i, t]))])
    return Batch(rows, frozen, [], truth)


def persons(c: Chunk) -> Batch:
    h, ident = c.hires, c.ident
    has_unit = unit_first_year(c.ent) < 3
    rows = [
        [h.ric[k], h.name[k], "男" if h.male[k] else "女", h.birth[k].isoformat(), h.household[k],
         h.mobile[k], ident.unit_no[h.employer[k]] if has_unit[h.employer[k]] else "",
         ident.uscc[h.employer[k]], "参保缴费" if h.insured[k] else "未参保", "就业"]
        for k in range(h.n)
    ]
    return Batch(rows, set(), [], [])


def hires(c: Chunk) -> Batch:
    h, ident = c.hires, c.ident
    rows: list[list[str]] = []
    for k in range(h.n):
        since = h.unemployed_since[k]
        rows.append([h.ric[k], h.name[k], ident.uscc[h.employer[k]], ident.name[h.employer[k]],
                     h.hired[k].isoformat(), str(h.contract_months[k]), h.prior[k],
                     since.isoformat() if since else "", "是" if h.insured[k] else "否"])
    return Batch(rows, set(), [], [])


def high_tech(c: Chunk) -> Batch:
    ctx = c.ctx
    rows: list[list[str]] = []
    targets: list[tuple[int, int, str]] = []
    latest: dict[int, date] = {}
    for pos, issued in c.rec.high_tech:
        latest[pos] = max(latest.get(pos, issued), issued)
    for pos, issued in c.rec.high_tech:
        seq = c.state.next_seq(f"GR{issued.year}")
        if issued == latest[pos] and _add_years(issued, 3) > ctx.as_of:
            targets.append((len(rows), 3, "ht_date"))
        rows.append([f"GR{issued.year}{ctx.province}{seq:06d}", c.ident.name[pos],
                     c.ident.uscc[pos], issued.isoformat(), "3"])
    return Batch(rows, set(), targets, [])


def tech_sme(c: Chunk) -> Batch:
    rows: list[list[str]] = []
    for pos, year, entered in c.rec.tech_sme:
        district = c.ent.district[pos]
        seq = c.state.next_seq(f"SME{year}{district}")
        rows.append([f"{year}{district}{seq:05d}", c.ident.name[pos], c.ident.uscc[pos], str(year),
                     entered.isoformat()])
    return Batch(rows, set(), [], [])


def srdi(c: Chunk) -> Batch:
    rows: list[list[str]] = []
    targets: list[tuple[int, int, str]] = []
    last_year = c.ctx.config.reference_year - 1
    for pos, level, certified in c.rec.srdi:
        if certified.year == last_year:
            targets.append((len(rows), 3, "srdi_date"))
        valid_to = _add_years(certified, 3) - timedelta(days=1)
        rows.append([c.ident.uscc[pos], c.ident.name[pos], SRDI_NAMES[level],
                     certified.isoformat(), valid_to.isoformat()])
    return Batch(rows, set(), targets, [])


def tech_grants(c: Chunk) -> Batch:
    ctx = c.ctx
    rows: list[list[str]] = []
    targets: list[tuple[int, int, str]] = []
    province = regions.get(ctx.province + "0000")
    province_name = province.name if province else ""
    abbreviation = "闽" if ctx.province == "35" else province_name[:2]
    for pos, level, granted, amount, project in c.rec.grants:
        seq = c.state.next_seq(f"grant{granted.year}")
        if level == "省级":
            issuer = f"{province_name}工业和信息化厅"
            document = f"{abbreviation}工信技改〔{granted.year}〕{seq % 97 + 3}号"
            if granted.year == ctx.config.reference_year - 1:
                targets.append((len(rows), 7, "grant_date"))
        else:
            issuer = f"{ctx.city_name}工业和信息化局"
            document = f"{ctx.city_short[:1]}工信技改〔{granted.year}〕{seq % 97 + 3}号"
        rows.append([f"JG{granted.year}{seq:05d}", c.ident.uscc[pos], c.ident.name[pos], project,
                     level, issuer, document, granted.isoformat(), wan(amount)])
    return Batch(rows, set(), targets, [])


def annual_units(c: Chunk) -> Batch:
    ent, ident, ctx, plan = c.ent, c.ident, c.ctx, c.plan
    rows: list[list[str]] = []
    frozen: set[int] = set()
    truth: list[tuple[int, str, str, str]] = []
    for i in np.flatnonzero(in_statistics(ent)).tolist():
        t = 1 if plan.stale_stats[i] else 2
        employees = int(ent.employees[i, t])
        if plan.stale_stats[i]:
            frozen.add(len(rows))
            truth.append((len(rows), "统计年度", "stale_record", str(ctx.years[2])))
        elif plan.headcount_mismatch[i]:
            frozen.add(len(rows))
            truth.append((len(rows), "从业人员期末人数", "headcount_mismatch", str(employees)))
            employees = int(plan.headcount_value[i])
        rows.append([ident.uscc[i], ident.name[i], str(ctx.years[t]), CLASSES[int(ent.cls[i])].code,
                     str(employees), thousand(ent.revenue[i, t]), SIZE_NAMES[int(ent.size[i, t])]])
    return Batch(rows, frozen, [], truth)


def above_scale(c: Chunk) -> Batch:
    ent, ident, ctx = c.ent, c.ident, c.ctx
    rows: list[list[str]] = []
    for t in range(3):
        for i in np.flatnonzero(ent.above[:, t] >= 0).tolist():
            rows.append([str(ctx.years[t]), ident.uscc[i], ident.name[i],
                         CLASSES[int(ent.cls[i])].code, ABOVE_NAMES[int(ent.above[i, t])],
                         thousand(ent.revenue[i, t])])
    return Batch(rows, set(), [], [])


def accidents(c: Chunk) -> Batch:
    rows: list[list[str]] = []
    targets: list[tuple[int, int, str]] = []
    for pos, when, level, deaths, hurt, loss, kind in c.rec.accidents:
        district = c.ent.district[pos]
        seq = c.state.next_seq(f"accident{when.year}")
        if level != "一般":
            targets.append((len(rows), 5, "accident_level"))
        rows.append([f"YJ{when.year}{district}{seq:04d}", when.isoformat(), c.ident.name[pos],
                     c.ident.uscc[pos], kind, level, str(deaths), str(hurt), wan(loss)])
    return Batch(rows, set(), targets, [])


def serious_dishonesty(c: Chunk) -> Batch:
    rows: list[list[str]] = []
    for pos, listed, removed, reason, department in c.rec.dishonesty:
        rows.append([c.ident.uscc[pos], c.ident.name[pos], listed.isoformat(), reason,
                     department.format(city=c.ctx.city_name),
                     removed.isoformat() if removed else "", "已移出" if removed else "列入"])
    return Batch(rows, set(), [], [])


def headquarters(c: Chunk) -> Batch:
    rows = [[c.ident.uscc[pos], c.ident.name[pos], kind, designated.isoformat()]
            for pos, designated, kind in c.rec.headquarters]
    return Batch(rows, set(), [], [])


BUILDERS: dict[str, Callable[[Chunk], Batch]] = {
    "SCJGJ/registrations": registrations,
    "SCJGJ/penalties": penalties,
    "SCJGJ/patents": patents,
    "SWJ/taxpayers": taxpayers,
    "SWJ/annual_returns": annual_returns,
    "RSJ/insured_units": insured_units,
    "RSJ/persons": persons,
    "RSJ/hires": hires,
    "KJJ/high_tech": high_tech,
    "KJJ/tech_sme": tech_sme,
    "GXJ/srdi": srdi,
    "GXJ/tech_grants": tech_grants,
    "TJJ/annual_units": annual_units,
    "TJJ/above_scale": above_scale,
    "YJJ/accidents": accidents,
    "FGW/serious_dishonesty": serious_dishonesty,
    "FGW/headquarters": headquarters,
}
