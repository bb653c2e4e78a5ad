"""How attribute values are laid out as flat columns — the one data shape every back-end reads.

The single-entity evaluator reads a row (a mapping from column name to value), the population
engine reads the same columns as Arrow arrays, the SQL back-ends read them as table columns,
and the profile snapshot (Parquet) is written in this layout. A missing column and a null
value both mean *unknown*.

Column names:

- a current attribute: its key — ``registered_region``;
- a yearly attribute in year Y: ``revenue@2024``;
- a tags attribute: ``qualifications`` is true when the entity's tag set is known (an empty
  but known set means "holds none"), null when unknown; each tag has ``qualifications#high_tech.since``
  (the date its current or most recent validity began) and ``qualifications#high_tech.until``
  (the last day it is valid; null for open-ended). A known set without a tag's ``since`` does
  not hold that tag.

Value types in a row (Python) and in Arrow:

=========  =====================  ==========================
type       row value              Arrow type
=========  =====================  ==========================
money      int, fen (分)           int64
count      int                    int64
number     float                  float64
ratio      float (0.05 = 5%)      float64
bool       bool                   bool
date       datetime.date          date32
region     str, six digits        string
industry   str (C, 35, 351, 3511) string
code       str (list code)        string
=========  =====================  ==========================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from tongban.profiles.attributes import AttributeRegistry, AttributeType
from tongban.rules import ast

# Yearly attributes are kept for the evaluation year and this many years before it; per-year
# constructs (first_time, count_years …) see no year outside this window.
HISTORY_YEARS = 5

Row = Mapping[str, object]


def yearly(key: str, year: int) -> str:
    return f"{key}@{year}"


def tag_since(key: str, tag: str) -> str:
    return f"{key}#{tag}.since"


def tag_until(key: str, tag: str) -> str:
    return f"{key}#{tag}.until"


def history_years(at: date) -> range:
    """The calendar years of yearly data visible at evaluation date ``at``, oldest first."""
    return range(at.year - HISTORY_YEARS, at.year + 1)


def columns_read(nodes: Iterable[ast.Node], registry: AttributeRegistry, at: date) -> list[str]:
    """Every column the given (type-checked) nodes may read at evaluation date ``at``, sorted.

    Per-year constructs read every year of the history window, since the years they look at
    depend on the data (first_time looks back to the first recorded year).
    """
    found: set[str] = set()
    years = history_years(at)
    for root in nodes:
        for node in ast.walk(root):
            match node:
                case ast.Attr(key=key, period=period):
                    attribute = registry.get(key)
                    if attribute is None:
                        continue
                    if attribute.yearly:
                        if period is None:
                            found.update(yearly(key, y) for y in years)
                        else:
                            found.add(yearly(key, at.year + period))
                    else:
                        found.add(key)
                case ast.Growth(key=key, period=period, base=base):
                    found.update((yearly(key, at.year + period), yearly(key, at.year + base)))
                case ast.SumYears(key=key, window=window):
                    found.update(yearly(key, at.year + offset) for offset in window.offsets())
                case ast.Has(key=key, tag=tag) | ast.Gained(key=key, tag=tag):
                    found.update((key, tag_since(key, tag), tag_until(key, tag)))
    return sorted(found)


ARROW_TYPES: Mapping[AttributeType, str] = {
    AttributeType.MONEY: "int64",
    AttributeType.COUNT: "int64",
    AttributeType.NUMBER: "float64",
    AttributeType.RATIO: "float64",
    AttributeType.BOOL: "bool",
    AttributeType.DATE: "date32",
    AttributeType.REGION: "string",
    AttributeType.INDUSTRY: "string",
    AttributeType.CODE: "string",
    AttributeType.TAGS: "bool",
}
