"""Batch matching: N enterprises × M items with every engine (DESIGN §8).

    python benchmarks/matching.py --enterprises 1000000 --items 1000 --json

The data is generated once (``rules.synthetic``, no missing values: OpenFisca has no
unknowns) and written as Parquet to a temporary directory; the items are
``synthetic.items(M, seed)``. Each engine runs in a fresh subprocess that reads the columns the
items need from the Parquet file (string columns dictionary-encoded, as Parquet stores them);
``seconds`` is the engine's work only, reading excluded; ``peak_mb`` is that process's peak
resident memory (VmHWM), so it includes the data it read and the interpreter.

- ``tongban``: ``rules.population.match`` — the full result: status, amount interval and
  open-atom masks of every eligible or likely match;
- ``duckdb_sql``: ``rules.sql.compile_items`` on DuckDB over the table loaded into DuckDB
  (loading excluded), ``DUCKDB_BATCH`` items per query (each query decides its items' distinct
  atoms once in a shared CTE); status and amounts;
- ``openfisca_items`` / ``openfisca_atoms``: OpenFisca-core, one variable per item / one per
  distinct atom plus item variables (benchmarks/matching_openfisca.py); boolean only;
- ``python``: a plain loop over rows and items with the single-entity evaluator
  (``evaluate.compile_rule``) on the first ``--python-rows`` rows, extrapolated to N;
- ``single``: one enterprise against the M items with ``rules.itemset.ItemSet``, p50/p99 over
  ``--single-rows`` enterprises.

``agree`` is true when every engine finds exactly the same eligible (item, enterprise) pairs
(the python engine on its sample rows).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from numpy.typing import NDArray

from tongban.profiles.attributes import builtin_registry
from tongban.rules import ast, synthetic
from tongban.rules.columns import columns_read

ENGINES = ("tongban", "duckdb_sql", "openfisca_items", "openfisca_atoms", "python")
STRINGS = ("registered_region", "tax_region", "industry", "enterprise_size", "enterprise_type")
KEY = "subject"
DUCKDB_BATCH = 25  # items per DuckDB query


def _peak_mb() -> float:
    """This process's peak resident memory: VmHWM (ru_maxrss would include the parent's peak,
    which a forked child inherits)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load(data: Path, rules: dict[str, ast.Rule], rows: int | None = None) -> pa.Table:
    at = synthetic.at_date()
    schema = pq.read_schema(data / "profiles.parquet")
    wanted = set(
        columns_read(
            [n for r in rules.values() for n in (r.condition, r.amount) if n is not None],
            builtin_registry(),
            at,
        )
    )
    names = [KEY] + [c for c in schema.names if c in wanted]
    dictionary = [c for c in names if c in STRINGS]
    # one row group, read as one chunk per column (pq.read_table would split it into batches)
    table = pq.ParquetFile(data / "profiles.parquet", read_dictionary=dictionary).read(columns=names)
    return table.slice(0, rows) if rows is not None else table


