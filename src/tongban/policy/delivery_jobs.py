"""Scheduled work of policy delivery (huey), beside ``policy/jobs.py`` (matching):

- ``policy.reminders`` (07:00 Asia/Shanghai, every day): queue the reminders of items whose application
  window closes in ``reminder_working_days`` working days (policy/delivery.py); the outbox job
  sends them (e-mail and SMS wait for the end of each account's quiet hours).
"""

from __future__ import annotations

import logging

from huey import crontab

from tongban.config import get_settings
from tongban.db import transaction
from tongban.jobs import huey, sessions
from tongban.kernel.clock import today
from tongban.policy import delivery

log = logging.getLogger("tongban")


# huey schedules in UTC: 23:00 UTC is 07:00 in Asia/Shanghai, so e-mail arrives in the morning.
@huey.periodic_task(crontab(minute="0", hour="23"), name="policy.reminders")  # type: ignore[untyped-decorator]
def reminders() -> int:
    """Queue today's closing reminders; how many messages were queued."""
    with transaction(sessions()) as session:
        queued = delivery.queue_reminders(session, today(), get_settings().reminder_working_days)
    if queued:
        log.info("policy: %s closing reminders queued", queued)
    return queued
