""" "我的政策" page load (DESIGN §8: p95 ≤ 200 ms with 1,000 active items and 200,000 enterprises).

For each database (a fresh SQLite file; a scratch PostgreSQL database when ``--database-url`` is
given) it seeds the demo organisations, the city's resources and the platform's grants; publishes
``--items`` items through ``policy.service`` (policy_officer drafts and submits, policy_reviewer
approves) whose rule texts are ``rules.synthetic.items`` printed back to text
(``rules.printer``), with windows, support types and some exclusion groups; bulk inserts the
``Match`` rows of ``--enterprises`` enterprises (0–40 items each, skewed towards fewer, a fifth
of them likely with a range); loads records (registration, taxpayer, three annual returns)
through ingest for the ``--users`` enterprises whose pages are requested and gives each an
enterprise user account. Then it starts ``uvicorn tongban.asgi:app`` on 127.0.0.1, logs every
user in, and requests ``/portal/policies`` (the ranked list, near misses from the live rules
evaluated against the enterprise's current profile, the inbox count) for random users with
``--concurrency`` clients, after a warm-up. Prints one JSON object per database:
``{"items": 1000, "enterprises": 200000, "requests": …, "p50_ms": …, "p95_ms": …, "p99_ms": …,
"database": …}``.

    .venv/bin/python benchmarks/portal.py [--requests 400] [--concurrency 2] [--workers 2]
        [--database-url postgresql+psycopg://…] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exchange_api import free_port, start_server, stop_server
from scratch import scratch_database

from tongban.catalog.service import seed_standard_elements
from tongban.db import make_engine, make_session_factory, upgrade
from tongban.demo.hub import register_city_resources
from tongban.demo.organisations import DEMO_PASSWORD, seed
from tongban.demo.profiles import grant_platform
from tongban.exchange import loads
from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.clock import now, today
from tongban.kernel.codes.validators import uscc_check_character
from tongban.kernel.permissions import Actor, Role
from tongban.models import import_all_models
from tongban.policy import domain, service
from tongban.policy.domain import ItemFields, PolicyFields, PolicyLevel
from tongban.policy.models import Match, PolicyItem
from tongban.rules import synthetic
from tongban.rules.errors import RuleInvalid
from tongban.rules.printer import print_node

SYSTEM = Actor.system("benchmark")
MAX_MATCHES = 40
CHUNK = 20_000


def uscc(i: int) -> str:
    body = f"91350200MB{i:07d}"
    return body + uscc_check_character(body)


def _officers(session: Any) -> tuple[Actor, Actor]:
    def one(name: str) -> Actor:
        user = session.scalar(select(User).where(User.username == name))
        return accounts.actor_for_user(session, user)

    return one("policy_officer"), one("policy_reviewer")


def publish_items(factory: Any, count: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """``count`` published items; returns (item id, version id, amount in fen) of each."""
    rules = synthetic.items(count * 2, seed=7)
    published: list[tuple[int, int, int]] = []
    groups = [f"互斥组{i}" for i in range(max(1, count // 40))]
    types = list(domain.SUPPORT_TYPES)
    start = today()
    with factory() as session:
        officer, reviewer = _officers(session)
        policies = [
            service.create_policy(
                session,
                officer,
                PolicyFields(
                    title=f"厦门市惠企政策（基准）第{p + 1}号",
                    doc_number=f"厦基准〔2026〕{p + 1}号",
                    issuer="厦门市工业和信息化局",
                    region_code="350200",
                    level=PolicyLevel.MUNICIPAL,
                    issued_on=start - timedelta(days=30),
                    effective_on=start - timedelta(days=30),
                    expires_on=start + timedelta(days=800),
                    full_text="基准测试用政策。",
                ),
            )
            for p in range(max(1, count // 25))
        ]
        session.commit()
        for name, rule in rules.items():
            if len(published) >= count:
                break
            condition = print_node(rule.condition)
            amount = print_node(rule.amount) if rule.amount is not None else ""
            fields = ItemFields(
                title=f"基准政策事项 {name}",
                summary="基准测试用事项。",
                condition_text=condition,
                amount_text=amount,
                support_types=(types[int(rng.integers(0, len(types)))],),
                industries=(),
                sizes=(),
                window_opens=start - timedelta(days=int(rng.integers(1, 60))),
                window_closes=start + timedelta(days=int(rng.integers(3, 300))),
                handling_org_id=None,
                materials=("营业执照复印件",),
                exclusive_group=groups[int(rng.integers(0, len(groups)))] if rng.random() < 0.1 else "",
                annual_budget_fen=None,
                no_application=bool(rng.random() < 0.1),
            )
            policy = policies[len(published) % len(policies)]
            try:
                version = service.create_item(session, officer, policy.id, fields)
                service.submit(session, officer, version.id)
            except RuleInvalid:
                session.rollback()
                continue
            service.approve(session, reviewer, version.id)
            fen = int(rng.choice([5, 10, 20, 30, 50, 100, 200, 500])) * 1_000_000
            published.append((version.item_id, version.id, fen))
            if len(published) % 100 == 0:
                session.commit()
        session.commit()
    return published


def insert_matches(
    engine: Any, items: list[tuple[int, int, int]], enterprises: int, rng: np.random.Generator
) -> int:
    """Match rows: each enterprise matched to 0–40 items (geometric-like, mean about 12)."""
    counts = np.minimum(rng.geometric(1 / 12, size=enterprises) - 1, MAX_MATCHES)
    moment = now()
    total = 0
    rows: list[dict[str, Any]] = []
    n = len(items)
    with engine.begin() as connection:
        for e in range(enterprises):
            k = int(counts[e])
            if not k:
                continue
            subject = uscc(e)
            for index in rng.choice(n, size=min(k, n), replace=False):
                item_id, version_id, fen = items[int(index)]
                likely = rng.random() < 0.2
                rows.append(
                    {
                        "item_id": item_id,
                        "version_id": version_id,
                        "subject": subject,
                        "status": "likely" if likely else "eligible",
                        "amount_low": fen // 2 if likely else fen,
                        "amount_high": fen,
                        "open_atoms": ["net_profit[last_year] >= 100万"] if likely else [],
                        "run_id": None,
                        "matched_at": moment,
                    }
                )
            if len(rows) >= CHUNK:
                connection.execute(insert(Match), rows)
                total += len(rows)
                rows = []
        if rows:
            connection.execute(insert(Match), rows)
            total += len(rows)
    return total


def load_profiles(factory: Any, users: int) -> None:
    """Records for the enterprises whose pages are requested, through ingest."""
    year = today().year
    registrations, taxpayers, returns = [], [], []
    for i in range(users):
        subject = uscc(i)
        name = f"厦门基准企业{i}有限公司"
        registrations.append(
            {
                "统一社会信用代码": subject,
                "企业名称": name,
                "法定代表人": "陈明",
                "企业类型": "有限责任公司",
                "注册资本（万元）": str(100 + i),
                "成立日期": "2015-03-02",
                "住所": "厦门市思明区湖滨南路1号",
                "住所所在行政区划": ["350203", "350206", "350211", "350212"][i % 4],
                "行业代码": ["C3911", "C3511", "I6510", "F5191"][i % 4],
                "登记机关": "厦门市市场监督管理局",
                "登记状态": "存续",
                "核准日期": "2015-03-02",
            }
        )
        taxpayers.append(
            {
                "纳税人识别号": subject,
                "纳税人名称": name,
                "注册地址": "厦门市思明区湖滨南路1号",
                "行政区划": "350203",
                "主管税务机关": "国家税务总局厦门市思明区税务局",
                "行业": "C3912",
                "纳税人状态": "正常",
                "纳税信用等级": "A",
            }
        )
        for back in (3, 2, 1):
            returns.append(
                {
                    "纳税人识别号": subject,
                    "纳税人名称": name,
                    "所属年度": str(year - back),
                    "营业收入（元）": str(5_000_000 + (i * 7919 + back * 104_729) % 80_000_000),
                    "实缴税额（元）": "120000.50",
                    "地方级收入（元）": "50000",
                    "研发费用（元）": str(100_000 + (i * 31) % 3_000_000),
                }
            )
    for code, rows in (
        ("350200-SCJGJ-0001", registrations),
        ("350200-SWJ-0001", taxpayers),
        ("350200-SWJ-0002", returns),
    ):
        with factory() as session:
            loads.load_rows(session, SYSTEM, code, rows)
            session.commit()


def create_users(factory: Any, users: int) -> list[str]:
    names = []
    with factory() as session:
        for i in range(users):
            name = f"bench{i:04d}"
            accounts.create_user(
                session,
                SYSTEM,
                username=name,
                display_name=f"基准企业用户{i}",
                password=DEMO_PASSWORD,
                role=Role.ENTERPRISE,
                uscc=uscc(i),
                enterprise_name=f"厦门基准企业{i}有限公司",
                must_change_password=False,
            )
            names.append(name)
        session.commit()
    return names


def seed_database(url: str, args: argparse.Namespace) -> dict[str, Any]:
    import_all_models()
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = np.random.default_rng(11)
    started = time.perf_counter()
    with factory() as session:
        seed(session)
        seed_standard_elements(session, SYSTEM)
        register_city_resources(session, SYSTEM)
        grant_platform(session, SYSTEM)
        session.commit()
    items = publish_items(factory, args.items, rng)
    matches = insert_matches(engine, items, args.enterprises, rng)
    load_profiles(factory, args.users)
    users = create_users(factory, args.users)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    with factory() as session:
        live = session.scalar(
            select(func.count()).select_from(PolicyItem).where(PolicyItem.live_version_id.is_not(None))
        )
    engine.dispose()
    return {
        "users": users,
        "live": live,
        "matches": matches,
        "seed_seconds": round(time.perf_counter() - started, 1),
    }


def log_in(client: httpx.Client, username: str) -> dict[str, str]:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303, answer.text[:300]
    return dict(client.cookies)


async def _load(
    port: int, sessions: list[dict[str, str]], requests: int, concurrency: int, seed_: int
) -> list[float]:
    rng = np.random.default_rng(seed_)
    order = [sessions[int(i)] for i in rng.integers(0, len(sessions), size=requests)]
    timings: list[float] = []
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    for cookies in order:
        queue.put_nowait(cookies)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            while not queue.empty():
                cookies = queue.get_nowait()
                started = time.perf_counter()
                answer = await client.get("/portal/policies", cookies=cookies)
                timings.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text[:300]
                assert 'data-testid="near-misses"' in answer.text

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings


def bench(database: str, url: str, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    seeded = seed_database(url, args)
    port = free_port()
    server = start_server(url, data_dir, port, args.workers)
    try:
        sessions = []
        for name in seeded["users"]:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                sessions.append(log_in(client, name))
        asyncio.run(_load(port, sessions, max(10, args.requests // 10), args.concurrency, 1))  # warm-up
        timings = np.array(asyncio.run(_load(port, sessions, args.requests, args.concurrency, 2)))
    finally:
        stop_server(server)
    return {
        "items": seeded["live"],
        "enterprises": args.enterprises,
        "requests": len(timings),
        "p50_ms": round(float(np.percentile(timings, 50)), 1),
        "p95_ms": round(float(np.percentile(timings, 95)), 1),
        "p99_ms": round(float(np.percentile(timings, 99)), 1),
        "database": database,
        "matches": seeded["matches"],
        "users": len(seeded["users"]),
        "concurrency": args.concurrency,
        "workers": args.workers,
        "seed_seconds": seeded["seed_seconds"],
        "load_average": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to create a scratch database on"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tongban-portal-bench-") as tmp:
        data_dir = Path(tmp)
        if not args.skip_sqlite:
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            print(json.dumps(bench("sqlite", url, args, data_dir), ensure_ascii=False), flush=True)
        if args.database_url:
            with scratch_database(args.database_url, "portal") as url:
                print(json.dumps(bench("postgresql", url, args, data_dir), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
