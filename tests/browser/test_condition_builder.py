"""政策通 end to end in a real browser: an officer builds an item's condition with the builder (the
text form follows, a type error appears beside the field and goes away), saves and submits; a
second officer of the department opens the review page, sees who qualifies, and approves; the
match run that publication starts finds the demo enterprise, whose user sees the item in "我的政策"
with the right explanation; the e-mail reaches the local SMTP server once, however often the
outbox is worked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.profiles.world import make_world
from tests.support.actors import user
from tests.support.browser import LiveServer
from tests.support.mail import Mailbox, smtp_server

from tongban.config import Settings
from tongban.demo.organisations import DEMO_PASSWORD, seed
from tongban.jobs import huey
from tongban.kernel.clock import clock
from tongban.notify import outbox
from tongban.policy import jobs as policy_jobs
from tongban.profiles import snapshot

ENTERPRISE_MAIL = "caiwu@lujiang-zhineng.example.cn"

pytestmark = pytest.mark.browser


@pytest.fixture
def city_server(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """The demo accounts, two enterprises in the profiles and a snapshot of them; background jobs
    (the match run after publication) run at once, on the served database."""
    # Office hours on today's date: e-mail waits out the recipient's quiet hours (22:00–08:00),
    # which a run in the evening would otherwise hit.
    day = clock.today()
    clock.freeze(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    monkeypatch.setattr(policy_jobs, "sessions", lambda: live_server.session_factory)
    monkeypatch.setattr(huey, "immediate", True)
    with live_server.session() as session:
        seed(session)
        user(session, "enterprise").email = ENTERPRISE_MAIL
        session.commit()
    make_world(live_server.session_factory)
    snapshot.build_snapshot(live_server.session_factory, tmp_path / "snapshots", label="test")
    yield live_server


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_test_id("field-username").fill(username)
    page.get_by_test_id("field-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with smtp_server(box) as port:
        yield box, port


def test_an_item_built_with_the_builder_is_reviewed_matched_shown_and_mailed_once(
    mailbox: tuple[Mailbox, int], page: Any, city_server: LiveServer, tmp_path: Path
) -> None:
    _log_in(page, "policy_officer")
    page.goto("/workbench/policies")
    page.get_by_test_id("policy-new").click()
    page.get_by_test_id("field-title").fill("厦门市促进工业稳增长若干措施")
    page.get_by_test_id("field-doc_number").fill("厦府规〔2026〕3号")
    page.get_by_test_id("field-issuer").fill("厦门市人民政府")
    page.get_by_test_id("policy-save").click()
    page.get_by_test_id("item-new").click()
    page.get_by_test_id("field-title").fill("规模以上企业奖励")

    text = page.get_by_test_id("field-condition_text")
    page.get_by_test_id("builder-attribute").first.select_option("registered_region")
    assert page.get_by_test_id("builder-operator").first.input_value() == "within"
    page.get_by_test_id("builder-value").first.fill("厦门市")
    assert text.input_value() == "registered_region within 厦门市"
    page.get_by_test_id("condition-description").wait_for()
    assert page.get_by_test_id("condition-description").inner_text() == "注册地在厦门市"

    page.get_by_test_id("builder-add-row").first.click()
    assert page.get_by_test_id("builder-row").count() == 2
    page.get_by_test_id("builder-attribute").nth(1).select_option("revenue")
    assert page.get_by_test_id("builder-period").first.input_value() == "last_year"
    page.get_by_test_id("builder-value").nth(1).fill("5%")
    assert text.input_value() == "registered_region within 厦门市\nand revenue[last_year] >= 5%"
    error = page.get_by_test_id("error-condition_text")
    error.wait_for()
    assert "单位" in error.inner_text() or "金额" in error.inner_text()
    assert page.get_by_test_id("condition-mirror").locator("mark").inner_text() != ""

    page.get_by_test_id("builder-value").nth(1).fill("2000万")
    error.wait_for(state="detached")
    page.get_by_test_id("condition-description").wait_for()
    assert (
        page.get_by_test_id("condition-description").inner_text()
        == "注册地在厦门市，上年度营业收入达到2000万元"
    )
    assert text.input_value() == "registered_region within 厦门市\nand revenue[last_year] >= 2000万"

    page.get_by_test_id("field-amount_text").fill("20万")
    page.get_by_test_id("amount-description").wait_for()
    page.get_by_test_id("item-save").click()
    assert (
        page.get_by_test_id("version-description").inner_text()
        == "注册地在厦门市，上年度营业收入达到2000万元"
    )
    page.get_by_test_id("item-submit").click()
    page.get_by_test_id("item-submitted").wait_for()
    page.get_by_test_id("logout").click()

    _log_in(page, "policy_reviewer")
    page.goto("/workbench")
    page.get_by_test_id("nav-policy-review").click()
    page.get_by_test_id("review-row").first.locator("a").click()
    assert page.get_by_test_id("preview-eligible").inner_text() == "1"
    assert page.get_by_test_id("preview-likely").inner_text() == "1"
    assert page.get_by_test_id("preview-amount-eligible").inner_text() == "20万元"
    assert page.get_by_test_id("preview-districts-bar").count() == 2
    page.get_by_test_id("review-approve").click()
    assert page.get_by_test_id("item-state").get_attribute("data-state") == "published"
    page.get_by_test_id("logout").click()

    # The worker's minute task sends what publication queued; a second pass sends nothing again.
    box, port = mailbox
    smtp = Settings(
        data_dir=tmp_path / "worker",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="plain",
        smtp_from="noreply@zwfw.xm.example.cn",
    )
    assert outbox.send_due(city_server.session_factory, settings=smtp) >= 2  # inbox and e-mail
    assert outbox.send_due(city_server.session_factory, settings=smtp) == 0
    mails = box.to(ENTERPRISE_MAIL)
    assert len(mails) == 1
    assert "规模以上企业奖励" in str(mails[0]["Subject"])

    _log_in(page, "enterprise")
    page.goto("/portal")
    page.get_by_test_id("nav-my-policies").click()
    row = page.get_by_test_id("policy-row").filter(has_text="规模以上企业奖励")
    assert row.get_attribute("data-status") == "eligible"
    assert row.get_by_test_id("item-amount").inner_text() == "20万元"
    row.get_by_test_id("policy-link").click()
    assert page.get_by_test_id("item-status").get_attribute("data-status") == "eligible"
    conditions = page.get_by_test_id("condition")
    assert conditions.count() == 2
    assert [conditions.nth(i).get_attribute("data-value") for i in range(2)] == ["true", "true"]
    assert "营业收入" in page.get_by_test_id("conditions").inner_text()
    assert page.get_by_test_id("value-source").first.inner_text() != ""
    page.get_by_test_id("nav-inbox").click()
    assert "规模以上企业奖励" in page.locator("main").inner_text()
