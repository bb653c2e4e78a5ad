"""JSON routes of matching: match runs, starting one (/api/v1/policy/matching)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/policy/matching", tags=["policy matching"])
