"""A generated city shared by the demo tests, and a reader of its files."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tongban.demo.city import CityConfig, Manifest, generate

DEMO_SCALE = 2000
DEMO_SEED = 20260101
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def number(value: str) -> float | None:
    """A clean number, or None for a blank or malformed cell (unknown)."""
    return float(value) if _NUMBER.fullmatch(value) else None


def day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class CityFiles:
    """The files of one generated city, read back as the departments wrote them."""

    root: Path
    manifest: dict[str, Any]
    _cache: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> CityFiles:
        return cls(root, json.loads((root / "manifest.json").read_text("utf-8")))

    def rows(self, key: str) -> list[dict[str, str]]:
        if key not in self._cache:
            with (self.root / f"{key}.csv").open(encoding="utf-8-sig", newline="") as handle:
                self._cache[key] = list(csv.DictReader(handle))
        return self._cache[key]

    def raw(self, key: str) -> list[list[str]]:
        with (self.root / f"{key}.csv").open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))[1:]

    def truth(self) -> list[dict[str, str]]:
        return self.rows("_truth/defects")

    def spec(self, key: str) -> dict[str, Any]:
        return next(f for f in self.manifest["files"] if f["key"] == key)

    def keys(self) -> Iterator[str]:
        for item in self.manifest["files"]:
            yield item["key"]


@pytest.fixture(scope="session")
def generated_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Manifest, CityFiles]:
    """The `make demo` city (N = 2000), written once per test session."""
    root = tmp_path_factory.mktemp("city")
    manifest = generate(CityConfig(scale=DEMO_SCALE, seed=DEMO_SEED), root)
    return manifest, CityFiles.open(root)
