"""Keeping the library's full-text index in step with published items (subscribed on import)."""

from __future__ import annotations
