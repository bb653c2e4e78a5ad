"""Delivery (送达): notifications to matched enterprises on the channels each account wants, in its
language, outside its quiet hours; reminders N working days before a window closes; the funnel
matched → notified → opened → viewed → applied, as numbers, a chart and an Excel file."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.policy.world import draft_e1, item_fields
from tests.support.actors import actions, actor, user
from tests.support.html import attributes, has, text
from tests.support.web import log_in, post_form
from tongban.config import Settings
from tongban.kernel.clock import Clock
from tongban.kernel.errors import PermissionDenied, ValidationFailed
from tongban.notify import outbox
from tongban.notify import preferences as prefs
from tongban.notify.models import InboxMessage, OutboxMessage
from tongban.policy import delivery, service
from tongban.policy.domain import SUPPORT_TYPES
from tongban.policy.models import Engagement, Match

OTHER = "91350200MA2XYZ1234"  # a matched enterprise without accounts on the platform


@pytest.fixture
def city(demo_city: dict[str, Any], db: Session) -> Session:
    return db


def publish(session: Session, **changes: Any) -> tuple[int, int]:
    """The E1 item, published (not committed: matching after commit is another test's business)."""
    drafted = draft_e1(session)
    officer, reviewer = actor(session, "policy_officer"), actor(session, "policy_reviewer")
    if changes:
        service.edit_item(session, officer, drafted.item_id, item_fields(**changes))
    service.submit(session, officer, drafted.version_id)
    service.approve(session, reviewer, drafted.version_id)
    return drafted.item_id, drafted.version_id


def matched(session: Session, item_id: int, version_id: int, subject: str, **values: Any) -> Match:
    row = Match(
        item_id=item_id,
        version_id=version_id,
        subject=subject,
        status=values.get("status", "eligible"),
        amount_low=values.get("low", 20_000_000),
        amount_high=values.get("high", 20_000_000),
        open_atoms=[],
    )
    session.add(row)
    session.flush()
    return row


def uscc(session: Session) -> str:
    value = user(session, "enterprise").uscc
    assert value is not None
    return value


def rows(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def steps(session: Session, item_id: int) -> dict[str, int]:
    counted = session.execute(
        select(Engagement.step, func.count()).where(Engagement.item_id == item_id).group_by(Engagement.step)
    )
    return {step: count for step, count in counted}


def test_each_account_is_told_once_per_channel_it_wants(city: Session, frozen_clock: Clock) -> None:
    frozen_clock.freeze(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))  # 10:00 in Xiamen
    item_id, version_id = publish(city)
    subject = uscc(city)
    boss, clerk = user(city, "enterprise"), user(city, "enterprise2")
    boss.email, boss.phone = "chen@example.com", "13800000001"
    clerk.email = "lin@example.com"
    prefs.set_own(
        city,
        actor(city, "enterprise"),
        email=True,
        sms=True,
        topics=[],
        quiet_start="22:00",
        quiet_end="08:00",
        allowed_topics=SUPPORT_TYPES,
    )
    prefs.set_own(
        city,
        actor(city, "enterprise2"),
        email=False,
        sms=True,
        topics=[],
        quiet_start="22:00",
        quiet_end="08:00",
        allowed_topics=SUPPORT_TYPES,
    )  # SMS wanted but no number on file
    matched(city, item_id, version_id, subject)
    matched(city, item_id, version_id, OTHER)

    queued = delivery.queue_for_matches(city, item_id, version_id, [subject, OTHER, subject])
    got = {(r.user_id, r.channel, r.address) for r in rows(city)}
    assert queued == 4
    assert got == {
        (boss.id, "inbox", ""),
        (boss.id, "email", "chen@example.com"),
        (boss.id, "sms", "13800000001"),
        (clerk.id, "inbox", ""),
    }
    # A resumed run, or the nightly one, queues nothing again.
    assert delivery.queue_for_matches(city, item_id, version_id, [subject, OTHER]) == 0
    assert len(rows(city)) == 4
    assert steps(city, item_id) == {"matched": 2}
    assert actions(city).count("policy_delivery.queue") == 1
    assert all(r.not_before == frozen_clock.now() for r in rows(city))


def test_messages_are_in_the_recipients_language_with_amount_and_link(city: Session) -> None:
    item_id, version_id = publish(city)
    user(city, "enterprise2").language = "en"
    matched(city, item_id, version_id, uscc(city), status="likely", low=10_000_000, high=20_000_000)
    delivery.queue_for_matches(city, item_id, version_id, [uscc(city)])
    code = service.get_item(city, item_id).code
    by_user = {r.user_id: r for r in rows(city)}
    chinese, english = by_user[user(city, "enterprise").id], by_user[user(city, "enterprise2").id]
    assert chinese.subject == "您可能符合「工业企业首次达到规模以上一次性奖励」"
    assert "10万元" in chinese.body and "20万元" in chinese.body and "2026年12月31日" in chinese.body
    assert english.subject == "You may qualify for “工业企业首次达到规模以上一次性奖励”"
    assert "CNY 100,000 to CNY 200,000" in english.body and "2026-12-31" in english.body
    assert "missing" in english.body
    assert chinese.link == english.link == f"/portal/policies/{code}"


def test_quiet_hours_hold_email_and_sms_but_not_the_inbox(city: Session, frozen_clock: Clock) -> None:
    frozen_clock.freeze(datetime(2026, 6, 1, 15, 30, tzinfo=UTC))  # 23:30 in Xiamen
    item_id, version_id = publish(city)
    user(city, "enterprise").email = "chen@example.com"
    matched(city, item_id, version_id, uscc(city))
    delivery.queue_for_matches(city, item_id, version_id, [uscc(city)])
    by_channel = {(r.user_id, r.channel): r.not_before for r in rows(city)}
    boss = user(city, "enterprise").id
    assert by_channel[(boss, "inbox")] == frozen_clock.now()
    assert by_channel[(boss, "email")] == datetime(2026, 6, 2, 0, 0, tzinfo=UTC)  # 08:00 next morning


@pytest.mark.parametrize(
    ("start", "end", "local", "until"),
    [
        ("22:00", "08:00", (23, 59), "06-02 08:00"),
        ("22:00", "08:00", (7, 59), "06-01 08:00"),
        ("22:00", "08:00", (8, 0), None),
        ("22:00", "08:00", (21, 59), None),
        ("12:00", "14:00", (13, 0), "06-01 14:00"),
        ("12:00", "14:00", (14, 0), None),
        ("00:00", "00:00", (3, 0), None),  # the same start and end: no quiet hours
    ],
)
def test_quiet_hours_end(start: str, end: str, local: tuple[int, int], until: str | None) -> None:
    from tongban.kernel.clock import LOCAL_ZONE

    moment = datetime(2026, 6, 1, *local, tzinfo=LOCAL_ZONE).astimezone(UTC)
    found = prefs.Preferences(quiet_start=start, quiet_end=end).quiet_until(moment)
    assert (found.astimezone(LOCAL_ZONE).strftime("%m-%d %H:%M") if found else None) == until


def test_topics_limit_email_and_sms_the_inbox_keeps_everything(city: Session) -> None:
    item_id, version_id = publish(city)  # a subsidy
    user(city, "enterprise").email = "chen@example.com"
    user(city, "enterprise2").email = "lin@example.com"
    for name, topics in (("enterprise", ["tax"]), ("enterprise2", ["tax", "subsidy"])):
        prefs.set_own(
            city,
            actor(city, name),
            email=True,
            sms=False,
            topics=topics,
            quiet_start="22:00",
            quiet_end="08:00",
            allowed_topics=SUPPORT_TYPES,
        )
    matched(city, item_id, version_id, uscc(city))
    delivery.queue_for_matches(city, item_id, version_id, [uscc(city)])
    got = {(r.user_id, r.channel) for r in rows(city)}
    boss, clerk = user(city, "enterprise").id, user(city, "enterprise2").id
    assert got == {(boss, "inbox"), (clerk, "inbox"), (clerk, "email")}
    assert {r.topic for r in rows(city)} == {"subsidy"}


def test_preferences_are_validated(city: Session) -> None:
    with pytest.raises(ValidationFailed) as error:
        prefs.set_own(
            city,
            actor(city, "enterprise"),
            email=True,
            sms=False,
            topics=["lottery"],
            quiet_start="25:00",
            quiet_end="8",
            allowed_topics=SUPPORT_TYPES,
        )
    assert {p.field for p in error.value.fields} == {"quiet_start", "quiet_end", "topics"}
    assert prefs.get_own(city, actor(city, "enterprise")) == prefs.DEFAULT


def test_sent_and_opened_are_counted_once(
    city: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    item_id, version_id = publish(city)
    matched(city, item_id, version_id, uscc(city))
    delivery.queue_for_matches(city, item_id, version_id, [uscc(city)])
    city.commit()
    assert outbox.send_due(session_factory, settings=settings) == 2  # two inboxes
    city.expire_all()
    assert steps(city, item_id) == {"matched": 1, "notified": 1}
    message = city.scalars(
        select(InboxMessage).where(InboxMessage.user_id == user(city, "enterprise").id)
    ).one()
    assert message.link.startswith(f"/portal/policies/{service.get_item(city, item_id).code}?n=")
    token = message.link.partition("?n=")[2]
    delivery.opened_from_link(city, "forged.token", key=settings.signing_key)
    assert "opened" not in steps(city, item_id)
    delivery.opened_from_link(city, token, key=settings.signing_key)
    delivery.opened_from_link(city, token, key=settings.signing_key)
    assert steps(city, item_id)["opened"] == 1
    assert delivery.record_step(city, item_id, version_id, uscc(city), "viewed") is True
    assert delivery.record_step(city, item_id, version_id, uscc(city), "viewed") is False
    with pytest.raises(ValueError):
        delivery.record_step(city, item_id, version_id, uscc(city), "clicked")


# --- reminders -----------------------------------------------------------------------------------


def test_reminder_goes_n_working_days_before_the_window_closes(city: Session, frozen_clock: Clock) -> None:
    # Closes on Friday 9 October 2026; 1–7 October are the National Day holiday: three working
    # days before is Tuesday 29 September (30 Sep, 8 Oct, 9 Oct are left).
    frozen_clock.freeze(datetime(2026, 9, 20, 2, 0, tzinfo=UTC))
    item_id, version_id = publish(city, window_closes=date(2026, 10, 9))
    user(city, "enterprise").email = "chen@example.com"
    matched(city, item_id, version_id, uscc(city))
    matched(city, item_id, version_id, OTHER)
    assert delivery.queue_reminders(city, date(2026, 9, 28)) == 0
    assert delivery.queue_reminders(city, date(2026, 9, 30)) == 0
    frozen_clock.freeze(datetime(2026, 9, 29, 1, 0, tzinfo=UTC))  # 09:00: e-mail goes at once
    assert delivery.queue_reminders(city, date(2026, 9, 29)) == 3  # two inboxes and one e-mail
    assert delivery.queue_reminders(city, date(2026, 9, 29)) == 0  # the nightly job ran twice
    reminder = next(r for r in rows(city) if r.channel == "email")
    assert reminder.subject == "即将截止：「工业企业首次达到规模以上一次性奖励」"
    assert "2026年10月9日" in reminder.body and "3个工作日" in reminder.body
    assert reminder.dedupe_key.startswith(f"policy:close3:{item_id}:{version_id}:")
    assert actions(city).count("policy_delivery.remind") == 1


def test_no_reminder_after_applying_or_for_items_granted_without_application(city: Session) -> None:
    item_id, version_id = publish(city, window_closes=date(2026, 10, 9))
    matched(city, item_id, version_id, uscc(city))
    delivery.record_step(city, item_id, version_id, uscc(city), "applied")
    assert delivery.queue_reminders(city, date(2026, 9, 29)) == 0
    other_id, other_version = publish(city, window_closes=date(2026, 10, 9), no_application=True)
    matched(city, other_id, other_version, uscc(city))
    assert delivery.queue_reminders(city, date(2026, 9, 29)) == 0


def test_reminder_days_are_configurable(city: Session) -> None:
    item_id, version_id = publish(city, window_closes=date(2026, 10, 9))
    matched(city, item_id, version_id, uscc(city))
    assert delivery.queue_reminders(city, date(2026, 9, 28), working_days=4) == 2
    assert delivery.queue_reminders(city, date(2026, 9, 29)) == 2  # a different reminder kind


# --- funnel --------------------------------------------------------------------------------------


def test_funnel_counts_each_step_per_version(city: Session) -> None:
    item_id, first = publish(city)
    subjects = [f"91350200MA00000{n:03d}" for n in range(5)]
    delivery.queue_for_matches(city, item_id, first, subjects)
    for subject in subjects[:3]:
        delivery.record_step(city, item_id, first, subject, "notified")
    delivery.record_step(city, item_id, first, subjects[0], "opened")
    officer, reviewer = actor(city, "policy_officer"), actor(city, "policy_reviewer")
    second = service.edit_item(city, officer, item_id, item_fields(amount_text="30万"))
    service.submit(city, officer, second.id)
    service.approve(city, reviewer, second.id)
    for subject in subjects[:2]:
        matched(city, item_id, second.id, subject)
    delivery.queue_for_matches(city, item_id, second.id, subjects[:2])
    for step in ("notified", "opened", "viewed", "applied"):
        delivery.record_step(city, item_id, second.id, subjects[1], step)

    found = delivery.funnel(city, actor(city, "policy_reviewer"), item_id)
    assert found.live is not None and found.live.version_id == second.id
    assert found.live.counts == {"matched": 2, "notified": 1, "opened": 1, "viewed": 1, "applied": 1}
    assert found.live.current_matches == 2
    assert [v.number for v in found.versions] == [2, 1]
    assert found.versions[1].counts == {"matched": 5, "notified": 3, "opened": 1, "viewed": 0, "applied": 0}
    with pytest.raises(PermissionDenied):
        delivery.funnel(city, actor(city, "tax_officer"), item_id)
    with pytest.raises(PermissionDenied):
        delivery.funnel(city, actor(city, "enterprise"), item_id)


# --- pages ---------------------------------------------------------------------------------------


def test_preferences_page_round_trip(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        from tongban.demo.organisations import seed

        seed(session)
        session.commit()
    log_in(client, "enterprise")
    page = client.get("/account/notifications")
    assert page.status_code == 200
    assert "checked" in attributes(page.text, "pref-email")[0]  # the default
    assert has(page.text, "pref-no-email")  # no address on file yet
    saved = post_form(
        client,
        "/account/notifications",
        {"sms": "1", "topics": ["tax", "talent"], "quiet_start": "21:30", "quiet_end": "07:15"},
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert has(page.text, "saved")
    assert "checked" not in attributes(page.text, "pref-email")[0]
    assert "checked" in attributes(page.text, "pref-sms")[0]
    assert "checked" in attributes(page.text, "pref-topic-tax")[0]
    assert "checked" not in attributes(page.text, "pref-topic-subsidy")[0]
    assert attributes(page.text, "field-quiet_start")[0]["value"] == "21:30"
    wrong = post_form(client, "/account/notifications", {"quiet_start": "9pm", "quiet_end": "07:15"})
    assert wrong.status_code == 422
    assert has(wrong.text, "error-quiet_start") and not has(wrong.text, "error-quiet_end")
    assert attributes(wrong.text, "field-quiet_start")[0]["value"] == "9pm"
    with session_factory() as session:
        me = actor(session, "enterprise")
        assert prefs.get_own(session, me) == prefs.Preferences(
            False, True, ("tax", "talent"), "21:30", "07:15"
        )
    client.cookies.clear()
    assert client.get("/account/notifications", follow_redirects=False).status_code in (303, 401)


def test_opening_the_inbox_message_counts_opened_and_the_funnel_page_shows_it(
    client: TestClient, session_factory: sessionmaker[Session], app: Any
) -> None:
    with session_factory() as session:
        from tongban.demo.organisations import seed

        seed(session)
        item_id, version_id = publish(session)
        matched(session, item_id, version_id, uscc(session))
        delivery.queue_for_matches(session, item_id, version_id, [uscc(session)])
        session.commit()
    outbox.send_due(session_factory, settings=app.state.settings)
    log_in(client, "enterprise")
    inbox = client.get("/inbox")
    message_id = attributes(inbox.text, "inbox-message")[0]["data-id"]
    opened = post_form(client, f"/inbox/{message_id}/read")
    assert opened.status_code == 303 and "/portal/policies/" in opened.headers["location"]

    client.cookies.clear()
    log_in(client, "policy_reviewer")
    page = client.get(f"/workbench/policies/items/{item_id}/funnel")
    assert page.status_code == 200
    bars = {b["data-step"]: int(b["data-count"]) for b in attributes(page.text, "funnel-bar")}
    assert bars == {"matched": 1, "notified": 1, "opened": 1, "viewed": 0, "applied": 0}
    assert text(page.text, "funnel-current").endswith("1")
    export = client.get(f"/workbench/policies/items/{item_id}/funnel.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][0].startswith("ZC-") and values[1][1] == 1 and values[1][3:8] == [1, 1, 1, 0, 0]

    client.cookies.clear()
    log_in(client, "tax_officer")
    assert client.get(f"/workbench/policies/items/{item_id}/funnel").status_code == 403
