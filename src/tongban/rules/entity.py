"""An entity as JSON (the input of ``tongban rules eval`` and the calculator) → a row of columns.

    {"registered_region": "350203",            # a code or a name (思明区)
     "industry": "C3911",                       # a GB/T 4754 code or a name
     "enterprise_size": "小型",                  # a code-list code or name
     "established_on": "2023-05-01",
     "revenue": {"2023": 18000000, "2024": "21000000.50"},   # yearly, money in yuan
     "qualifications": [{"tag": "高新技术企业", "since": "2023-01-01", "until": "2025-12-31"}],
     "_sources": {"revenue@2024": {"department": "税务局", "resource": "企业年度纳税情况"}}}

Money is yuan (a number or a decimal string) held as integer fen; null or absent is unknown;
an explicit empty ``qualifications`` list is known and holds none. A key may also be written as
a column (``"revenue@2024": 21000000``). Keys starting with ``_`` (other than ``_sources``) and
``name``/``uscc`` are ignored. Every problem is collected and raised as one ValidationFailed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tongban.kernel.codes import enterprise
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed
from tongban.profiles.attributes import Attribute, AttributeRegistry, AttributeType, builtin_registry
from tongban.rules import columns

MSG_INVALID = N_("The entity data is not valid.")
MSG_NOT_JSON = N_("The entity file is not valid JSON: {error}")
MSG_UNREADABLE = N_("The entity file cannot be read: {error}")
MSG_NOT_OBJECT = N_("The entity must be a JSON object of attributes.")
MSG_UNKNOWN_ATTRIBUTE = N_("Unknown attribute {key}.")
MSG_BAD_MONEY = N_("“{value}” is not an amount of money in yuan (at most two decimals).")
MSG_NEGATIVE = N_("{key} cannot be negative.")
MSG_BAD_COUNT = N_("“{value}” is not a whole number.")
MSG_BAD_NUMBER = N_("“{value}” is not a number.")
MSG_BAD_BOOL = N_("“{value}” is not true or false.")
MSG_BAD_DATE = N_("“{value}” is not a date (write YYYY-MM-DD).")
MSG_BAD_CODE = N_("“{value}” is not a value of the code list {code_list}.")
MSG_BAD_TAG = N_("“{value}” is not a known qualification.")
MSG_BAD_YEARLY = N_("{key} is yearly: write an object of values by year, such as {{\"2024\": 100}}.")
MSG_BAD_YEAR = N_("“{value}” is not a year.")
MSG_NOT_YEARLY = N_("{key} is not yearly and cannot take a year.")
MSG_BAD_TAGS = N_("{key} must be a list of objects with tag, since and (optionally) until.")
MSG_BAD_SOURCES = N_("_sources must be an object of column names to source descriptions.")

_IGNORED = {"name", "uscc"}


@dataclass(frozen=True)
class Entity:
    """A row of columns (``rules.columns``) and, per column, where its value came from."""

    row: dict[str, object]
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, where: str, message: str, **params: Any) -> None:
        self.items.append(FieldProblem(where, message, params))


def read_entity(path: Path, registry: AttributeRegistry | None = None) -> Entity:
    """Read an entity JSON file; ValidationFailed naming every problem."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(MSG_UNREADABLE, error=str(error)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(MSG_NOT_JSON, error=str(error)) from None
    return entity_from_json(data, registry)


def entity_from_json(data: Any, registry: AttributeRegistry | None = None) -> Entity:
    registry = registry or builtin_registry()
    if not isinstance(data, dict):
        raise ValidationFailed(MSG_NOT_OBJECT)
    problems = _Problems()
    row: dict[str, object] = {}
    sources: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key == "_sources":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                problems.add(key, MSG_BAD_SOURCES)
            else:
                sources = {str(k): dict(v) for k, v in value.items()}
            continue
        if key.startswith("_") or key in _IGNORED:
            continue
        name, _, year_text = key.partition("@")
        attribute = registry.get(name)
        if attribute is None:
            problems.add(key, MSG_UNKNOWN_ATTRIBUTE, key=name)
            continue
        if year_text:
            if not attribute.yearly:
                problems.add(key, MSG_NOT_YEARLY, key=name)
                continue
            _put_year(row, problems, attribute, year_text, value, key)
        elif attribute.yearly:
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.add(key, MSG_BAD_YEARLY, key=name)
                continue
            for year, item in value.items():
                _put_year(row, problems, attribute, str(year), item, f"{key}.{year}")
        elif attribute.type is AttributeType.TAGS:
            _put_tags(row, problems, attribute, value)
        elif value is not None:
            converted = _convert(problems, attribute, value, key)
            if converted is not None:
                row[key] = converted
    if problems.items:
        raise ValidationFailed(MSG_INVALID, fields=problems.items)
    return Entity(row, sources)


