"""A server process's application keeps what it loaded at start-up out of the garbage collector's
full passes (they walked all of it and stalled the process for ~120 ms under load)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tongban.app import create_app, served_app
from tongban.config import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process itself must not keep its objects frozen


def test_a_served_app_freezes_its_start_up_objects(
    unfrozen: None, settings: Settings, engine: Engine
) -> None:
    app = served_app(settings, engine)
    assert gc.get_freeze_count() > 0
    with TestClient(app) as client:  # and it serves like any other
        assert client.get("/healthz").status_code == 200


def test_an_app_made_for_a_test_freezes_nothing(unfrozen: None, settings: Settings, engine: Engine) -> None:
    create_app(settings, engine)
    assert gc.get_freeze_count() == 0
