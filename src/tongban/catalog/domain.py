"""Pure rules of data elements: what a valid definition is, and checking a value against one.

``check_value`` is what ingest, corrections and the workbench use to decide whether a raw
value (as a department's system or a spreadsheet cell holds it) fits an element, and to turn
it into its canonical form: integers, Decimal yuan, ratios as fractions, ISO dates, code-list
codes, sorted tag sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tongban.catalog.models import ElementType, Sensitivity
from tongban.kernel.codes import enterprise, industries, regions, validators
from tongban.kernel.errors import N_, FieldProblem, ValidationFailed

IDENTIFIER = re.compile(r"^DE\d{5}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


def _region(value: str) -> str | None:
    code = regions.normalise(value)
    if code and regions.get(code):
        return code
    found = regions.lookup(value)
    return found[0].code if len(found) == 1 else None


def _industry(value: str) -> str | None:
    code = industries.normalise(value)
    if code and industries.is_valid_code(code):
        return code
    found = industries.lookup(value)
    return found[0].code if len(found) == 1 else None


def _by_code_or_name(get: Callable[[str], Any], lookup: Callable[[str], Any]) -> Callable[[str], str | None]:
    def resolve(value: str) -> str | None:
        item = get(value) or lookup(value)
        return str(item.code) if item else None

    return resolve


CODE_LISTS: dict[str, Callable[[str], str | None]] = {
    "region": _region,
    "industry": _industry,
    "enterprise_size": _by_code_or_name(enterprise.size, enterprise.lookup_size),
    "enterprise_type": _by_code_or_name(enterprise.enterprise_type, enterprise.lookup_type),
    "qualification": _by_code_or_name(enterprise.qualification, enterprise.lookup_qualification),
}
CODE_LIST_LABELS = {
    "region": N_("Administrative divisions (GB/T 2260)"),
    "industry": N_("Industries (GB/T 4754-2017)"),
    "enterprise_size": N_("Enterprise sizes"),
    "enterprise_type": N_("Enterprise types"),
    "qualification": N_("Qualifications"),
}
TYPE_LABELS = {
    ElementType.TEXT: N_("Text"),
    ElementType.INTEGER: N_("Whole number"),
    ElementType.DECIMAL: N_("Number"),
    ElementType.MONEY: N_("Amount of money"),
    ElementType.RATIO: N_("Ratio"),
    ElementType.DATE: N_("Date"),
    ElementType.BOOLEAN: N_("Yes or no"),
    ElementType.CODE: N_("Code"),
    ElementType.TAGS: N_("Set of tags"),
}
SENSITIVITY_LABELS = {
    Sensitivity.PUBLIC: N_("Public"),
    Sensitivity.INTERNAL: N_("Internal"),
    Sensitivity.PERSONAL: N_("Personal information"),
    Sensitivity.SENSITIVE_PERSONAL: N_("Sensitive personal information"),
}


@dataclass(frozen=True)
class ElementSpec:
    """What checking a value needs to know about an element."""

    data_type: ElementType
    max_length: int | None = None
    code_list: str | None = None
    validator: str | None = None
    unit: str = ""  # the unit values are held in (元, 人 …), shown beside them


@dataclass(frozen=True)
class ValueCheck:
    valid: bool
    value: Any = None
    reason: str | None = None
    params: dict[str, Any] | None = None


def _bad(reason: str, **params: Any) -> ValueCheck:
    return ValueCheck(False, None, reason, params or None)


# Larger than any real amount (a million 亿 yuan): a typo or an overflow in the source system.
MAX_MAGNITUDE = Decimal(10) ** 18
_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_BOOLEANS = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "有": True,
    "无": False,
}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
TAG_SEPARATORS = re.compile(r"[;；,，、|]")


# Units a department may write a value in, per unit of the element: 万元 for a 元 element.
UNIT_FACTORS: dict[str, dict[str, Decimal]] = {
    "元": {"元": Decimal(1), "千元": Decimal(1_000), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)},
    "人": {"人": Decimal(1), "万人": Decimal(10_000)},
}


def unit_factor(source_unit: str, element_unit: str) -> Decimal | None:
    """What a value in ``source_unit`` is multiplied by to be in the element's unit; None if unknown."""
    if not source_unit or source_unit == element_unit:
        return Decimal(1)
    return UNIT_FACTORS.get(element_unit, {}).get(source_unit)


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?")


def parse_decimal(raw: str) -> Decimal | None:
    """'1,234.5', '2000万', '1.5亿', '¥300', '300元' → Decimal; None when not a number."""
    text = raw.strip().lstrip("¥￥").removesuffix("元")
    factor = Decimal(1)
    if text and text[-1] in _MULTIPLIERS:
        factor = _MULTIPLIERS[text[-1]]
        text = text[:-1]
    if "," in text or "，" in text:
        # Only thousands groups: "1,2万" is a mistyped decimal point, not twelve thousand.
        if not _GROUPED.fullmatch(text):
            return None
        text = text.replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number * factor if number.is_finite() else None


