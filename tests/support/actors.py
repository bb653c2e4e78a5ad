"""Helpers to act as a demo person at the service level, and to look at what was written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.audit.models import AuditEvent
from tongban.kernel.codes.validators import ric_check_character, uscc_check_character
from tongban.kernel.orgs.models import Organisation
from tongban.kernel.permissions import Actor

SYSTEM = Actor.system("test")


def user(session: Session, username: str) -> User:
    found = session.scalar(select(User).where(User.username == username))
    assert found is not None, f"no account {username}"
    return found


def actor(session: Session, username: str) -> Actor:
    """The actor a demo person is when logged in (rights and scope as the web layer builds them)."""
    return accounts.actor_for_user(session, user(session, username), request_id=f"req-{username}")


def org(session: Session, code: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.code == code))
    assert found is not None, f"no organisation {code}"
    return found


def actions(session: Session) -> list[str]:
    """Audit actions in chain order."""
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def last_event(session: Session) -> AuditEvent:
    event = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert event is not None
    return event


def event_count(session: Session) -> int:
    return len(actions(session))


def valid_uscc(first17: str = "91350200MA8TEXT01") -> str:
    return first17 + uscc_check_character(first17)


def valid_ric(first17: str = "35020319850615002") -> str:
    return first17 + ric_check_character(first17)


def dump_database(engine: Engine) -> str:
    """Every row of every table as text, to prove a value is stored nowhere."""
    from tongban.db import Base

    parts: list[str] = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)


def fields_of(error: Any) -> dict[str, str]:
    """Field name → message id of a ValidationFailed."""
    return {problem.field: problem.message for problem in error.fields}
