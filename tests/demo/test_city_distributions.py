"""The demo city looks like the configuration says: who, where, how big, and how spoiled."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from typing import Any

import pytest

from tongban.demo.city import CityConfig, Manifest
from tongban.demo.city.config import SECTION_WEIGHTS, XIAMEN_DISTRICT_WEIGHTS
from tongban.kernel.codes import industries, regions
from tongban.kernel.codes.validators import validate_ric, validate_uscc

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
WAN = 10_000
City = tuple[Manifest, Any]


def unique_rows(city: Any, key: str) -> list[dict[str, str]]:
    """Rows without the injected duplicates (a duplicate follows its original)."""
    kept: list[dict[str, str]] = []
    for row in city.rows(key):
        if kept and row == kept[-1]:
            continue
        kept.append(row)
    return kept


def registrations(city: Any) -> dict[str, dict[str, str]]:
    return {r["统一社会信用代码"]: r for r in unique_rows(city, "SCJGJ/registrations")}


def test_districts_follow_their_weights(generated_city: City) -> None:
    regs = registrations(generated_city[1])
    counts = Counter(r["住所所在行政区划"] for r in regs.values())
    total = sum(counts[d] for d, _ in XIAMEN_DISTRICT_WEIGHTS)
    for district, weight in XIAMEN_DISTRICT_WEIGHTS:
        assert abs(counts[district] / total - weight) < 0.035, (district, counts)
    # 思明 and 湖里 (the island) lead; 翔安 is the smallest
    assert counts["350203"] > counts["350211"] > counts["350213"]


def test_sections_follow_the_configured_mix(generated_city: City) -> None:
    regs = registrations(generated_city[1])
    sections = Counter(
        industries.section_of(r["行业代码"]) for r in regs.values()
        if r["行业代码"] and industries.is_valid_code(r["行业代码"])
    )
    total = sum(sections.values())
    weights = dict(SECTION_WEIGHTS)
    scale = sum(weights.values())
    for section, weight in weights.items():
        assert abs(sections[section] / total - weight / scale) < 0.025, (section, sections)
    assert sections["F"] > sections["C"] > sections["I"]


def test_industry_codes_are_four_digit_classes(generated_city: City) -> None:
    regs = registrations(generated_city[1])
    codes = {r["行业代码"] for r in regs.values() if r["行业代码"]}
    valid = [c for c in codes if industries.is_valid_code(c)]
    assert all(re.fullmatch(r"[A-T]\d{4}", c) for c in valid)
    assert all(industries.level_of(c) == "class" for c in valid)


def test_legal_forms_and_code_authorities(generated_city: City) -> None:
    regs = registrations(generated_city[1])
    types = Counter(r["企业类型"] for r in regs.values() if r["企业类型"])
    prefixes = Counter(code[:2] for code in regs)
    n = len(regs)
    assert 0.12 < types["个体工商户"] / n < 0.25
    assert types["有限责任公司"] > types["个体工商户"]
    assert 0 <= prefixes["92"] - types["个体工商户"] <= 3  # a few types were blanked
    assert prefixes["93"] >= 1 and prefixes["N2"] >= 1  # cooperatives; village collectives
    for code, row in regs.items():
        assert validate_uscc(code).valid
        if row["住所所在行政区划"] and regions.get(row["住所所在行政区划"]):
            # characters 3–8: the district, or the city for city-level registrations
            assert code[2:8] in (row["住所所在行政区划"], "350200")


def test_establishment_dates_are_young_with_a_long_tail(generated_city: City) -> None:
    years = [int(r["成立日期"][:4]) for r in registrations(generated_city[1]).values()
             if r["成立日期"]]
    assert min(years) >= 1980 and max(years) <= 2026
    young = sum(1 for y in years if y >= 2021) / len(years)
    assert 0.35 < young < 0.7
    assert sum(1 for y in years if y < 1995) >= 20


def test_revenue_is_long_tailed(generated_city: City) -> None:
    city = generated_city[1]
    regs = registrations(city)
    revenue = [
        float(r["营业收入（元）"]) for r in unique_rows(city, "SWJ/annual_returns")
        if r["所属年度"] == "2025" and NUMBER.fullmatch(r["营业收入（元）"])
        and regs.get(r["纳税人识别号"], {}).get("企业类型") not in ("个体工商户", None)
    ]
    median = statistics.median(revenue)
    assert 100 * WAN < median < 800 * WAN  # a few million yuan
    revenue.sort()
    assert revenue[int(len(revenue) * 0.99)] > 30 * median
    assert revenue[-1] > 1e8  # some firms have billions … at least a hundred million here
    zero = sum(1 for v in revenue if v == 0) / len(revenue)
    assert 0.03 < zero < 0.15  # dormant companies


def test_sizes_are_mostly_micro_and_small(generated_city: City) -> None:
    sizes = Counter(r["企业规模"] for r in unique_rows(generated_city[1], "TJJ/annual_units")
                    if r["企业规模"])
    n = sum(sizes.values())
    assert 0.55 < sizes["微型"] / n < 0.85
    assert 0.1 < sizes["小型"] / n < 0.4
    assert sizes["中型"] > sizes["大型"] >= 1


def test_qualification_rates(generated_city: City) -> None:
    manifest, city = generated_city
    config = CityConfig(**{k: v for k, v in manifest.data["config"].items()
                           if k in ("scale", "seed")})
    q, n, floor = config.qualifications, config.scale, config.policy_case_floor

    def expected(rate: float) -> float:
        return max(rate, floor / n) * n

    holders: dict[str, set[str]] = defaultdict(set)
    for r in unique_rows(city, "KJJ/tech_sme"):
        if r["入库年度"] == "2026":
            holders["tech_sme"].add(r["统一社会信用代码"])
    for r in unique_rows(city, "GXJ/srdi"):
        holders[r["认定级别"]].add(r["统一社会信用代码"])
    holders["hq"] = {r["统一社会信用代码"] for r in unique_rows(city, "FGW/headquarters")}
    certified = {r["统一社会信用代码"] for r in unique_rows(city, "KJJ/high_tech")}
    assert len(certified) == pytest.approx(expected(q.high_tech) + expected(q.high_tech_expired),
                                           rel=0.25)
    assert len(holders["tech_sme"]) == pytest.approx(expected(q.tech_sme), rel=0.25)
    assert len(holders["省级专精特新中小企业"]) >= expected(q.srdi_provincial) * 0.7
    assert len(holders["国家级专精特新“小巨人”企业"]) == pytest.approx(
        expected(q.srdi_little_giant), abs=2)
    assert len(holders["hq"]) == pytest.approx(expected(q.headquarters), abs=2)


def _count(city: Any, key: str, spec: dict[str, Any]) -> Counter[str]:
    """Defects visible in one file, found by reading it (not from the truth file)."""
    found: Counter[str] = Counter()
    columns = spec["columns"]
    previous: list[str] | None = None
    for row in city.raw(key):
        if row == previous:
            found["duplicate_row"] += 1
            continue
        previous = row
        for column, value in zip(columns, row, strict=True):
            if column["role"] == "value" and value == "":
                found["missing_value"] += 1
            if column["role"] == "value" and column["kind"] in ("int", "decimal") and value \
                    and not NUMBER.fullmatch(value):
                found["malformed_number"] += 1
            check = column["check"]
            if not value or check is None:
                continue
            if check == "uscc" and not validate_uscc(value).valid:
                found["invalid_uscc"] += 1
            elif check == "ric" and not validate_ric(value).valid:
                found["invalid_ric"] += 1
            elif check == "region" and regions.get(value) is None:
                found["invalid_region"] += 1
            elif check == "industry" and not industries.is_valid_code(value):
                found["invalid_industry"] += 1
    return found


ROW_LEVEL = ("missing_value", "malformed_number", "duplicate_row", "invalid_uscc", "invalid_ric",
             "invalid_region", "invalid_industry")


def test_row_level_defects_in_the_files_match_the_manifest(generated_city: City) -> None:
    manifest, city = generated_city
    for spec in manifest.files:
        found = _count(city, spec["key"], spec)
        for kind in ROW_LEVEL:
            assert found[kind] == spec["defects"].get(kind, 0), (spec["key"], kind, found)


def test_defect_rates_match_the_configuration(generated_city: City) -> None:
    manifest, _ = generated_city
    rates = CityConfig().defects
    rows = sum(f["rows"] for f in manifest.files)
    totals = manifest.defects
    assert totals["missing_value"] / rows == pytest.approx(rates.missing_value, rel=0.25)
    assert totals["duplicate_row"] / rows == pytest.approx(rates.duplicate_row, rel=0.5)
    assert totals["malformed_number"] >= 1 and totals["invalid_uscc"] >= 1
    stale = manifest.file("SWJ/annual_returns")["defects"]["stale_record"]
    firms = manifest.file("SWJ/taxpayers")["rows"]
    assert stale / firms == pytest.approx(rates.stale_record, rel=0.4)
    assert totals["address_mismatch"] / firms == pytest.approx(rates.address_mismatch, rel=0.4)
    assert sum(totals.values()) == sum(sum(f["defects"].values()) for f in manifest.files)


def test_truth_file_lists_every_counted_defect(generated_city: City) -> None:
    manifest, city = generated_city
    lines = Counter((t["file"], t["kind"]) for t in city.truth())
    for spec in manifest.files:
        for kind, count in spec["defects"].items():
            assert lines[(spec["key"], kind)] == count, (spec["key"], kind)
    assert sum(lines.values()) == sum(manifest.defects.values())


def _corrected_keys(city: Any, key: str, column: str) -> list[dict[str, str]]:
    """Rows with mistyped USCCs put back, using the truth file (the answer key)."""
    fixes = {int(t["row"]): t["value"] for t in city.truth()
             if t["file"] == key and t["kind"] == "invalid_uscc" and t["column"] == column}
    rows = []
    for number, row in enumerate(city.rows(key), start=1):
        rows.append({**row, column: fixes.get(number, row[column])})
    return rows


@pytest.mark.parametrize(("key", "column", "year"), [
    ("SWJ/annual_returns", "纳税人识别号", "所属年度"),
    ("RSJ/insured_units", "单位编号", "年度"),
])
def test_stale_records_are_missing_their_last_year(generated_city: City, key: str, column: str,
                                                   year: str) -> None:
    manifest, city = generated_city
    years: dict[str, set[str]] = defaultdict(set)
    for row in _corrected_keys(city, key, column) if column != "单位编号" else city.rows(key):
        years[row[column]].add(row[year])
    stale = sum(1 for y in years.values() if "2024" in y and "2025" not in y)
    assert stale == manifest.file(key)["defects"]["stale_record"] > 0


def test_stale_statistics_report_the_year_before(generated_city: City) -> None:
    manifest, city = generated_city
    rows = unique_rows(city, "TJJ/annual_units")
    assert sum(1 for r in rows if r["统计年度"] == "2024") == \
        manifest.file("TJJ/annual_units")["defects"]["stale_record"] > 0


def test_address_and_headcount_disagreements_are_visible(generated_city: City) -> None:
    manifest, city = generated_city
    regs = registrations(city)
    moved = sum(
        1 for r in unique_rows(city, "SWJ/taxpayers")
        if r["纳税人识别号"] in regs and r["注册地址"] and regs[r["纳税人识别号"]]["住所"]
        and r["注册地址"] != regs[r["纳税人识别号"]]["住所"]
    )
    assert moved == manifest.defects["address_mismatch"] > 0
    insured = {r["统一社会信用代码"]: float(r["年末参保人数"])
               for r in unique_rows(city, "RSJ/insured_units")
               if r["年度"] == "2025" and NUMBER.fullmatch(r["年末参保人数"])}
    disagree = sum(
        1 for r in unique_rows(city, "TJJ/annual_units")
        if r["统计年度"] == "2025" and NUMBER.fullmatch(r["从业人员期末人数"])
        and r["统一社会信用代码"] in insured
        and float(r["从业人员期末人数"]) < 0.5 * insured[r["统一社会信用代码"]]
    )
    assert disagree == manifest.defects["headcount_mismatch"] > 0
