"""This context's background and scheduled jobs (registered on tongban.jobs.huey).

- ``profiles.snapshot``: every night (03:15), rebuild the columnar snapshot of all profiles;
- ``profiles.rebuild``: a rebuild asked for from the admin page (or after a large load);
- ``profiles.refresh_load``: after a large load, refresh the profiles of its subjects in batches
  (each its own transaction), then rebuild the snapshot.
"""

from __future__ import annotations

import logging
from pathlib import Path

from huey import crontab

from tongban.config import get_settings
from tongban.db import transaction
from tongban.exchange import records
from tongban.jobs import huey, sessions
from tongban.profiles import service, snapshot

log = logging.getLogger("tongban")
BATCH = 500


def snapshot_root() -> Path:
    return get_settings().data_dir / "profiles" / "snapshots"


@huey.task(name="profiles.rebuild")  # type: ignore[untyped-decorator]
def rebuild_snapshot(label: str = "queued") -> int:
    """Rebuild the snapshot now; returns its manifest id."""
    return snapshot.build_snapshot(sessions(), snapshot_root(), label=label).manifest_id


@huey.periodic_task(crontab(minute="15", hour="3"), name="profiles.snapshot")  # type: ignore[untyped-decorator]
def nightly_snapshot() -> int:
    """Every night: the snapshot with the day's data (and the new history window after New Year)."""
    return snapshot.build_snapshot(sessions(), snapshot_root(), label="scheduler").manifest_id


@huey.task(retries=1, retry_delay=60, name="profiles.refresh_load")  # type: ignore[untyped-decorator]
def refresh_after_load(load_id: int) -> int:
    """The profiles a large load touched, a batch per transaction; then a new snapshot."""
    factory = sessions()
    with transaction(factory) as session:
        subjects = set(records.subjects_of_load(session, load_id))
        subjects |= service.link_load(session, load_id)
    ordered = sorted(subjects)
    for start in range(0, len(ordered), BATCH):
        with transaction(factory) as session:
            for subject in ordered[start : start + BATCH]:
                service.refresh_subject(session, subject)
    rebuild_snapshot.call_local(f"load {load_id}")
    return len(ordered)
