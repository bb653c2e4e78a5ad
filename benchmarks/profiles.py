"""Profiles benchmark: the snapshot of N enterprises from the hub, and one enterprise's incremental
update after a record change.

The hub is the demo city's catalog (every department resource, as ``tongban demo`` registers
them) with the platform's grants, holding N synthetic enterprises and their records: a
registration and a tax registration each, three years of tax returns, social insurance for
half of them, and the listed files (qualifications, penalties, accidents, hires …) at realistic
rates — about 7.5 current records per enterprise. **Faster path for the hub rows:** the records
are written straight into ``records`` in bulk (the same canonical JSON, record keys and hashes
ingest writes), not through ingest, which would take minutes per million rows and is measured by
``benchmarks/ingest.py``. The incremental phase then goes through the real path: a one-row push
through ingest whose ``RecordsChanged`` refreshes the profile.

Phases, printed as one JSON object:

- ``snapshot_seconds`` / ``peak_mb``: ``tongban profiles snapshot`` in a child process (its peak
  resident memory, DuckDB included);
- ``incremental_p50_ms`` / ``incremental_p99_ms`` (and ``incremental_cpu_p50_ms``):
  ``service.refresh_subject`` for one enterprise right after a new version of its 2025 tax return
  was written (as ingest writes it): read its records, aggregate, resolve conflicts, write the
  changed values, publish ProfileChanged — over ``--updates`` random enterprises;
  ``access_log_p50_ms``: its platform-use entry, committed durably after the transaction;
- ``push_p50_ms``: a few one-row pushes through ingest timed whole (``RecordsChanged`` refreshes
  the profile; governance's quality and conflict work on the 3-million-record resource is in it).

    .venv/bin/python benchmarks/profiles.py [--enterprises 10000] [--postgres URL] [--updates 200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scratch import scratch_database
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog.models import Resource
from tongban.catalog.schema import schema_of
from tongban.catalog.service import seed_standard_elements
from tongban.db import make_engine, make_session_factory, transaction, upgrade
from tongban.demo.hub import register_city_resources
from tongban.demo.organisations import seed_organisations
from tongban.demo.profiles import grant_platform
from tongban.exchange import loads
from tongban.exchange.models import Record
from tongban.kernel.codes.validators import USCC_ALPHABET, uscc_check_character
from tongban.kernel.permissions import Actor
from tongban.models import import_all_models
from tongban.wiring import connect_contexts

SYSTEM = Actor.system("benchmark")
RECORDED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CHUNK = 50_000
NONCE = random.SystemRandom().randrange(1, 999)  # a rerun on a kept hub still changes the values


def uscc(n: int) -> str:
    """A valid USCC per number (ingest checks the check character of a pushed row)."""
    body = ""
    for _ in range(9):
        n, digit = divmod(n, 31)
        body = USCC_ALPHABET[digit] + body
    first17 = "91350200" + body
    return first17 + uscc_check_character(first17)


def ric(i: int) -> str:
    return f"35020{i:012d}X"


def _rows(i: int, rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file key, values by field name) of enterprise i, as ingest would store them."""
    code, name = uscc(i), f"厦门基准{i}号科技有限公司"
    region = ("350203", "350205", "350206", "350211", "350212", "350213")[i % 6]
    industry = ("3911", "5012", "7020", "6510", "2929", "5164")[i % 6]
    yield (
        "SCJGJ/registrations",
        {
            "统一社会信用代码": code,
            "企业名称": name,
            "法定代表人": "张三",
            "企业类型": "llc",
            "注册资本（万元）": str(rng.randrange(10, 5000) * 10_000),
            "成立日期": f"20{i % 20 + 5:02d}-03-0{i % 9 + 1}",
            "住所": "厦门市思明区",
            "住所所在行政区划": region,
            "行业代码": industry,
            "登记机关": "厦门市市场监督管理局",
            "登记状态": "存续",
            "核准日期": "2020-01-01",
        },
    )
    yield (
        "SWJ/taxpayers",
        {
            "纳税人识别号": code,
            "纳税人名称": name,
            "注册地址": "厦门市思明区",
            "行政区划": region,
            "主管税务机关": "国家税务总局厦门市税务局",
            "行业": industry if i % 50 else "3912",
            "纳税人状态": "正常",
            "纳税信用等级": "B",
        },
    )
    revenue = rng.randrange(100_000, 500_000_000)
    for year in (2023, 2024, 2025):
        revenue = revenue * rng.randrange(90, 130) // 100
        yield (
            "SWJ/annual_returns",
            {
                "纳税人识别号": code,
                "纳税人名称": name,
                "所属年度": year,
                "营业收入（元）": f"{revenue}.{i % 100:02d}",
                "实缴税额（元）": str(revenue // 17),
                "地方级收入（元）": str(revenue // 40),
                "研发费用（元）": str(revenue // 25),
            },
        )
    if i % 2 == 0:
        for year in (2023, 2024, 2025):
            yield (
                "RSJ/insured_units",
                {
                    "单位编号": f"U{i}",
                    "统一社会信用代码": code,
                    "单位名称": name,
                    "年度": year,
                    "年末参保人数": rng.randrange(1, 300),
                    "失业保险费实缴金额（元）": str(rng.randrange(100, 90000)),
                    "裁员人数": 0 if i % 7 else 2,
                },
            )
    if i % 20 == 0:
        for year in (2023, 2024, 2025):
            yield (
                "TJJ/above_scale",
                {
                    "统计年度": year,
                    "统一社会信用代码": code,
                    "单位详细名称": name,
                    "行业代码": industry,
                    "类别": "规模以上工业",
                    "营业收入（千元）": str(revenue // 1000),
                },
            )
    if i % 30 == 0:
        yield (
            "KJJ/high_tech",
            {
                "证书编号": f"GR{i}",
                "企业名称": name,
                "统一社会信用代码": code,
                "发证日期": "2024-11-30",
                "有效期（年）": 3,
            },
        )
    if i % 20 == 1:
        yield (
            "KJJ/tech_sme",
            {
                "入库登记编号": f"TS{i}",
                "企业名称": name,
                "统一社会信用代码": code,
                "入库年度": 2025,
                "入库日期": "2025-05-09",
            },
        )
    if i % 100 == 2:
        yield (
            "GXJ/srdi",
            {
                "统一社会信用代码": code,
                "企业名称": name,
                "认定级别": "省级专精特新中小企业",
                "认定日期": "2024-12-25",
                "有效期至": "2027-12-24",
            },
        )
    if i % 5 == 3:
        yield (
            "SCJGJ/patents",
            {"统一社会信用代码": code, "企业名称": name, "统计年度": 2025, "有效专利总数": i % 40},
        )
    if i % 50 == 4:
        yield (
            "SCJGJ/penalties",
            {
                "行政处罚决定书文号": f"罚{i}",
                "统一社会信用代码": code,
                "当事人名称": name,
                "罚款金额（元）": "20000",
                "处罚决定日期": "2024-07-05",
            },
        )
    if i % 300 == 5:
        yield (
            "YJJ/accidents",
            {
                "事故编号": f"YJ{i}",
                "事故发生日期": "2025-03-21",
                "事故单位名称": name,
                "统一社会信用代码": code,
                "事故等级": "较大",
            },
        )
    if i % 300 == 6:
        yield (
            "FGW/serious_dishonesty",
            {"统一社会信用代码": code, "主体名称": name, "列入日期": "2025-07-11", "名单状态": "列入"},
        )
    if i % 500 == 7:
        yield (
            "GXJ/tech_grants",
            {
                "项目编号": f"JG{i}",
                "统一社会信用代码": code,
                "企业名称": name,
                "资金级别": "省级",
                "下达日期": "2025-08-10",
                "支持金额（万元）": "1450000",
            },
        )
    if i % 1000 == 8:
        yield "FGW/headquarters", {"统一社会信用代码": code, "企业名称": name, "认定日期": "2020-09-14"}
    if i % 3 == 0:
        yield (
            "RSJ/hires",
            {
                "公民身份号码": ric(i),
                "姓名": "李四",
                "用人单位统一社会信用代码": code,
                "用人单位名称": name,
                "招用日期": "2025-03-01",
                "劳动合同期限（月）": 24,
                "招用前就业状态": "登记失业人员",
                "失业登记日期": "2024-05-01",
                "是否缴纳社会保险": True,
            },
        )


def fill_hub(engine: Engine, factory: sessionmaker[Session], enterprises: int) -> int:
    """Catalog, grants and the records of N enterprises (bulk insert); returns the record count."""
    from tongban.demo.city.departments import FILES
    from tongban.demo.hub import resource_code

    with transaction(factory) as session:
        seed_organisations(session, SYSTEM)
        seed_standard_elements(session, SYSTEM)
        register_city_resources(session, SYSTEM)
        grant_platform(session, SYSTEM)
        by_key = {spec.key: resource_code(spec) for spec in FILES}
        schemas = {
            key: schema_of(session.scalars(select(Resource).where(Resource.code == code)).one())
            for key, code in by_key.items()
        }
    rng = random.Random(20261127)
    sqlite = engine.dialect.name == "sqlite"
    stamp = RECORDED.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else RECORDED
    count = 0
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.driver_connection.cursor()  # type: ignore[union-attr]
        batch: list[tuple[Any, ...]] = []
        # The record indexes are dropped during the bulk insert and built again after (scratch
        # database only): building an index once is much cheaper than maintaining it row by row.
        indexes = _drop_record_indexes(cursor, sqlite)

        def flush() -> None:
            if sqlite:
                cursor.executemany(
                    "INSERT INTO records (resource_id, record_key, subject, data, row_hash, valid_from) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    batch,
                )
            else:
                with cursor.copy(
                    "COPY records (resource_id, record_key, subject, data, row_hash, valid_from) FROM STDIN"
                ) as copy:
                    for item in batch:
                        copy.write_row(item)
            batch.clear()

        for i in range(enterprises):
            for key, values in _rows(i, rng):
                schema = schemas[key]
                data = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                subject_field = schema.subject_field
                subject = str(values[subject_field.name]) if subject_field else None
                batch.append(
                    (
                        schema.resource_id,
                        schema.record_key(values),
                        subject,
                        data,
                        hashlib.md5(data.encode(), usedforsecurity=False).hexdigest(),
                        stamp,
                    )
                )
                count += 1
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        for statement in indexes:
            cursor.execute(statement)
        cursor.execute("ANALYZE" if sqlite else "ANALYZE records")
        raw.commit()
    finally:
        raw.close()
    _link(factory)
    return count


def _link(factory: sessionmaker[Session]) -> None:
    """Hires name their employer: link them to it, as a load of hires does (idempotent)."""
    from tongban.profiles import service
    from tongban.profiles.sources import plan

    with transaction(factory) as session:
        service.link_related(session, [r for r in plan(session).readable if r.spec.subject_field])


def _drop_record_indexes(cursor: Any, sqlite: bool) -> list[str]:
    """Drop the secondary indexes of ``records``; returns the statements that make them again."""
    if sqlite:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' "
            "AND sql IS NOT NULL"
        )
        found = [(name, sql) for name, sql in cursor.fetchall()]
    else:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'records' "
            "AND indexname NOT LIKE 'pk_%'"
        )
        found = [(name, sql) for name, sql in cursor.fetchall()]
    for name, _sql in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _change_return(session: Session, resource_id: int, i: int, n: int) -> None:
    """A new version of enterprise i's 2025 tax return, written as ingest writes a changed row:
    the current version closed, the new one added."""
    values = {
        "纳税人识别号": uscc(i),
        "纳税人名称": f"厦门基准{i}号科技有限公司",
        "所属年度": 2025,
        "营业收入（元）": str(1_000_000 + n * 1000 + NONCE),
        "实缴税额（元）": "1000",
        "地方级收入（元）": "500",
        "研发费用（元）": "100",
    }
    data = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    moment = datetime.now(UTC)
    key = f"{uscc(i)}|2025"
    session.execute(
        update(Record)
        .where(Record.resource_id == resource_id, Record.record_key == key, Record.valid_to.is_(None))
        .values(valid_to=moment)
    )
    session.add(
        Record(
            resource_id=resource_id,
            record_key=key,
            subject=uscc(i),
            data=data,
            row_hash=hashlib.md5(data.encode(), usedforsecurity=False).hexdigest(),
            valid_from=moment,
        )
    )
    session.flush()


def incremental(
    factory: sessionmaker[Session], enterprises: int, updates: int, pushes: int
) -> dict[str, float]:
    """Change a tax return of random enterprises and refresh their profiles, timed; then a few
    one-row pushes through ingest (the whole path, governance's work included)."""
    from tongban.profiles import service, sources

    original_append = getattr(sources, "append_committed")  # noqa: B009
    logged: list[float] = []

    def timed_append(engine: Engine, drafts: Any) -> list[int]:
        started = time.perf_counter()
        try:
            seqs: list[int] = original_append(engine, drafts)
            return seqs
        finally:
            logged.append((time.perf_counter() - started) * 1000)

    setattr(sources, "append_committed", timed_append)  # noqa: B010 - timing the real calls
    wall: list[float] = []
    cpu: list[float] = []
    try:
        with factory() as session:
            resource_id = session.scalars(select(Resource.id).where(Resource.code == "350200-SWJ-0002")).one()
        rng = random.Random(7)
        for n in range(updates + 5):
            i = rng.randrange(enterprises)
            with transaction(factory) as session:  # the profile as it stood (not timed)
                service.refresh_subject(session, uscc(i))
            with transaction(factory) as session:
                _change_return(session, resource_id, i, n)
                started, used = time.perf_counter(), time.process_time()
                changed = service.refresh_subject(session, uscc(i))
                took, took_cpu = (time.perf_counter() - started) * 1000, (time.process_time() - used) * 1000
            assert "revenue" in changed, changed
            if n >= 5:  # warm-up
                wall.append(took)
                cpu.append(took_cpu)
        push_ms: list[float] = []
        for n in range(pushes):
            i = rng.randrange(enterprises)
            row = {
                "纳税人识别号": uscc(i),
                "纳税人名称": f"厦门基准{i}号科技有限公司",
                "所属年度": "2025",
                "营业收入（元）": str(2_000_000 + n * 1000 + NONCE),
                "实缴税额（元）": "1000",
                "地方级收入（元）": "500",
                "研发费用（元）": "100",
            }
            started = time.perf_counter()
            with transaction(factory) as session:
                loads.load_rows(session, SYSTEM, "350200-SWJ-0002", [row])
            push_ms.append((time.perf_counter() - started) * 1000)
    finally:
        setattr(sources, "append_committed", original_append)  # noqa: B010
    quantiles = statistics.quantiles(wall, n=100)
    return {
        "incremental_p50_ms": round(statistics.median(wall), 2),
        "incremental_p99_ms": round(quantiles[98], 2),
        "incremental_cpu_p50_ms": round(statistics.median(cpu), 2),
        "access_log_p50_ms": round(statistics.median(logged), 2) if logged else 0.0,
        "push_p50_ms": round(statistics.median(push_ms), 2) if push_ms else 0.0,
        "updates": len(wall),
        "pushes": len(push_ms),
    }


def snapshot_child(url: str, out: Path) -> dict[str, Any]:
    """Build the snapshot in a child process (so its peak memory is the snapshot's alone)."""
    code = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from tongban.db import make_engine, make_session_factory\n"
        "from tongban.models import import_all_models\n"
        "import_all_models()\n"
        "from tongban.profiles import snapshot\n"
        "factory = make_session_factory(make_engine(sys.argv[1]))\n"
        "built = snapshot.build_snapshot(factory, Path(sys.argv[2]), label='benchmark')\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'seconds': built.seconds, 'rows': built.rows,"
        " 'cpu_seconds': usage.ru_utime + usage.ru_stime,"
        " 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,"
        " 'columns': len(__import__('pyarrow.parquet', fromlist=['x']).ParquetFile(built.path).schema_arrow),"
        " 'bytes': built.path.stat().st_size}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url, str(out)], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(
    url: str,
    database: str,
    enterprises: int,
    updates: int,
    scratch: Path,
    *,
    reuse: bool = False,
    pushes: int = 5,
) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    if reuse:
        with engine.connect() as connection:
            records = int(connection.execute(text("SELECT count(*) FROM records")).scalar_one())
        _link(factory)
    else:
        records = fill_hub(engine, factory, enterprises)
    fill_seconds = time.perf_counter() - started
    built = snapshot_child(url, scratch / f"snapshots-{database}")
    assert built["rows"] == enterprises, built
    print(json.dumps({"phase": "snapshot", **built}), file=sys.stderr, flush=True)
    timings = incremental(factory, enterprises, updates, pushes)
    engine.dispose()
    return {
        "enterprises": enterprises,
        "records": records,
        "snapshot_seconds": round(built["seconds"], 2),
        "snapshot_cpu_seconds": round(built["cpu_seconds"], 1),  # the child's, DuckDB's threads included
        "peak_mb": built["peak_mb"],
        **timings,
        "snapshot_columns": built["columns"],
        "snapshot_mb": round(built["bytes"] / 1e6, 1),
        "hub_fill_seconds": round(fill_seconds, 1),
        "hub_path": "bulk insert into records (not ingest)",
        "database": database,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
            "load_average": round(os.getloadavg()[0], 1),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
        "peak_rss_mb_parent": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--pushes", type=int, default=5, help="one-row loads through ingest, timed whole")
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (a scratch database is made)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--hub", type=Path, help="SQLite hub file to keep (and reuse when it exists)")
    args = parser.parse_args()
    import_all_models()
    connect_contexts()
    with tempfile.TemporaryDirectory(prefix="tongban-profiles-") as folder:
        scratch = Path(folder)
        if not args.skip_sqlite:
            hub = args.hub or scratch / "hub.sqlite3"
            reuse = hub.exists()
            result = run(
                f"sqlite:///{hub}",
                "sqlite",
                args.enterprises,
                args.updates,
                scratch,
                reuse=reuse,
                pushes=args.pushes,
            )
            print(json.dumps(result, ensure_ascii=False), flush=True)
        if args.postgres:
            with scratch_database(args.postgres, "profiles") as url:
                result = run(url, "postgresql", args.enterprises, args.updates, scratch, pushes=args.pushes)
                print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
