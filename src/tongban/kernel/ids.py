"""Identifiers: request ids and random tokens."""

from __future__ import annotations

import secrets
import uuid


def new_request_id() -> str:
    return uuid.uuid4().hex


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
