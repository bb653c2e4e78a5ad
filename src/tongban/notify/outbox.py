"""The outbox: notifications queued in the transaction of the change they report, sent later by
a worker, each exactly once per row even when the worker is killed and restarted.

Queueing (``enqueue``) inserts a row unless its ``dedupe_key`` exists already, so code that runs
twice (a resumed match run) queues nothing twice. Sending (``send_due``) follows a claim
protocol:

1. *claim* a small batch of due rows in a short transaction: state "pending" whose
   ``not_before`` has come, or "sending" whose claim is older than the lease (its sender died).
   PostgreSQL takes the rows with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent senders
   take different rows; SQLite serialises writers. Claimed rows become "sending", with
   ``claimed_at`` and ``attempts`` + 1.
2. *send* each row through its channel, outside any transaction;
3. *mark* it "sent" in its own commit, guarded by the claim (state "sending" and the attempt
   number seen at claim time), so a sender whose lease ran out cannot mark a row twice.

The inbox channel writes the ``InboxMessage`` in the same transaction as step 3: it is exactly
once. E-mail and SMS leave one window: killed after the server accepted a message and before
step 3 committed, the row is claimed again after the lease and sent again, with the same
``Message-ID`` (or gateway ``id``), so the receiver can tell it is the same message.

A failed send goes back to "pending" with an exponential backoff, and after
``outbox_max_attempts`` becomes "failed" with ``last_error`` (no personal data); a channel that
is not configured marks its rows "skipped" with the reason.

Other contexts learn of deliveries and opens through events published in the transaction that
records them (``MessageSent``, ``MessageOpened``), so notify depends on no other context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from tongban.config import Settings, get_settings
from tongban.db import transaction
from tongban.kernel import events
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.permissions import Actor
from tongban.notify.channels import CHANNELS, INBOX, Channels, Outgoing, SendFailed, send_inbox
from tongban.notify.models import OutboxMessage

PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
STATES = (PENDING, SENDING, SENT, FAILED, SKIPPED)
LOST = "lost"  # outcome only: another sender took the row after this one's lease ran out
CLAIM_BATCH = 20  # rows taken per claim: what a killed sender can leave "sending" until the lease ends
BACKOFF_SECONDS = 60  # first retry after a minute, then doubling
BACKOFF_CAP_SECONDS = 6 * 3600
LINK_PARAM = "n"
_LINK_SALT = "tongban.notify.link"
_SENDER = Actor.system("outbox")


@dataclass(frozen=True)
class MessageSent:
    """A channel accepted an outbox message (published in the transaction marking it sent)."""

    outbox_id: int
    dedupe_key: str
    channel: str
    user_id: int | None
    topic: str


@dataclass(frozen=True)
class MessageOpened:
    """The recipient opened a message for the first time (inbox, or the link in an e-mail)."""

    outbox_id: int
    dedupe_key: str
    channel: str
    user_id: int | None


# --- queueing ------------------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(OutboxMessage)


def _row(
    *,
    dedupe_key: str,
    channel: str,
    user_id: int | None,
    address: str,
    topic: str,
    subject: str,
    body: str,
    link: str,
    moment: datetime,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("a dedupe key of 1 to 200 characters is needed")
    return {
        "dedupe_key": dedupe_key,
        "channel": channel,
        "user_id": user_id,
        "address": address[:200],
        "topic": topic[:40],
        "subject": subject.strip()[:200],
        "body": body.strip()[:4000],
        "link": link[:300],
        "state": PENDING,
        "not_before": not_before or moment,
        "attempts": 0,
        "last_error": "",
        "created_at": moment,
    }


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    channel: str,
    user_id: int | None,
    address: str,
    topic: str,
    subject: str,
    body: str,
    link: str,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one message in the caller's transaction; None when its dedupe key was queued before."""
    values = _row(
        dedupe_key=dedupe_key,
        channel=channel,
        user_id=user_id,
        address=address,
        topic=topic,
        subject=subject,
        body=body,
        link=link,
        not_before=not_before,
        moment=now(),
    )
    statement = (
        _insert(session)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    return None if new_id is None else session.get(OutboxMessage, new_id)


def enqueue_many(session: Session, messages: Iterable[dict[str, Any]], chunk: int = 500) -> int:
    """Queue many messages (each a dict of ``enqueue``'s keyword arguments); how many were new."""
    moment = now()
    rows = [_row(**message, moment=moment) for message in messages]
    added = 0
    for start in range(0, len(rows), chunk):
        statement = (
            _insert(session)
            .values(rows[start : start + chunk])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxMessage.id)
        )
        added += len(session.execute(statement).all())  # rowcount is not reliable on every driver
    return added


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A row a sender took, with what it needs to send it and to prove it still holds it."""

    id: int
    attempts: int
    dedupe_key: str
    channel: str
    user_id: int | None
    address: str
    topic: str
    subject: str
    body: str
    link: str


def due_count(session: Session, lease_seconds: int | None = None) -> int:
    """How many rows a sender would take now."""
    return session.scalar(select(func.count()).where(_due(now(), lease_seconds))) or 0


def _due(moment: datetime, lease_seconds: int | None) -> Any:
    lease = lease_seconds if lease_seconds is not None else get_settings().outbox_lease_seconds
    return or_(
        and_(OutboxMessage.state == PENDING, OutboxMessage.not_before <= moment),
        and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_at < moment - timedelta(seconds=lease)),
    )


def claim(factory: sessionmaker[Session], limit: int, lease_seconds: int) -> list[Claim]:
    """Take up to ``limit`` due rows (oldest first) in one short transaction."""
    with transaction(factory) as session:
        moment = now()
        statement = (
            select(OutboxMessage).where(_due(moment, lease_seconds)).order_by(OutboxMessage.id).limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        taken: list[Claim] = []
        for row in session.scalars(statement):
            row.state = SENDING
            row.claimed_at = moment
            row.attempts += 1
            taken.append(
                Claim(
                    row.id,
                    row.attempts,
                    row.dedupe_key,
                    row.channel,
                    row.user_id,
                    row.address,
                    row.topic,
                    row.subject,
                    row.body,
                    row.link,
                )
            )
        return taken


def _still_ours(session: Session, taken: Claim, **values: Any) -> bool:
    """Change the claimed row only if no other sender took it since (lease ran out)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == taken.id,
            OutboxMessage.state == SENDING,
            OutboxMessage.attempts == taken.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def _mark_sent(session: Session, taken: Claim) -> bool:
    if not _still_ours(session, taken, state=SENT, sent_at=now(), last_error=""):
        return False
    audit.record(session, _SENDER, "notify.sent", "notify_outbox", taken.id, {"channel": taken.channel})
    events.publish(
        session, MessageSent(taken.id, taken.dedupe_key, taken.channel, taken.user_id, taken.topic)
    )
    return True


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 1, 2, 4 … minutes, capped."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def _mark_failed(session: Session, taken: Claim, error: SendFailed, max_attempts: int) -> str:
    final = error.permanent or taken.attempts >= max_attempts
    state = FAILED if final else PENDING
    values: dict[str, Any] = {"state": state, "last_error": error.reason}
    if not final:
        values["not_before"] = now() + backoff(taken.attempts)
    if _still_ours(session, taken, **values):
        summary = {"channel": taken.channel, "attempts": taken.attempts, "error": error.reason}
        audit.record(
            session, _SENDER, f"notify.{'failed' if final else 'retry'}", "notify_outbox", taken.id, summary
        )
    return state


