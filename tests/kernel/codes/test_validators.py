"""Identifier validators: known public codes, generated codes, and every single substitution."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from tongban.kernel.codes import regions
from tongban.kernel.codes.validators import (
    KINDS,
    ORGCODE_ALPHABET,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    mask_ric,
    orgcode_check_character,
    ric_check_character,
    ric_from_legacy,
    uscc_check_character,
    validate,
    validate_mobile,
    validate_orgcode,
    validate_ric,
    validate_uscc,
)

TODAY = date(2026, 11, 27)

# Published codes of well-known companies (from their business licences and annual reports).
REAL_USCCS = {
    "914403001922038216": "华为技术有限公司",
    "9144030071526726XG": "腾讯科技（深圳）有限公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91110000710925243K": "中国移动通信集团有限公司",
}


# --- strategies ---------------------------------------------------------------------------

digits = st.sampled_from("0123456789")
uscc_chars = st.sampled_from(USCC_ALPHABET)


@st.composite
def usccs(draw: st.DrawFn, authority: st.SearchStrategy[str] | None = None) -> str:
    first = draw(st.sampled_from(sorted(USCC_AUTHORITIES)) if authority is None else authority)
    category = draw(uscc_chars)
    division = "".join(draw(st.lists(digits, min_size=6, max_size=6)))
    body = "".join(draw(st.lists(uscc_chars, min_size=9, max_size=9)))
    first17 = first + category + division + body
    return first17 + uscc_check_character(first17)


@st.composite
def rics(draw: st.DrawFn) -> str:
    county = draw(st.sampled_from([r.code for r in regions.all_regions() if r.level == "county"]))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = "".join(draw(st.lists(digits, min_size=3, max_size=3)))
    first17 = county + born.strftime("%Y%m%d") + sequence
    return first17 + ric_check_character(first17)


@st.composite
def orgcodes(draw: st.DrawFn) -> str:
    body = "".join(draw(st.lists(st.sampled_from(ORGCODE_ALPHABET), min_size=8, max_size=8)))
    return body + orgcode_check_character(body)


def substitutions(value: str, position: int, alphabet: str) -> list[str]:
    return [value[:position] + ch + value[position + 1 :] for ch in alphabet if ch != value[position]]


# --- USCC ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(REAL_USCCS))
def test_real_usccs_are_valid(code: str) -> None:
    verdict = validate_uscc(code)
    assert verdict.valid, (REAL_USCCS[code], verdict)
    assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    ("code", "reason", "params"),
    [
        ("91440300192203821", "A unified social credit code has 18 characters, not {length}.",
         {"length": 17}),
        ("91440300192203821I",
         "Character {position} ({char}) is not allowed in a unified social credit code.",
         {"position": 18, "char": "I"}),
        ("014403001922038216", "The first character ({char}) is not a known registration authority.",
         {"char": "0"}),
        ("9144A3001922038216",
         "Characters 3 to 8 must be the digits of an administrative division code.", None),
        ("914403001922038217", "The check character should be {expected}, not {actual}.",
         {"expected": "6", "actual": "7"}),
    ],
)
def test_uscc_reasons(code: str, reason: str, params: dict[str, object] | None) -> None:
    verdict = validate_uscc(code)
    assert not verdict.valid
    assert verdict.reason == reason
    assert verdict.params == params


def test_uscc_is_normalised() -> None:
    assert validate_uscc(" 9144030071526726xg ").value == "9144030071526726XG"


@pytest.mark.parametrize("authority", ["N", "Y", "A", "G"])
def test_letter_authorities_are_accepted(authority: str) -> None:
    first17 = authority + "2350203MA2Y00001"
    code = first17 + uscc_check_character(first17)
    assert validate_uscc(code).valid
    # python-stdnum rejects these valid codes, which is why it is not used for validation
    assert not stdnum_uscc.is_valid(code)


@pytest.mark.parametrize("char", "IOZSV")
def test_uscc_alphabet_excludes(char: str) -> None:
    assert char not in USCC_ALPHABET
    assert not validate_uscc("91350203MA2Y0000" + char + "1").valid


@settings(max_examples=150)
@given(usccs())
def test_generated_usccs_validate_and_every_substitution_is_caught(code: str) -> None:
    assert validate_uscc(code).valid
    for position in range(18):
        for changed in substitutions(code, position, USCC_ALPHABET):
            assert not validate_uscc(changed).valid, (code, changed)


@given(usccs(authority=st.sampled_from("123456789")), st.booleans())
def test_stdnum_agrees_on_digit_authority_codes(code: str, corrupt: bool) -> None:
    """Cross-check: for codes whose first eight characters are digits stdnum is correct."""
    if corrupt:
        code = code[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(code[17]) + 1) % 31]
    if code[:8].isdigit():
        assert validate_uscc(code).valid == stdnum_uscc.is_valid(code)


# --- RIC ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example in GB 11643-1999
        "440524188001010014",  # the other example in GB 11643-1999 (born 1880)
        "350204198001010001",  # 厦门市开元区: retired in 2003, kept by old numbers
        "810000199001010019",  # 港澳台居民居住证 (Hong Kong)
        "830000199001010012",  # 港澳台居民居住证 (Taiwan)
    ],
)
def test_valid_rics(number: str) -> None:
    assert validate_ric(number, today=TODAY).valid


def test_standard_examples_have_their_published_check_characters() -> None:
    assert ric_check_character("11010519491231002") == "X"
    assert ric_check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("1101051949123100", "A resident ID number has 18 characters, not {length}."),
        ("1101051949123100XX", "A resident ID number is 17 digits followed by a digit or X."),
        ("99010519491231002X", "The first two digits ({prefix}) are not a province code."),
        ("24010519491231002X", "The first two digits ({prefix}) are not a province code."),
        ("11010519490231002X", "The birth date {digits} does not exist."),
        ("11010518001231002X", "The birth date {digits} is out of range."),
        ("11010520301231002X", "The birth date {digits} is out of range."),
        ("110105194912310021", "The check character should be {expected}, not {actual}."),
    ],
)
def test_ric_reasons(number: str, reason: str) -> None:
    verdict = validate_ric(number, today=TODAY)
    assert not verdict.valid
    assert verdict.reason == reason


@settings(max_examples=150)
@given(rics())
def test_generated_rics_validate_and_every_substitution_is_caught(number: str) -> None:
    assert validate_ric(number, today=TODAY).valid
    for changed in substitutions(number, 17, "0123456789X"):
        assert not validate_ric(changed, today=TODAY).valid
    for position in range(17):
        for changed in substitutions(number, position, "0123456789"):
            assert not validate_ric(changed, today=TODAY).valid, (number, changed)


def test_legacy_15_digit_numbers() -> None:
    legacy = "350204800101001"
    assert not validate_ric(legacy, today=TODAY).valid
    assert validate_ric(legacy, today=TODAY, allow_legacy=True).valid
    assert not validate_ric("350204801301001", today=TODAY, allow_legacy=True).valid
    assert ric_from_legacy(legacy) == "35020419800101001" + ric_check_character("35020419800101001")
    assert validate_ric(ric_from_legacy(legacy), today=TODAY).valid
    with pytest.raises(ValueError):
        ric_from_legacy("35020419800101001")


def test_mask_ric() -> None:
    assert mask_ric("35020319800101001X") == "3502************1X"
    assert mask_ric("123") == "***"


# --- mobile -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8619912345678", "19912345678"),
        ("0086-150-1234-5678", "15012345678"),
    ],
)
def test_valid_mobiles(raw: str, value: str) -> None:
    verdict = validate_mobile(raw)
    assert verdict.valid
    assert verdict.value == value


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1380013800", "A mobile number has 11 digits, not {length}."),
        ("1380013800a", "A mobile number has only digits."),
        ("12800138000", "A mainland mobile number starts with 13 to 19, not {prefix}."),
        ("05922345678", "A mainland mobile number starts with 13 to 19, not {prefix}."),
    ],
)
def test_invalid_mobiles(raw: str, reason: str) -> None:
    verdict = validate_mobile(raw)
    assert not verdict.valid
    assert verdict.reason == reason


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86", "86"]))
def test_generated_mobiles(number: str, prefix: str) -> None:
    assert validate_mobile(prefix + number).value == number


# --- organisation code --------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(REAL_USCCS))
def test_org_code_inside_real_usccs(code: str) -> None:
    """Characters 9–17 of these USCCs are the companies' GB 11714 organisation codes."""
    assert validate_orgcode(code[8:17]).valid
    assert validate_orgcode(code[8:16] + "-" + code[16]).valid


