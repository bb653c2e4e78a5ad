"""Ingest benchmark: 1,000,000 rows of a tax-like resource, with validation and history.

Generates a CSV (统一社会信用代码, 年度, 营业收入, 纳税额, 研发费用; 500,000 enterprises × 2
years; about 1% invalid rows: a wrong check character or an amount that is not a number) and
loads it through the same path as `tongban ingest file` into a fresh SQLite database and, when
a PostgreSQL URL is given (``--postgres`` or ``TONGBAN_TEST_DATABASE_URL``), into a scratch
PostgreSQL database. Three timed phases per database:

- ``first``: every valid row is new;
- ``changed``: the next year's file, where 10% of the rows carry new amounts (10% of the
  versions are closed and replaced);
- ``reload``: the same file again (everything unchanged).

Prints one JSON object per phase: ``{"rows": …, "seconds": …, "database": …, "phase": …}``
with the load report's counts, the CPU seconds of this process and the load average (the
machine may be shared).

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--postgres URL] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from scratch import scratch_database
from sqlalchemy.orm import Session

from tongban.catalog.resources_domain import FieldDraft
from tongban.catalog.service import seed_standard_elements
from tongban.db import make_engine, make_session_factory, upgrade
from tongban.demo.hub import publish_from_fields
from tongban.exchange import loads
from tongban.kernel.codes.validators import USCC_ALPHABET, uscc_check_character
from tongban.kernel.permissions import Actor
from tongban.models import import_all_models

SYSTEM = Actor.system("benchmark")
CODE = "350200-SWJ-BENCH"
HEADER = ["统一社会信用代码", "年度", "营业收入", "纳税额", "研发费用"]
FIELDS = [
    ("统一社会信用代码", "uscc", False, True),
    ("年度", "reporting_year", True, False),
    ("营业收入", "annual_revenue", False, False),
    ("纳税额", "tax_paid", False, False),
    ("研发费用", "rd_expense", False, False),
]


def uscc(n: int) -> str:
    body = ""
    for _ in range(9):
        n, digit = divmod(n, 31)
        body = USCC_ALPHABET[digit] + body
    first17 = "91350200" + body
    return first17 + uscc_check_character(first17)


def generate(path: Path, rows: int, *, changed_every: int = 0, seed: int = 0) -> None:
    enterprises = rows // 2
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            company, year = divmod(i, 2)
            code = uscc(company + 7 * enterprises)
            revenue = (company * 7919 + year * 104729) % 900_000_000 + 100_000
            if changed_every and i % changed_every == 0:
                revenue += 1000 + seed
            tax = f"{revenue * 6 // 100}.{company % 100:02d}"
            rd = f"{revenue // 30}"
            if i % 199 == 0:
                code = code[:17] + ("0" if code[17] != "0" else "1")  # wrong check character
            if i % 211 == 0:
                tax = "约12万"  # not a number
            writer.writerow([code, 2024 + year, revenue, tax, rd])


def prepare(session: Session) -> None:
    from tongban.demo.organisations import seed_organisations

    seed_organisations(session, SYSTEM)
    seed_standard_elements(session, SYSTEM)
    publish_from_fields(
        session, SYSTEM, provider_code="350200-SWJ", code=CODE, name="企业年度纳税信息（基准测试）",
        fields=[FieldDraft(name, key, key_field, subject) for name, key, key_field, subject in FIELDS],
    )
    session.commit()


def run(url: str, database: str, files: dict[str, Path], rows: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        prepare(session)
    for phase, path in (
        ("first", files["first"]),
        ("changed", files["changed"]),
        ("reload", files["changed"]),
    ):
        with factory() as session:
            started, cpu = time.perf_counter(), time.process_time()
            load = loads.load_file(session, SYSTEM, CODE, path)
            session.commit()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        result = {
            "rows": rows,
            "seconds": round(seconds, 2),
            "database": database,
            "phase": phase,
            "cpu_seconds": round(cpu, 2),  # this process only (not the PostgreSQL server)
            "load_average": round(os.getloadavg()[0], 1),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "new": load.rows_new,
            "changed": load.rows_changed,
            "unchanged": load.rows_unchanged,
            "quarantined": load.rows_quarantined,
            "status": load.status.value,
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("TONGBAN_TEST_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    import_all_models()
    with tempfile.TemporaryDirectory(prefix="tongban-ingest-") as scratch:
        folder = Path(scratch)
        files = {"first": folder / "tax-2025.csv", "changed": folder / "tax-2026.csv"}
        generate(files["first"], args.rows)
        generate(files["changed"], args.rows, changed_every=10, seed=1)
        if not args.skip_sqlite:
            run(f"sqlite:///{folder / 'bench.sqlite3'}", "sqlite", files, args.rows)
        if args.postgres:
            with scratch_database(args.postgres, "ingest") as url:
                run(url, "postgresql", files, args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
