"""Defects, injected at the configured rates and counted exactly.

Two levels:
- per enterprise (``plan``), decided before the rows are built: stale records (the latest
  year is missing from a yearly file, or 统计's annual report is the year before's) and
  disagreements between departments (税务's registered address is an old one; 统计's
  从业人员 is far below 人社's insured headcount for the same year: below half of it, which
  clean data never is, since insured staff are at most 110 % of employees);
- per row (``Injector``): at most one of a blank value, a malformed number, or an invalid
  code in a row, then possibly the row written twice.

Rows touched by an enterprise-level defect are *frozen* (no row-level defect on them), so
each defect stays visible and countable. Every defect is written to ``_truth/defects.csv``
with the file, data row number, column and original value: the answer key for governance.

Policy cases: with ``policy_case_floor`` > 0 the first few rows that decide a rare clause
(a newly certified 专精特新's date, a provincial grant's date …) are blanked first, so that
even a small city has "likely" cases for every clause. They are ordinary missing values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tongban.demo.city import codes
from tongban.demo.city.context import Context, IntArray, State
from tongban.demo.city.departments import Check, FileSpec
from tongban.demo.city.enterprises import Enterprises, in_statistics, unit_first_year
from tongban.kernel.codes import industries, regions

KINDS = (
    "missing_value", "malformed_number", "duplicate_row", "stale_record", "address_mismatch",
    "headcount_mismatch", "invalid_uscc", "invalid_ric", "invalid_region", "invalid_industry",
)
_CANDIDATE_INDUSTRIES = ("3918", "3945", "6415", "6590", "6439", "9921", "9830", "0099")
INVALID_INDUSTRIES = tuple(c for c in _CANDIDATE_INDUSTRIES if not industries.is_valid_code(c))

Truth = tuple[str, int, str, str, str]  # file, data row (1-based; 0: no row), column, kind, value


@dataclass
class Plan:
    stale_returns: NDArray[np.bool_]  # SWJ/annual_returns: last year's row dropped
    stale_units: NDArray[np.bool_]  # RSJ/insured_units: last year's row dropped
    stale_stats: NDArray[np.bool_]  # TJJ/annual_units: the report is the year before's
    address_mismatch: NDArray[np.bool_]
    headcount_mismatch: NDArray[np.bool_]
    headcount_value: IntArray  # 统计's 从业人员 where it disagrees


def plan(ctx: Context, rng: np.random.Generator, ent: Enterprises) -> Plan:
    d = ctx.config.defects
    n = ent.n
    u = rng.random((n, 5))
    first = unit_first_year(ent)
    stats = in_statistics(ent)
    stale_returns = ent.exists[:, 1] & ent.exists[:, 2] & (u[:, 0] < d.stale_record)
    stale_units = (first <= 1) & ent.exists[:, 2] & (u[:, 1] < d.stale_record)
    stale_stats = stats & ent.exists[:, 1] & (u[:, 2] < d.stale_record)
    mismatch = (stats & ~stale_stats & ~stale_units & (ent.insured[:, 2] >= 5)
                & (u[:, 3] < d.headcount_mismatch))
    value = np.floor(ent.insured[:, 2] * rng.uniform(0.1, 0.4, n)).astype(np.int64)
    return Plan(
        stale_returns=stale_returns, stale_units=stale_units, stale_stats=stale_stats,
        address_mismatch=u[:, 4] < d.address_mismatch,
        headcount_mismatch=mismatch, headcount_value=value,
    )


@dataclass
class Batch:
    """Rows of one file from one chunk, before row-level defects."""

    rows: list[list[str]]
    frozen: set[int]  # rows with an enterprise-level defect: no row-level defect on them
    targets: list[tuple[int, int, str]]  # (row, column, floor key): blanked first (floors)
    truth: list[tuple[int, str, str, str]]  # enterprise-level defects: (row, column, kind, value)


def invalid_regions(city: str) -> tuple[str, ...]:
    return tuple(
        f"{city[:4]}{k:02d}" for k in range(1, 100) if regions.get(f"{city[:4]}{k:02d}") is None
    )


def malformed(value: str, unit: str | None, pick: int) -> str:
    """A number as people mistype it: "1,2万", "N/A", "约3万", "120元" …"""
    number = float(value)
    forms = (
        f"{number / 10_000:.1f}万".replace(".", ","), "N/A", "—", f"约{number / 10_000:.0f}万",
        f"{value}{unit or '元'}",
    )
    return forms[pick % len(forms)]


class Injector:
    """Applies row-level defects; keeps the counts and the truth lines of every defect."""

    def __init__(self, ctx: Context, state: State) -> None:
        self.ctx = ctx
        self.state = state
        self.counts: dict[str, Counter[str]] = {}
        self.bad_regions = invalid_regions(ctx.city_code)

    def count(self, key: str, kind: str, by: int = 1) -> None:
        self.counts.setdefault(key, Counter())[kind] += by

    def _checks(self, spec: FileSpec) -> list[tuple[Check, float, list[int]]]:
        d = self.ctx.config.defects
        rates: dict[Check, float] = {
            "uscc": d.invalid_uscc, "ric": d.invalid_ric, "region": d.invalid_region,
            "industry": d.invalid_industry,
        }
        found: dict[Check, list[int]] = {}
        for i, column in enumerate(spec.columns):
            if column.check is None:
                continue
            if column.check == "uscc" and spec.key == "SCJGJ/registrations":
                continue  # the register is the source of the code; others mistype it
            found.setdefault(column.check, []).append(i)
        return [(check, rates[check], cols) for check, cols in found.items()]

    def _invalid(self, check: Check, value: str, pick: int) -> str:
        if check == "uscc":
            return codes.with_wrong_check(value, pick)
        if check == "ric":
            return codes.with_wrong_check(value, pick, person=True)
        if check == "region":
            return self.bad_regions[pick % len(self.bad_regions)]
        code = INVALID_INDUSTRIES[pick % len(INVALID_INDUSTRIES)]
        if value[:1].isalpha():  # keep the department's format (C3911)
            section = industries.section_of(code[:2]) or "C"
            return section + code
        return code

    def apply(self, spec: FileSpec, batch: Batch, rng: np.random.Generator,
              base_row: int) -> tuple[list[list[str]], list[Truth]]:
        """The rows to write, with defects, and their truth lines (rows numbered from base)."""
        d = self.ctx.config.defects
        # one blank per deciding field and floor of five: most holders of a rare title keep
        # their data, one loses it
        floor = (self.ctx.config.policy_case_floor + 4) // 5
        rows = batch.rows
        key = spec.key
        truth: list[tuple[int, str, str, str]] = list(batch.truth)
        for kind in {t[2] for t in batch.truth}:
            self.count(key, kind, sum(1 for t in batch.truth if t[2] == kind))
        touched = set(batch.frozen)
        for row, col, floor_key in batch.targets:
            if row in touched or not rows[row][col] or not floor:
                continue
            if self.state.floor_left(floor_key, floor):
                truth.append((row, spec.columns[col].name, "missing_value", rows[row][col]))
                rows[row][col] = ""
                touched.add(row)
                self.count(key, "missing_value")

        values = [i for i, c in enumerate(spec.columns) if c.role == "value"]
        numbers = [i for i in values if spec.columns[i].numeric]
        kinds: list[tuple[str, float, list[int]]] = [("missing_value", d.missing_value, values)]
        if numbers:
            kinds.append(("malformed_number", d.malformed_number, numbers))
        kinds += [(f"invalid_{check}", rate, cols) for check, rate, cols in self._checks(spec)]
        edges = np.cumsum([rate for _, rate, _ in kinds])
        n = len(rows)
        u = rng.random(n)
        picks = rng.integers(0, 1 << 30, (n, 2))
        for row in np.flatnonzero(u < edges[-1]).tolist():
            if row in touched:
                continue
            kind, _, cols = kinds[int(np.searchsorted(edges, u[row], side="right"))]
            filled = [c for c in cols if rows[row][c]]
            if not filled:
                continue
            col = filled[int(picks[row, 0]) % len(filled)]
            original = rows[row][col]
            column = spec.columns[col]
            if kind == "missing_value":
                rows[row][col] = ""
            elif kind == "malformed_number":
                rows[row][col] = malformed(original, column.unit, int(picks[row, 1]))
            else:
                assert column.check is not None
                rows[row][col] = self._invalid(column.check, original, int(picks[row, 1]))
            truth.append((row, column.name, kind, original))
            self.count(key, kind)

        out: list[list[str]] = []
        number_of: dict[int, int] = {}
        lines: list[Truth] = []
        twice = rng.random(n) < d.duplicate_row
        for row in range(n):
            out.append(rows[row])
            number_of[row] = base_row + len(out)
            if twice[row]:
                out.append(list(rows[row]))
                lines.append((key, base_row + len(out), "", "duplicate_row", ""))
                self.count(key, "duplicate_row")
        for row, column_name, kind, original in truth:
            lines.append((key, number_of[row] if row >= 0 else 0, column_name, kind, original))
        return out, lines
