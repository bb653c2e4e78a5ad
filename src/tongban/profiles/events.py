"""Events the profiles context publishes (kernel/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileChanged:
    """An enterprise's profile changed (in this transaction): the policy engine re-matches it.

    ``attributes`` are the keys whose value or lineage changed, sorted.
    """

    subject: str
    attributes: tuple[str, ...]
