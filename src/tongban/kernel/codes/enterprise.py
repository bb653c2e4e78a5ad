"""Enterprise code lists: sizes (企业规模), types (企业类型) and qualifications (资质/称号).

Each entry has a stable English ``code`` (stored in data and used in rules, e.g. the tag
``high_tech``) and Chinese and English names. Qualifications also say who grants them
(national, provincial or city level), what kind they are (a certification with a certificate,
a statistical status reviewed every year, or a local designation) and how many years one
lasts where that is fixed nationally. Data: ``data/enterprise.json`` (sources in its ``meta``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

IssuingLevel = Literal["national", "provincial", "city"]
QualificationKind = Literal["certification", "statistical_status", "designation"]


@dataclass(frozen=True)
class EnterpriseSize:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class EnterpriseType:
    code: str
    zh: str
    en: str
    legal_person: bool


@dataclass(frozen=True)
class Qualification:
    code: str
    zh: str
    en: str
    level: IssuingLevel
    kind: QualificationKind
    validity_years: int | None
    note: str = ""
    aliases: tuple[str, ...] = ()

    def name(self, language: str = "zh-CN") -> str:
        return self.zh if language.startswith("zh") else self.en


@cache
def _data() -> dict[str, Any]:
    path = resources.files("tongban.kernel.codes").joinpath("data/enterprise.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@cache
def sizes() -> tuple[EnterpriseSize, ...]:
    """大型, 中型, 小型, 微型 — largest first."""
    return tuple(EnterpriseSize(**item) for item in _data()["sizes"])


@cache
def types() -> tuple[EnterpriseType, ...]:
    return tuple(EnterpriseType(**item) for item in _data()["types"])


@cache
def qualifications() -> tuple[Qualification, ...]:
    return tuple(
        Qualification(**{**item, "aliases": tuple(item.get("aliases", ()))})
        for item in _data()["qualifications"]
    )


def size(code: str) -> EnterpriseSize | None:
    return next((s for s in sizes() if s.code == code), None)


def enterprise_type(code: str) -> EnterpriseType | None:
    return next((t for t in types() if t.code == code), None)


def qualification(code: str) -> Qualification | None:
    return next((q for q in qualifications() if q.code == code), None)


def lookup_qualification(name: str) -> Qualification | None:
    """By code, Chinese or English name, or a common alias (高企, 小巨人, 规上工业)."""
    key = name.strip()
    for item in qualifications():
        if key in (item.code, item.zh, item.en) or key in item.aliases:
            return item
    return None


def lookup_type(name: str) -> EnterpriseType | None:
    key = name.strip()
    return next((t for t in types() if key in (t.code, t.zh, t.en)), None)


def lookup_size(name: str) -> EnterpriseSize | None:
    """By code or name: 'small', '小型', '小型企业'."""
    key = name.strip().removesuffix("企业")
    return next((s for s in sizes() if key in (s.code, s.zh, s.en)), None)
