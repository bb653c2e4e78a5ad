"""JSON routes of "我的政策" for the logged-in enterprise (/api/v1/portal/policies)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/portal/policies", tags=["my policies"])
