"""This context's reactions to events (kernel/events.py): its own (an item published or ended)
and the profiles' (an enterprise's profile changed). The handlers live beside the work they do;
importing them here subscribes them (``tongban.wiring``)."""

from __future__ import annotations

from tongban.policy import delivery, library_index, matching_triggers  # noqa: F401 - subscribe on import
