"""Benchmark: write the synthetic city for N enterprises (default 1,000,000) into a temporary
directory and print JSON: seconds, rows and bytes per file, peak RSS, total bytes.

    .venv/bin/python benchmarks/city.py --scale 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tongban.demo.city import CityConfig, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=CityConfig().seed)
    parser.add_argument("--chunk-size", type=int, default=CityConfig().chunk_size)
    parser.add_argument("--xlsx", action="store_true", help="also write XLSX (slow at scale)")
    parser.add_argument("--keep", type=Path, help="write here and keep the files")
    args = parser.parse_args(argv)

    config = CityConfig(scale=args.scale, seed=args.seed, chunk_size=args.chunk_size,
                        write_xlsx=args.xlsx, xlsx_max_scale=max(args.scale, 1))
    out = args.keep or Path(tempfile.mkdtemp(prefix="tongban-city-"))
    started = time.perf_counter()
    try:
        manifest = generate(config, out)
        seconds = time.perf_counter() - started
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    result = {
        "benchmark": "city",
        "scale": args.scale,
        "seed": args.seed,
        "chunk_size": args.chunk_size,
        "xlsx": config.xlsx_enabled,
        "seconds": round(seconds, 2),
        # CPU time of this process: the wall time above also counts waiting for a busy machine
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "enterprises_per_second": round(args.scale / seconds),
        "persons": manifest.data["persons"],
        "rows": {f["key"]: f["rows"] for f in manifest.files},
        "rows_total": sum(f["rows"] for f in manifest.files),
        "bytes": {f["key"]: f["bytes"] for f in manifest.files},
        "bytes_total": total,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "defects": manifest.defects,
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
