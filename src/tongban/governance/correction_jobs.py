"""Scheduled work of conflicts and corrections (registered on tongban.jobs.huey).

- ``governance.corrections_overdue``: every morning, flag open corrections past their
  deadline and tell the owning departments' stewards;
- ``governance.conflicts_scan``: every night, find the conflicts between departments anew.
"""

from __future__ import annotations

import logging

from huey import crontab

from tongban.db import transaction
from tongban.governance import conflicts, corrections
from tongban.jobs import huey, sessions
from tongban.kernel.permissions import Actor

log = logging.getLogger("tongban")

SCHEDULER = Actor.system("scheduler")


@huey.periodic_task(crontab(minute="0", hour="1"), name="governance.corrections_overdue")  # type: ignore[untyped-decorator]
def flag_overdue_corrections() -> int:
    """Daily at 01:00 UTC (09:00 in China): flag overdue corrections; returns how many."""
    with transaction(sessions()) as session:
        flagged = corrections.flag_overdue(session, SCHEDULER)
    if flagged:
        log.info("flagged %d overdue corrections", len(flagged))
    return len(flagged)


@huey.periodic_task(crontab(minute="0", hour="3"), name="governance.conflicts_scan")  # type: ignore[untyped-decorator]
def scan_conflicts() -> int:
    """Nightly at 03:00 UTC: find every conflict between departments anew; returns how many."""
    with transaction(sessions()) as session:
        return conflicts.scan(session, SCHEDULER).conflicts
