"""The in-app inbox on both databases: send, list with the unread count, mark read."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from tests.support.actors import actions, actor, user
from tests.support.html import attributes, has, text
from tests.support.web import log_in, post_form
from tongban.kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from tongban.kernel.permissions import Actor
from tongban.notify import service as notify


def test_send_list_and_mark_read(db: Session, demo_city: dict[str, Any]) -> None:
    me = actor(db, "enterprise")
    assert me.id is not None
    for n in range(25):
        notify.send_to_user(db, me.id, f"消息{n}", "正文", f"/portal/corrections/{n}")
    notify.send_to_user(db, user(db, "citizen").id, "别人的消息")
    first = notify.list_inbox(db, me)
    assert first.total == 25 and len(first.items) == 20 and first.items[0].subject == "消息24"
    assert notify.list_inbox(db, me, page=2).items[-1].subject == "消息0"
    assert notify.unread_count(db, me.id) == 25

    notify.mark_read(db, me, first.items[0].id)
    notify.mark_read(db, me, first.items[0].id)  # again: nothing changes
    assert notify.unread_count(db, me.id) == 24
    assert notify.list_inbox(db, me, unread_only=True).total == 24
    assert actions(db).count("inbox.read") == 1
    assert notify.mark_all_read(db, me) == 24
    assert notify.unread_count(db, me.id) == 0 and notify.mark_all_read(db, me) == 0


def test_messages_are_private_and_links_stay_on_site(db: Session, demo_city: dict[str, Any]) -> None:
    citizen = user(db, "citizen")
    message = notify.send_to_user(db, citizen.id, "x" * 300, "正文", "https://evil.example/")
    assert message.link == "" and len(message.subject) == 200
    with pytest.raises(PermissionDenied):
        notify.mark_read(db, actor(db, "enterprise"), message.id)
    with pytest.raises(NotFound):
        notify.mark_read(db, actor(db, "citizen"), 999_999)
    with pytest.raises(NotAuthenticated):
        notify.list_inbox(db, Actor.anonymous())
    assert notify.send_to_user(db, citizen.id, "s", link="//evil.example").link == ""


def test_translated_messages_follow_the_recipients_language(db: Session, demo_city: dict[str, Any]) -> None:
    citizen = user(db, "citizen")
    citizen.language = "en"
    sent = notify.send_translated(db, citizen.id, "Your correction #{id} was rejected", "", "/portal", id=7)
    assert sent.subject == "Your correction #7 was rejected"
    enterprise = user(db, "enterprise")
    in_chinese = notify.send_translated(db, enterprise.id, "Please log in first.")
    assert in_chinese.subject == "请先登录。"


def test_inbox_page_and_the_unread_badge(client: TestClient, db: Session, demo_city: dict[str, Any]) -> None:
    me = user(db, "enterprise")
    notify.send_to_user(db, me.id, "纠错已采纳", "住所已更正。", "/portal/corrections")
    db.commit()
    log_in(client, "enterprise")
    home = client.get("/portal")
    assert text(home.text, "nav-inbox-unread") == "1"
    page = client.get("/inbox")
    assert page.status_code == 200
    rows = attributes(page.text, "inbox-message")
    assert len(rows) == 1 and rows[0]["data-read"] == "0"
    assert text(page.text, "inbox-body") == "住所已更正。"
    opened = post_form(client, f"/inbox/{rows[0]['data-id']}/read")
    assert opened.status_code == 303 and opened.headers["location"] == "/portal/corrections"
    assert not has(client.get("/portal").text, "nav-inbox-unread")
    assert post_form(client, "/inbox/read-all").status_code == 303
    unread = client.get("/inbox?unread=1")
    assert has(unread.text, "inbox-empty")
