"""Who qualifies for a draft item now: the reviewer's preview before approval (and the
publishing page's live estimate), from the population engine over the latest profile snapshot.

The estimate counts eligible and likely enterprises, sums the amounts (eligible ones exactly;
likely ones as a range, unbounded when an amount depends on unknown data without a cap), and
breaks the counts down by district of registration and by industry section.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from tongban.kernel.codes import industries, regions
from tongban.profiles import rules_rows
from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast
from tongban.rules.population import ELIGIBLE, LIKELY, match

TOP = 12


def _count(values: list[Any], statuses: np.ndarray[Any, Any], key: Any) -> list[dict[str, Any]]:
    eligible: Counter[str] = Counter()
    likely: Counter[str] = Counter()
    for value, status in zip(values, statuses.tolist(), strict=True):
        group = key(value) if value else ""
        (eligible if status == ELIGIBLE else likely)[group or ""] += 1
    groups = sorted(set(eligible) | set(likely), key=lambda g: (-(eligible[g] + likely[g]), g))
    return [{"code": g, "eligible": eligible[g], "likely": likely[g]} for g in groups[:TOP]]


def _district(code: str) -> str:
    return code if regions.get(code) else ""


def _section(code: str) -> str:
    return industries.section_of(code) or ""


def compute(session: Session, rule: ast.Rule, at: date) -> dict[str, Any] | None:
    """The preview as JSON-ready data, or None when no snapshot has been built yet."""
    snapshot = rules_rows.snapshot_table(session)
    if snapshot is None:
        return None
    table = snapshot.table
    found = match({"item": rule}, table, snapshot.evaluation_date, builtin_registry()).items["item"]
    rows = found.rows
    status = found.status
    is_eligible = status == ELIGIBLE
    low = found.amount_low
    high = found.amount_high
    likely_high = high[~is_eligible]
    out: dict[str, Any] = {
        "snapshot_id": snapshot.manifest_id,
        "evaluated_on": snapshot.evaluation_date.isoformat(),
        "computed_on": at.isoformat(),
        "enterprises": table.num_rows,
        "eligible": int(is_eligible.sum()),
        "likely": int((status == LIKELY).sum()),
        "has_amount": found.has_amount,
        "amount_eligible_fen": int(low[is_eligible].sum()),
        "amount_eligible_high_fen": None if (high[is_eligible] < 0).any() else int(high[is_eligible].sum()),
        "amount_likely_low_fen": int(low[~is_eligible].sum()),
        "amount_likely_high_fen": None if (likely_high < 0).any() else int(likely_high.sum()),
    }
    indices = pa.array(rows, type=pa.int32())
    names = set(table.column_names)
    if "registered_region" in names:
        values = table.column("registered_region").take(indices).to_pylist()
        out["by_district"] = [
            dict(d, name=_region_name(d["code"])) for d in _count(values, status, _district)
        ]
    if "industry" in names:
        values = table.column("industry").take(indices).to_pylist()
        out["by_industry"] = [
            dict(d, name=_industry_name(d["code"])) for d in _count(values, status, _section)
        ]
    return out


def _region_name(code: str) -> str:
    found = regions.get(code) if code else None
    return found.name if found else ""


def _industry_name(code: str) -> str:
    found = industries.get(code) if code else None
    return found.name if found else ""