def test_org_code_check_values() -> None:
    assert orgcode_check_character("D2143569") == "X"  # remainder 1: 11 - 1 = 10 → X
    body = next(b for b in (f"{n:08d}" for n in range(100)) if orgcode_check_character(b) == "0")
    assert validate_orgcode(body + "0").valid  # 11 - 0 = 11 → 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("D2143569", "An organisation code has 9 characters, not {length}."),
        ("D2143569-Y", "The check character of an organisation code is a digit or X."),
        ("D214356*X", "Character {position} ({char}) is not allowed in an organisation code."),
        ("D21435691", "The check character should be {expected}, not {actual}."),
    ],
)
def test_invalid_org_codes(raw: str, reason: str) -> None:
    verdict = validate_orgcode(raw)
    assert not verdict.valid
    assert verdict.reason == reason


@given(orgcodes())
def test_generated_org_codes_and_check_substitutions(code: str) -> None:
    assert validate_orgcode(code).valid
    for changed in substitutions(code, 8, "0123456789X"):
        assert not validate_orgcode(changed).valid


# --- dispatcher ---------------------------------------------------------------------------


def test_dispatcher() -> None:
    assert KINDS == ("uscc", "ric", "mobile", "orgcode")
    assert validate("uscc", "914403001922038216").valid
    assert validate("ric", "11010519491231002X").valid
    assert validate("mobile", "13800138000").valid
    assert validate("orgcode", "192203821").valid
    with pytest.raises(ValueError):
        validate("passport", "E12345678")