def _put_year(row: dict[str, object], problems: _Problems, attribute: Attribute, year_text: str,
              value: Any, where: str) -> None:
    if not (year_text.isdigit() and len(year_text) == 4):
        problems.add(where, MSG_BAD_YEAR, value=year_text)
        return
    if value is None:
        return
    converted = _convert(problems, attribute, value, where)
    if converted is not None:
        row[columns.yearly(attribute.key, int(year_text))] = converted


def _put_tags(row: dict[str, object], problems: _Problems, attribute: Attribute, value: Any) -> None:
    key = attribute.key
    if value is None:
        return
    if not isinstance(value, list):
        problems.add(key, MSG_BAD_TAGS, key=key)
        return
    row[key] = True
    for position, item in enumerate(value):
        where = f"{key}[{position}]"
        if not isinstance(item, dict) or not isinstance(item.get("tag"), str) or item.get("since") is None:
            problems.add(where, MSG_BAD_TAGS, key=key)
            continue
        qualification = enterprise.lookup_qualification(item["tag"])
        if qualification is None:
            problems.add(where, MSG_BAD_TAG, value=item["tag"])
            continue
        since = _date(problems, item["since"], f"{where}.since")
        until = _date(problems, item["until"], f"{where}.until") if item.get("until") is not None else None
        if since is not None:
            row[columns.tag_since(key, qualification.code)] = since
            row[columns.tag_until(key, qualification.code)] = until


def _date(problems: _Problems, value: Any, where: str) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.add(where, MSG_BAD_DATE, value=value)
        return None


def _convert(problems: _Problems, attribute: Attribute, value: Any, where: str) -> object:
    kind = attribute.type
    if kind is AttributeType.BOOL:
        if isinstance(value, bool):
            return value
        problems.add(where, MSG_BAD_BOOL, value=value)
        return None
    if kind is AttributeType.DATE:
        return _date(problems, value, where)
    if kind in (AttributeType.MONEY, AttributeType.COUNT, AttributeType.NUMBER, AttributeType.RATIO):
        return _number(problems, attribute, value, where)
    text = str(value).strip()
    if kind in (AttributeType.REGION, AttributeType.INDUSTRY):
        from tongban.rules.typecheck import resolve_industry, resolve_region

        resolve = resolve_region if kind is AttributeType.REGION else resolve_industry
        code, message, params = resolve(text)  # the same names the type checker accepts
        if code is None:
            problems.add(where, message, **params)
        return code
    if kind is AttributeType.CODE:
        entry = (enterprise.lookup_size(text) if attribute.code_list == "enterprise_size"
                 else enterprise.lookup_type(text))
        if entry is None:
            problems.add(where, MSG_BAD_CODE, value=value, code_list=attribute.code_list)
            return None
        return entry.code
    return None


def _number(problems: _Problems, attribute: Attribute, value: Any, where: str) -> object:
    kind = attribute.type
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.add(where, MSG_BAD_NUMBER, value=value)
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        problems.add(where, MSG_BAD_NUMBER, value=value)
        return None
    if number < 0 and not attribute.signed and kind is not AttributeType.RATIO:
        problems.add(where, MSG_NEGATIVE, key=attribute.key)
        return None
    if kind is AttributeType.MONEY:
        fen = number * 100
        if fen != fen.to_integral_value():
            problems.add(where, MSG_BAD_MONEY, value=value)
            return None
        return int(fen)
    if kind is AttributeType.COUNT:
        if number != number.to_integral_value():
            problems.add(where, MSG_BAD_COUNT, value=value)
            return None
        return int(number)
    result = float(number)
    return result if math.isfinite(result) else None
