"""Events the policy context publishes (kernel/events.py), in the publishing transaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemPublished:
    """A version went live (a first publication or an edit replacing ``previous_version_id``):
    every enterprise is matched against it once the transaction commits."""

    item_id: int
    version_id: int
    previous_version_id: int | None


@dataclass(frozen=True)
class ItemEnded:
    """An item stopped being live: ``reason`` is "withdrawn" or "expired"."""

    item_id: int
    version_id: int
    reason: str
