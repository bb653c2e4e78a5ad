"""`make demo` loads the synthetic city through ingest: records land, defects are quarantined."""

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tongban.catalog.service import seed_standard_elements
from tongban.demo.city import CityConfig, generate
from tongban.demo.hub import load_city, pick_demo_subjects, register_city_resources
from tongban.exchange.models import QuarantinedRow, Record
from tongban.kernel.codes.validators import validate_uscc
from tongban.kernel.permissions import Actor

SYSTEM = Actor.system("demo")


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(CityConfig(scale=150, seed=7), out)
    return out


def test_city_loads_with_defects_held_back(
    small_city: Path, session_factory: sessionmaker[Session], demo_city: dict[str, Any]
) -> None:
    with session_factory() as session:
        seed_standard_elements(session, SYSTEM)
        register_city_resources(session, SYSTEM)
        session.commit()
    first = load_city(session_factory, SYSTEM, small_city)
    assert len(first) == 17 and all(load.status.value == "done" for load in first)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == sum(
            load.rows_new for load in first
        )
        # Every registration row with a wrong check character is quarantined with the reason.
        with (small_city / "SCJGJ/registrations.csv").open(encoding="utf-8-sig") as handle:
            bad = [r for r in csv.DictReader(handle) if not validate_uscc(r["统一社会信用代码"]).valid]
        held = session.scalars(select(QuarantinedRow)).all()
        held_codes = {row.raw.get("统一社会信用代码") for row in held}
        assert {r["统一社会信用代码"] for r in bad} <= held_codes
        assert all(row.problems for row in held)
    again = load_city(session_factory, SYSTEM, small_city)
    assert sum(load.rows_new + load.rows_changed for load in again) == 0


def test_demo_accounts_belong_to_the_city(small_city: Path) -> None:
    subjects = pick_demo_subjects(small_city)
    assert validate_uscc(subjects.uscc).valid and subjects.enterprise_name.startswith("厦门")
