"""This context's reactions to other contexts' events (kernel/events.py).

After a load (``exchange.events.RecordsChanged``) into a resource that profiles read, the
profiles of the subjects it touched are refreshed in the load's transaction (in a savepoint, so
a failure in profiles never undoes the load), each publishing ``ProfileChanged``. A large load
is left to the job queue once it has committed: its subjects are refreshed in batches and the
snapshot rebuilt.
"""

from __future__ import annotations

import logging

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from tongban.exchange import records
from tongban.exchange.events import RecordsChanged
from tongban.kernel import events
from tongban.profiles import service
from tongban.profiles.sources import cached_plan

log = logging.getLogger("tongban")
LARGE_LOAD = 5_000  # versions written by one load: beyond this, refresh in the background


def _queue_after_commit(session: Session, load_id: int) -> None:
    def enqueue(committed: Session) -> None:
        from tongban.profiles import jobs

        jobs.refresh_after_load.schedule(args=(load_id,), delay=1)

    orm_event.listen(session, "after_commit", enqueue, once=True)


def on_records_changed(session: Session, changed: RecordsChanged) -> None:
    plan_, _ = cached_plan(session)
    sources = [r for r in plan_.readable if r.resource_id == changed.resource_id]
    if not sources:
        return
    if changed.rows_changed > LARGE_LOAD:
        _queue_after_commit(session, changed.load_id)
        return
    try:
        with session.begin_nested():
            subjects: set[str] = set()
            if any(s.spec.subject_field for s in sources):
                subjects |= service.link_load(session, changed.load_id, changed.resource_id)
            if any(not s.spec.subject_field for s in sources):
                subjects |= set(records.subjects_of_load(session, changed.load_id))
            for subject in sorted(subjects):
                service.refresh_subject(session, subject)
    except Exception:  # the load stands; the nightly snapshot and the next change catch up
        log.exception("profiles: refreshing after load %s failed", changed.load_id)


events.subscribe(RecordsChanged, on_records_changed)
