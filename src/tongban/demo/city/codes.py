"""Builders of valid national identifiers, and of single-character corruptions of them.

The check characters come from the project's validators (one implementation of each
standard), so a generated code is valid exactly when the validators say so.
"""

from __future__ import annotations

from datetime import date

from tongban.kernel.codes.validators import (
    RIC_CHECK,
    USCC_ALPHABET,
    orgcode_check_character,
    ric_check_character,
    uscc_check_character,
)

_BASE = len(USCC_ALPHABET)  # 31: organisation-code bodies use only characters a USCC allows
MA_SPACE = _BASE**6  # "MA" + six characters: the bodies issued since the 2015 reform
_MA_STEP = 387_420_489  # 3**18, coprime to 31**6: the affine map below is a permutation
NUMERIC_SPACE = 10**6  # six digits after a two-digit era prefix: pre-2015 numeric codes
_NUMERIC_STEP = 7_654_321  # coprime to 10**6


def orgcode(body8: str) -> str:
    """A GB 11714 organisation code: eight characters and their check character."""
    return body8 + orgcode_check_character(body8)


def ma_body(counter: int, offset: int = 0) -> str:
    """The ``counter``-th "MA…" body, in a scrambled but one-to-one order (counter < 31**6)."""
    if not 0 <= counter < MA_SPACE:
        raise ValueError("organisation-code counter out of range")
    value = (counter * _MA_STEP + offset) % MA_SPACE
    chars = []
    for _ in range(6):
        value, digit = divmod(value, _BASE)
        chars.append(USCC_ALPHABET[digit])
    return "MA" + "".join(reversed(chars))


def numeric_body(prefix: str, counter: int) -> str:
    """A pre-reform numeric body: a two-digit era prefix and six scrambled digits."""
    if len(prefix) != 2 or not prefix.isdigit():
        raise ValueError("the era prefix is two digits")
    if not 0 <= counter < NUMERIC_SPACE:
        raise ValueError("numeric organisation-code counter out of range")
    return f"{prefix}{(counter * _NUMERIC_STEP + 13) % NUMERIC_SPACE:06d}"


def uscc(authority: str, category: str, region: str, org9: str) -> str:
    """A GB 32100 code: authority, category, six region digits, organisation code, check."""
    first17 = authority + category + region + org9
    if len(first17) != 17:
        raise ValueError("a USCC has 17 characters before its check character")
    return first17 + uscc_check_character(first17)


def ric(region: str, born: date, sequence: int) -> str:
    """A GB 11643 number; ``sequence`` 0–999, odd for men and even for women."""
    if not 0 <= sequence <= 999:
        raise ValueError("the sequence is three digits")
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + ric_check_character(first17)


def with_wrong_check(code: str, pick: int, *, person: bool = False) -> str:
    """The code with its last character replaced by another one that is never the right one.

    ``person`` picks the resident-ID check alphabet (0-9, X) instead of the USCC one; ``pick``
    chooses among the wrong characters, so that typos vary.
    """
    alphabet = RIC_CHECK if person else USCC_ALPHABET
    wrong = [ch for ch in alphabet if ch != code[-1]]
    return code[:-1] + wrong[pick % len(wrong)]
