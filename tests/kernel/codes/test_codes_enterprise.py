"""Enterprise sizes, types and qualifications."""

from __future__ import annotations

import pytest

from tongban.kernel.codes import enterprise


def test_sizes() -> None:
    assert [(s.code, s.zh) for s in enterprise.sizes()] == [
        ("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型"),
    ]
    assert enterprise.lookup_size("小型企业") == enterprise.size("small")


def test_types_have_unique_codes_and_names() -> None:
    types = enterprise.types()
    assert len({t.code for t in types}) == len(types)
    assert len({t.zh for t in types}) == len(types)
    for name in ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户",
                 "外商投资企业", "国有企业"]:
        assert enterprise.lookup_type(name) is not None, name
    individual = enterprise.enterprise_type("individual_business")
    assert individual is not None and not individual.legal_person


@pytest.mark.parametrize(
    ("code", "zh", "level", "years"),
    [
        ("high_tech", "高新技术企业", "national", 3),
        ("tech_sme", "科技型中小企业", "national", 1),
        ("srdi_provincial", "专精特新中小企业", "provincial", 3),
        ("srdi_little_giant", "专精特新“小巨人”企业", "national", 3),
        ("above_scale_industrial", "规模以上工业企业", "national", 1),
        ("above_quota_trade", "限额以上批发和零售业、住宿和餐饮业企业", "national", 1),
        ("headquarters", "总部企业", "city", None),
        ("provincial_tech_center", "省级企业技术中心", "provincial", None),
        ("gazelle", "瞪羚企业", "city", None),
    ],
)
def test_qualifications(code: str, zh: str, level: str, years: int | None) -> None:
    item = enterprise.qualification(code)
    assert item is not None
    assert (item.zh, item.level, item.validity_years) == (zh, level, years)
    assert item.name("zh-CN") == zh and item.name("en")


def test_qualification_codes_are_stable_identifiers() -> None:
    codes = [q.code for q in enterprise.qualifications()]
    assert len(set(codes)) == len(codes)
    assert all(code.isidentifier() and code.islower() for code in codes)


@pytest.mark.parametrize(
    ("name", "code"),
    [("高企", "high_tech"), ("小巨人", "srdi_little_giant"), ("规上工业", "above_scale_industrial"),
     ("high_tech", "high_tech"), ("瞪羚企业", "gazelle"), ("不存在", None)],
)
def test_lookup_qualification(name: str, code: str | None) -> None:
    found = enterprise.lookup_qualification(name)
    assert (found.code if found else None) == code
