"""The synthetic city: departments' source data for N enterprises, with realistic defects.

``generate(CityConfig(scale=2000), "out/")`` writes, for 厦门市 and its six districts, each
department's files (CSV, and XLSX at demo scale) as its business system would hold them,
``_truth/defects.csv`` (every injected defect) and ``manifest.json`` (files, columns and their
data elements, row counts, hashes, defect counts, the config). The same config writes
byte-identical CSV files. Enterprises are made in chunks of ``chunk_size``, so memory stays
bounded at any scale. See docs/demo-city.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tongban.demo.city import defects, enterprises, identity, people, qualifications
from tongban.demo.city.config import CityConfig, DefectRates, QualificationRates
from tongban.demo.city.context import State, build_context, chunk_rng
from tongban.demo.city.departments import FILES, department_name, element_mapping
from tongban.demo.city.records import BUILDERS, Chunk
from tongban.demo.city.writer import CsvFile, FileWriter, Written

__all__ = [
    "CityConfig", "DefectRates", "Manifest", "Progress", "QualificationRates", "element_mapping",
    "generate",
]

Progress = Callable[[int, int], None]
MANIFEST = "manifest.json"
TRUTH = "_truth/defects.csv"
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """What was written; ``data`` is the content of manifest.json."""

    path: Path
    data: dict[str, Any]

    @property
    def files(self) -> list[dict[str, Any]]:
        files: list[dict[str, Any]] = self.data["files"]
        return files

    def file(self, key: str) -> dict[str, Any]:
        return next(f for f in self.files if f["key"] == key)

    @property
    def defects(self) -> dict[str, int]:
        totals: dict[str, int] = self.data["defects"]
        return totals


def generate(config: CityConfig, out_dir: str | Path, progress: Progress | None = None) -> Manifest:
    """Write the city into ``out_dir`` (created if needed) and return its manifest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = build_context(config)
    state = State()
    injector = defects.Injector(ctx, state)
    xlsx = config.xlsx_enabled
    writers = {spec.key: FileWriter(out, spec, xlsx, config.xlsx_sheet_rows) for spec in FILES}
    truth = CsvFile(out / TRUTH)
    truth.header(["file", "row", "column", "kind", "value"])
    seed = config.seed
    for chunk_no, start in enumerate(range(0, config.scale, config.chunk_size)):
        n = min(config.chunk_size, config.scale - start)
        ent = enterprises.generate(ctx, chunk_rng(seed, chunk_no, 1), start, n)
        qualifications.assign(ctx, state, chunk_rng(seed, chunk_no, 2), ent)
        ident = identity.assign(ctx, state, chunk_rng(seed, chunk_no, 3), ent)
        hires = people.generate(ctx, state, chunk_rng(seed, chunk_no, 4), ent)
        plan = defects.plan(ctx, chunk_rng(seed, chunk_no, 5), ent)
        chunk = Chunk(ctx, state, ent, ident, ent.extra["records"], hires, plan)
        for index, spec in enumerate(FILES):
            batch = BUILDERS[spec.key](chunk)
            rng = chunk_rng(seed, chunk_no, 100 + index)
            rows, lines = injector.apply(spec, batch, rng, writers[spec.key].rows)
            writers[spec.key].write(rows)
            truth.write([[f, str(r) if r else "", c, k, v] for f, r, c, k, v in lines])
        if progress is not None:
            progress(start + n, config.scale)
    written = {key: writer.close() for key, writer in writers.items()}
    truth_size, truth_hash = truth.close()
    data = _manifest(config, ctx.city_name, ctx.district_names, written, injector, state)
    data["truth"] = {"path": TRUTH, "rows": truth.rows, "bytes": truth_size, "sha256": truth_hash}
    path = out / MANIFEST
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return Manifest(path, data)


def _manifest(config: CityConfig, city_name: str, districts: dict[str, str],
              written: dict[str, Written], injector: defects.Injector,
              state: State) -> dict[str, Any]:
    files = []
    totals = dict.fromkeys(defects.KINDS, 0)
    for spec in FILES:
        result = written[spec.key]
        found = injector.counts.get(spec.key)
        counts = {kind: found[kind] if found else 0 for kind in defects.KINDS}
        for kind, value in counts.items():
            totals[kind] += value
        files.append({
            "key": spec.key,
            "path": result.path,
            "xlsx": result.xlsx,
            "xlsx_sheets": result.xlsx_sheets,
            "department": {"code": spec.department,
                           "name": department_name(spec.department, city_name)},
            "title": spec.title,
            "description": spec.description,
            "subject": spec.subject,
            "coverage": spec.coverage,
            "year_column": spec.year_column,
            "rows": result.rows,
            "bytes": result.bytes,
            "sha256": result.sha256,
            "columns": [
                {"name": c.name, "kind": c.kind, "element": c.element, "unit": c.unit,
                 "role": c.role, "check": c.check}
                for c in spec.columns
            ],
            "qualifications": [
                {"column": col or None, "value": value or None, "code": code}
                for col, value, code in spec.qualifications
            ],
            "defects": {kind: value for kind, value in counts.items() if value},
        })
    return {
        "generator": "tongban.demo.city",
        "version": GENERATOR_VERSION,
        "city": {"code": config.city, "name": city_name,
                 "districts": [{"code": code, "name": name} for code, name in districts.items()]},
        "seed": config.seed,
        "scale": config.scale,
        "reference_year": config.reference_year,
        "figure_years": list(config.years),
        "as_of": config.extraction_date.isoformat(),
        "enterprises": config.scale,
        "persons": state.persons,
        "xlsx": config.xlsx_enabled,
        "xlsx_note": None if config.xlsx_enabled else (
            "XLSX not written: turned off, or scale above xlsx_max_scale"),
        "config": config.to_json(),
        "files": files,
        "defects": totals,
    }
