"""What a run knows before it starts (the city, its districts, the industry mix) and the few
counters it carries from one chunk to the next (so that codes and names never repeat)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from tongban.demo.city.config import XIAMEN_DISTRICT_WEIGHTS, CityConfig
from tongban.demo.city.names import BrandCounter
from tongban.demo.city.sectors import CLASSES, SECTORS, size_table
from tongban.kernel.codes import regions

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ClassChoice:
    """Classes of one section and their probabilities (for companies or for 个体工商户)."""

    index: IntArray
    p: FloatArray


@dataclass(frozen=True)
class Context:
    config: CityConfig
    city_code: str
    city_name: str  # 厦门市
    city_short: str  # 厦门
    province: str  # 35
    districts: tuple[str, ...]
    district_p: FloatArray
    district_names: dict[str, str]
    sections: tuple[str, ...]
    section_p: FloatArray
    individual_p: dict[str, float]  # P(个体工商户 | section)
    company_classes: dict[str, ClassChoice]
    shop_classes: dict[str, ClassChoice]
    class_section: tuple[str, ...]
    size_limits: IntArray  # size_table(), shape (classes, 3, 2)
    years: tuple[int, int, int]
    as_of: date
    rent_class: int  # 7040 房地产租赁经营: what village collectives do


@dataclass
class State:
    """Counters carried across chunks; small whatever the scale."""

    brands: BrandCounter = field(default_factory=BrandCounter)
    ma_counter: int = 0
    numeric_counters: dict[str, int] = field(default_factory=dict)
    villages: dict[str, int] = field(default_factory=dict)
    person_bands: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    sequences: dict[str, int] = field(default_factory=dict)
    floors: dict[str, int] = field(default_factory=dict)
    persons: int = 0

    def next_seq(self, key: str) -> int:
        """1, 2, 3 … per key (certificate numbers, decision numbers …)."""
        value = self.sequences.get(key, 0) + 1
        self.sequences[key] = value
        return value

    def floor_left(self, key: str, floor: int) -> bool:
        """True (and counts one) while fewer than ``floor`` cases of ``key`` were forced."""
        used = self.floors.get(key, 0)
        if used >= floor:
            return False
        self.floors[key] = used + 1
        return True


def build_context(config: CityConfig) -> Context:
    city = regions.get(config.city)
    if city is None or city.level != "city" or city.retired:
        raise ValueError(f"{config.city} is not a current prefecture-level city of GB/T 2260")
    counties = [r for r in regions.children(city.code) if not r.grouping]
    if not counties:
        raise ValueError(f"{city.name} has no county-level divisions")
    if config.district_weights is not None:
        weights = dict(config.district_weights)
    elif city.code == "350200":
        weights = dict(XIAMEN_DISTRICT_WEIGHTS)
    else:
        weights = {r.code: 1.0 for r in counties}
    districts = tuple(code for code in weights if any(r.code == code for r in counties))
    if not districts:
        raise ValueError("district weights name no district of the city")
    district_p = np.array([weights[d] for d in districts], dtype=np.float64)

    sections = tuple(s for s, _ in config.section_weights)
    section_p = np.array([w for _, w in config.section_weights], dtype=np.float64)
    section_p /= section_p.sum()

    company_classes: dict[str, ClassChoice] = {}
    shop_classes: dict[str, ClassChoice] = {}
    for letter in sections:
        idx = [i for i, c in enumerate(CLASSES) if c.section == letter]
        if not idx:
            raise ValueError(f"no industry class is listed for section {letter}")
        w = np.array([CLASSES[i].weight for i in idx], dtype=np.float64)
        company_classes[letter] = ClassChoice(np.array(idx, dtype=np.int64), w / w.sum())
        shop = [i for i in idx if CLASSES[i].shops]
        if shop:
            ws = np.array([CLASSES[i].weight for i in shop], dtype=np.float64)
            shop_classes[letter] = ClassChoice(np.array(shop, dtype=np.int64), ws / ws.sum())

    # P(个体户 | section) ∝ the section's propensity, scaled to the configured overall share.
    factors = np.array(
        [SECTORS[s].individual_factor if s in shop_classes else 0.0 for s in sections]
    )
    scale = config.individual_business_share / float((section_p * factors).sum() or 1.0)
    individual_p = {s: float(min(0.9, f * scale)) for s, f in zip(sections, factors, strict=True)}

    return Context(
        config=config,
        city_code=city.code,
        city_name=city.name,
        city_short=city.short_name,
        province=city.code[:2],
        districts=districts,
        district_p=district_p / district_p.sum(),
        district_names={r.code: r.name for r in counties},
        sections=sections,
        section_p=section_p,
        individual_p=individual_p,
        company_classes=company_classes,
        shop_classes=shop_classes,
        class_section=tuple(c.section for c in CLASSES),
        size_limits=size_table(),
        years=config.years,
        as_of=config.extraction_date,
        rent_class=next(i for i, c in enumerate(CLASSES) if c.code == "7040"),
    )


def chunk_rng(seed: int, chunk: int, stream: int) -> np.random.Generator:
    """An independent generator per (seed, chunk, stream): chunks can be made in any order."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, chunk, stream])))
