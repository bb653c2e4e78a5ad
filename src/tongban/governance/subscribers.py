"""This context's reactions to other contexts' events (kernel/events.py).

After every load (``exchange.events.RecordsChanged``) the resource needs a quality run. The
handler notes that in the load's transaction (a pending run: one row). A small load's run is
done at once, in a savepoint, so a failing check never undoes the load; a large load — or a
small one into a large resource — leaves the run to the job queue once the load has committed.
"""

from __future__ import annotations

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from tongban.exchange.events import RecordsChanged
from tongban.governance import quality
from tongban.governance.quality_models import RunTrigger
from tongban.kernel import events

LARGE_LOAD = 50_000  # versions written by one load
LARGE_RESOURCE = 200_000  # current records: a run takes seconds, not for a request to wait on


def _queue_after_commit(session: Session, run_id: int) -> None:
    def enqueue(committed: Session) -> None:
        from tongban.governance import jobs

        jobs.run_quality.schedule(args=(run_id,), delay=1)

    orm_event.listen(session, "after_commit", enqueue, once=True)


def on_records_changed(session: Session, changed: RecordsChanged) -> None:
    run = quality.request_run(
        session, changed.resource_id, trigger=RunTrigger.INGEST, load_id=changed.load_id, label="ingest"
    )
    large = changed.rows_changed > LARGE_LOAD or (
        quality.count_current(session, changed.resource_id) > LARGE_RESOURCE
    )
    if large:
        _queue_after_commit(session, run.id)
    else:
        quality.execute_safely(session, run)


events.subscribe(RecordsChanged, on_records_changed)
