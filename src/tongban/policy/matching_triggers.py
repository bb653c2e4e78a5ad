"""When matching runs: after publication, on withdrawal or expiry, on a profile change (subscribed
on import).

- ``ItemPublished``: once the publishing transaction has committed, the job queue runs a match of
  every enterprise against the item (``jobs.match_items``); trigger "publish", or "edit" when the
  version replaces another;
- ``ItemEnded``: the item's matches are deleted in the same transaction;
- ``profiles.events.ProfileChanged``: the enterprise is re-matched in the same transaction, inside
  a savepoint: a failure in matching never undoes the profile change (it is logged, without the
  enterprise's data; the nightly run catches up).
"""

from __future__ import annotations

import logging

from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from tongban.kernel import events
from tongban.policy import matching
from tongban.policy.events import ItemEnded, ItemPublished
from tongban.profiles.events import ProfileChanged

log = logging.getLogger("tongban")


def on_item_published(session: Session, published: ItemPublished) -> None:
    trigger = "edit" if published.previous_version_id is not None else "publish"

    def enqueue(committed: Session) -> None:
        from tongban.policy import jobs

        jobs.match_items([published.item_id], trigger)

    orm_event.listen(session, "after_commit", enqueue, once=True)


def on_item_ended(session: Session, ended: ItemEnded) -> None:
    matching.delete_matches(session, ended.item_id)


def on_profile_changed(session: Session, changed: ProfileChanged) -> None:
    try:
        with session.begin_nested():
            matching.rematch_subject(session, changed.subject)
    except Exception as error:  # the profile change stands; the nightly run catches up
        log.warning("policy: re-matching after a profile change failed (%s)", type(error).__name__)


events.subscribe(ItemPublished, on_item_published)
events.subscribe(ItemEnded, on_item_ended)
events.subscribe(ProfileChanged, on_profile_changed)
