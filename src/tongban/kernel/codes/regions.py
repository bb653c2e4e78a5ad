"""GB/T 2260 administrative divisions (行政区划代码): provinces, cities and counties.

The table ``data/regions.csv`` holds every current province-, prefecture- and county-level
division with its name and parent, and the codes that went out of use since 1980 marked
*retired* (old resident ID numbers and old records keep them). See ``data/SOURCES.md``.

Codes are six digits: two for the province, two for the city, two for the county.
Hierarchy is by prefix: 350203 (思明区) is within 350200 (厦门市), within 3502, within 35 and
within 350000 (福建省). Counties of a 直辖市 and 省直辖县级行政区划 hang directly under their
province (as in the 民政部 list: the parent of 110101 is 110000); the statistical grouping codes
for them (110100 市辖区, 500200 县, 419000 省直辖县级行政区划) exist as *grouping* entries, so
110101 is also within 110100.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Level = Literal["province", "city", "county"]
_LEVELS: dict[str, Level] = {"province": "province", "city": "city", "county": "county"}

_PREFIX = re.compile(r"\d{2}(?:\d{2}){0,2}")
# the 55 ethnic minorities, as they appear in the names of autonomous divisions
_ETHNIC = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶",
    "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水",
    "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南",
    "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂",
    "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
_ETHNIC_TAIL = re.compile(
    "(?:" + "|".join(sorted((e + "族" for e in _ETHNIC), key=len, reverse=True))
    + "|" + "|".join(e for e in _ETHNIC if len(e) > 1) + ")$"
)
_SUFFIXES = ("特别行政区", "自治区", "林区", "特区", "地区", "省", "市", "区", "县", "盟", "旗")
_PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}


@dataclass(frozen=True)
class Region:
    """One administrative division."""

    code: str
    name: str
    level: Level
    parent: str | None
    retired: bool = False
    retired_year: int | None = None
    successor: str | None = None
    grouping: bool = False

    @property
    def short_name(self) -> str:
        return short_name(self.name)


def short_name(name: str) -> str:
    """厦门市 → 厦门, 广西壮族自治区 → 广西, 石柱土家族自治县 → 石柱; 忠县 stays 忠县."""
    if name in _PROVINCE_SHORT:
        return _PROVINCE_SHORT[name]
    if name[-3:] in ("自治州", "自治县", "自治旗"):
        stem = name[:-3]
        while (match := _ETHNIC_TAIL.search(stem)) and match.start() >= 2:
            stem = stem[: match.start()]
        return stem
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, Region]
    children: dict[str, tuple[Region, ...]]
    by_name: dict[str, tuple[Region, ...]]


@cache
def _table() -> _Table:
    text = resources.files("tongban.kernel.codes").joinpath("data/regions.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    by_code: dict[str, Region] = {}
    for row in csv.DictReader(lines):
        by_code[row["code"]] = Region(
            code=row["code"],
            name=row["name"],
            level=_LEVELS[row["level"]],
            parent=row["parent"] or None,
            retired=bool(row["retired_year"]),
            retired_year=int(row["retired_year"]) if row["retired_year"] else None,
            successor=row["successor"] or None,
            grouping=row["grouping"] == "1",
        )
    children: dict[str, list[Region]] = defaultdict(list)
    by_name: dict[str, list[Region]] = defaultdict(list)
    for region in by_code.values():
        if region.parent and not region.grouping:
            children[region.parent].append(region)
        if region.grouping:
            continue
        keys = {region.name, region.short_name}
        if not region.retired:
            keys.add(_full_name(by_code, region))
        for key in keys:
            by_name[key].append(region)
    return _Table(
        by_code=by_code,
        children={code: tuple(items) for code, items in children.items()},
        by_name={name: tuple(items) for name, items in by_name.items()},
    )


def _full_name(by_code: dict[str, Region], region: Region) -> str:
    names: list[str] = []
    current: Region | None = region
    while current is not None:
        if not current.grouping:
            names.append(current.name)
        current = by_code.get(current.parent) if current.parent else None
    return "".join(reversed(names))


def normalise(code: str) -> str | None:
    """A six-digit code from '350203', '3502', '35' or a 9/12-digit 统计用区划代码 ending in 0s."""
    value = code.strip()
    if len(value) in (9, 12) and value.isdigit() and value[6:] == "0" * (len(value) - 6):
        value = value[:6]
    if _PREFIX.fullmatch(value):
        return value.ljust(6, "0")
    return None


def prefix_of(code: str) -> str:
    """The significant digits of a six-digit code: 350000 → 35, 350200 → 3502."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def get(code: str) -> Region | None:
    """The division with this code (current, retired or grouping), or None."""
    normal = normalise(code)
    return _table().by_code.get(normal) if normal else None


def all_regions(*, include_retired: bool = False) -> list[Region]:
    """Every division in code order, without retired ones unless asked."""
    return [r for r in _table().by_code.values() if include_retired or not r.retired]


def children(code: str, *, include_retired: bool = False) -> list[Region]:
    """Divisions directly below ``code``, in code order.

    A province's children are its cities and the counties directly under it (直辖市 districts,
    省直辖县级行政区划); a grouping code's children are the counties it groups.
    """
    normal = normalise(code)
    table = _table()
    region = table.by_code.get(normal) if normal else None
    if region is None:
        return []
    if region.grouping:
        prefix = region.code[:4]
        found = [
            r for r in table.children.get(region.parent or "", ()) if r.code.startswith(prefix)
        ]
    else:
        found = list(table.children.get(region.code, ()))
    return sorted(
        (r for r in found if include_retired or not r.retired), key=lambda r: r.code
    )


def is_within(code: str, ancestor: str) -> bool:
    """True when ``code`` lies within ``ancestor`` or is the same division.

    Both may be written as six digits or as their significant prefix (35, 3502); the test
    is structural (by prefix), so it holds for retired codes too. Malformed input is within
    nothing.
    """
    inner = normalise(code)
    outer = normalise(ancestor)
    if inner is None or outer is None:
        return False
    return inner.startswith(prefix_of(outer))


def parent_of(code: str) -> Region | None:
    region = get(code)
    return get(region.parent) if region and region.parent else None


def ancestors(code: str) -> list[Region]:
    """The chain from the province down to the division itself (grouping entries left out)."""
    chain: list[Region] = []
    region = get(code)
    while region is not None:
        if not region.grouping:
            chain.append(region)
        region = get(region.parent) if region.parent else None
    return list(reversed(chain))


def full_name(code: str) -> str | None:
    """福建省厦门市思明区 for 350203; 北京市东城区 for 110101; None for an unknown code."""
    region = get(code)
    return _full_name(_table().by_code, region) if region else None


def lookup(name: str, *, include_retired: bool = False) -> list[Region]:
    """Divisions by full or short name or full path: 厦门, 厦门市, 思明区, 福建省厦门市思明区.

    Current divisions come first, in code order; retired ones only when asked.
    """
    key = name.strip()
    found = list(_table().by_name.get(key, ()))
    if not found and key != short_name(key):
        found = list(_table().by_name.get(short_name(key), ()))
    return sorted(
        (r for r in found if include_retired or not r.retired),
        key=lambda r: (r.retired, r.code),
    )


def province_codes() -> frozenset[str]:
    """Two-digit codes of every province-level division (current and retired)."""
    return frozenset(r.code[:2] for r in _table().by_code.values() if r.level == "province")
