"""Disputing a value and deciding it through a real browser (headless Chromium, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.governance.conftest import REGISTRATIONS, Hub, build_hub
from tests.support.browser import LiveServer
from tongban.demo.organisations import DEMO_PASSWORD, seed
from tongban.governance import conflicts
from tongban.kernel.permissions import Actor

pytestmark = pytest.mark.browser

ARTIFACTS = Path("test-artifacts")
NEW_ADDRESS = "厦门市思明区鹭江道8号"


@pytest.fixture
def hub_server(live_server: LiveServer) -> Iterator[tuple[LiveServer, Hub]]:
    with live_server.session() as session:
        seed(session)
        built = build_hub(session)
        conflicts.scan(session, Actor.system("test"))
        session.commit()
    yield live_server, built


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_test_id("field-username").fill(username)
    page.get_by_test_id("field-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_enterprise_disputes_and_the_steward_accepts(
    page: Any, hub_server: tuple[LiveServer, Hub], tmp_path: Path
) -> None:
    _, hub = hub_server
    proof = tmp_path / "变更通知书.pdf"
    proof.write_bytes(b"%PDF-1.4\n%%EOF\n")
    _log_in(page, "enterprise")
    page.goto(f"/portal/corrections/new?subject={hub.enterprise}&resource={REGISTRATIONS}&field=住所")
    assert page.get_by_test_id("correction-current-value").inner_text() == "厦门市思明区鹭江道1号"
    page.get_by_test_id("field-proposed_value").fill(NEW_ADDRESS)
    page.get_by_test_id("field-explanation").fill("公司已迁址，附变更登记通知书。")
    page.get_by_test_id("field-attachment").set_input_files(str(proof))
    _shot(page, "correction-form.png")
    page.get_by_test_id("correction-submit").click()
    assert page.get_by_test_id("correction-status").get_attribute("data-status") == "open"
    assert page.get_by_test_id("correction-attachment").inner_text() == "变更通知书.pdf"
    ticket = page.url.rsplit("/", 1)[1]
    page.get_by_test_id("logout").click()

    _log_in(page, "steward")
    page.get_by_test_id("nav-corrections").click()
    page.get_by_test_id(f"correction-link-{ticket}").click()
    _shot(page, "correction-detail-steward.png")
    page.get_by_test_id("correction-accept").click()
    assert page.get_by_test_id("correction-status").get_attribute("data-status") == "accepted"
    page.get_by_test_id("nav-conflicts").click()
    _shot(page, "conflicts.png")
    page.get_by_test_id("logout").click()

    _log_in(page, "enterprise")
    assert page.get_by_test_id("nav-inbox-unread").inner_text() == "1"
    page.get_by_test_id("nav-inbox").click()
    _shot(page, "inbox.png")
    page.get_by_test_id("inbox-message").first.get_by_role("button").click()
    assert page.get_by_test_id("correction-status").get_attribute("data-status") == "accepted"
