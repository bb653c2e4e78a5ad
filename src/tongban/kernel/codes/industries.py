"""GB/T 4754-2017 industrial classification (国民经济行业分类).

Four levels: section (门类, a letter A–T), division (大类, two digits 01–97), group (中类,
three digits) and class (小类, four digits). Below the section, the hierarchy is by prefix:
class 3911 is in group 391, in division 39, in section C. The shipped table
(``data/industries.csv``) is complete for sections and divisions; groups and classes are listed
only for divisions 39, 64 and 65, but every well-formed deeper code still has a section and a
place in the hierarchy. Codes may be written with their section letter (C3911).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Level = Literal["section", "division", "group", "class"]

_LEVELS: dict[str, Level] = {
    "section": "section", "division": "division", "group": "group", "class": "class"
}
_LEVEL_BY_LENGTH: dict[int, Level] = {2: "division", 3: "group", 4: "class"}
_FORM = re.compile(r"([A-T])?(\d{2,4})|([A-T])")


@dataclass(frozen=True)
class Industry:
    """One entry of the classification."""

    code: str
    name: str
    level: Level
    parent: str | None


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, Industry]
    section_by_division: dict[str, str]
    detailed: frozenset[str]  # divisions whose groups and classes are all listed


@cache
def _table() -> _Table:
    data = resources.files("tongban.kernel.codes").joinpath("data/industries.csv")
    lines = [line for line in data.read_text("utf-8").splitlines() if not line.startswith("#")]
    by_code: dict[str, Industry] = {}
    for row in csv.DictReader(lines):
        level = _LEVELS[row["level"]]
        by_code[row["code"]] = Industry(row["code"], row["name"], level, row["parent"] or None)
    sections = {i.code: i.parent or "" for i in by_code.values() if i.level == "division"}
    detailed = frozenset(i.code[:2] for i in by_code.values() if i.level == "group")
    return _Table(by_code=by_code, section_by_division=sections, detailed=detailed)


def normalise(code: str) -> str | None:
    """The canonical code: 'c' → 'C', 'C3911' → '3911', ' 39 ' → '39'; None if malformed.

    A section letter in front of digits must be the section those digits belong to.
    """
    match = _FORM.fullmatch(code.strip().upper())
    if match is None:
        return None
    if match.group(3):
        return match.group(3)
    digits = match.group(2)
    section = _table().section_by_division.get(digits[:2])
    if section is None or (match.group(1) and match.group(1) != section):
        return None
    return digits


def get(code: str) -> Industry | None:
    """The listed entry for a code, or None (also for a well-formed but unlisted deeper code)."""
    normal = normalise(code)
    return _table().by_code.get(normal) if normal else None


def is_valid_code(code: str) -> bool:
    """True for a section, a division, or a well-formed group or class code.

    Where the table lists a division's groups and classes in full (39, 64, 65), a deeper code
    of that division must be one of them; elsewhere any three or four digits are accepted.
    """
    normal = normalise(code)
    if normal is None:
        return False
    table = _table()
    if normal.isdigit() and len(normal) > 2 and normal[:2] in table.detailed:
        return normal in table.by_code
    return True


def all_industries(level: Level | None = None) -> list[Industry]:
    """Every listed entry in table order (sections followed by their divisions …)."""
    return [i for i in _table().by_code.values() if level is None or i.level == level]


def level_of(code: str) -> Level | None:
    normal = normalise(code)
    if normal is None:
        return None
    return "section" if normal.isalpha() else _LEVEL_BY_LENGTH[len(normal)]


def section_of(code: str) -> str | None:
    """The section letter: '3511' → 'C', '35' → 'C', 'C' → 'C'; None if malformed."""
    normal = normalise(code)
    if normal is None:
        return None
    return normal if normal.isalpha() else _table().section_by_division[normal[:2]]


def division_of(code: str) -> str | None:
    """The two-digit division of a division, group or class code; None otherwise."""
    normal = normalise(code)
    return normal[:2] if normal and normal.isdigit() else None


def is_within(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or lies below it: 'C' ⊃ '35' ⊃ '351' ⊃ '3511'.

    Malformed codes are within nothing.
    """
    inner = normalise(code)
    outer = normalise(ancestor)
    if inner is None or outer is None:
        return False
    if outer.isalpha():
        return section_of(inner) == outer
    return inner.isdigit() and inner.startswith(outer)


def children(code: str) -> list[Industry]:
    """Listed entries directly below a code (empty where deeper levels are not shipped)."""
    normal = normalise(code)
    return [i for i in _table().by_code.values() if normal and i.parent == normal]


def ancestors(code: str) -> list[Industry]:
    """Listed entries from the section down to the code itself."""
    normal = normalise(code)
    if normal is None:
        return []
    keys = [section_of(normal) or ""]
    if normal.isdigit():
        keys += [normal[:n] for n in range(2, len(normal) + 1)]
    table = _table().by_code
    return [table[k] for k in keys if k in table]


def lookup(name: str) -> list[Industry]:
    """Entries whose name is ``name``, or failing that contains it: 制造业, 软件开发, 集成电路."""
    key = name.strip()
    if not key:
        return []
    entries = list(_table().by_code.values())
    exact = [i for i in entries if i.name == key]
    return exact or [i for i in entries if key in i.name]
