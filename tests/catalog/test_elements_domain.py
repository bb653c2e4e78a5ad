"""Checking raw values against data elements (pure, no database)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongban.catalog.domain import ElementSpec, check_value, parse_decimal
from tongban.catalog.models import ElementType
from tongban.catalog.service import standard_elements
from tongban.kernel.codes.validators import uscc_check_character

MONEY = ElementSpec(ElementType.MONEY)
REGION = ElementSpec(ElementType.CODE, 6, "region")
INDUSTRY = ElementSpec(ElementType.CODE, 5, "industry")
TAGS = ElementSpec(ElementType.TAGS, None, "qualification")
USCC = ElementSpec(ElementType.TEXT, 18, None, "uscc")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2000万", Decimal("20000000")),
        ("1.5亿", Decimal("150000000")),
        ("1,234.50", Decimal("1234.50")),
        ("¥300", Decimal("300")),
        ("300元", Decimal("300")),
        ("-12.5", Decimal("-12.5")),
    ],
)
def test_money_written_as_people_write_it(raw: str, expected: Decimal) -> None:
    result = check_value(MONEY, raw)
    assert result.valid and result.value == expected


@pytest.mark.parametrize("raw", ["abc", "12元5", "NaN", "∞", "1..2"])
def test_money_that_is_not_money(raw: str) -> None:
    result = check_value(MONEY, raw)
    assert not result.valid
    assert result.reason == "{value} is not a number."


def test_absurd_amounts_are_refused_but_excel_exponents_are_read() -> None:
    assert check_value(MONEY, "1.2E+07").value == Decimal("12000000")
    result = check_value(MONEY, "1e400000")
    assert not result.valid and result.reason == "{value} is too large to be real."


def test_missing_is_valid_and_none() -> None:
    for raw in (None, "", "   "):
        result = check_value(MONEY, raw)
        assert result.valid and result.value is None


def test_region_by_code_or_name() -> None:
    assert check_value(REGION, "350203").value == "350203"
    assert check_value(REGION, "思明区").value == "350203"
    assert not check_value(REGION, "359999").valid


def test_industry_codes() -> None:
    assert check_value(INDUSTRY, "3911").valid
    assert check_value(INDUSTRY, "C").valid
    assert not check_value(INDUSTRY, "Z9").valid


def test_tags_split_dedupe_and_check() -> None:
    result = check_value(TAGS, "高新技术企业、科技型中小企业;高新技术企业")
    assert result.valid
    assert len(result.value) == 2
    assert not check_value(TAGS, "高新技术企业、不存在的资质").valid


def test_identifier_validators_apply() -> None:
    body = "91350200MA31KH5N2"
    good = body + uscc_check_character(body)
    assert check_value(USCC, good.lower()).value == good
    bad = body + ("0" if good[-1] != "0" else "1")
    result = check_value(USCC, bad)
    assert not result.valid
    assert result.reason == "The check character should be {expected}, not {actual}."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2026-01-31", date(2026, 1, 31)), ("2026/1/5", date(2026, 1, 5)), ("2026年1月5日", date(2026, 1, 5)),
     ("20260105", date(2026, 1, 5))],
)
def test_dates(raw: str, expected: date) -> None:
    assert check_value(ElementSpec(ElementType.DATE), raw).value == expected


def test_impossible_date() -> None:
    assert not check_value(ElementSpec(ElementType.DATE), "2026-02-30").valid


def test_ratio_and_boolean_and_integer() -> None:
    assert check_value(ElementSpec(ElementType.RATIO), "5%").value == Decimal("0.05")
    assert check_value(ElementSpec(ElementType.RATIO), "0.2").value == Decimal("0.2")
    assert check_value(ElementSpec(ElementType.BOOLEAN), "是").value is True
    assert check_value(ElementSpec(ElementType.BOOLEAN), "否").value is False
    assert not check_value(ElementSpec(ElementType.BOOLEAN), "也许").valid
    assert check_value(ElementSpec(ElementType.INTEGER), "1,200").value == 1200
    assert not check_value(ElementSpec(ElementType.INTEGER), "12.5").valid


def test_text_length_limit() -> None:
    assert not check_value(ElementSpec(ElementType.TEXT, 5), "一二三四五六").valid
    assert check_value(ElementSpec(ElementType.TEXT, 5), "一二三四五").valid


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**12, max_value=10**12))
def test_any_decimal_round_trips(number: Decimal) -> None:
    assert parse_decimal(str(number)) == number
    assert parse_decimal(f"{number:,}") == number


@given(st.integers(min_value=0, max_value=10**6))
def test_wan_means_ten_thousand(amount: int) -> None:
    assert parse_decimal(f"{amount}万") == Decimal(amount) * 10_000


def test_standard_elements_are_well_formed() -> None:
    elements = standard_elements()
    keys = [e.key for e in elements]
    identifiers = [e.identifier for e in elements]
    assert len(set(keys)) == len(keys) and len(set(identifiers)) == len(identifiers)
    # The elements issue 3 asks for are all there.
    for key in ("enterprise_name", "uscc", "legal_representative", "registered_capital", "establishment_date",
                "registered_region", "tax_region", "industry", "enterprise_size", "annual_revenue", "tax_paid",
                "local_fiscal_contribution", "rd_expense", "employees", "insured_headcount",
                "unemployment_insurance_premium", "layoffs", "patents", "qualifications",
                "administrative_penalty_amount", "accident_level", "serious_dishonesty_listed", "person_name",
                "ric", "birth_date", "household_region", "employment_status"):
        assert key in keys, key


@pytest.mark.parametrize("typed", ["1,2万", "9,9万", "1,23", "12,34,567", ",100"])
def test_a_comma_that_is_not_a_thousands_separator_makes_the_number_malformed(typed: str) -> None:
    """"1,2万" is a mistyped 1.2万: reading it as 12万 would silently change the value tenfold."""
    assert parse_decimal(typed) is None
