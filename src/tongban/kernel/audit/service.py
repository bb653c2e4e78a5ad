"""Appending to and verifying the audit chain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.kernel.audit.domain import (
    ChainReport,
    EventFields,
    canonical_json,
    event_hash,
    scrub,
    verify_chain,
)
from tongban.kernel.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from tongban.kernel.clock import now
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, require


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    summary: Mapping[str, Any] | None = None,
    *,
    org_id: int | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; the head row lock serialises writers."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    fields = EventFields(
        seq=head.seq + 1,
        occurred_at=now(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:100],
        org_id=org_id if org_id is not None else actor.org_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=canonical_json(scrub(summary or {})),
        request_id=actor.request_id,
        prev_hash=head.hash,
    )
    digest = event_hash(fields)
    event = AuditEvent(**fields.__dict__, hash=digest)
    session.add(event)
    head.seq = fields.seq
    head.hash = digest
    session.flush()
    return event


def _stored_fields(event: AuditEvent) -> EventFields:
    return EventFields(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        org_id=event.org_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        summary=event.summary,
        request_id=event.request_id,
        prev_hash=event.prev_hash,
    )


def verify(session: Session, actor: Actor) -> ChainReport:
    """Recompute the whole chain from the database."""
    require(actor, Permission.AUDIT_READ)

    def rows() -> Iterator[tuple[int, EventFields, str]]:
        statement = (
            select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id).execution_options(yield_per=2000)
        )
        for event in session.scalars(statement):
            yield event.id, _stored_fields(event), event.hash

    head_row = session.get(AuditHead, 1)
    head = (head_row.seq, head_row.hash) if head_row else None
    return verify_chain(rows(), head, GENESIS_HASH)


def list_events(
    session: Session,
    actor: Actor,
    *,
    action: str | None = None,
    object_type: str | None = None,
    since: datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[AuditEvent]:
    """Events newest first; administrators and leaders see those of organisations in their scope."""
    require(actor, Permission.AUDIT_READ)
    from tongban.kernel.orgs.service import org_ids_in_scope  # orgs records through this module

    statement = select(AuditEvent)
    if actor.scope_path != "/":
        statement = statement.where(AuditEvent.org_id.in_(org_ids_in_scope(actor)))
    if action:
        statement = statement.where(AuditEvent.action.startswith(action))
    if object_type:
        statement = statement.where(AuditEvent.object_type == object_type)
    if since:
        statement = statement.where(AuditEvent.occurred_at >= since)
    return paginate(session, statement.order_by(AuditEvent.seq.desc()), page, page_size)
