"""Connect the contexts' event subscribers (see kernel/events.py). Idempotent."""

from __future__ import annotations

import importlib

SUBSCRIBERS = (
    "tongban.governance.subscribers",
    "tongban.profiles.subscribers",
    "tongban.policy.subscribers",
)


def connect_contexts() -> None:
    for name in SUBSCRIBERS:
        importlib.import_module(name)
