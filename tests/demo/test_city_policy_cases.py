"""Every policy clause E1–E10 of policy-examples.md has cases in the demo city.

For each clause the generated files are read back and every enterprise is classified with
three-valued (Kleene) logic, as the rules engine will: *eligible*, *likely* (only missing data
stands in the way), *near miss* (ineligible, but a threshold or date missed by a little), or
ineligible. Run this file as a script to print the table that docs/demo-city.md shows.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tongban.kernel.codes import industries, regions

WAN = 10_000
Tri = bool | None
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def number(value: str) -> float | None:
    """A clean number, or None for a blank or malformed cell (unknown)."""
    return float(value) if _NUMBER.fullmatch(value) else None


def day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def k_and(*values: Tri) -> Tri:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def k_or(*values: Tri) -> Tri:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def k_not(value: Tri) -> Tri:
    return None if value is None else not value


def at_least(value: float | None, threshold: float) -> Tri:
    return None if value is None else value >= threshold


@dataclass
class Profile:
    """What the departments say about one enterprise (None: the cell is blank or malformed)."""

    region: str | None = None
    section: str | None = None
    established: date | None = None
    tax_region: str | None = None
    revenue: dict[int, float | None] = field(default_factory=dict)
    rd: dict[int, float | None] = field(default_factory=dict)
    local: dict[int, float | None] = field(default_factory=dict)
    size: str | None = None
    high_tech: list[date | None] = field(default_factory=list)
    tech_sme: set[int | None] = field(default_factory=set)
    srdi: list[tuple[str, date | None]] = field(default_factory=list)
    grants: list[tuple[str, date | None]] = field(default_factory=list)
    headquarters: bool = False
    penalties: list[tuple[date | None, float | None]] = field(default_factory=list)
    accidents: list[tuple[date | None, str | None]] = field(default_factory=list)
    dishonesty: list[str | None] = field(default_factory=list)
    units: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)
    hires: list[dict[str, str]] = field(default_factory=list)

    def revenue_in(self, year: int) -> float | None:
        """A year before the firm existed has no revenue (known); a missing row is unknown."""
        if year in self.revenue:
            return self.revenue[year]
        if self.established is not None and self.established.year > year:
            return 0.0
        return None


def profiles(city: Any) -> dict[str, Profile]:
    found: dict[str, Profile] = {}
    for r in city.rows("SCJGJ/registrations"):
        code = r["行业代码"]
        found[r["统一社会信用代码"]] = Profile(
            region=r["住所所在行政区划"] or None,
            section=industries.section_of(code) if industries.is_valid_code(code) else None,
            established=day(r["成立日期"]),
        )

    def each(key: str, column: str = "统一社会信用代码") -> Any:
        for row in city.rows(key):
            profile = found.get(row[column])
            if profile is not None:
                yield profile, row

    for p, r in each("SWJ/taxpayers", "纳税人识别号"):
        p.tax_region = r["行政区划"] or None
    for p, r in each("SWJ/annual_returns", "纳税人识别号"):
        year = int(r["所属年度"])
        p.revenue[year] = number(r["营业收入（元）"])
        p.rd[year] = number(r["研发费用（元）"])
        p.local[year] = number(r["地方级收入（元）"])
    for p, r in each("TJJ/annual_units"):
        p.size = r["企业规模"] or None
    for p, r in each("KJJ/high_tech"):
        p.high_tech.append(day(r["发证日期"]))
    for p, r in each("KJJ/tech_sme"):
        p.tech_sme.add(int(r["入库年度"]) if r["入库年度"] else None)
    for p, r in each("GXJ/srdi"):
        p.srdi.append((r["认定级别"], day(r["认定日期"])))
    for p, r in each("GXJ/tech_grants"):
        p.grants.append((r["资金级别"], day(r["下达日期"])))
    for p, _ in each("FGW/headquarters"):
        p.headquarters = True
    for p, r in each("SCJGJ/penalties"):
        p.penalties.append((day(r["处罚决定日期"]), number(r["罚款金额（元）"])))
    for p, r in each("YJJ/accidents"):
        p.accidents.append((day(r["事故发生日期"]), r["事故等级"] or None))
    for p, r in each("FGW/serious_dishonesty"):
        p.dishonesty.append(r["名单状态"] or None)
    for p, r in each("RSJ/insured_units"):
        p.units[int(r["年度"])] = (number(r["年末参保人数"]), number(r["裁员人数"]))
    for p, r in each("RSJ/hires", "用人单位统一社会信用代码"):
        p.hires.append(r)
    return found


@dataclass(frozen=True)
class Period:
    as_of: date
    last: int  # 上年度
    before: int

    @property
    def three_years_ago(self) -> date:
        return self.as_of.replace(year=self.as_of.year - 3)


def _outcome(result: Tri, near: bool) -> str:
    if result is True:
        return "eligible"
    if result is None:
        return "likely"
    return "near_miss" if near else "ineligible"


def e1(p: Profile, t: Period) -> str:
    r = [p.revenue_in(y) for y in (t.last - 2, t.last - 1, t.last)]
    industrial = None if p.section is None else p.section in "BCD"
    place = k_and(
        None if p.region is None else regions.is_within(p.region, "3502"),
        None if p.tax_region is None else regions.is_within(p.tax_region, "3502"),
    )
    first_time = k_and(k_not(at_least(r[0], 2000 * WAN)), k_not(at_least(r[1], 2000 * WAN)))
    result = k_and(place, industrial, at_least(r[2], 2000 * WAN), first_time)
    near = bool(place and industrial and first_time and r[2] is not None
                and 1600 * WAN <= r[2] < 2000 * WAN)
    return _outcome(result, near)


def _valid_high_tech(dates: list[date | None], t: Period) -> Tri:
    def valid(issued: date | None) -> Tri:
        if issued is None:
            return None
        return issued <= t.as_of < issued.replace(year=issued.year + 3)
    return k_or(*(valid(d) for d in dates)) if dates else False


def e2(p: Profile, t: Period) -> str:
    result = _valid_high_tech(p.high_tech, t)
    lapsed = any(d is not None and d.replace(year=d.year + 3) <= t.as_of
                 < d.replace(year=d.year + 5) for d in p.high_tech)
    return _outcome(result, result is False and lapsed)


def e3(p: Profile, t: Period) -> str:
    result = k_or(*(None if d is None else d.year == t.last for _, d in p.srdi)) if p.srdi \
        else False
    near = any(d is not None and d.year == t.last - 1 for _, d in p.srdi)
    return _outcome(result, near)


def e4(p: Profile, t: Period) -> str:
    last, before = p.revenue_in(t.last), p.revenue_in(t.before)
    growth: Tri = None
    rate = None
    if last is not None and before is not None:
        rate = (last - before) / before if before > 0 else None
        growth = rate is not None and rate > 0.2
    result = k_and(at_least(last, 5000 * WAN), growth)
    near = last is not None and rate is not None and (
        (last >= 5000 * WAN and 0.1 < rate <= 0.2) or (4000 * WAN <= last < 5000 * WAN
                                                       and rate > 0.2))
    return _outcome(result, bool(near))


def _qualifying_hire(h: dict[str, str], year: int) -> Tri:
    hired = day(h["招用日期"])
    if hired is not None and hired.year != year:
        return False
    since = day(h["失业登记日期"])
    unemployed = (
        None if not h["招用前就业状态"] else h["招用前就业状态"] == "登记失业人员"
    )
    long_enough = None if since is None or hired is None else since <= hired - timedelta(days=182)
    if unemployed is False:
        long_enough = False
    months = number(h["劳动合同期限（月）"])
    insured = None if not h["是否缴纳社会保险"] else h["是否缴纳社会保险"] == "是"
    return k_and(None if hired is None else True, unemployed, long_enough,
                 at_least(months, 12), insured)


def e5(p: Profile, t: Period) -> str:
    small = None if p.size is None else p.size in ("小型", "微型")
    hires = [_qualifying_hire(h, t.as_of.year) for h in p.hires]
    any_hire = k_or(*hires) if hires else False
    result = k_and(small, any_hire)
    near_hire = any(
        h["招用前就业状态"] == "登记失业人员" and (day(h["招用日期"]) or t.as_of).year == t.as_of.year
        and q is False for h, q in zip(p.hires, hires, strict=True)
    )
    near = (small is True and near_hire) or (p.size == "中型" and any_hire is True)
    return _outcome(result, near)


def e6(p: Profile, t: Period) -> str:
    young = None if p.established is None else p.established > t.three_years_ago
    sme = k_or(*(None if y is None else y == t.as_of.year for y in p.tech_sme)) \
        if p.tech_sme else False
    rev, rd = p.revenue_in(t.last), p.rd.get(t.last)
    ratio: Tri = None
    value = None
    if rev is not None and rev == 0:
        ratio = False
    elif rev is not None and rd is not None:
        value = rd / rev
        ratio = value >= 0.05
    result = k_and(young, sme, ratio)
    near = bool(sme and ((young and value is not None and 0.03 <= value < 0.05) or (
        young is False and ratio is True and p.established is not None
        and p.established > t.as_of.replace(year=t.as_of.year - 4))))
    return _outcome(result, near)


def any_of(values: list[Tri]) -> Tri:
    """Kleene "exists": false for no records (the lists state full coverage)."""
    return k_or(*values) if values else False


def e7(p: Profile, t: Period) -> str:
    start = t.three_years_ago
    serious = ("较大", "重大", "特别重大")
    accident = any_of([k_and(None if d is None else d >= start,
                             None if level is None else level in serious)
                       for d, level in p.accidents])
    listed = any_of([None if s is None else s == "列入" for s in p.dishonesty])
    penalty = any_of([k_and(None if d is None else d >= start,
                            None if a is None else a > 10 * WAN) for d, a in p.penalties])
    result = k_and(k_not(accident), k_not(listed), k_not(penalty))
    near = (listed is False and accident is False and penalty is True and all(
        a is None or a <= 15 * WAN or (d is not None and d < start) for d, a in p.penalties))
    return _outcome(result, near)


def e8(p: Profile, t: Period) -> str:
    if t.last not in p.units:
        if t.before in p.units:
            return "likely"  # insured before, nothing reported for last year: unknown
        return "ineligible"  # not an insured employer
    insured, layoffs = p.units[t.last]
    if insured is None or layoffs is None:
        return "likely"
    rate = layoffs / insured if insured else 0.0
    limit = 0.20 if insured <= 30 else 0.055
    return _outcome(rate <= limit, limit < rate <= limit + 0.05)


def e9(p: Profile, t: Period) -> str:
    if not p.headquarters:
        return "ineligible"
    local = p.local.get(t.last)
    result = None if local is None else local > 500 * WAN
    return _outcome(result, local is not None and 300 * WAN <= local <= 500 * WAN)


def e10(p: Profile, t: Period) -> str:
    provincial = [d for level, d in p.grants if level == "省级"]
    result = k_or(*(None if d is None else d.year == t.last for d in provincial)) \
        if provincial else False
    near = any(d is not None and d.year == t.last - 1 for d in provincial) or any(
        level == "市级" and d is not None and d.year == t.last for level, d in p.grants)
    return _outcome(result, near)


CLAUSES = {"E1": e1, "E2": e2, "E3": e3, "E4": e4, "E5": e5, "E6": e6, "E7": e7, "E8": e8,
           "E9": e9, "E10": e10}
LABELS = {
    "E1": "首次达规上（营业收入2000万元）", "E2": "高新技术企业研发补助", "E3": "新认定专精特新",
    "E4": "营业收入增量奖励", "E5": "小微企业吸纳就业", "E6": "初创科技型中小企业研发",
    "E7": "无安全事故、失信、大额处罚", "E8": "稳岗返还", "E9": "总部企业地方贡献",
    "E10": "省级技改资金市级配套",
}


def coverage(city: Any) -> dict[str, Counter[str]]:
    as_of = date.fromisoformat(city.manifest["as_of"])
    years = city.manifest["figure_years"]
    period = Period(as_of=as_of, last=years[-1], before=years[-2])
    found = profiles(city)
    result: dict[str, Counter[str]] = defaultdict(Counter)
    for profile in found.values():
        for clause, rule in CLAUSES.items():
            result[clause][rule(profile, period)] += 1
    return result


def markdown(table: dict[str, Counter[str]]) -> str:
    lines = ["| clause | | eligible | near miss | likely (data missing) | ineligible |",
             "|---|---|---:|---:|---:|---:|"]
    for clause, label in LABELS.items():
        c = table[clause]
        lines.append(f"| {clause} | {label} | {c['eligible']} | {c['near_miss']} | "
                     f"{c['likely']} | {c['ineligible']} |")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def table(generated_city: tuple[Any, Any]) -> dict[str, Counter[str]]:
    return coverage(generated_city[1])


@pytest.mark.parametrize("clause", list(CLAUSES))
def test_every_clause_has_eligible_near_miss_and_likely_cases(
    table: dict[str, Counter[str]], clause: str
) -> None:
    counts = table[clause]
    assert counts["eligible"] >= 1, counts
    assert counts["near_miss"] >= 1, counts
    assert counts["likely"] >= 1, counts


def main() -> None:
    """Print the coverage table of the demo city (for docs/demo-city.md)."""
    from tongban.demo.city import CityConfig, generate

    spec = importlib.util.spec_from_file_location("city_conftest", Path(__file__).with_name(
        "conftest.py"))
    assert spec is not None and spec.loader is not None
    helpers = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = helpers  # dataclasses look their module up there
    spec.loader.exec_module(helpers)
    with tempfile.TemporaryDirectory() as tmp:
        config = CityConfig(scale=helpers.DEMO_SCALE, seed=helpers.DEMO_SEED, write_xlsx=False)
        generate(config, tmp)
        print(markdown(coverage(helpers.CityFiles.open(Path(tmp)))))


if __name__ == "__main__":
    main()
