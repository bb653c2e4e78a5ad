"""This context's background and scheduled jobs (registered on tongban.jobs.huey).

- ``governance.quality_run``: one pending quality run (queued after a large load);
- ``governance.quality``: every night, the runs still pending, then every published resource.
"""

from __future__ import annotations

import logging

from huey import crontab

from tongban.db import transaction
from tongban.governance import quality
from tongban.governance.quality_models import QualityRun, RunStatus, RunTrigger
from tongban.jobs import huey, sessions

log = logging.getLogger("tongban")


@huey.task(retries=2, retry_delay=30, name="governance.quality_run")  # type: ignore[untyped-decorator]
def run_quality(run_id: int) -> bool:
    """Do one pending run in its own transaction; False if it is gone or already done."""
    with transaction(sessions()) as session:
        run = session.get(QualityRun, run_id)
        if run is None or run.status is not RunStatus.PENDING:
            return False
        quality.execute_safely(session, run)
        return True


@huey.periodic_task(crontab(minute="30", hour="2"), name="governance.quality")  # type: ignore[untyped-decorator]
def nightly_quality() -> int:
    """Every night (02:30): finish pending runs, then run every published resource's rules, each
    resource in its own transaction. Returns the number of runs done."""
    factory = sessions()
    with transaction(factory) as session:
        pending = [r.id for r in quality.pending_runs(session)]
        resource_ids = quality.published_resource_ids(session)
    done = 0
    for run_id in pending:
        done += int(run_quality.call_local(run_id))
    for resource_id in resource_ids:
        try:
            with transaction(factory) as session:
                run = quality.request_run(
                    session, resource_id, trigger=RunTrigger.SCHEDULE, label="scheduler"
                )
                quality.execute_safely(session, run)
                done += 1
        except Exception:  # one resource's failure does not stop the others
            log.exception("scheduled quality run of resource %s failed", resource_id)
    return done
