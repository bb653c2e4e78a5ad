"""The demo city shows real quality issues out of the box: what the rules find is what the
generator injected (``_truth/defects.csv``)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog.service import seed_standard_elements
from tongban.db import transaction
from tongban.demo.city import CityConfig, generate
from tongban.demo.city.departments import FILES
from tongban.demo.governance_quality import prepare_quality
from tongban.demo.hub import load_city, register_city_resources
from tongban.governance.quality_models import (
    QualityIssue,
    QualityResult,
    QualityRule,
    QualityRun,
    RuleKind,
    RunStatus,
)
from tongban.kernel.permissions import Actor

DEMO = Actor.system("demo")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quality-city")
    generate(CityConfig(scale=300, seed=11), out)
    return out


def truth(city: Path) -> list[dict[str, str]]:
    with (city / "_truth/defects.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_demo_rules_find_the_generators_defects(
    city: Path,
    session_factory: sessionmaker[Session],
    demo_city: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tongban.governance import jobs, subscribers

    # The larger files' runs go to the queue (no worker here): prepare_quality does them.
    queued: list[int] = []
    monkeypatch.setattr(subscribers, "LARGE_LOAD", 500)
    monkeypatch.setattr(jobs.run_quality, "schedule", lambda args, delay: queued.append(args[0]))
    with transaction(session_factory) as session:
        seed_standard_elements(session, DEMO)
        register_city_resources(session, DEMO)
    load_city(session_factory, DEMO, city)
    assert queued
    summary = prepare_quality(session_factory, DEMO)
    with session_factory() as session:
        assert session.scalars(select(QualityRun).where(QualityRun.status == RunStatus.PENDING)).all() == []
    assert summary["resources"] == len(FILES) and summary["custom_rules_added"] == 4
    defects = truth(city)
    catalogued = {(f.key, c.name) for f in FILES for c in f.columns if c.element}
    kinds = Counter(d["kind"] for d in defects)
    missing = sum(
        1 for d in defects if d["kind"] == "missing_value" and (d["file"], d["column"]) in catalogued
    )
    failed = summary["failed"]
    assert failed["completeness"] == missing
    assert failed["uniqueness"] == kinds["duplicate_row"]
    assert failed["cross_resource"] == kinds["address_mismatch"] + kinds["headcount_mismatch"]
    assert kinds["stale_record"] <= failed["freshness"] <= kinds["stale_record"] * 1.5
    assert failed.get("validity", 0) > 0
    # Again: idempotent rules, a second run for the trend.
    again = prepare_quality(session_factory, DEMO)
    assert again["custom_rules_added"] == 0 and again["failed"] == failed
    with session_factory() as session:
        stale = session.scalars(
            select(QualityIssue.subject)
            .join(QualityResult, QualityResult.id == QualityIssue.result_id)
            .join(QualityRule, QualityRule.id == QualityResult.rule_id)
            .where(QualityRule.kind == RuleKind.FRESHNESS, QualityIssue.subject.is_not(None))
        ).all()
        injected = {d["value"].split()[0] for d in defects if d["kind"] == "stale_record" and not d["row"]}
        assert injected <= set(stale)
        assert len(session.scalars(select(QualityRun.id)).all()) >= 2 * len(FILES)
