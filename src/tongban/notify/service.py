"""The in-app inbox: messages to one account, listed newest first, marked read.

Other contexts send through ``send_to_user`` (text already in the recipient's words) or
``send_translated`` (message ids translated into the recipient's preferred language), in their
own transaction, so a message exists exactly when the change it reports was committed.
A later issue adds an outbox with e-mail and SMS channels behind the same two functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tongban.kernel.accounts import service as accounts
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_, NotAuthenticated, NotFound, PermissionDenied
from tongban.kernel.i18n import translate
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor
from tongban.notify.models import InboxMessage

SUBJECT_LIMIT = 200
BODY_LIMIT = 4000
LINK_LIMIT = 300
DEFAULT_LANGUAGE = "zh-CN"


def _safe_link(link: str) -> str:
    """Only same-site paths: a message never sends its reader elsewhere."""
    link = link.strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        return ""
    return link[:LINK_LIMIT]


def send_to_user(
    session: Session, user_id: int, subject: str, body: str = "", link: str = ""
) -> InboxMessage:
    """Put a message in one account's inbox (in the caller's transaction)."""
    message = InboxMessage(
        user_id=user_id,
        subject=subject.strip()[:SUBJECT_LIMIT],
        body=body.strip()[:BODY_LIMIT],
        link=_safe_link(link),
        created_at=now(),
    )
    session.add(message)
    session.flush()
    return message


def send_translated(
    session: Session, user_id: int, subject: str, body: str = "", link: str = "", **params: Any
) -> InboxMessage:
    """Like ``send_to_user``, with message ids translated into the recipient's language."""
    language = accounts.get_user(session, user_id).language or DEFAULT_LANGUAGE
    return send_to_user(
        session,
        user_id,
        translate(subject, language, **params),
        translate(body, language, **params) if body else "",
        link,
    )


def _own_id(actor: Actor) -> int:
    if actor.kind != "user" or actor.id is None:
        raise NotAuthenticated()
    return actor.id


def list_inbox(
    session: Session, actor: Actor, *, unread_only: bool = False, page: int = 1, page_size: int = 20
) -> Page[InboxMessage]:
    """The actor's own messages, newest first."""
    statement = select(InboxMessage).where(InboxMessage.user_id == _own_id(actor))
    if unread_only:
        statement = statement.where(InboxMessage.read_at.is_(None))
    return paginate(session, statement.order_by(InboxMessage.id.desc()), page, page_size)


def unread_count(session: Session, user_id: int) -> int:
    """How many messages of one account are unread (the badge beside the inbox link)."""
    statement = select(func.count()).where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
    return session.scalar(statement) or 0


def get_message(session: Session, actor: Actor, message_id: int) -> InboxMessage:
    own = _own_id(actor)
    message = session.get(InboxMessage, message_id)
    if message is None:
        raise NotFound(N_("Message not found."), code="message_not_found")
    if message.user_id != own:
        raise PermissionDenied()
    return message


def mark_read(session: Session, actor: Actor, message_id: int) -> InboxMessage:
    """Mark one own message read (reading it again changes nothing)."""
    message = get_message(session, actor, message_id)
    if message.read_at is None:
        message.read_at = now()
        audit.record(session, actor, "inbox.read", "inbox_message", message.id)
        session.flush()
    return message


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark every unread own message read; returns how many."""
    user_id = _own_id(actor)
    result = session.execute(
        update(InboxMessage)
        .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
        .values(read_at=now())
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(session, actor, "inbox.read_all", "user", user_id, {"count": count})
    return count
