"""Scheduled work of notifications (huey): sending what is due in the outbox.

- ``notify.send_due`` (every minute): claim due outbox rows in batches, send them, mark them sent
  (notify/outbox.py: exactly once per row, a killed worker's rows are taken again after the lease).
"""

from __future__ import annotations

import logging

from huey import crontab

from tongban.jobs import huey, sessions
from tongban.notify import outbox

log = logging.getLogger("tongban")


@huey.periodic_task(crontab(minute="*"), name="notify.send_due")  # type: ignore[untyped-decorator]
def send_due() -> int:
    """Send what is due now; how many messages went out."""
    sent = outbox.send_due(sessions())
    if sent:
        log.info("notify: %s messages sent", sent)
    return sent
