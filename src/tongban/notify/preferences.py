"""Delivery preferences of an account: e-mail and SMS beside the inbox, topics, quiet hours.

The inbox always receives every notification at once. E-mail and SMS go out only when the
account wants them, has an address on file, and the notification's topics meet the wanted
topics (none chosen: all); inside the quiet hours (local time, Asia/Shanghai) they wait until
the quiet period ends. Topic keys belong to the context that sends (policy support types): the
caller passes the allowed keys in, so notify depends on no other context.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongban.kernel.audit import service as audit
from tongban.kernel.clock import LOCAL_ZONE, now
from tongban.kernel.errors import N_, FieldProblem, NotAuthenticated, ValidationFailed
from tongban.kernel.permissions import Actor
from tongban.notify.models import DeliveryPreference

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Preferences:
    email: bool = True
    sms: bool = False
    topics: tuple[str, ...] = ()
    quiet_start: str = "22:00"
    quiet_end: str = "08:00"

    def wants_topic(self, topics: Iterable[str]) -> bool:
        """True when no topics are chosen or one of ``topics`` is."""
        return not self.topics or bool(set(self.topics) & set(topics))

    def quiet_until(self, moment: datetime) -> datetime | None:
        """When ``moment`` falls inside the quiet hours, the (UTC) moment they end; else None."""
        start, end = parse_time(self.quiet_start), parse_time(self.quiet_end)
        if start is None or end is None or start == end:
            return None
        local = moment.astimezone(LOCAL_ZONE)
        clock = local.time().replace(tzinfo=None)
        if start < end:
            inside = start <= clock < end
            end_day = local.date()
        else:  # over midnight, e.g. 22:00–08:00
            inside = clock >= start or clock < end
            end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
        if not inside:
            return None
        return datetime.combine(end_day, end, tzinfo=LOCAL_ZONE).astimezone(moment.tzinfo)


DEFAULT = Preferences()


def parse_time(text: str) -> time | None:
    match = _HHMM.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _of(row: DeliveryPreference | None) -> Preferences:
    if row is None:
        return DEFAULT
    return Preferences(row.email, row.sms, tuple(row.topics or ()), row.quiet_start, row.quiet_end)


def preferences_of(session: Session, user_ids: Sequence[int]) -> dict[int, Preferences]:
    """Preferences of many accounts (the defaults for those that never chose)."""
    found: dict[int, Preferences] = dict.fromkeys(user_ids, DEFAULT)
    ids = list(found)
    for start in range(0, len(ids), 1000):
        rows = session.scalars(
            select(DeliveryPreference).where(DeliveryPreference.user_id.in_(ids[start : start + 1000]))
        )
        found.update({row.user_id: _of(row) for row in rows})
    return found


def _own_id(actor: Actor) -> int:
    if actor.kind != "user" or actor.id is None:
        raise NotAuthenticated()
    return actor.id


def get_own(session: Session, actor: Actor) -> Preferences:
    return _of(session.get(DeliveryPreference, _own_id(actor)))


def check(
    *,
    email: bool,
    sms: bool,
    topics: Sequence[str],
    quiet_start: str,
    quiet_end: str,
    allowed_topics: Collection[str],
) -> Preferences:
    """Validate what was entered; every problem at once, each on its field."""
    problems: list[FieldProblem] = []
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if parse_time(value) is None:
            problems.append(FieldProblem(name, N_("Enter a time as HH:MM, for example 22:00.")))
    unknown = sorted(set(topics) - set(allowed_topics))
    if unknown:
        problems.append(FieldProblem("topics", N_("Unknown topic: {value}."), {"value": unknown[0][:40]}))
    if problems:
        raise ValidationFailed(fields=problems)
    ordered = tuple(topic for topic in allowed_topics if topic in set(topics))
    return Preferences(email, sms, ordered, quiet_start.strip(), quiet_end.strip())


def set_own(
    session: Session,
    actor: Actor,
    *,
    email: bool,
    sms: bool,
    topics: Sequence[str],
    quiet_start: str,
    quiet_end: str,
    allowed_topics: Collection[str],
) -> Preferences:
    """Save the actor's own preferences (validated, audited)."""
    user_id = _own_id(actor)
    wanted = check(
        email=email,
        sms=sms,
        topics=topics,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        allowed_topics=allowed_topics,
    )
    row = session.get(DeliveryPreference, user_id)
    if row is None:
        row = DeliveryPreference(user_id=user_id)
        session.add(row)
    row.email, row.sms, row.topics = wanted.email, wanted.sms, list(wanted.topics)
    row.quiet_start, row.quiet_end, row.updated_at = wanted.quiet_start, wanted.quiet_end, now()
    session.flush()
    audit.record(
        session,
        actor,
        "notify.preferences",
        "user",
        user_id,
        {
            "email": wanted.email,
            "sms": wanted.sms,
            "topics": list(wanted.topics),
            "quiet": f"{wanted.quiet_start}-{wanted.quiet_end}",
        },
    )
    return wanted
