"""GB/T 2260 divisions: Fujian exactly, hierarchy, names, retired codes, municipalities."""

from __future__ import annotations

import pytest

from tongban.kernel.codes import regions

FUZHOU = {
    "350102": "鼓楼区", "350103": "台江区", "350104": "仓山区", "350105": "马尾区",
    "350111": "晋安区", "350112": "长乐区", "350121": "闽侯县", "350122": "连江县",
    "350123": "罗源县", "350124": "闽清县", "350125": "永泰县", "350128": "平潭县",
    "350181": "福清市",
}
XIAMEN = {
    "350203": "思明区", "350205": "海沧区", "350206": "湖里区",
    "350211": "集美区", "350212": "同安区", "350213": "翔安区",
}
FUJIAN_CITIES = {
    "350100": "福州市", "350200": "厦门市", "350300": "莆田市", "350400": "三明市",
    "350500": "泉州市", "350600": "漳州市", "350700": "南平市", "350800": "龙岩市",
    "350900": "宁德市",
}


def test_fujian_province_and_cities() -> None:
    province = regions.get("350000")
    assert province == regions.Region("350000", "福建省", "province", None)
    assert {r.code: r.name for r in regions.children("350000")} == FUJIAN_CITIES
    for code in FUJIAN_CITIES:
        region = regions.get(code)
        assert region is not None
        assert (region.level, region.parent, region.retired) == ("city", "350000", False)


@pytest.mark.parametrize(("city", "counties"), [("350100", FUZHOU), ("350200", XIAMEN)])
def test_fuzhou_and_xiamen_counties(city: str, counties: dict[str, str]) -> None:
    assert {r.code: r.name for r in regions.children(city)} == counties
    for code, name in counties.items():
        assert regions.get(code) == regions.Region(code, name, "county", city)


@pytest.mark.parametrize(("code", "name"), [("350202", "鼓浪屿区"), ("350204", "开元区")])
def test_xiamen_districts_merged_into_siming_are_retired(code: str, name: str) -> None:
    region = regions.get(code)
    assert region is not None
    assert (region.name, region.retired, region.retired_year) == (name, True, 2003)
    assert region.successor == "350203"
    assert region.parent == "350200"
    assert regions.full_name(code) == "福建省厦门市" + name
    assert code not in {r.code for r in regions.children("350200")}
    assert code in {r.code for r in regions.children("350200", include_retired=True)}


def test_retired_county_replaced_in_2021() -> None:
    shaxian = regions.get("350427")
    assert shaxian is not None and shaxian.retired and shaxian.successor == "350405"
    assert regions.get("350405") == regions.Region("350405", "沙县区", "county", "350400")


@pytest.mark.parametrize("ancestor", ["3502", "350200", "35", "350000", "350203"])
def test_is_within(ancestor: str) -> None:
    assert regions.is_within("350203", ancestor)


@pytest.mark.parametrize(
    ("code", "ancestor"),
    [("350203", "3501"), ("350203", "350100"), ("350203", "36"), ("3502", "350203"),
     ("350203", "abc"), ("35020", "35"), ("", "35")],
)
def test_is_not_within(code: str, ancestor: str) -> None:
    assert not regions.is_within(code, ancestor)


def test_is_within_accepts_statistical_12_digit_codes() -> None:
    assert regions.is_within("350203000000", "350200000")
    assert regions.get("350203000000") == regions.get("350203")


def test_municipality_districts_hang_under_the_province() -> None:
    dongcheng = regions.get("110101")
    assert dongcheng is not None and dongcheng.parent == "110000"
    assert regions.is_within("110101", "110100")
    assert regions.is_within("110101", "110000")
    assert regions.is_within("110101", "11")
    grouping = regions.get("110100")
    assert grouping is not None and grouping.grouping and grouping.name == "市辖区"
    assert "110101" in {r.code for r in regions.children("110100")}
    assert "110101" in {r.code for r in regions.children("110000")}
    assert "110100" not in {r.code for r in regions.children("110000")}
    assert regions.full_name("110101") == "北京市东城区"
    assert [r.code for r in regions.ancestors("110101")] == ["110000", "110101"]


def test_province_administered_county_level_units() -> None:
    jiyuan = regions.get("419001")
    assert jiyuan is not None and jiyuan.name == "济源市" and jiyuan.parent == "410000"
    assert regions.is_within("419001", "419000")
    assert regions.full_name("419001") == "河南省济源市"
    group = regions.get("659000")
    assert group is not None and group.name == "自治区直辖县级行政区划"


def test_full_name() -> None:
    assert regions.full_name("350203") == "福建省厦门市思明区"
    assert regions.full_name("350200") == "福建省厦门市"
    assert regions.full_name("350000") == "福建省"
    assert regions.full_name("999999") is None


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("厦门", ["350200"]),
        ("厦门市", ["350200"]),
        ("思明区", ["350203"]),
        ("思明", ["350203"]),
        ("福建", ["350000"]),
        ("福建省厦门市思明区", ["350203"]),
        ("广西", ["450000"]),
        ("鼓楼区", ["320106", "320302", "350102", "410204"]),
        ("开元区", []),
        ("不存在的地方", []),
    ],
)
def test_lookup(name: str, codes: list[str]) -> None:
    assert [r.code for r in regions.lookup(name)] == codes


def test_lookup_retired_when_asked() -> None:
    assert [r.code for r in regions.lookup("开元区", include_retired=True)] == ["350204"]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("厦门市", "厦门"), ("福建省", "福建"), ("新疆维吾尔自治区", "新疆"),
        ("石柱土家族自治县", "石柱"), ("黔西南布依族苗族自治州", "黔西南"),
        ("巴音郭楞蒙古自治州", "巴音郭楞"), ("忠县", "忠县"), ("大兴安岭地区", "大兴安岭"),
    ],
)
def test_short_name(name: str, short: str) -> None:
    assert regions.short_name(name) == short


def test_table_is_consistent() -> None:
    everything = regions.all_regions(include_retired=True)
    current = regions.all_regions()
    assert sum(r.level == "province" for r in current) == 34
    assert 330 <= sum(r.level == "city" and not r.grouping for r in current) <= 340
    assert 2800 <= sum(r.level == "county" for r in current) <= 2900
    codes = {r.code for r in everything}
    for region in everything:
        assert len(region.code) == 6 and region.code.isdigit()
        if region.parent is not None:
            assert region.parent in codes, region
            assert regions.is_within(region.code, region.parent), region
        if not region.retired and region.parent is not None:
            parent = regions.get(region.parent)
            assert parent is not None and not parent.retired, region


def test_province_codes() -> None:
    provinces = regions.province_codes()
    assert {"11", "35", "50", "65", "71", "81", "82"} <= provinces
    assert "10" not in provinces and "24" not in provinces
