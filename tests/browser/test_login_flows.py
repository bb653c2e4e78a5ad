"""Logging in through a real browser (headless Chromium) against the app served on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.browser import LiveServer

from tongban.demo.organisations import DEMO_PASSWORD, seed

pytestmark = pytest.mark.browser

ARTIFACTS = Path("test-artifacts")


@pytest.fixture
def demo_server(live_server: LiveServer) -> Iterator[LiveServer]:
    with live_server.session() as session:
        seed(session)
        session.commit()
    yield live_server


def _log_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_test_id("field-username").fill(username)
    page.get_by_test_id("field-password").fill(password)
    page.get_by_test_id("login-submit").click()


def _screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_department_officer_reaches_the_workbench(page: Any, demo_server: LiveServer) -> None:
    _log_in(page, "officer")
    page.get_by_test_id("workbench-home").wait_for()
    assert page.url.endswith("/workbench")
    assert page.get_by_test_id("workbench-org").inner_text() == "厦门市市场监督管理局"
    assert page.get_by_test_id("workbench-home").inner_text() == "工作台"
    assert page.get_by_test_id("nav-orgs").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    _screenshot(page, "workbench-officer.png")
    page.get_by_test_id("nav-orgs").click()
    page.get_by_test_id("org-table").wait_for()
    assert page.get_by_test_id("org-link-350200-SCJGJ").is_visible()


def test_enterprise_user_reaches_the_portal(page: Any, demo_server: LiveServer) -> None:
    _log_in(page, "enterprise")
    page.get_by_test_id("portal-home").wait_for()
    assert page.url.endswith("/portal")
    assert page.get_by_test_id("portal-enterprise").inner_text() == "厦门鹭江智能科技有限公司"
    assert page.get_by_test_id("nav-colleagues").is_visible()
    assert page.get_by_test_id("workbench-nav").count() == 0
    _screenshot(page, "portal-enterprise.png")


def test_language_switch_turns_the_page_english(page: Any, demo_server: LiveServer) -> None:
    page.goto("/login")
    assert page.get_by_test_id("login-submit").inner_text() == "登录"
    page.get_by_test_id("language-switch").click()
    page.wait_for_url("**/login")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("login-submit").inner_text() == "Log in"
    _log_in(page, "officer")
    assert page.get_by_test_id("workbench-home").inner_text() == "Workbench"


def test_failed_log_in_shows_why(page: Any, demo_server: LiveServer) -> None:
    _log_in(page, "officer", "wrong-password")
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.inner_text() == "用户名或密码错误。"
    assert page.get_by_test_id("field-username").input_value() == "officer"
    assert page.get_by_test_id("workbench-home").count() == 0


def test_log_out_returns_to_the_log_in_page(page: Any, demo_server: LiveServer) -> None:
    _log_in(page, "officer")
    page.get_by_test_id("workbench-home").wait_for()
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-form").wait_for()
    page.goto("/workbench")
    page.get_by_test_id("login-form").wait_for()
    assert "/login" in page.url
