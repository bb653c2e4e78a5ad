"""Workbench pages of publishing: policies, items with the condition builder, review with preview."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
