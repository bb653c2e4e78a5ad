"""Scheduled work of the policy context (huey): nightly matching and expiry, runs after publication,
reminders."""

from __future__ import annotations