def parse_date(raw: str) -> date | None:
    text = raw.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def _check_code(spec: ElementSpec, raw: str) -> ValueCheck:
    if spec.code_list:
        code = CODE_LISTS[spec.code_list](raw)
        if code is None:
            return _bad(N_("{value} is not in the code list."), value=raw)
        return ValueCheck(True, code)
    return ValueCheck(True, raw)


def check_value(spec: ElementSpec, raw: str | None) -> ValueCheck:
    """Is ``raw`` a valid value of the element? Empty means missing, which is valid (None)."""
    if raw is None or not str(raw).strip():
        return ValueCheck(True, None)
    text = str(raw).strip()
    kind = spec.data_type
    if kind in (ElementType.TEXT, ElementType.CODE):
        if spec.max_length is not None and len(text) > spec.max_length:
            return _bad(N_("At most {limit} characters."), limit=spec.max_length)
        if spec.validator:
            verdict = validators.validate(spec.validator, text)
            if not verdict.valid:
                return ValueCheck(False, None, verdict.reason, verdict.params)
            text = verdict.value
        return _check_code(spec, text) if kind is ElementType.CODE else ValueCheck(True, text)
    if kind is ElementType.INTEGER:
        number = parse_decimal(text)
        if number is None or number != number.to_integral_value():
            return _bad(N_("{value} is not a whole number."), value=text)
        return ValueCheck(True, int(number))
    if kind in (ElementType.DECIMAL, ElementType.MONEY):
        number = parse_decimal(text)
        if number is None:
            return _bad(N_("{value} is not a number."), value=text)
        if abs(number) >= MAX_MAGNITUDE:
            return _bad(N_("{value} is too large to be real."), value=text)
        return ValueCheck(True, number)
    if kind is ElementType.RATIO:
        is_percent = text.endswith(("%", "％"))
        number = parse_decimal(text.rstrip("%％"))
        if number is None:
            return _bad(N_("{value} is not a ratio such as 5% or 0.05."), value=text)
        return ValueCheck(True, number / 100 if is_percent else number)
    if kind is ElementType.DATE:
        day = parse_date(text)
        if day is None:
            return _bad(N_("{value} is not a date such as 2026-01-31."), value=text)
        return ValueCheck(True, day)
    if kind is ElementType.BOOLEAN:
        flag = _BOOLEANS.get(text.lower())
        if flag is None:
            return _bad(N_("{value} is not yes or no (是/否)."), value=text)
        return ValueCheck(True, flag)
    # Tags: several codes in one cell.
    tags: list[str] = []
    for part in (p.strip() for p in TAG_SEPARATORS.split(text)):
        if not part:
            continue
        checked = _check_code(spec, part)
        if not checked.valid:
            return checked
        tags.append(str(checked.value))
    return ValueCheck(True, tuple(sorted(set(tags))))


def check_definition(
    *,
    identifier: str,
    key: str,
    name_zh: str,
    name_en: str,
    definition: str,
    data_type: str,
    sensitivity: str,
    code_list: str | None,
    validator: str | None,
    max_length: int | None,
) -> None:
    """Refuse an element definition that cannot work, naming every faulty field."""
    problems: list[FieldProblem] = []
    if not IDENTIFIER.match(identifier):
        problems.append(FieldProblem("identifier", N_("An identifier is DE and five digits, e.g. DE00101.")))
    if not KEY.match(key):
        problems.append(
            FieldProblem("key", N_("A key is lower-case letters, digits and _, starting with a letter."))
        )
    for name, value in (("name_zh", name_zh), ("name_en", name_en), ("definition", definition)):
        if not value.strip():
            problems.append(FieldProblem(name, N_("This field is required.")))
    if data_type not in {t.value for t in ElementType}:
        problems.append(FieldProblem("data_type", N_("Choose one of the allowed values.")))
    if sensitivity not in {s.value for s in Sensitivity}:
        problems.append(FieldProblem("sensitivity", N_("Choose one of the allowed values.")))
    if code_list and code_list not in CODE_LISTS:
        problems.append(FieldProblem("code_list", N_("Choose one of the allowed values.")))
    if data_type in (ElementType.CODE, ElementType.TAGS) and not code_list and not validator:
        problems.append(FieldProblem("code_list", N_("A code or tag element needs a code list.")))
    if code_list and data_type not in (ElementType.CODE, ElementType.TAGS):
        problems.append(FieldProblem("code_list", N_("Only code and tag elements take a code list.")))
    if validator and validator not in validators.KINDS:
        problems.append(FieldProblem("validator", N_("Choose one of the allowed values.")))
    if max_length is not None and not 1 <= max_length <= 10_000:
        problems.append(FieldProblem("max_length", N_("A length is between 1 and 10000.")))
    if problems:
        raise ValidationFailed(fields=problems)