def _pairs(item_rows: list[NDArray[Any]], n: int) -> NDArray[np.int64]:
    """Eligible (item, row) pairs as item·n + row, sorted."""
    parts = [i * n + np.asarray(rows, dtype=np.int64) for i, rows in enumerate(item_rows)]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def run_engine(engine: str, data: Path, m: int, seed: int, sample: int, single_rows: int) -> dict[str, Any]:
    """Run one engine in this process; eligible pairs go to data/<engine>.npy."""
    rules = synthetic.items(m, seed)
    at = synthetic.at_date()
    registry = builtin_registry()
    out: dict[str, Any] = {}
    if engine == "tongban":
        from tongban.rules import population

        table = _load(data, rules)
        start, cpu = time.perf_counter(), time.process_time()
        result = population.match(rules, table, at, registry)
        out["seconds"], out["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
        out["matches"] = result.total()
        eligible = [f.rows[f.status == population.ELIGIBLE] for f in result.items.values()]
        pairs = _pairs(eligible, table.num_rows)
    elif engine == "duckdb_sql":
        import duckdb

        from tongban.rules import sql

        table = _load(data, rules)
        names = list(rules)
        con = duckdb.connect()
        con.register("source", table)
        con.execute("CREATE TABLE profiles AS SELECT * FROM source")
        con.unregister("source")
        columns = set(table.column_names)
        batch = DUCKDB_BATCH
        start, cpu = time.perf_counter(), time.process_time()
        # Items in batches: one query for all 1,000 items would plan (and materialise) every
        # atom of every item at once, which outgrew the machine's memory at a million rows.
        parts = []
        for first in range(0, len(names), batch):
            chunk = {name: rules[name] for name in names[first : first + batch]}
            tree = sql.compile_items(chunk, registry, at, table="profiles", key=KEY, columns=columns)
            query = sql.to_sql(tree)
            parts.append(con.execute(query).to_arrow_table())
        found = pa.concat_tables(parts)
        out["seconds"], out["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
        out["batch"] = batch
        out["matches"] = found.num_rows
        position = {name: i for i, name in enumerate(names)}
        encoded = found.column("item").combine_chunks().dictionary_encode()
        lookup = np.array([position[x] for x in encoded.dictionary.to_pylist()] + [0], dtype=np.int64)
        items = lookup[np.asarray(encoded.indices.to_numpy(zero_copy_only=False))]
        status = found.column("status").to_numpy()
        rows = found.column(KEY).to_numpy().astype(np.int64)
        pairs = np.sort((items * table.num_rows + rows)[status == 2])
    elif engine.startswith("openfisca"):
        sys.path.insert(0, str(Path(__file__).parent))
        from matching_openfisca import run

        table = _load(data, rules).drop_columns([KEY])
        seconds, cpu, results = run(
            table, rules, registry, at, engine == "openfisca_atoms", time.perf_counter
        )
        out["seconds"], out["cpu_seconds"] = seconds, cpu
        pairs = _pairs([np.flatnonzero(r) for r in results], table.num_rows)
    elif engine == "python":
        from tongban.rules.evaluate import compile_rule

        table = _load(data, rules, sample)
        rows = table.to_pylist()
        compiled = [compile_rule(rule, registry, at) for rule in rules.values()]
        start = time.perf_counter()
        hits: list[list[int]] = [[] for _ in compiled]
        for r, row in enumerate(rows):
            for i, rule in enumerate(compiled):
                if rule.decide(row)[0].code == 2:
                    hits[i].append(r)
        seconds = time.perf_counter() - start
        n = pq.read_metadata(data / "profiles.parquet").num_rows
        out["seconds"] = seconds * n / len(rows)
        out["extrapolated_from"] = len(rows)
        pairs = _pairs([np.array(e, dtype=np.int64) for e in hits], len(rows))
    elif engine == "single":
        from tongban.rules.itemset import ItemSet

        table = _load(data, rules, single_rows)
        item_set = ItemSet(rules, registry, at)
        timings = []
        for row in table.to_pylist():
            start = time.perf_counter()
            item_set.match(row)
            timings.append(time.perf_counter() - start)
        ms = np.array(timings) * 1000
        return {
            "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "rows": len(timings),
            "via": "rules.itemset.ItemSet",
        }
    else:
        raise SystemExit(f"unknown engine {engine}")
    np.save(data / f"{engine}.npy", pairs)
    out["seconds"] = round(out["seconds"], 3)
    if "cpu_seconds" in out:
        out["cpu_seconds"] = round(out["cpu_seconds"], 3)
    out["peak_mb"] = _peak_mb()
    return out


def _subprocess(args: list[str], timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, __file__, *args], capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"skipped": f"did not finish within {timeout:.0f} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"skipped": f"failed: {lines[-1] if lines else done.returncode}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--python-rows", type=int, default=200, help="rows the python loop runs on")
    parser.add_argument("--single-rows", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per engine before it is skipped")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # internal: run one engine
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:
        result = run_engine(
            args.engine, Path(args.data), args.items, args.seed, args.python_rows, args.single_rows
        )
        print(json.dumps(result))
        return result

    n, m = args.enterprises, args.items
    with tempfile.TemporaryDirectory(prefix="tongban-matching-") as tmp:
        data = Path(tmp)
        table = synthetic.enterprises_table(n, synthetic.at_date(), seed=args.seed, missing=0.0)
        table = table.append_column(KEY, pa.array(np.arange(n, dtype=np.int32)))
        pq.write_table(table, data / "profiles.parquet", row_group_size=max(n, 1))
        del table
        common = [
            "--data",
            str(data),
            "--items",
            str(m),
            "--seed",
            str(args.seed),
            "--python-rows",
            str(min(args.python_rows, n)),
            "--single-rows",
            str(min(args.single_rows, n)),
        ]
        engines: dict[str, Any] = {}
        for engine in args.engines.split(","):
            engines[engine] = _subprocess(["--engine", engine, *common], args.timeout)
        single = _subprocess(["--engine", "single", *common], args.timeout)
        pairs = {e: np.load(data / f"{e}.npy") for e in engines if (data / f"{e}.npy").exists()}
        agree = _agree(pairs, n, min(args.python_rows, n))
    report = {
        "enterprises": n,
        "items": m,
        "engines": engines,
        "agree": agree,
        "single": single,
        "notes": "seconds: engine work only, reading Parquet excluded; peak_mb: the engine "
        "subprocess's peak RSS including its data; python extrapolated from a sample",
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return report


def _agree(pairs: dict[str, NDArray[np.int64]], n: int, sample: int) -> bool:
    if not pairs:
        return False
    full = {e: p for e, p in pairs.items() if e != "python"}
    reference = next(iter(full.values())) if full else None
    for p in full.values():
        if reference is not None and not np.array_equal(p, reference):
            return False
    if "python" in pairs and reference is not None:
        item, row = reference // n, reference % n
        restricted = np.sort(item[row < sample] * sample + row[row < sample])
        if not np.array_equal(restricted, pairs["python"]):
            return False
    return True


if __name__ == "__main__":
    main()
