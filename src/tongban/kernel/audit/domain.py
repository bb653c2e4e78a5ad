"""Pure rules of the audit chain: canonical form, hashing and verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SENSITIVE_KEYS = frozenset(
    {"password", "password_hash", "token", "token_hash", "secret", "ric", "secret_key"}
)


def canonical_json(value: Mapping[str, Any]) -> str:
    """Stable JSON: sorted keys, no spaces, Chinese kept readable."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def scrub(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Drop secrets and personal identifiers from a change summary before it is logged."""
    cleaned: dict[str, Any] = {}
    for key, value in summary.items():
        if key in SENSITIVE_KEYS:
            cleaned[key] = "***"
        elif isinstance(value, Mapping):
            cleaned[key] = scrub(value)
        else:
            cleaned[key] = value
    return cleaned


@dataclass(frozen=True)
class EventFields:
    """The hashed content of one event."""

    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: int | None
    actor_label: str
    org_id: int | None
    action: str
    object_type: str
    object_id: str
    summary: str
    request_id: str | None
    prev_hash: str


def event_hash(fields: EventFields) -> str:
    moment = fields.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = [
        fields.seq,
        moment,
        fields.actor_kind,
        fields.actor_id,
        fields.actor_label,
        fields.org_id,
        fields.action,
        fields.object_type,
        fields.object_id,
        fields.summary,
        fields.request_id,
        fields.prev_hash,
    ]
    encoded = json.dumps(material, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    event_id: int | None
    kind: str  # "altered", "missing", "reordered", "head_mismatch"
    detail: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(
    events: Iterable[tuple[int, EventFields, str]],
    head: tuple[int, str] | None,
    genesis: str,
) -> ChainReport:
    """Check (event id, fields, stored hash) triples in seq order; stop at the first problem.

    - a gap in seq means events were deleted;
    - a prev_hash that does not match the previous event's hash means events were
      re-ordered or one was removed and the rest renumbered;
    - a stored hash that does not match the content means an event was altered;
    - a head that does not match the last event means the tail was cut off.
    """
    expected_seq = 1
    previous_hash = genesis
    checked = 0
    for event_id, fields, stored_hash in events:
        if fields.seq != expected_seq:
            kind = "missing" if fields.seq > expected_seq else "reordered"
            return ChainReport(
                checked,
                ChainProblem(fields.seq, event_id, kind, f"expected seq {expected_seq}, found {fields.seq}"),
            )
        if event_hash(fields) != stored_hash:
            return ChainReport(
                checked, ChainProblem(fields.seq, event_id, "altered", "content does not match its hash")
            )
        if fields.prev_hash != previous_hash:
            return ChainReport(
                checked,
                ChainProblem(fields.seq, event_id, "reordered", "link to the previous event is broken"),
            )
        previous_hash = stored_hash
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or (last_seq and head[1] != previous_hash)):
        return ChainReport(
            checked,
            ChainProblem(
                last_seq + 1,
                None,
                "missing",
                f"the chain ends at seq {last_seq} but its head records seq {head[0]}",
            ),
        )
    return ChainReport(checked, None)
