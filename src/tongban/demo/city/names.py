"""Chinese names of people, enterprises and places, unique where the registry requires it.

Enterprise names follow 《企业名称登记管理规定》: 行政区划 + 字号 + 行业特点 + 组织形式
(厦门 + 鹭江 + 智能科技 + 有限公司). A registry refuses a name already taken, so the 字号 is
drawn without repetition per industry feature: a counter per feature walks a scrambled order
of all two-character 字号 and then of three-character ones. Memory stays a few counters,
whatever the scale.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def _unique(chars: str) -> str:
    return "".join(dict.fromkeys(chars.replace(" ", "").replace("\n", "")))


# Characters that shops and companies choose for their 字号: auspicious, local (鹭, 嘉禾, 闽)
# and modern (芯, 数, 智).
BRAND_CHARS = _unique(
    """鹭江海嘉华鑫源盛达泰恒瑞祥兴福宏德信正和联创新博睿智航星辰光明润泽金银宝丰隆昌
    旺顺安康健美佳优卓越凯腾飞翔鹏远天宇宸峰山川林森禾谷田园青蓝紫碧翠玉晶钻鼎坤乾元
    亨利贞诚益友合汇聚融通捷迅骏驰龙凤麒麟鹤鸿鹰东南西北中环球洲亚欧闽厦集同湖思岛湾
    港帆舟浪潮涛澜沧溪泉清涌沐阳晨曦晖辉耀灿烁熙煜朗晟昊旭昕晴云雨霖露虹霞芯科数码慧
    启迪维纳雅致志弘毅诺义仁礼谐平宁静逸悦欣怡乐喜禄寿吉如意万千百一三九方圆本真善尚
    品质精工匠艺铭锐锋钧铂锦绣纬经纵横立成功业基石磐君道载驿臻弈朴拓"""
)
_N = len(BRAND_CHARS)
_PAIRS = _N * (_N - 1)
_TRIPLES = _N**3
_PAIR_STEP = 7919  # prime, coprime to the pair space: a scrambled one-to-one order
_TRIPLE_STEP = 1_000_003

# Minnan place-name characters: 厝, 埔, 坑, 坂 and 尾 mark villages around Xiamen.
VILLAGE_CHARS = "后前东西南北上下坑埔厝林山头尾溪洋塘坂墩内外新古田"

# Surnames with their share in southern Fujian (陈 and 林 lead), from the 2020 census tables
# for 福建省, rounded; the tail is folded into the listed names.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("陈", 0.115), ("林", 0.090), ("黄", 0.062), ("张", 0.050), ("李", 0.046), ("王", 0.045),
    ("吴", 0.040), ("刘", 0.030), ("蔡", 0.028), ("杨", 0.027), ("郑", 0.030), ("许", 0.024),
    ("洪", 0.018), ("曾", 0.018), ("苏", 0.017), ("谢", 0.017), ("周", 0.017), ("庄", 0.014),
    ("叶", 0.014), ("郭", 0.014), ("柯", 0.009), ("方", 0.009), ("邱", 0.010), ("卢", 0.009),
    ("徐", 0.010), ("何", 0.009), ("赵", 0.009), ("孙", 0.007), ("朱", 0.008), ("胡", 0.008),
    ("高", 0.009), ("罗", 0.008), ("颜", 0.008), ("施", 0.008), ("江", 0.008), ("肖", 0.007),
    ("詹", 0.005), ("傅", 0.006), ("潘", 0.006), ("魏", 0.006), ("廖", 0.006), ("彭", 0.006),
    ("游", 0.005), ("戴", 0.005), ("沈", 0.005), ("姚", 0.004), ("欧阳", 0.002), ("上官", 0.0005),
)
MALE_GIVEN = _unique("伟强磊军勇杰涛斌鹏辉建明华志国平东文宇浩俊峰超龙海波晨阳鑫坤荣锦泽睿哲航铭")
FEMALE_GIVEN = _unique("芳娜敏静丽艳秀娟霞燕玲婷雪琳颖慧佳欣怡萍红梅琴晶倩瑶璐妍莹思雯婧蓉")
NEUTRAL_GIVEN = _unique("文晓嘉诗子雨思明安家少清一春秋梓亦宏若天心美永")

# Roads per district (厦门); other cities get common road names.
ROADS: dict[str, tuple[str, ...]] = {
    "350203": ("湖滨南路", "厦禾路", "莲前东路", "鹭江道", "中山路", "思明南路", "禾祥西路",
               "环岛南路", "观日路", "望海路", "前埔路", "湖滨北路", "嘉禾路", "台东路", "展鸿路"),
    "350206": ("湖里大道", "枋湖路", "金尚路", "仙岳路", "悦华路", "江头北路", "高崎北路",
               "兴隆路", "五缘湾道", "安岭路", "枋钟路", "金山路", "泗水道", "火炬路"),
    "350211": ("集美大道", "杏林湾路", "银江路", "诚毅大街", "杏滨路", "天马路", "孙坂南路",
               "乐安北路", "灌口中路"),
    "350205": ("海沧大道", "翁角路", "马青路", "新阳路", "钟林路", "沧林路", "海景路"),
    "350212": ("同集南路", "环城西路", "大同路", "西柯街", "美禾六路", "城东路", "银湖路"),
    "350213": ("翔安西路", "民安大道", "翔安南路", "舫山北路", "马巷路", "新店路", "内厝路"),
}
GENERIC_ROADS = ("人民路", "中山路", "解放路", "建设路", "新华路", "工业路", "长江路", "滨江路")
OTHER_CITIES = ("福州", "泉州", "漳州", "上海", "深圳", "北京", "广州", "杭州")


def crc(text: str) -> int:
    """A stable hash (Python's ``hash`` changes between runs)."""
    return zlib.crc32(text.encode("utf-8"))


def brand(counter: int, salt: str) -> str:
    """The ``counter``-th 字号 for one feature: two characters first, then three."""
    offset = crc(salt)
    if counter < _PAIRS:
        p = (counter * _PAIR_STEP + offset) % _PAIRS
        first, rest = divmod(p, _N - 1)
        second = rest if rest < first else rest + 1
        return BRAND_CHARS[first] + BRAND_CHARS[second]
    p = ((counter - _PAIRS) * _TRIPLE_STEP + offset) % _TRIPLES
    a, rest = divmod(p, _N * _N)
    b, c = divmod(rest, _N)
    if counter - _PAIRS >= _TRIPLES:
        raise ValueError("字号 space exhausted for one feature")
    return BRAND_CHARS[a] + BRAND_CHARS[b] + BRAND_CHARS[c]


def village(counter: int) -> str:
    n = len(VILLAGE_CHARS)
    chars = []
    value = counter + n  # at least two characters
    while value:
        value, digit = divmod(value, n)
        chars.append(VILLAGE_CHARS[digit])
    return "".join(chars) + "村"


class BrandCounter:
    """Hands out 字号 without repetition per feature, across chunks."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, feature: str) -> str:
        counter = self._next.get(feature, 0)
        self._next[feature] = counter + 1
        return brand(counter, feature)


def person_names(
    rng: np.random.Generator, male: NDArray[np.bool_]
) -> list[str]:
    """Names for people whose sex is given (the sex must agree with their resident ID)."""
    n = len(male)
    surnames = [s for s, _ in SURNAMES]
    weights = np.array([w for _, w in SURNAMES])
    surname_idx = rng.choice(len(surnames), size=n, p=weights / weights.sum())
    two_chars = rng.random(n) < 0.8
    pick1 = rng.random(n)
    pick2 = rng.random(n)
    neutral = rng.random(n) < 0.25
    names = []
    for i in range(n):
        pool = MALE_GIVEN if male[i] else FEMALE_GIVEN
        first_pool = NEUTRAL_GIVEN if neutral[i] else pool
        given = _pick(first_pool, pick1[i])
        if two_chars[i]:
            given += _pick(pool, pick2[i])
        names.append(surnames[surname_idx[i]] + given)
    return names


def _pick(pool: str, u: float) -> str:
    return pool[int(u * len(pool))]


def address(road_pool: Sequence[str], u_road: float, number: int, u_room: float) -> str:
    """A street address within a district, e.g. 湖滨南路88号1201室 (without city and district)."""
    road = road_pool[int(u_road * len(road_pool))]
    if u_room < 0.45:
        return f"{road}{number}号{int(u_room * 40) + 2}0{int(u_room * 900) % 9 + 1}室"
    if u_room < 0.6:
        return f"{road}{number}号之{int(u_room * 30) % 5 + 1}"
    if u_room < 0.8:
        return f"{road}{number}号{int(u_room * 50) % 8 + 1}号楼"
    return f"{road}{number}号"


def roads_for(district: str) -> tuple[str, ...]:
    return ROADS.get(district, GENERIC_ROADS)
