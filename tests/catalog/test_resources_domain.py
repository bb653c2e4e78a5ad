"""Pure rules of the resource catalog and the Chinese search tokens: no database."""

from typing import Any

import pytest

from tongban.catalog import search
from tongban.catalog.models import Sensitivity
from tongban.catalog.resources_domain import (
    ElementFacts,
    FieldDraft,
    ResourceDraft,
    check_code,
    check_draft,
    check_record_key_kept,
    next_code,
    record_key_of,
)
from tongban.kernel.errors import ValidationFailed

ELEMENTS = {
    "uscc": ElementFacts("uscc", True, "uscc", Sensitivity.PUBLIC),
    "ric": ElementFacts("ric", True, "ric", Sensitivity.SENSITIVE_PERSONAL),
    "person_name": ElementFacts("person_name", True, None, Sensitivity.PERSONAL),
    "enterprise_name": ElementFacts("enterprise_name", True, None, Sensitivity.PUBLIC),
    "annual_revenue": ElementFacts("annual_revenue", True, None, Sensitivity.INTERNAL),
    "old_element": ElementFacts("old_element", False, None, Sensitivity.INTERNAL),
}
TAX_FIELDS = (
    FieldDraft("统一社会信用代码", "uscc", is_subject=True),
    FieldDraft("营业收入", "annual_revenue"),
)


def draft(**overrides: Any) -> ResourceDraft:
    values: dict[str, Any] = {
        "name": "企业年度纳税信息",
        "abstract": "企业每年的营业收入和纳税额。",
        "resource_type": "department",
        "subject_kind": "uscc",
        "sharing_type": "conditional",
        "sharing_condition": "用于惠企政策审核",
        "open_type": "not_open",
        "update_cycle": "yearly",
        "fields": TAX_FIELDS,
    }
    values.update(overrides)
    return ResourceDraft(**values)


def problems(candidate: ResourceDraft) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        check_draft(candidate, ELEMENTS)
    return {p.field: p.message for p in caught.value.fields}


def test_a_complete_registration_passes() -> None:
    check_draft(draft(), ELEMENTS)
    check_draft(draft(sharing_type="unconditional", sharing_condition="", open_type="open"), ELEMENTS)
    person = (FieldDraft("身份证号", "ric", is_subject=True), FieldDraft("姓名", "person_name"))
    check_draft(draft(subject_kind="ric", fields=person), ELEMENTS)
    check_draft(draft(subject_kind="none", fields=(FieldDraft("企业名称", "enterprise_name"),)), ELEMENTS)


def test_metadata_rules_name_each_field() -> None:
    found = problems(
        draft(name=" ", abstract="", resource_type="x", sharing_type="not_shared", sharing_condition="",
              open_type="conditional", update_cycle="hourly")
    )
    assert set(found) == {"name", "abstract", "resource_type", "sharing_condition", "open_type", "update_cycle"}


def test_the_sharing_condition_is_required_unless_unconditional() -> None:
    for kind in ("conditional", "not_shared"):
        assert "sharing_condition" in problems(draft(sharing_type=kind, sharing_condition="", open_type="not_open"))


def test_subject_field_rules() -> None:
    no_subject = (FieldDraft("统一社会信用代码", "uscc"), FieldDraft("营业收入", "annual_revenue"))
    assert set(problems(draft(fields=no_subject))) == {"fields"}
    two = (FieldDraft("代码", "uscc", is_subject=True), FieldDraft("代码2", "uscc", is_subject=True))
    assert set(problems(draft(fields=two))) == {"fields.1.is_subject"}
    wrong_element = (FieldDraft("企业名称", "enterprise_name", is_subject=True),)
    assert set(problems(draft(fields=wrong_element))) == {"fields.0.element"}
    uscc_for_person = (FieldDraft("代码", "uscc", is_subject=True),)
    assert set(problems(draft(subject_kind="ric", fields=uscc_for_person))) == {"fields.0.element"}
    assert set(problems(draft(subject_kind="none"))) == {"fields.0.is_subject"}


def test_field_rules() -> None:
    fields = (
        *TAX_FIELDS,
        FieldDraft("营业收入", "annual_revenue"),
        FieldDraft("", "annual_revenue"),
        FieldDraft("旧数据", "old_element"),
        FieldDraft("不存在", "no_such_element"),
        FieldDraft("未绑定", ""),
    )
    assert set(problems(draft(fields=fields))) == {
        "fields.2.name",
        "fields.3.name",
        "fields.4.element",
        "fields.5.element",
        "fields.6.element",
    }
    assert set(problems(draft(fields=()))) == {"fields"}


def test_a_retired_element_stays_allowed_where_it_was_bound() -> None:
    fields = (*TAX_FIELDS, FieldDraft("旧数据", "old_element"))
    check_draft(draft(fields=fields), ELEMENTS, kept_elements=frozenset({"old_element"}))


def test_personal_data_is_never_open_without_conditions() -> None:
    person = (FieldDraft("身份证号", "ric", is_subject=True),)
    found = problems(draft(subject_kind="ric", fields=person, sharing_type="unconditional", open_type="open"))
    assert set(found) == {"open_type"}


def test_blank_rows_are_dropped_and_text_trimmed() -> None:
    raw = draft(name=" 纳税信息 ", fields=(FieldDraft(" 营业收入 ", " annual_revenue "), FieldDraft(" ", "")))
    cleaned = raw.cleaned()
    assert cleaned.name == "纳税信息"
    assert cleaned.fields == (FieldDraft("营业收入", "annual_revenue"),)
    assert ResourceDraft.from_json(cleaned.to_json()) == cleaned


def test_the_record_key_of_a_published_resource_is_fixed() -> None:
    before = record_key_of(draft())
    check_record_key_kept(before, record_key_of(draft(name="改名", fields=(*TAX_FIELDS, FieldDraft("x", "ric")))))
    with pytest.raises(ValidationFailed) as caught:
        check_record_key_kept(before, record_key_of(draft(fields=(FieldDraft("代码", "uscc", is_subject=True),))))
    assert [p.field for p in caught.value.fields] == ["fields"]
    with pytest.raises(ValidationFailed):
        check_record_key_kept(before, record_key_of(draft(subject_kind="none")))


def test_codes() -> None:
    assert next_code("350200-SWJ", []) == "350200-SWJ-0001"
    taken = ["350200-SWJ-0001", "350200-SWJ-0009", "350200-SWJX-0100", "350200-SWJ-CUSTOM", "350200-SWJ-0002-A"]
    assert next_code("350200-SWJ", taken) == "350200-SWJ-0010"
    check_code("350200-SWJ-0001")
    for bad in ("12345", "a", "带中文的代码", "x" * 61):
        with pytest.raises(ValidationFailed):
            check_code(bad)


def test_chinese_tokens_for_search() -> None:
    text = search.document(["350200-SWJ-0001", "企业年度纳税信息", "营业收入", "Annual revenue"])
    for token in ("纳税", "企业", "年度", "营业", "收入", "annual", "revenue", "350200", "swj", "0001"):
        assert f" {token} " in text
    assert text.startswith(" ") and text.endswith(" ")
    assert [w.word for w in search.query_words("企业的纳税信息")] == ["企业", "纳税", "信息"]
    assert [w.word for w in search.query_words("ＲＥＶＥＮＵＥ")] == ["revenue"]  # full-width, upper case
    assert search.query_words(" 的 ，。") == []
    longer = search.query_words("高新技术")[0]
    assert longer.word == "高新技术" and set(longer.parts) == {"高新", "技术"}
