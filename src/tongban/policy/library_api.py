"""JSON routes of the public policy library: search, item pages, calculator (/api/v1/library)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/library", tags=["policy library"])
