"""Departments' files agree with each other (where no defect was injected), and the output is
deterministic for a seed."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tongban.demo.city import CityConfig, Manifest, element_mapping, generate
from tongban.kernel.codes import industries, regions
from tongban.kernel.codes.validators import validate_uscc

City = tuple[Manifest, Any]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
ELEMENTS = Path(__file__).parents[2] / "src/tongban/catalog/data/elements.json"


def test_every_enterprise_key_is_registered_unless_mistyped(generated_city: City) -> None:
    manifest, city = generated_city
    registered = {r["统一社会信用代码"] for r in city.rows("SCJGJ/registrations")}
    for spec in manifest.files:
        columns = [c["name"] for c in spec["columns"] if c["element"] == "uscc"]
        for row in city.rows(spec["key"]):
            for column in columns:
                value = row[column]
                assert value in registered or not validate_uscc(value).valid, (spec["key"], value)


def test_hires_and_persons_describe_the_same_people(generated_city: City) -> None:
    manifest, city = generated_city
    persons = {p["公民身份号码"]: p for p in city.rows("RSJ/persons")}
    hires = {h["公民身份号码"]: h for h in city.rows("RSJ/hires")}
    typos = sum(manifest.file(key)["defects"].get("invalid_ric", 0)
                for key in ("RSJ/persons", "RSJ/hires"))
    assert len(set(persons) ^ set(hires)) == 2 * typos  # each typo: one orphan on each side
    for ric, hire in hires.items():
        person = persons.get(ric)
        employer = hire["用人单位统一社会信用代码"]
        if person is not None and validate_uscc(employer).valid and \
                validate_uscc(person["参保单位统一社会信用代码"]).valid:
            assert employer == person["参保单位统一社会信用代码"]


def test_above_scale_list_agrees_with_revenue(generated_city: City) -> None:
    _, city = generated_city
    regs = {r["统一社会信用代码"]: r for r in city.rows("SCJGJ/registrations")}
    revenue = {(r["纳税人识别号"], r["所属年度"]): float(r["营业收入（元）"])
               for r in city.rows("SWJ/annual_returns") if NUMBER.fullmatch(r["营业收入（元）"])}
    listed = {(r["统一社会信用代码"], r["统计年度"]) for r in city.rows("TJJ/above_scale")
              if r["类别"] == "规模以上工业"}
    for key in listed:
        if key in revenue:
            assert revenue[key] >= 2000 * 10_000, key
    legal = {"个体工商户", "分支机构", ""}
    for (code, year), value in revenue.items():
        reg = regs.get(code)
        if reg is None or not reg["行业代码"] or not industries.is_valid_code(reg["行业代码"]):
            continue
        industrial = industries.section_of(reg["行业代码"]) in ("B", "C", "D")
        if industrial and value >= 2000 * 10_000 and reg["企业类型"] not in legal:
            assert (code, year) in listed, (code, year, value)
    assert len(listed) > 50


def test_columns_map_to_catalog_elements(generated_city: City) -> None:
    manifest, city = generated_city
    keys = {e["key"] for e in json.loads(ELEMENTS.read_text("utf-8"))["elements"]}
    for columns in element_mapping().values():
        assert set(columns.values()) <= keys
    mapping = element_mapping()
    for spec in manifest.files:
        header = city.raw(spec["key"])[0] if city.raw(spec["key"]) else None
        assert header is None or len(header) == len(spec["columns"])
        assert {c["name"]: c["element"] for c in spec["columns"] if c["element"]} == \
            mapping[spec["key"]]


def test_xlsx_holds_the_same_rows_typed(generated_city: City) -> None:
    manifest, city = generated_city
    spec = manifest.file("SWJ/annual_returns")
    book = load_workbook(city.root / spec["xlsx"], read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    assert list(rows[0]) == [c["name"] for c in spec["columns"]]
    assert len(rows) - 1 == spec["rows"]
    typed = Counter(type(v).__name__ for row in rows[1:] for v in row[3:])
    assert typed["float"] > typed.get("str", 0)  # amounts are numbers; malformed ones text
    assert all(isinstance(row[0], str) for row in rows[1:])  # codes stay text


def _hashes(manifest: Manifest) -> dict[str, str]:
    found = {f["key"]: f["sha256"] for f in manifest.files}
    found["truth"] = manifest.data["truth"]["sha256"]
    return found


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    config = CityConfig(scale=600, chunk_size=250, write_xlsx=False)
    first = generate(config, tmp_path / "a")
    second = generate(config, tmp_path / "b")
    other = generate(config.with_(seed=7), tmp_path / "c")
    assert _hashes(first) == _hashes(second)
    assert (tmp_path / "a/manifest.json").read_bytes() == (tmp_path / "b/manifest.json").read_bytes()
    for key in ("SCJGJ/registrations", "SWJ/annual_returns", "RSJ/persons"):
        assert (tmp_path / f"a/{key}.csv").read_bytes() == (tmp_path / f"b/{key}.csv").read_bytes()
        assert _hashes(first)[key] != _hashes(other)[key]
    assert first.data["files"][0]["rows"] >= 600


def test_same_bytes_across_processes(tmp_path: Path) -> None:
    """String hashing differs between processes; the output must not depend on it."""
    script = ("import sys; from tongban.demo.city import CityConfig, generate; "
              "generate(CityConfig(scale=300, chunk_size=120, write_xlsx=False), sys.argv[1])")
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / seed)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
    assert (tmp_path / "1/manifest.json").read_bytes() == (tmp_path / "2/manifest.json").read_bytes()


def test_progress_is_reported_per_chunk(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    generate(CityConfig(scale=300, chunk_size=120, write_xlsx=False), tmp_path,
             lambda done, total: seen.append((done, total)))
    assert seen == [(120, 300), (240, 300), (300, 300)]


def test_no_xlsx_above_the_threshold(tmp_path: Path) -> None:
    manifest = generate(CityConfig(scale=50, xlsx_max_scale=10), tmp_path)
    assert manifest.data["xlsx"] is False
    assert all(f["xlsx"] is None for f in manifest.files)
    assert not list(tmp_path.rglob("*.xlsx"))


def test_other_cities_work_too(tmp_path: Path) -> None:
    manifest = generate(CityConfig(scale=200, city="350100", write_xlsx=False), tmp_path)
    assert "350102" in {d["code"] for d in manifest.data["city"]["districts"]}
    with (tmp_path / "SCJGJ/registrations.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["住所所在行政区划"].startswith("3501") for r in rows if r["住所所在行政区划"]
               and regions.get(r["住所所在行政区划"]))
    assert sum(r["企业名称"].startswith("福州") for r in rows) > 150


def test_bad_city_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a current prefecture-level city"):
        generate(CityConfig(scale=10, city="350203"), tmp_path)