def _mark_skipped(session: Session, taken: Claim, reason: str) -> None:
    if _still_ours(session, taken, state=SKIPPED, last_error=reason):
        summary = {"channel": taken.channel, "reason": reason}
        audit.record(session, _SENDER, "notify.skipped", "notify_outbox", taken.id, summary)


def link_token(outbox_id: int, key: str) -> str:
    """The signed reference to an outbox row carried by the link in its message."""
    return str(URLSafeSerializer(key, salt=_LINK_SALT).dumps(outbox_id))


def read_link_token(token: str, key: str) -> int | None:
    try:
        value = URLSafeSerializer(key, salt=_LINK_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tracked_link(link: str, outbox_id: int, key: str) -> str:
    """The message's link with the signed outbox reference, so opening it can be counted."""
    if not link:
        return ""
    parts = urlsplit(link)
    query = [*parse_qs(parts.query).items()]
    params = [(name, value) for name, values in query for value in values if name != LINK_PARAM]
    params.append((LINK_PARAM, link_token(outbox_id, key)))
    return urlunsplit(parts._replace(query=urlencode(params)))


def _outgoing(taken: Claim, settings: Settings) -> Outgoing:
    link = tracked_link(taken.link, taken.id, settings.signing_key)
    if link.startswith("/"):
        link = settings.base_url.rstrip("/") + link
    return Outgoing(taken.dedupe_key, taken.address, taken.subject, taken.body, link)


def deliver(factory: sessionmaker[Session], taken: Claim, channels: Channels, settings: Settings) -> str:
    """Send one claimed row and record the outcome; returns the row's new state."""
    if taken.channel == INBOX and taken.user_id is not None:
        with transaction(factory) as session:
            if not _mark_sent(session, taken):
                return LOST
            link = tracked_link(taken.link, taken.id, settings.signing_key)
            send_inbox(session, taken.user_id, taken.subject, taken.body, link)
        return SENT
    channel = channels.get(taken.channel)
    reason = channel.off_reason if channel is not None else "no recipient account"
    if channel is None or reason or not taken.address:
        with transaction(factory) as session:
            _mark_skipped(session, taken, reason or "no address on file")
        return SKIPPED
    try:
        channel.send(_outgoing(taken, settings))
    except SendFailed as error:
        with transaction(factory) as session:
            return _mark_failed(session, taken, error, settings.outbox_max_attempts)
    with transaction(factory) as session:
        return SENT if _mark_sent(session, taken) else LOST


Progress = Callable[[int, str], None]


def send_due(
    factory: sessionmaker[Session],
    *,
    limit: int = 500,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> int:
    """Send what is due (at most ``limit`` rows, in claimed batches); returns how many were sent.
    ``progress(done, state)`` is called after each row."""
    settings = settings or get_settings()
    channels = Channels(settings)
    done = sent = 0
    try:
        while done < limit:
            batch = claim(factory, min(CLAIM_BATCH, limit - done), settings.outbox_lease_seconds)
            if not batch:
                break
            for taken in batch:
                state = deliver(factory, taken, channels, settings)
                done += 1
                sent += state == SENT
                if progress is not None:
                    progress(done, state)
    finally:
        channels.close()
    return sent


# --- opening -------------------------------------------------------------------------------------


def mark_opened(session: Session, outbox_id: int) -> bool:
    """Record the first opening of a sent message (announces ``MessageOpened``); True when new."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.state != SENT or row.opened_at is not None:
        return False
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.opened_at.is_(None))
        .values(opened_at=now())
        .execution_options(synchronize_session=False)
    )
    if not int(getattr(result, "rowcount", 0) or 0):
        return False
    session.refresh(row)
    events.publish(session, MessageOpened(row.id, row.dedupe_key, row.channel, row.user_id))
    return True


def opened_from_token(session: Session, token: str, key: str) -> bool:
    """The link of a message was followed: ``token`` is its ``n`` parameter."""
    outbox_id = read_link_token(token, key) if token else None
    return outbox_id is not None and mark_opened(session, outbox_id)


def opened_from_link(session: Session, link: str, key: str) -> bool:
    """A same-site link (an inbox message's) was followed: count it if it carries a reference."""
    tokens = parse_qs(urlsplit(link).query).get(LINK_PARAM, [])
    return bool(tokens) and opened_from_token(session, tokens[0], key)
