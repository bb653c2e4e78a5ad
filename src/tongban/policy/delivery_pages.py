"""Workbench pages of delivery: the funnel per item (matched → notified → opened → viewed → applied)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
