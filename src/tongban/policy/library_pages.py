"""Public pages of the policy library: search with filters, item pages, the calculator."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
