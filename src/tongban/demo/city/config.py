"""Every knob of the synthetic city: scale, seed, reference year, rates and proportions.

A `CityConfig` is frozen and fully determines the output: the same config writes byte-identical
CSV files. Rates are shares of the population they apply to (stated per field); defect rates
are shares of rows (cell-level defects), of enterprises (stale records, disagreements between
departments) or of rows of the files that carry the code (invalid codes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

# 厦门市 districts: 思明 and 湖里 (the island) hold most enterprises; 同安 and 翔安 fewer.
XIAMEN_DISTRICT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("350203", 0.28),  # 思明区
    ("350206", 0.26),  # 湖里区
    ("350211", 0.15),  # 集美区
    ("350205", 0.11),  # 海沧区
    ("350212", 0.11),  # 同安区
    ("350213", 0.09),  # 翔安区
)

# Share of all market entities by GB/T 4754 section, for a coastal trading and manufacturing
# city: wholesale/retail F and manufacturing C lead, then business services L, software I and
# research M. 个体工商户 are part of these shares (mostly in F, H and O).
SECTION_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("A", 0.010), ("B", 0.002), ("C", 0.200), ("D", 0.005), ("E", 0.050),
    ("F", 0.250), ("G", 0.040), ("H", 0.050), ("I", 0.075), ("J", 0.010),
    ("K", 0.020), ("L", 0.120), ("M", 0.080), ("N", 0.008), ("O", 0.035),
    ("P", 0.015), ("Q", 0.010), ("R", 0.020),
)


@dataclass(frozen=True)
class QualificationRates:
    """Shares of all enterprises holding each qualification (before the small-scale floor)."""

    high_tech: float = 0.015  # valid 高新技术企业 certificate on the as-of date
    high_tech_expired: float = 0.004  # held one that lapsed and was not renewed
    tech_sme: float = 0.025  # 科技型中小企业 entered for the current year
    srdi_provincial: float = 0.004  # 专精特新中小企业 (provincial), certified in the last 4 years
    srdi_little_giant: float = 0.0004  # 专精特新“小巨人” (national)
    headquarters: float = 0.0003  # 总部企业 (city designation; large firms only)
    provincial_grant: float = 0.002  # 省级技术改造专项资金 in one of the last three years
    city_grant: float = 0.002  # 市级技术改造资金
    penalty: float = 0.03  # at least one administrative penalty in the last five years
    large_penalty: float = 0.08  # share of penalties above 10万元
    accident: float = 0.002  # at least one work-safety accident in the last five years
    serious_dishonesty: float = 0.002  # ever put on the serious-dishonesty list
    layoff: float = 0.05  # firms with insured staff that lay off someone in a given year
    tax_outside_city: float = 0.005  # registered here, tax-managed in another city


@dataclass(frozen=True)
class DefectRates:
    """Injected defects; each is counted exactly in the manifest and in _truth/defects.csv."""

    missing_value: float = 0.02  # rows of every file with one blank non-key cell
    malformed_number: float = 0.002  # rows with one numeric cell like "1,2万" or "N/A"
    duplicate_row: float = 0.002  # rows written twice
    stale_record: float = 0.03  # enterprises whose latest year is missing from a yearly file
    address_mismatch: float = 0.02  # 税务 registered address differs from 市场监管
    headcount_mismatch: float = 0.02  # 统计 从业人员 far below 人社 参保人数 for the same year
    invalid_uscc: float = 0.001  # rows of non-registration files with a mistyped USCC
    invalid_ric: float = 0.001  # rows of 人社 person files with a mistyped resident ID
    invalid_region: float = 0.001  # rows whose region code does not exist
    invalid_industry: float = 0.001  # rows whose industry code does not exist


@dataclass(frozen=True)
class CityConfig:
    """The synthetic city to write. ``CityConfig(scale=2000, seed=1)`` is the demo."""

    scale: int = 2000  # number of enterprises (market entities)
    seed: int = 20260101
    city: str = "350200"  # GB/T 2260 code of the prefecture-level city
    reference_year: int = 2026  # the application year; figures cover the three years before it
    as_of: date | None = None  # extraction date; default 30 June of the reference year
    chunk_size: int = 50_000  # enterprises generated and written per step (bounds memory)
    district_weights: tuple[tuple[str, float], ...] | None = None  # default: XIAMEN_… or equal
    section_weights: tuple[tuple[str, float], ...] = SECTION_WEIGHTS
    individual_business_share: float = 0.18  # 个体工商户 among all entities (92 codes)
    farmer_cooperative_share: float = 0.003  # 农民专业合作社 (93 codes)
    rural_collective_share: float = 0.001  # 村股份经济合作社 (N2 codes, 农业农村 registration)
    dormant_share: float = 0.08  # companies with no revenue at all
    city_level_registration: float = 0.25  # USCC region 350200 instead of the district
    qualifications: QualificationRates = field(default_factory=QualificationRates)
    defects: DefectRates = field(default_factory=DefectRates)
    # persons: new hires in the hire window (1 Jan of the year before the reference year to
    # as_of), at ``hire_rate`` per insured employee per year, at most ``max_hires`` per firm.
    # Persons are recorded only for hires: all current staff would be ~10 million at 1M firms.
    hire_rate: float = 0.10
    max_hires: int = 8
    registered_unemployed_share: float = 0.25  # hires who were registered unemployed before
    # at small scale, rare features get at least this many holders and defects on their
    # deciding data, so that every policy clause has cases (0 turns it off); see docs.
    policy_case_floor: int = 5
    write_xlsx: bool = True
    xlsx_max_scale: int = 100_000  # no XLSX above this (≈1M rows, a minute; Excel tops out)
    xlsx_sheet_rows: int = 1_000_000  # split an XLSX file into sheets of this many data rows
    unemployment_insurance_rate: float = 0.005  # employer's share of the wage base (厦门)

    def __post_init__(self) -> None:
        if self.scale < 1:
            raise ValueError("scale must be at least 1")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if not 1990 <= self.reference_year <= 2100:
            raise ValueError("reference_year out of range")

    @property
    def extraction_date(self) -> date:
        return self.as_of or date(self.reference_year, 6, 30)

    @property
    def years(self) -> tuple[int, int, int]:
        """The three figure years, oldest first: 2023, 2024, 2025 for reference year 2026."""
        y = self.reference_year
        return (y - 3, y - 2, y - 1)

    @property
    def xlsx_enabled(self) -> bool:
        return self.write_xlsx and self.scale <= self.xlsx_max_scale

    def with_(self, **changes: Any) -> CityConfig:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.extraction_date.isoformat()
        return data
