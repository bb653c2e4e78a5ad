"""The outbox: a notification queued once per dedupe key, claimed, sent and marked sent exactly
once per row — also when the worker is killed mid-run and restarted (a real separate process,
SIGKILLed while it sends 200 e-mails to a real SMTP server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.notify.test_channels import states
from tests.support.actors import user
from tests.support.mail import Mailbox, smtp_server
from tongban.config import Settings
from tongban.kernel import events
from tongban.kernel.clock import Clock
from tongban.notify import channels, outbox
from tongban.notify.models import InboxMessage, OutboxMessage


def message(key: str, channel: str = "inbox", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dedupe_key": key,
        "channel": channel,
        "user_id": None,
        "address": "",
        "topic": "subsidy",
        "subject": "您可能符合「工业企业首次达到规模以上一次性奖励」",
        "body": "金额：20万元。",
        "link": "/portal/policies/ZC-2026-0001",
    }
    return values | changes


def test_enqueue_once_per_dedupe_key(db: Session, demo_city: dict[str, Any]) -> None:
    me = user(db, "enterprise").id
    first = outbox.enqueue(db, **message("k:1", user_id=me))
    assert first is not None and first.state == "pending" and first.channel == "inbox"
    assert outbox.enqueue(db, **message("k:1", user_id=me, subject="another text")) is None
    assert outbox.enqueue_many(db, [message("k:1", user_id=me), message("k:2", user_id=me)]) == 1
    assert [r.dedupe_key for r in db.scalars(select(OutboxMessage))] == ["k:1", "k:2"]
    with pytest.raises(ValueError):
        outbox.enqueue(db, **message("k:3", channel="pigeon"))


def test_inbox_delivery_is_exactly_once_and_announced(
    db: Session, demo_city: dict[str, Any], session_factory: sessionmaker[Session], settings: Settings
) -> None:
    me = user(db, "enterprise").id
    outbox.enqueue(db, **message("k:inbox", user_id=me))
    db.commit()
    seen: list[outbox.MessageSent] = []

    def listen(session: Session, event: outbox.MessageSent) -> None:
        seen.append(event)

    events.subscribe(outbox.MessageSent, listen)
    try:
        assert outbox.send_due(session_factory, settings=settings) == 1
        assert outbox.send_due(session_factory, settings=settings) == 0
    finally:
        events._handlers[outbox.MessageSent].remove(listen)
    assert [(e.dedupe_key, e.channel, e.user_id) for e in seen] == [("k:inbox", "inbox", me)]
    assert states(db)["k:inbox"] == ("sent", 1, "")
    inbox = db.scalars(select(InboxMessage)).one()
    assert inbox.user_id == me and inbox.subject.startswith("您可能符合")
    assert inbox.link.startswith("/portal/policies/ZC-2026-0001?n=")


def test_a_dead_senders_claim_is_taken_again_after_the_lease_and_its_late_mark_is_refused(
    db: Session,
    demo_city: dict[str, Any],
    session_factory: sessionmaker[Session],
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    frozen_clock.freeze(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    me = user(db, "enterprise").id
    outbox.enqueue(db, **message("k:lease", user_id=me))
    db.commit()
    dead = outbox.claim(session_factory, 10, settings.outbox_lease_seconds)  # then it "dies"
    assert [c.dedupe_key for c in dead] == ["k:lease"]
    assert outbox.send_due(session_factory, settings=settings) == 0  # still within the lease
    frozen_clock.advance(timedelta(seconds=settings.outbox_lease_seconds + 1))
    assert outbox.send_due(session_factory, settings=settings) == 1
    # The first sender wakes up and tries to finish: the row is no longer its own.
    assert outbox.deliver(session_factory, dead[0], outbox.Channels(settings), settings) == outbox.LOST
    db.rollback()
    assert len(db.scalars(select(InboxMessage)).all()) == 1
    assert states(db)["k:lease"] == ("sent", 2, "")


def test_not_before_holds_a_message_back(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 6, 1, 15, 0, tzinfo=UTC))
    outbox.enqueue(
        db,
        **message(
            "k:quiet",
            channel="email",
            address="a@example.com",
            not_before=datetime(2026, 6, 2, 0, 0, tzinfo=UTC),
        ),
    )
    db.commit()
    assert outbox.send_due(session_factory, settings=settings) == 0
    assert states(db)["k:quiet"] == ("pending", 0, "")
    frozen_clock.freeze(datetime(2026, 6, 2, 0, 0, tzinfo=UTC))
    outbox.send_due(session_factory, settings=settings)
    assert states(db)["k:quiet"][0] == "skipped"  # due now (no SMTP server configured here)


# --- killed mid-run --------------------------------------------------------------------------------

MESSAGES = 200
LEASE_SECONDS = 2


def _database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _worker(engine: Engine, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """``tongban notify send`` in a separate process against the test database."""
    env = {
        **os.environ,
        "TONGBAN_CONFIG_FILE": str(data_dir / "none.env"),
        "TONGBAN_DATABASE_URL": _database_url(engine),
        "TONGBAN_DATA_DIR": str(data_dir),
        "TONGBAN_SECRET_KEY": "test-secret-key-not-for-production",
        "TONGBAN_SMTP_HOST": "127.0.0.1",
        "TONGBAN_SMTP_PORT": str(port),
        "TONGBAN_SMTP_SECURITY": "plain",
        "TONGBAN_SMTP_FROM": "noreply@tongban.example",
        "TONGBAN_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    command = [str(Path(sys.executable).parent / "tongban"), "notify", "send"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_exactly_once_when_the_worker_is_killed_mid_run(
    engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory() as session:
        outbox.enqueue_many(
            session,
            [
                message(f"test:kill:{n:03d}", channel="email", address=f"boss{n:03d}@example.com")
                for n in range(MESSAGES)
            ],
        )
        session.commit()
    mailbox = Mailbox(delay=0.05)  # the server takes its time, so the kill lands mid-run
    with smtp_server(mailbox) as port:
        first = _worker(engine, port, tmp_path)
        deadline = time.monotonic() + 300
        while len(mailbox.received) < 50 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()[0].decode(errors="replace")[-2000:]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=60)
        at_kill = len(mailbox.received)
        assert 50 <= at_kill < MESSAGES
        with session_factory() as session:
            left = Counter(r.state for r in session.scalars(select(OutboxMessage)))
        assert left["sent"] < MESSAGES  # killed mid-run (rows of its batch are usually left "sending")
        time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out
        second = _worker(engine, port, tmp_path)
        output = second.communicate(timeout=600)[0].decode(errors="replace")
        assert second.returncode == 0, output[-2000:]

    with session_factory() as session:
        rows = list(session.scalars(select(OutboxMessage)))
        assert Counter(r.state for r in rows) == {"sent": MESSAGES}
        expected = {r.address: f"<{channels.message_token(r.dedupe_key)}@tongban.example>" for r in rows}
    by_recipient: dict[str, set[str]] = defaultdict(set)
    for mail in mailbox.received:
        by_recipient[str(mail["To"])].add(str(mail["Message-ID"]))
    # Every recipient got its one message (the same Message-ID however often it came) ...
    assert by_recipient == {address: {mid} for address, mid in expected.items()}
    # ... and a copy arrives twice only if the kill fell between the server's acceptance and the
    # commit marking the row sent: at most one message per kill.
    duplicates = len(mailbox.received) - MESSAGES
    assert 0 <= duplicates <= 1
