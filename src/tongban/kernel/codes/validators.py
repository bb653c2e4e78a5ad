"""Validators of national identifiers, each giving a reason (a gettext msgid) when it fails.

- 统一社会信用代码 (USCC), GB 32100-2015: 18 characters from 0-9 and A-Z without I, O, S, V
  and Z; character 1 the registration authority (1–9, A–G, N, Y), character 2 the
  organisation category, characters 3–8 the digits of the registering authority's division
  code (not checked against GB/T 2260: central registrations use 100000 and some systems use
  codes of their own), 9–17 the organisation code body, 18 a weighted mod-31 check character.
  python-stdnum's ``cn.uscc`` is not used because it rejects valid codes whose
  registration-authority character is a letter (e.g. N for 农业, Y for 其他).
- 居民身份证号码 (RIC), GB 11643-1999: six-digit division code (its province must be a
  province of GB/T 2260, current or retired; 81/82/83 are the 港澳台居民居住证 prefixes), the
  birth date, a three-digit sequence and an ISO 7064 MOD 11-2 check character. The 15-digit
  form of the first-generation cards (no check character, two-digit year 19YY) is accepted
  only when asked (``allow_legacy=True``); ``ric_from_legacy`` converts it.
- 中国大陆手机号: eleven digits 1[3-9]xxxxxxxxx, optionally after +86, 0086 or 86.
- 组织机构代码, GB 11714-1997: eight characters 0-9/A-Z and a check character, weights
  3,7,9,10,5,8,4,2, mod 11 (10 → X, 11 → 0); written with or without a hyphen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from tongban.kernel.codes.regions import province_codes
from tongban.kernel.errors import N_

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_AUTHORITIES = frozenset("123456789ABCDEFGNY")
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"
RIC_RESIDENCE_PERMIT_PREFIXES = frozenset({"81", "82", "83"})
ORGCODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORGCODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")

KINDS: Final = ("uscc", "ric", "mobile", "orgcode")


@dataclass(frozen=True)
class Verdict:
    """Outcome of a validation; ``reason`` is a gettext msgid with ``params``."""

    valid: bool
    value: str
    reason: str | None = None
    params: dict[str, Any] | None = None


def _ok(value: str) -> Verdict:
    return Verdict(True, value)


def _bad(value: str, reason: str, **params: Any) -> Verdict:
    return Verdict(False, value, reason, params or None)


def _wrong_check(value: str, expected: str, actual: str) -> Verdict:
    return _bad(
        value,
        N_("The check character should be {expected}, not {actual}."),
        expected=expected,
        actual=actual,
    )


# --- 统一社会信用代码 -----------------------------------------------------------------------


def uscc_check_character(first17: str) -> str:
    total = sum(
        USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> Verdict:
    value = raw.strip().upper()
    if len(value) != 18:
        return _bad(
            value,
            N_("A unified social credit code has 18 characters, not {length}."),
            length=len(value),
        )
    for position, ch in enumerate(value, start=1):
        if ch not in USCC_ALPHABET:
            return _bad(
                value,
                N_("Character {position} ({char}) is not allowed in a unified social credit code."),
                position=position,
                char=ch,
            )
    if value[0] not in USCC_AUTHORITIES:
        return _bad(
            value,
            N_("The first character ({char}) is not a known registration authority."),
            char=value[0],
        )
    if not value[2:8].isdigit():
        return _bad(
            value, N_("Characters 3 to 8 must be the digits of an administrative division code.")
        )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        return _wrong_check(value, expected, value[17])
    return _ok(value)


# --- 居民身份证号码 -----------------------------------------------------------------------


def ric_check_character(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, RIC_WEIGHTS, strict=True))
    return RIC_CHECK[total % 11]


def ric_from_legacy(value15: str) -> str:
    """The 18-character number of a 15-digit first-generation number (year 19YY)."""
    if len(value15) != 15 or not value15.isdigit():
        raise ValueError("a first-generation resident ID number is 15 digits")
    first17 = value15[:6] + "19" + value15[6:]
    return first17 + ric_check_character(first17)


def _known_province(prefix: str) -> bool:
    return prefix in province_codes() or prefix in RIC_RESIDENCE_PERMIT_PREFIXES


def _ric_birth_date(value: str, digits: str, today: date | None) -> Verdict | None:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return _bad(value, N_("The birth date {digits} does not exist."), digits=digits)
    if born.year < 1850 or born > (today or date.today()):
        return _bad(value, N_("The birth date {digits} is out of range."), digits=digits)
    return None


def validate_ric(raw: str, *, today: date | None = None, allow_legacy: bool = False) -> Verdict:
    value = raw.strip().upper()
    if allow_legacy and len(value) == 15:
        if not value.isdigit():
            return _bad(value, N_("A 15-digit resident ID number has only digits."))
        birth = "19" + value[6:12]
    elif len(value) != 18:
        return _bad(
            value, N_("A resident ID number has 18 characters, not {length}."), length=len(value)
        )
    elif not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return _bad(value, N_("A resident ID number is 17 digits followed by a digit or X."))
    else:
        birth = value[6:14]
    if not _known_province(value[:2]):
        return _bad(
            value, N_("The first two digits ({prefix}) are not a province code."), prefix=value[:2]
        )
    problem = _ric_birth_date(value, birth, today)
    if problem is not None:
        return problem
    if len(value) == 18:
        expected = ric_check_character(value[:17])
        if value[17] != expected:
            return _wrong_check(value, expected, value[17])
    return _ok(value)


def mask_ric(value: str) -> str:
    """Show only the region and the last character: 350203**********1X → 3502************1X."""
    return value[:4] + "*" * 12 + value[-2:] if len(value) == 18 else "*" * len(value)


# --- 手机号 -------------------------------------------------------------------------------


def validate_mobile(raw: str) -> Verdict:
    """A mainland mobile number; the value returned is the bare eleven digits."""
    value = re.sub(r"[\s-]", "", raw)
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and len(value) == len(prefix) + 11:
            value = value[len(prefix) :]
            break
    if not value.isdigit():
        return _bad(value, N_("A mobile number has only digits."))
    if len(value) != 11:
        return _bad(value, N_("A mobile number has 11 digits, not {length}."), length=len(value))
    if not MOBILE_PATTERN.fullmatch(value):
        return _bad(
            value,
            N_("A mainland mobile number starts with 13 to 19, not {prefix}."),
            prefix=value[:2],
        )
    return _ok(value)


# --- 组织机构代码 -------------------------------------------------------------------------


def orgcode_check_character(first8: str) -> str:
    total = sum(
        ORGCODE_ALPHABET.index(ch) * w for ch, w in zip(first8, ORGCODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_orgcode(raw: str) -> Verdict:
    """An organisation code; the value returned is the nine characters without a hyphen."""
    value = raw.strip().upper()
    if len(value) == 10 and value[8] == "-":
        value = value[:8] + value[9]
    if len(value) != 9:
        return _bad(
            value, N_("An organisation code has 9 characters, not {length}."), length=len(value)
        )
    for position, ch in enumerate(value[:8], start=1):
        if ch not in ORGCODE_ALPHABET:
            return _bad(
                value,
                N_("Character {position} ({char}) is not allowed in an organisation code."),
                position=position,
                char=ch,
            )
    if not (value[8].isdigit() or value[8] == "X"):
        return _bad(value, N_("The check character of an organisation code is a digit or X."))
    expected = orgcode_check_character(value[:8])
    if value[8] != expected:
        return _wrong_check(value, expected, value[8])
    return _ok(value)


# --- dispatcher ---------------------------------------------------------------------------

_VALIDATORS: dict[str, Callable[[str], Verdict]] = {
    "uscc": validate_uscc,
    "ric": validate_ric,
    "mobile": validate_mobile,
    "orgcode": validate_orgcode,
}


def validate(kind: str, value: str) -> Verdict:
    """Validate ``value`` as one of ``KINDS``; an unknown kind is a ValueError."""
    try:
        validator = _VALIDATORS[kind]
    except KeyError:
        raise ValueError(f"unknown identifier kind {kind!r}; expected one of {KINDS}") from None
    return validator(value)
