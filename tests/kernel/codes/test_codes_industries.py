"""GB/T 4754-2017: all sections and divisions, hierarchy, names."""

from __future__ import annotations

import pytest

from tongban.kernel.codes import industries

SECTION_RANGES = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52),
    "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72),
    "M": (73, 75), "N": (76, 79), "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90),
    "S": (91, 96), "T": (97, 97),
}


def test_twenty_sections_and_ninety_seven_divisions() -> None:
    sections = industries.all_industries("section")
    divisions = industries.all_industries("division")
    assert [s.code for s in sections] == list("ABCDEFGHIJKLMNOPQRST")
    assert [d.code for d in divisions] == [f"{n:02d}" for n in range(1, 98)]


@pytest.mark.parametrize(("section", "span"), sorted(SECTION_RANGES.items()))
def test_divisions_belong_to_their_sections(section: str, span: tuple[int, int]) -> None:
    first, last = span
    expected = [f"{n:02d}" for n in range(first, last + 1)]
    assert [c.code for c in industries.children(section)] == expected
    for code in expected:
        assert industries.section_of(code) == section
        item = industries.get(code)
        assert item is not None and item.parent == section


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("A", "农、林、牧、渔业"), ("C", "制造业"), ("I", "信息传输、软件和信息技术服务业"),
        ("M", "科学研究和技术服务业"), ("T", "国际组织"),
        ("01", "农业"), ("05", "农、林、牧、渔专业及辅助性活动"), ("13", "农副食品加工业"),
        ("25", "石油、煤炭及其他燃料加工业"), ("27", "医药制造业"), ("35", "专用设备制造业"),
        ("39", "计算机、通信和其他电子设备制造业"), ("43", "金属制品、机械和设备修理业"),
        ("44", "电力、热力生产和供应业"), ("58", "多式联运和运输代理业"), ("64", "互联网和相关服务"),
        ("65", "软件和信息技术服务业"), ("70", "房地产业"), ("73", "研究和试验发展"),
        ("79", "土地管理业"), ("96", "基层群众自治组织及其他组织"), ("97", "国际组织"),
        ("3911", "计算机整机制造"), ("3973", "集成电路制造"), ("6513", "应用软件开发"),
    ],
)
def test_names(code: str, name: str) -> None:
    item = industries.get(code)
    assert item is not None and item.name == name


@pytest.mark.parametrize(("code", "section"), [("3511", "C"), ("35", "C"), ("351", "C"),
                                                ("6513", "I"), ("C3911", "C"), ("c", "C")])
def test_section_of(code: str, section: str) -> None:
    assert industries.section_of(code) == section


@pytest.mark.parametrize("code", ["", "98", "00", "X", "U", "3", "39111", "I3911", "C65"])
def test_malformed_codes(code: str) -> None:
    assert industries.normalise(code) is None
    assert industries.section_of(code) is None
    assert not industries.is_within(code, "C")


@pytest.mark.parametrize(
    ("code", "ancestor", "within"),
    [
        ("35", "C", True), ("351", "35", True), ("3511", "C", True), ("3511", "351", True),
        ("3911", "39", True), ("3911", "C", True), ("C", "C", True), ("35", "35", True),
        ("3911", "I", False), ("35", "351", False), ("C", "35", False), ("6513", "65", True),
        ("6513", "64", False), ("C3911", "39", True),
    ],
)
def test_is_within(code: str, ancestor: str, within: bool) -> None:
    assert industries.is_within(code, ancestor) is within


def test_unlisted_deeper_codes_still_have_a_place() -> None:
    assert industries.get("3511") is None
    assert industries.level_of("3511") == "class"
    assert industries.division_of("3511") == "35"
    assert [i.code for i in industries.ancestors("3511")] == ["C", "35"]
    assert [i.code for i in industries.ancestors("3911")] == ["C", "39", "391", "3911"]


def test_deeper_levels_are_consistent() -> None:
    for item in industries.all_industries():
        if item.level in ("group", "class"):
            assert item.parent is not None and item.code.startswith(item.parent)
            assert len(item.code) == {"group": 3, "class": 4}[item.level]


def test_lookup() -> None:
    assert [i.code for i in industries.lookup("制造业")] == ["C"]
    assert [i.code for i in industries.lookup("软件开发")] == ["651"]
    assert "3973" in {i.code for i in industries.lookup("集成电路")}
    assert industries.lookup("") == []
    assert industries.lookup("不存在") == []


@pytest.mark.parametrize(
    ("code", "valid"),
    [("C", True), ("35", True), ("3511", True), ("351", True), ("3911", True), ("3999", False),
     ("398", True), ("394", True), ("3941", False), ("6513", True), ("6514", False), ("98", False),
     ("", False)],
)
def test_is_valid_code(code: str, valid: bool) -> None:
    assert industries.is_valid_code(code) is valid
