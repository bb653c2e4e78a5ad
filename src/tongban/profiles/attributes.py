"""The attribute registry: what a profile can say about an enterprise, and in which type.

An attribute is the unit the rules language reads (``revenue[last_year] >= 2000万``). Its type
decides which operators apply and which literals it may be compared with; a *yearly* attribute
has one value per calendar year and must be read with a period. A *code* attribute names the
code list its values come from; a *tags* attribute holds qualifications (高新技术企业, 专精特新 …)
each with a validity interval. Money is never negative unless the attribute is ``signed``
(profit can be; revenue cannot): the amount calculator relies on it to bound unknown values.

The built-in registry is ``data/attributes.json``. This module is pure: no session, no I/O
beyond reading that packaged file.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


class AttributeType(enum.StrEnum):
    MONEY = "money"  # yuan, held as integer fen
    NUMBER = "number"  # a plain quantity (double precision)
    RATIO = "ratio"  # a share, 0.05 = 5%
    COUNT = "count"  # a whole number of things or people
    BOOL = "bool"
    DATE = "date"
    REGION = "region"  # GB/T 2260 six-digit code, hierarchical
    INDUSTRY = "industry"  # GB/T 4754 code, hierarchical (section letter ⊃ division ⊃ group ⊃ class)
    CODE = "code"  # a value of the code list named by ``code_list``
    TAGS = "tags"  # qualifications with validity intervals


NUMERIC_TYPES = frozenset(
    {AttributeType.MONEY, AttributeType.NUMBER, AttributeType.RATIO, AttributeType.COUNT}
)
CODE_LISTS = ("enterprise_size", "enterprise_type")


@dataclass(frozen=True)
class Attribute:
    """One attribute of a profile."""

    key: str
    label_zh: str
    label_en: str
    type: AttributeType
    yearly: bool = False
    signed: bool = False  # money/number values may be negative
    code_list: str | None = None  # for CODE attributes: enterprise_size, enterprise_type
    description: str = ""

    def label(self, language: str = "zh-CN") -> str:
        return self.label_zh if language.startswith("zh") else self.label_en

    @property
    def non_negative(self) -> bool:
        """True when an unknown value of this attribute is known to be at least zero."""
        bounded = (AttributeType.MONEY, AttributeType.COUNT, AttributeType.NUMBER)
        return self.type in bounded and not self.signed


class AttributeRegistry(Mapping[str, Attribute]):
    """Attributes by key; read-only."""

    def __init__(self, attributes: Iterable[Attribute]) -> None:
        self._by_key: dict[str, Attribute] = {}
        for attribute in attributes:
            if attribute.key in self._by_key:
                raise ValueError(f"attribute {attribute.key!r} is defined twice")
            if attribute.type is AttributeType.CODE and attribute.code_list not in CODE_LISTS:
                raise ValueError(
                    f"attribute {attribute.key!r} names unknown code list {attribute.code_list!r}"
                )
            self._by_key[attribute.key] = attribute

    def __getitem__(self, key: str) -> Attribute:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]]) -> AttributeRegistry:
        return cls(
            Attribute(**{**item, "type": AttributeType(item["type"])}) for item in items
        )


@cache
def builtin_registry() -> AttributeRegistry:
    """The attributes shipped with Tongban (``profiles/data/attributes.json``)."""
    path = resources.files("tongban.profiles").joinpath("data/attributes.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return AttributeRegistry.from_dicts(data["attributes"])
