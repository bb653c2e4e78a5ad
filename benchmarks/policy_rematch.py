"""A full re-match after publishing one item over N enterprises (issue 7: ≤ 1 s of engine time
at 1,000,000 enterprises).

    python benchmarks/policy_rematch.py --enterprises 1000000

The enterprises are ``rules.synthetic.enterprises_table`` (as benchmarks/matching.py, with a
share of missing values so that some matches are *likely*), each given a USCC-like subject; the
item is shaped like E1 of policy-examples.md (registered and taxed in 厦门, industry B/C/D, last
year's revenue ≥ 2000万 for the first time, 20万). Measured, as ``policy.matching.run`` does it:

- ``engine_seconds``: ``rules.population.match`` for the one item over the whole table (the
  best of ``--repeat`` runs; ``engine_runs`` lists them all);
- ``store_seconds``: building the Match rows of that item and storing them (delete the item's
  old rows, bulk insert in chunks, commit) into a fresh migrated SQLite database, with
  ``policy.matching.store``. Delivery (notifications) is not included.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from tongban.db import make_engine, make_session_factory, transaction, upgrade
from tongban.demo.organisations import seed
from tongban.kernel.clock import now
from tongban.kernel.orgs.models import Organisation
from tongban.policy import matching
from tongban.policy.domain import ItemState, PolicyLevel, VersionState
from tongban.policy.models import ItemVersion, MatchRun, Policy, PolicyItem
from tongban.policy.service import compile_rule
from tongban.profiles.attributes import builtin_registry
from tongban.rules import population, synthetic

CONDITION = (
    "registered_region within 厦门市 and tax_region within 厦门市\n"
    "and industry within [B, C, D]\n"
    "and revenue[last_year] >= 2000万\n"
    "and first_time(revenue >= 2000万, last_year)"
)
AMOUNT = "20万"


def enterprises(n: int, seed_: int, missing: float) -> pa.Table:
    table = synthetic.enterprises_table(n, synthetic.at_date(), seed_, missing=missing)
    subjects = pa.array([f"91350200MA{i:08d}" for i in range(n)], type=pa.string())
    return table.append_column("subject", subjects)


def store_into_sqlite(
    found: population.ItemMatches, target_rule: Any, table: pa.Table, directory: Path
) -> tuple[float, int]:
    engine = make_engine(f"sqlite:///{directory / 'bench.sqlite3'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        seed(session)
        session.flush()
        org = session.query(Organisation).filter(Organisation.code == "350200-GXJ").one()
        policy = Policy(
            org_id=org.id,
            title="基准测试政策",
            issuer="厦门市人民政府",
            region_code="350200",
            level=PolicyLevel.MUNICIPAL,
        )
        session.add(policy)
        session.flush()
        item = PolicyItem(policy_id=policy.id, code="ZC-BENCH-0001", org_id=org.id, state=ItemState.PUBLISHED)
        session.add(item)
        session.flush()
        version = ItemVersion(
            item_id=item.id,
            number=1,
            state=VersionState.PUBLISHED,
            title="基准事项",
            condition_text=CONDITION,
            amount_text=AMOUNT,
            rule=target_rule.to_json(),
        )
        session.add(version)
        session.flush()
        item.live_version_id = version.id
        run = MatchRun(trigger="manual", state="running", evaluation_date=synthetic.at_date(), items_done=[])
        session.add(run)
        session.flush()
        item_id, version_id, run_id = item.id, version.id, run.id
    target = matching.Target(item_id, version_id, target_rule)
    start = time.perf_counter()
    subjects = np.asarray(table.column("subject").to_numpy(zero_copy_only=False), dtype=object)
    with transaction(factory) as session:
        rows = matching._rows_of(found, target, subjects, run_id, now())
        matching.store(session, item_id, rows)
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--missing", type=float, default=0.05, help="Share of values left unknown.")
    parser.add_argument("--repeat", type=int, default=3, help="Engine runs (the best is reported).")
    parser.add_argument("--no-store", action="store_true", help="Skip storing into SQLite.")
    args = parser.parse_args()

    rule = compile_rule(CONDITION, AMOUNT)
    table = enterprises(args.enterprises, args.seed, args.missing)
    at, registry = synthetic.at_date(), builtin_registry()
    runs: list[float] = []
    result: population.PopulationResult | None = None
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        result = population.match({"item": rule}, table, at, registry)
        runs.append(time.perf_counter() - start)
    assert result is not None
    found = result.items["item"]
    out: dict[str, Any] = {
        "enterprises": table.num_rows,
        "items": 1,
        "engine_seconds": round(min(runs), 4),
        "engine_runs": [round(r, 4) for r in runs],
        "matches": len(found),
        "eligible": int((found.status == population.ELIGIBLE).sum()),
        "likely": int((found.status == population.LIKELY).sum()),
    }
    if not args.no_store:
        with tempfile.TemporaryDirectory() as directory:
            seconds, stored = store_into_sqlite(found, rule, table, Path(directory))
        out["store_seconds"] = round(seconds, 3)
        out["stored"] = stored
    print(json.dumps(out))


if __name__ == "__main__":
    main()
