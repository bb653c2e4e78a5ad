"""Access and verification API benchmark: real HTTP on 127.0.0.1, with the access log on.

For each database (a fresh SQLite file, and a scratch PostgreSQL database when a URL is given
with ``--postgres`` or ``TONGBAN_TEST_DATABASE_URL``) it seeds the demo organisations, a
resource of 10,000 enterprises (two years each) provided by 市场监管局, an unconditional
grant to 税务局 and an API token; starts ``uvicorn tongban.asgi:app`` (``--workers``
processes, uvloop and httptools); then drives it with ``wrk`` on the same machine — half
by-subject reads (``GET /api/v1/data/{code}/subjects/{uscc}``), half verifications
(``POST /api/v1/verify/{code}``), random subjects — for a bounded time, loopback only.
Without wrk (``make benchmarks`` installs it, or ``apt-get install -y wrk``) a bounded asyncio
client stands in (it costs the server more CPU, so its figures are lower).

Afterwards it checks that every request answered 2xx, that the access log holds one entry per
request, and that the access chain verifies. Prints one JSON object per database:
``{"req_per_s": …, "p50_ms": …, "p99_ms": …, "database": …, …}``.

    .venv/bin/python benchmarks/exchange_api.py [--seconds 20] [--connections 16] [--workers 2]
        [--postgres URL] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scratch import scratch_database
from sqlalchemy import create_engine, func, select, text

from tongban.catalog.resources_domain import FieldDraft
from tongban.catalog.service import seed_standard_elements
from tongban.db import make_engine, make_session_factory, upgrade
from tongban.demo.hub import publish_from_fields
from tongban.demo.organisations import seed
from tongban.exchange import access_log, sharing
from tongban.exchange.models import AccessLogEntry, Record
from tongban.kernel.accounts import tokens
from tongban.kernel.clock import now
from tongban.kernel.codes.validators import uscc_check_character
from tongban.kernel.orgs import service as orgs
from tongban.kernel.permissions import Actor
from tongban.models import import_all_models

SYSTEM = Actor.system("benchmark")
CODE = "350200-SCJGJ-BENCH"
FIELDS = [
    ("统一社会信用代码", "uscc", False, True),
    ("年度", "reporting_year", True, False),
    ("企业名称", "enterprise_name", False, False),
    ("营业收入", "annual_revenue", False, False),
    ("企业资质", "qualifications", False, False),
    ("联系人手机", "mobile", False, False),  # personal: masked
]
ENTERPRISES = 10_000
SUBJECTS_IN_SCRIPT = 2_000


def subjects(count: int) -> list[str]:
    result = []
    for i in range(count):
        body = f"91350200MA{i:07d}"
        result.append(body + uscc_check_character(body))
    return result


def seed_database(url: str) -> tuple[str, list[str]]:
    """Schema, demo organisations, the resource with its records, a grant and a token."""
    import_all_models()
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    people = subjects(ENTERPRISES)
    with factory() as session:
        seed(session)
        seed_standard_elements(session, SYSTEM)
        resource = publish_from_fields(
            session, SYSTEM, provider_code="350200-SCJGJ", code=CODE, name="企业年度经营信息（基准）",
            fields=[FieldDraft(name, key, is_key, is_subject) for name, key, is_key, is_subject in FIELDS],
            sharing_type="unconditional", full_coverage=True,
        )
        moment = now()
        rows = []
        for i, uscc in enumerate(people):
            for year in (2024, 2025):
                values = {
                    "统一社会信用代码": uscc,
                    "年度": year,
                    "企业名称": f"厦门基准企业{i}有限公司",
                    "营业收入": str(1_000_000 + (i * 7919) % 90_000_000),
                    "企业资质": ["high_tech"] if i % 3 == 0 else [],
                    "联系人手机": f"138{i:08d}",
                }
                data = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                rows.append(
                    {
                        "resource_id": resource.id,
                        "record_key": f"{uscc}|{year}",
                        "subject": uscc,
                        "data": data,
                        "row_hash": f"{hash(data) & (2**64 - 1):032x}"[:32],
                        "valid_from": moment,
                    }
                )
        session.execute(Record.__table__.insert(), rows)
        consumer = orgs.get_by_code(session, "350200-SWJ")
        issued = tokens.create_token(
            session,
            SYSTEM,
            org_id=consumer.id,
            name="税务局纳税信用系统",
            permissions=["data.access", "sharing.request"],
            days=30,
        )
        token_actor = tokens.actor_for_token(session, issued.secret)
        assert token_actor is not None
        sharing.request_sharing(
            session,
            token_actor,
            sharing.RequestInput(
                resource_code=CODE,
                purpose="纳税信用评价",
                legal_basis="《纳税信用管理办法》",
                fields=["统一社会信用代码", "年度", "企业名称", "营业收入", "企业资质", "联系人手机"],
            ),
        )
        session.commit()
        secret = issued.secret
    # Fresh statistics, as after any large load (without them SQLite walks every record of the
    # resource for a by-subject read, through the unique key index).
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return secret, people


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        TONGBAN_DATABASE_URL=url,
        TONGBAN_DATA_DIR=str(data_dir),
        TONGBAN_SECRET_KEY="benchmark-secret-key",
        TONGBAN_CONFIG_FILE=str(data_dir / "none.env"),
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tongban.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        stop_server(server)
        raise SystemExit("the server did not start")
    return server


def stop_server(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def verify_body(subject: str, n: int) -> dict[str, Any]:
    if n % 2:
        return {
            "subject": subject,
            "question": {"field": "营业收入", "op": ">=", "value": "2000万", "where": {"年度": 2025}},
        }
    return {"subject": subject, "question": {"field": "企业资质", "op": "has", "value": "高新技术企业"}}


LUA = """
local subjects = {%(subjects)s}
local token = "%(token)s"
local n = 0
math.randomseed(%(seed)d)
request = function()
  n = n + 1
  local s = subjects[math.random(#subjects)]
  if n %% 2 == 0 then
    return wrk.format("GET", "/api/v1/data/%(code)s/subjects/" .. s, {["Authorization"] = "Bearer " .. token})
  end
  local body
  if n %% 4 == 1 then
    body = '{"subject":"' .. s .. '","question":{"field":"营业收入","op":">=","value":"2000万",'
      .. '"where":{"年度":2025}}}'
  else
    body = '{"subject":"' .. s .. '","question":{"field":"企业资质","op":"has","value":"高新技术企业"}}'
  end
  return wrk.format("POST", "/api/v1/verify/%(code)s",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
"""


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(
    port: int, secret: str, people: list[str], seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    picked = random.Random(1).sample(people, SUBJECTS_IN_SCRIPT)
    script = LUA % {"subjects": ",".join(f'"{s}"' for s in picked), "token": secret, "seed": 7, "code": CODE}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as handle:
        handle.write(script)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        handle.name,
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M))
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "req_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": round(_ms(latency["50"]), 2),
        "p99_ms": round(_ms(latency["99"]), 2),
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
        "load_generator": f"wrk -t{threads} -c{connections} -d{seconds}s",
    }


async def _async_load(
    port: int, secret: str, people: list[str], seconds: int, connections: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    bad = 0
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {secret}"}

    async def worker(index: int, client: httpx.AsyncClient) -> None:
        nonlocal bad
        chooser = random.Random(index)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            subject = chooser.choice(people)
            started = time.perf_counter()
            if n % 2:
                response = await client.post(
                    f"/api/v1/verify/{CODE}", json=verify_body(subject, n), headers=headers
                )
            else:
                response = await client.get(f"/api/v1/data/{CODE}/subjects/{subject}", headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            bad += response.status_code >= 300

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=5) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(i, client) for i in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
        "requests": len(latencies),
        "non_2xx": bad,
        "load_generator": f"httpx asyncio, {connections} connections, {seconds}s",
    }


def check_log(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with make_session_factory(engine)() as session:
        entries = session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0
        refused = session.scalar(
            select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.outcome != "ok")
        )
        report = access_log.verify(session, SYSTEM)
    engine.dispose()
    return {"log_entries": entries, "log_refusals": refused, "chain_intact": report.intact}


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time of the server and its worker processes (Linux /proc)."""
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in [server.pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def bench(database: str, url: str, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    secret, people = seed_database(url)
    port = free_port()
    server = start_server(url, data_dir, port, args.workers)
    try:
        # Warm up long enough for the steady state: prepared statements, caches and the
        # databases' pages (a short warm-up left the first seconds of the measured run slow).
        warm = max(5, args.seconds // 2)
        if shutil.which("wrk"):
            run_wrk(port, secret, people, warm, args.connections, args.threads)
            cpu = server_cpu_seconds(server)
            result = run_wrk(port, secret, people, args.seconds, args.connections, args.threads)
        else:
            asyncio.run(_async_load(port, secret, people, warm, args.connections))
            cpu = server_cpu_seconds(server)
            result = asyncio.run(_async_load(port, secret, people, args.seconds, args.connections))
        # CPU per request of the server processes (not the database server): with the machine
        # shared, cores / this is what the server could do alone.
        result["server_cpu_ms_per_request"] = round(
            (server_cpu_seconds(server) - cpu) * 1000 / result["requests"], 3
        )
        result["load_average"] = round(os.getloadavg()[0], 2)
    finally:
        stop_server(server)
    settings = {"workers": args.workers, "loop": "uvloop", "http": "httptools", "cores": os.cpu_count()}
    return {**result, "database": database, **settings, **check_log(url)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--postgres", default=os.environ.get("TONGBAN_TEST_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        data_dir = Path(tmp)
        if not args.skip_sqlite:
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            print(json.dumps(bench("sqlite", url, args, data_dir), ensure_ascii=False), flush=True)
        if args.postgres:
            with scratch_database(args.postgres, "api") as url:
                print(json.dumps(bench("postgresql", url, args, data_dir), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
