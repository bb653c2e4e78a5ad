"""Who used my data (数据使用记录), and the auditor's view of the access log.

People see every entry that concerns them — by their enterprise's USCC or their resident ID —
including refusals and the platform's own uses. Auditors see what is within their remit:

- administrators and leaders: accesses by, or to resources of, organisations in their region;
- a data steward: accesses by its department and to its department's resources;
- an API token: its own department's accesses.

Unusual volume: a consumer is flagged on a day when the number of distinct subjects it read
successfully exceeds ``UNUSUAL_FACTOR`` times its median over the ``TRAILING_DAYS`` days before
(days without reads count as 0) *and* exceeds ``UNUSUAL_MINIMUM`` — so a new consumer's first
big day is flagged, and a small one is not.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, or_, select
from sqlalchemy.orm import Session

from tongban.exchange.access_log import OK
from tongban.exchange.models import AccessKind, AccessLogEntry, AccessLogSubject
from tongban.kernel.accounts import service as accounts
from tongban.kernel.clock import LOCAL_ZONE, today
from tongban.kernel.errors import N_, PermissionDenied
from tongban.kernel.orgs import service as orgs
from tongban.kernel.paging import Page, paginate
from tongban.kernel.permissions import Actor, Permission, Role, require

UNUSUAL_FACTOR = 3
UNUSUAL_MINIMUM = 100
TRAILING_DAYS = 14
REFUSED = "refused"


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)


# --- people ----------------------------------------------------------------------------------------


def own_subject(session: Session, actor: Actor) -> str:
    """The enterprise's USCC or the citizen's resident ID: whose records this person may see."""
    require(actor, Permission.PORTAL_USE)
    if actor.uscc:
        return actor.uscc
    if actor.kind == "user" and actor.role is Role.CITIZEN and actor.id is not None:
        ric = accounts.get_user(session, actor.id).ric
        if ric:
            return ric
    raise PermissionDenied(
        N_("Your account is not linked to an enterprise or a resident ID."), code="no_subject"
    )


def my_usage(session: Session, actor: Actor, *, page: int = 1, page_size: int = 50) -> Page[AccessLogEntry]:
    """Every access concerning the person or enterprise logged in, newest first."""
    subject = own_subject(session, actor)
    concerning = select(AccessLogSubject.entry_seq).where(AccessLogSubject.subject == subject)
    statement = (
        select(AccessLogEntry).where(AccessLogEntry.seq.in_(concerning)).order_by(AccessLogEntry.seq.desc())
    )
    return paginate(session, statement, page, page_size)


# --- auditors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    consumer_org_id: int | None = None
    resource_id: int | None = None
    purpose: str | None = None
    since: date | None = None  # local dates, inclusive
    until: date | None = None
    outcome: str | None = None  # "ok", "refused" or a refusal code
    kind: AccessKind | None = None


def _remit(actor: Actor) -> ColumnElement[bool]:
    require(actor, Permission.ACCESS_LOG_READ)
    in_scope = orgs.org_ids_in_scope(actor)
    if actor.kind == "token":
        return AccessLogEntry.consumer_org_id.in_(in_scope)
    return or_(AccessLogEntry.consumer_org_id.in_(in_scope), AccessLogEntry.provider_org_id.in_(in_scope))


def _filtered(actor: Actor, filters: LogFilter) -> Any:
    statement = select(AccessLogEntry).where(_remit(actor))
    if filters.consumer_org_id is not None:
        statement = statement.where(AccessLogEntry.consumer_org_id == filters.consumer_org_id)
    if filters.resource_id is not None:
        statement = statement.where(AccessLogEntry.resource_id == filters.resource_id)
    if filters.purpose and filters.purpose.strip():
        statement = statement.where(AccessLogEntry.purpose.contains(filters.purpose.strip(), autoescape=True))
    if filters.since is not None:
        statement = statement.where(AccessLogEntry.occurred_at >= _local_start(filters.since))
    if filters.until is not None:
        statement = statement.where(
            AccessLogEntry.occurred_at < _local_start(filters.until + timedelta(days=1))
        )
    if filters.outcome == REFUSED:
        statement = statement.where(AccessLogEntry.outcome != OK)
    elif filters.outcome:
        statement = statement.where(AccessLogEntry.outcome == filters.outcome)
    if filters.kind is not None:
        statement = statement.where(AccessLogEntry.kind == filters.kind)
    return statement


def list_entries(
    session: Session, actor: Actor, filters: LogFilter | None = None, *, page: int = 1, page_size: int = 50
) -> Page[AccessLogEntry]:
    """Access-log entries within the actor's remit, newest first."""
    statement = _filtered(actor, filters or LogFilter()).order_by(AccessLogEntry.seq.desc())
    return paginate(session, statement, page, page_size)


def export_entries(
    session: Session, actor: Actor, filters: LogFilter | None = None, limit: int = 50_000
) -> list[AccessLogEntry]:
    statement = _filtered(actor, filters or LogFilter()).order_by(AccessLogEntry.seq.desc()).limit(limit)
    return list(session.scalars(statement))


@dataclass(frozen=True)
class VolumeFlag:
    consumer_org_id: int | None  # None: the platform's own use
    day: date
    subjects: int  # distinct subjects read that day
    median: float  # median per day over the trailing days


def daily_subjects(session: Session, actor: Actor, day: date) -> dict[int | None, int]:
    """Distinct subjects read successfully per consumer on one local day, within the remit."""
    statement = (
        select(AccessLogEntry.consumer_org_id, func.count(distinct(AccessLogSubject.subject)))
        .join(AccessLogSubject, AccessLogSubject.entry_seq == AccessLogEntry.seq)
        .where(
            _remit(actor),
            AccessLogEntry.outcome == OK,
            AccessLogEntry.occurred_at >= _local_start(day),
            AccessLogEntry.occurred_at < _local_start(day + timedelta(days=1)),
        )
        .group_by(AccessLogEntry.consumer_org_id)
    )
    return {consumer: int(count) for consumer, count in session.execute(statement)}


def unusual_volume(session: Session, actor: Actor, day: date | None = None) -> list[VolumeFlag]:
    """Consumers whose distinct subjects on ``day`` exceed 3× their trailing 14-day median and 100."""
    day = day or today()
    counts = daily_subjects(session, actor, day)
    if not counts:
        return []
    history = [
        daily_subjects(session, actor, day - timedelta(days=back)) for back in range(1, TRAILING_DAYS + 1)
    ]
    flags = []
    for consumer, subjects in counts.items():
        median = float(statistics.median(h.get(consumer, 0) for h in history))
        if subjects > UNUSUAL_FACTOR * median and subjects > UNUSUAL_MINIMUM:
            flags.append(VolumeFlag(consumer, day, subjects, median))
    return sorted(flags, key=lambda f: -f.subjects)
