"""Fixtures of the policy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.policy.matching_world import Hub, Queued, make_hub, spy_delivery
from tongban.kernel.clock import Clock


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Queued:
    return spy_delivery(monkeypatch)


@pytest.fixture
def hub(
    session_factory: sessionmaker[Session],
    demo_city: dict[str, Any],
    frozen_clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Hub:
    return make_hub(session_factory, frozen_clock, tmp_path, monkeypatch)
