"""When matching runs: after publication, on withdrawal or expiry, on a profile change (subscribed
on import)."""

from __future__ import annotations
