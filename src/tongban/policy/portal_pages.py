"""Enterprise portal pages "我的政策": matched items, why, what is missing, calendar."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
