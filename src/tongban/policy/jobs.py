"""Scheduled work of the policy context (huey): nightly matching and expiry, runs after publication.

- ``policy.match_items``: a match run for some items (after publication) or every live item;
- ``policy.resume_run``: carry out a run recorded by an officer (API, CLI) or carry on one;
- ``policy.nightly`` (02:30): expire the items whose window or policy ended, resume the match
  runs a killed worker left "running" (started over an hour ago), then match every live item
  over the latest snapshot.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from huey import crontab

from tongban.db import transaction
from tongban.jobs import huey, sessions
from tongban.kernel.clock import now
from tongban.policy import matching, service

log = logging.getLogger("tongban")
STALE = timedelta(hours=1)  # a run still "running" after this long was left by a killed worker


@huey.task(retries=1, retry_delay=60, name="policy.match_items")  # type: ignore[untyped-decorator]
def match_items(item_ids: list[int] | None, trigger: str = "publish") -> int:
    """Match every enterprise against the items (None: every live item); the run's id."""
    return matching.run(sessions(), trigger, item_ids)


@huey.task(retries=1, retry_delay=60, name="policy.resume_run")  # type: ignore[untyped-decorator]
def resume_run(run_id: int) -> int:
    """Carry out (or carry on) a recorded run: a run queued from the API, or one left unfinished."""
    return matching.run(sessions(), "manual", resume=run_id)


@huey.periodic_task(crontab(minute="30", hour="2"), name="policy.nightly")  # type: ignore[untyped-decorator]
def nightly() -> int:
    """Expiry, then unfinished runs resumed, then a full run; the full run's id."""
    factory = sessions()
    with transaction(factory) as session:
        ended = service.expire_due(session)
    if ended:
        log.info("policy: %s items expired", len(ended))
    with transaction(factory, write=False) as session:
        unfinished = matching.unfinished_runs(session, now() - STALE)
    for run_id in unfinished:
        try:
            matching.run(factory, "nightly", resume=run_id)
        except Exception:  # recorded on the run; the full run below still happens
            log.exception("policy: resuming match run %s failed", run_id)
    return matching.run(factory, "nightly")
