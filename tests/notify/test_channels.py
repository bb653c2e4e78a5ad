"""The channels against real servers: e-mail through a local SMTP server (aiosmtpd), SMS through a
local HTTP gateway; a channel that is not configured skips its messages with the reason; a
refused address fails at once, a server that is down is retried with backoff, then fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.actors import actions
from tests.support.mail import Mailbox, free_port, smtp_server
from tongban.config import Settings
from tongban.kernel.clock import Clock
from tongban.notify import channels, outbox
from tongban.notify.models import OutboxMessage

# --- local servers -------------------------------------------------------------------------------


@dataclass
class Gateway:
    """What the SMS gateway received: (Authorization header, JSON body); it answers ``status``."""

    status: int = 200
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@contextmanager
def sms_gateway(gateway: Gateway) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            gateway.posts.append((self.headers.get("Authorization", ""), json.loads(self.rfile.read(length))))
            self.send_response(gateway.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}')

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    finally:
        server.shutdown()
        server.server_close()


def with_smtp(settings: Settings, port: int, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "plain",
        "smtp_from": "通办平台 <noreply@tongban.example>",
        "base_url": "https://tongban.example",
    }
    return settings.model_copy(update=values | changes)


def queue(session: Session, channel: str, address: str, key: str, **changes: Any) -> None:
    values: dict[str, Any] = {
        "dedupe_key": key,
        "channel": channel,
        "user_id": None,
        "address": address,
        "topic": "subsidy",
        "subject": "您可能符合「工业企业首次达到规模以上一次性奖励」",
        "body": "金额：20万元。",
        "link": "/portal/policies/ZC-2026-0001",
    }
    assert outbox.enqueue(session, **(values | changes)) is not None
    session.commit()


def states(session: Session) -> dict[str, tuple[str, int, str]]:
    session.rollback()  # a fresh snapshot of what the sender committed
    rows = session.scalars(select(OutboxMessage))
    return {r.dedupe_key: (r.state, r.attempts, r.last_error) for r in rows}


# --- e-mail --------------------------------------------------------------------------------------


def test_email_arrives_at_the_smtp_server_with_a_stable_message_id(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        configured = with_smtp(settings, port)
        queue(db, "email", "chen@example.com", "test:mail:1")
        assert outbox.send_due(session_factory, settings=configured) == 1
        assert outbox.send_due(session_factory, settings=configured) == 0
    assert len(mailbox.received) == 1
    mail = mailbox.received[0]
    assert mail["To"] == "chen@example.com"
    assert mail["Subject"] == "您可能符合「工业企业首次达到规模以上一次性奖励」"
    assert mail["Message-ID"] == channels.message_id("test:mail:1", configured)
    assert mail["Message-ID"].endswith("@tongban.example>")
    body = mail.get_content()
    assert "金额：20万元。" in body
    link = next(line for line in body.splitlines() if line.startswith("https://"))
    assert link.startswith("https://tongban.example/portal/policies/ZC-2026-0001?n=")
    row = db.scalars(select(OutboxMessage)).one()
    assert outbox.read_link_token(link.partition("?n=")[2], configured.signing_key) == row.id
    assert states(db) == {"test:mail:1": ("sent", 1, "")}
    assert "notify.sent" in actions(db)


def test_a_refused_address_fails_at_once_without_personal_data_in_the_error(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    mailbox = Mailbox(refuse={"gone@example.com"})
    with smtp_server(mailbox) as port:
        queue(db, "email", "gone@example.com", "test:mail:gone")
        assert outbox.send_due(session_factory, settings=with_smtp(settings, port)) == 0
    state, attempts, error = states(db)["test:mail:gone"]
    assert (state, attempts) == ("failed", 1)
    assert "gone" not in error and "example.com" not in error and error


def test_a_server_that_is_down_is_retried_with_backoff_then_fails(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    down = with_smtp(settings, free_port(), outbox_max_attempts=3, smtp_timeout=5)
    queue(db, "email", "chen@example.com", "test:mail:down")
    assert outbox.send_due(session_factory, settings=down) == 0
    state, attempts, error = states(db)["test:mail:down"]
    assert (state, attempts) == ("pending", 1) and "SMTP" in error and "chen" not in error
    assert outbox.send_due(session_factory, settings=down) == 0  # not due before the backoff
    assert states(db)["test:mail:down"][1] == 1
    frozen_clock.advance(timedelta(minutes=1, seconds=1))
    outbox.send_due(session_factory, settings=down)
    assert states(db)["test:mail:down"][:2] == ("pending", 2)
    frozen_clock.advance(timedelta(minutes=1, seconds=1))
    outbox.send_due(session_factory, settings=down)
    assert states(db)["test:mail:down"][:2] == ("pending", 2)  # the second wait is two minutes
    frozen_clock.advance(timedelta(minutes=1))
    outbox.send_due(session_factory, settings=down)
    assert states(db)["test:mail:down"][:2] == ("failed", 3)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:  # the server is back: failed stays failed
        assert outbox.send_due(session_factory, settings=with_smtp(settings, port)) == 0
    assert mailbox.received == []


def test_channels_without_a_server_skip_their_messages(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    queue(db, "email", "chen@example.com", "test:off:email")
    queue(db, "sms", "13800000001", "test:off:sms")
    assert outbox.send_due(session_factory, settings=settings) == 0
    found = states(db)
    assert found["test:off:email"] == ("skipped", 1, "e-mail channel off: no SMTP host configured")
    assert found["test:off:sms"] == ("skipped", 1, "SMS channel off: no gateway URL configured")


# --- SMS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "state"), [(200, "sent"), (503, "pending"), (400, "failed")])
def test_sms_gateway_gets_json_with_the_bearer_token(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, status: int, state: str
) -> None:
    gateway = Gateway(status=status)
    with sms_gateway(gateway) as url:
        configured = settings.model_copy(
            update={
                "sms_gateway_url": url,
                "sms_gateway_token": SecretStr("s3cret"),
                "base_url": "https://tb.example",
            }
        )
        queue(db, "sms", "13800000001", "test:sms:1")
        outbox.send_due(session_factory, settings=configured)
    assert len(gateway.posts) == 1
    authorization, body = gateway.posts[0]
    assert authorization == "Bearer s3cret"
    assert set(body) == {"to", "text", "id"}
    assert body["to"] == "13800000001"
    assert body["id"] == channels.message_token("test:sms:1")
    assert body["text"].startswith(
        "您可能符合「工业企业首次达到规模以上一次性奖励」 https://tb.example/portal/policies/"
    )
    found_state, _, error = states(db)["test:sms:1"]
    assert found_state == state
    assert (error == "") == (status == 200) and "13800000001" not in error
