"""The governance loop in a real browser: an enterprise user disputes a value on its profile, the
owning department's steward accepts it, and the profile shows the corrected value with its
lineage (source department, record time)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.profiles.world import World, make_world
from tests.support.browser import LiveServer

from tongban.demo.organisations import DEMO_PASSWORD, seed

pytestmark = pytest.mark.browser


@pytest.fixture
def profile_server(live_server: LiveServer) -> Iterator[tuple[LiveServer, World]]:
    with live_server.session() as session:
        seed(session)
        session.commit()
    world = make_world(live_server.session_factory)
    yield live_server, world


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_test_id("field-username").fill(username)
    page.get_by_test_id("field-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def test_a_disputed_value_is_corrected_and_the_profile_shows_its_lineage(
    page: Any, profile_server: tuple[LiveServer, World]
) -> None:
    _log_in(page, "enterprise")
    page.goto("/portal/profile")
    value = page.get_by_test_id("attr-registered_capital-value")
    assert "500" in value.inner_text()
    source = page.get_by_test_id("attr-registered_capital-source").inner_text()
    assert "市场监督管理局" in source
    before = page.get_by_test_id("attr-registered_capital-time").inner_text()

    page.get_by_test_id("dispute-registered_capital").click()
    # The hub holds money in yuan (the element's unit), whatever unit the department's file used.
    assert page.get_by_test_id("correction-current-value").inner_text() == "5000000"
    assert page.get_by_test_id("correction-unit").inner_text() == "元"
    page.get_by_test_id("field-proposed_value").fill("8000000")
    page.get_by_test_id("field-explanation").fill("2026年增资至800万元，已办理变更登记。")
    page.get_by_test_id("correction-submit").click()
    assert page.get_by_test_id("correction-status").get_attribute("data-status") == "open"
    ticket = page.url.rsplit("/", 1)[1]
    page.get_by_test_id("logout").click()

    _log_in(page, "steward")
    page.get_by_test_id("nav-corrections").click()
    page.get_by_test_id(f"correction-link-{ticket}").click()
    page.get_by_test_id("correction-accept").click()
    assert page.get_by_test_id("correction-status").get_attribute("data-status") == "accepted"
    page.get_by_test_id("logout").click()

    _log_in(page, "enterprise")
    assert page.get_by_test_id("nav-inbox-unread").inner_text() == "1"
    page.goto("/portal/profile")
    assert "800" in page.get_by_test_id("attr-registered_capital-value").inner_text()
    assert "市场监督管理局" in page.get_by_test_id("attr-registered_capital-source").inner_text()
    assert page.get_by_test_id("attr-registered_capital-time").inner_text() != ""
    assert page.get_by_test_id("attr-registered_capital-time").inner_text() >= before
