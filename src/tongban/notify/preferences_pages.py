"""Pages where an account chooses how it is told: channels, topics, quiet hours."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
