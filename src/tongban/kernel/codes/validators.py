"""Validators of national identifiers, each giving a reason in zh and en when it fails.

- 统一社会信用代码 (USCC), GB 32100-2015: 18 characters, weighted mod-31 check character.
  python-stdnum's ``cn.uscc`` is not used because it rejects valid codes whose
  registration-authority character is a letter (e.g. N for 农业, Y for 其他).
- 居民身份证号码 (RIC), GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tongban.kernel.errors import N_

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_AUTHORITIES = frozenset("123456789ABCDEFGNY")
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"


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


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> Verdict:
    value = raw.strip().upper()
    if len(value) != 18:
        return _bad(value, N_("A unified social credit code has 18 characters, not {length}."), length=len(value))
    for position, ch in enumerate(value, start=1):
        if ch not in USCC_ALPHABET:
            return _bad(value, N_("Character {position} ({char}) is not allowed in a unified social credit code."), position=position, char=ch)
    if value[0] not in USCC_AUTHORITIES:
        return _bad(value, N_("The first character ({char}) is not a known registration authority."), char=value[0])
    if not value[2:8].isdigit():
        return _bad(value, N_("Characters 3 to 8 must be the digits of an administrative division code."))
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        return _bad(value, N_("The check character should be {expected}, not {actual}."), expected=expected, actual=value[17])
    return _ok(value)


def ric_check_character(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, RIC_WEIGHTS, strict=True))
    return RIC_CHECK[total % 11]


def validate_ric(raw: str, *, today: date | None = None) -> Verdict:
    value = raw.strip().upper()
    if len(value) != 18:
        return _bad(value, N_("A resident ID number has 18 characters, not {length}."), length=len(value))
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return _bad(value, N_("A resident ID number is 17 digits followed by a digit or X."))
    if value[:2] in ("00", "10", "20", "30", "40", "60", "70", "80", "90"):
        return _bad(value, N_("The first two digits ({prefix}) are not a province code."), prefix=value[:2])
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _bad(value, N_("The birth date {digits} does not exist."), digits=value[6:14])
    if born.year < 1900 or born > (today or date.today()):
        return _bad(value, N_("The birth date {digits} is out of range."), digits=value[6:14])
    expected = ric_check_character(value[:17])
    if value[17] != expected:
        return _bad(value, N_("The check character should be {expected}, not {actual}."), expected=expected, actual=value[17])
    return _ok(value)


def mask_ric(value: str) -> str:
    """Show only the region and the last character: 350203**********1X → 3502************1X."""
    return value[:4] + "*" * 12 + value[-2:] if len(value) == 18 else "*" * len(value)
