"""Scheduled work of notifications (huey): sending what is due in the outbox."""

from __future__ import annotations
