"""Scheduled exchange work: pulling from department databases whose interval has passed."""

from __future__ import annotations

import logging

from huey import crontab

from tongban.exchange import sources
from tongban.jobs import huey, sessions
from tongban.kernel.permissions import Actor

log = logging.getLogger("tongban")

SCHEDULER = Actor.system("scheduler")


@huey.periodic_task(crontab(minute="*"), name="exchange.pull_due")  # type: ignore[untyped-decorator]
def pull_due_sources() -> int:
    """Every minute: pull each active source whose interval has passed (each on its own)."""
    outcomes = sources.pull_due(sessions(), SCHEDULER)
    for name, outcome in outcomes:
        if isinstance(outcome, Exception):
            log.warning("scheduled pull of %s failed", name)
    return len(outcomes)
