"""Identifiers of the synthetic city: built valid, unique, and invalid only where injected."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tongban.demo.city import Manifest, codes, names
from tongban.demo.city.sectors import CLASSES, SECTORS, size_table
from tongban.kernel.codes import industries, regions
from tongban.kernel.codes.validators import (
    USCC_ALPHABET,
    validate_orgcode,
    validate_ric,
    validate_uscc,
)

City = tuple[Manifest, Any]
COUNTIES = [r.code for r in regions.all_regions() if r.level == "county" and not r.grouping]
body_chars = st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8)


@given(body=body_chars)
def test_organisation_codes_are_valid(body: str) -> None:
    code = codes.orgcode(body)
    assert validate_orgcode(code).valid
    assert all(ch in USCC_ALPHABET for ch in code)  # usable inside a USCC


@given(
    authority=st.sampled_from(["91", "92", "93", "N2", "N3", "Y1"]),
    region=st.sampled_from(COUNTIES),
    counter=st.integers(0, codes.MA_SPACE - 1),
    offset=st.integers(0, 2**31),
)
def test_usccs_are_valid(authority: str, region: str, counter: int, offset: int) -> None:
    code = codes.uscc(authority[0], authority[1], region, codes.orgcode(codes.ma_body(counter,
                                                                                      offset)))
    assert validate_uscc(code).valid, code
    assert code[2:8] == region and validate_orgcode(code[8:17]).valid


@given(prefix=st.sampled_from(["15", "26", "61", "70", "73", "75", "79"]),
       counter=st.integers(0, codes.NUMERIC_SPACE - 1))
def test_pre_reform_bodies_are_valid(prefix: str, counter: int) -> None:
    code = codes.uscc("9", "1", "350203", codes.orgcode(codes.numeric_body(prefix, counter)))
    assert validate_uscc(code).valid and code[8:10] == prefix


@given(
    region=st.sampled_from(COUNTIES),
    born=st.dates(date(1940, 1, 1), date(2008, 12, 31)),
    sequence=st.integers(0, 999),
)
def test_resident_ids_are_valid(region: str, born: date, sequence: int) -> None:
    code = codes.ric(region, born, sequence)
    assert validate_ric(code, today=date(2026, 6, 30)).valid, code
    assert code[6:14] == born.strftime("%Y%m%d")


@given(authority=st.sampled_from(["91", "92"]), counter=st.integers(0, 10**6),
       pick=st.integers(0, 100))
def test_a_wrong_check_character_is_always_caught(authority: str, counter: int,
                                                  pick: int) -> None:
    code = codes.uscc(authority[0], authority[1], "350206",
                      codes.orgcode(codes.ma_body(counter)))
    assert not validate_uscc(codes.with_wrong_check(code, pick)).valid
    ric = codes.ric("350203", date(1990, 1, 1), counter % 1000)
    assert not validate_ric(codes.with_wrong_check(ric, pick, person=True)).valid


@given(st.sets(st.integers(0, codes.MA_SPACE - 1), min_size=2, max_size=50))
def test_distinct_counters_give_distinct_bodies(counters: set[int]) -> None:
    assert len({codes.ma_body(c, 12345) for c in counters}) == len(counters)
    assert len({names.brand(c, "科技") for c in counters if c < 10**6}) == \
        len([c for c in counters if c < 10**6])


def test_industry_classes_are_real_and_named_as_the_kernel_names_them() -> None:
    for item in CLASSES:
        assert industries.is_valid_code(item.code), item.code
        assert industries.section_of(item.code) == item.section, item.code
        listed = industries.get(item.code)
        if listed is not None:
            assert listed.name == item.name, item.code
        assert item.section in SECTORS
    assert size_table().shape == (len(CLASSES), 3, 2)


def test_every_code_in_the_files_is_valid_except_the_injected_ones(generated_city: City) -> None:
    manifest, city = generated_city
    invalid: Counter[str] = Counter()
    for spec in manifest.files:
        previous: list[str] | None = None
        for row in city.raw(spec["key"]):
            duplicate, previous = row == previous, row
            for column, value in zip(spec["columns"], row, strict=True):
                if duplicate or not value:
                    continue
                if column["element"] == "uscc" and not validate_uscc(value).valid:
                    invalid["invalid_uscc"] += 1
                if column["element"] == "ric" and not validate_ric(value).valid:
                    invalid["invalid_ric"] += 1
    assert invalid["invalid_uscc"] == manifest.defects["invalid_uscc"] > 0
    assert invalid["invalid_ric"] == manifest.defects["invalid_ric"] > 0


def test_enterprises_have_unique_codes_and_names(generated_city: City) -> None:
    _, city = generated_city
    rows = city.rows("SCJGJ/registrations")
    firms = {r["统一社会信用代码"]: r["企业名称"] for r in rows}
    assert len(firms) == 2000
    assert len(set(firms.values())) == 2000
    assert len({code[8:17] for code in firms}) == 2000  # organisation codes too
    assert any(name.startswith("厦门") and name.endswith("有限公司") for name in firms.values())


def test_persons_agree_with_their_resident_ids(generated_city: City) -> None:
    _, city = generated_city
    people = city.rows("RSJ/persons")
    assert len({p["公民身份号码"] for p in people}) == len({tuple(p.values()) for p in people})
    hired = {h["公民身份号码"]: h for h in city.rows("RSJ/hires")}
    fujian = 0
    for person in people:
        ric = person["公民身份号码"]
        if not validate_ric(ric).valid:
            continue
        fujian += ric.startswith("35")
        if person["性别"]:
            assert person["性别"] == ("男" if int(ric[16]) % 2 else "女")
        if person["出生日期"]:
            assert person["出生日期"].replace("-", "") == ric[6:14]
        hire = hired.get(ric)
        if hire and hire["招用日期"] and person["出生日期"]:
            age = (date.fromisoformat(hire["招用日期"]) - date.fromisoformat(person["出生日期"]))
            assert 18 <= age.days / 365.25 < 60
    assert 0.55 < fujian / len(people) < 0.85
