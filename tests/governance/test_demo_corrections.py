"""The demo city shows real conflicts and a few open corrections, one overdue, out of the box."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.actors import actor
from tongban.catalog.service import seed_standard_elements
from tongban.demo.city import CityConfig, generate
from tongban.demo.governance_corrections import REGISTRATIONS, prepare_corrections
from tongban.demo.hub import load_city, pick_demo_subjects, register_city_resources
from tongban.demo.organisations import seed
from tongban.governance import conflicts, corrections
from tongban.kernel.permissions import Actor

SYSTEM = Actor.system("demo")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(CityConfig(scale=400, seed=7), out)
    return out


def test_demo_conflicts_and_corrections(city: Path, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        seed(session, pick_demo_subjects(city))
        seed_standard_elements(session, SYSTEM)
        register_city_resources(session, SYSTEM)
        session.commit()
    load_city(session_factory, SYSTEM, city)

    counts = prepare_corrections(session_factory, SYSTEM, city)
    assert counts["rules"] == 4
    assert counts["corrections_open"] >= 4 and counts["corrections_overdue"] == 1

    with session_factory() as session:
        found = conflicts.list_conflicts(session, SYSTEM, page_size=200)
        elements = {v.conflict.element_key for v in found.items}
        assert {"registered_address", "employees"} <= elements
        address = next(v for v in found.items if v.conflict.element_key == "registered_address")
        assert address.choice is not None and address.choice.source is not None
        assert address.choice.source.resource_code == REGISTRATIONS  # the authoritative source
        steward = actor(session, "steward")
        mine = corrections.list_for_department(session, steward)
        assert mine.total == 2 and sum(corrections.is_overdue(t) for t in mine.items) == 1
        enterprise = actor(session, "enterprise")
        assert corrections.list_mine(session, enterprise).total == 1

    again = prepare_corrections(session_factory, SYSTEM, city)
    assert again["corrections_filed"] == 0 and again["corrections_open"] == counts["corrections_open"]
