"""Pure rules of the audit chain: canonical form, hashing and verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
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
    return chained_hash(fields.seq, hash_body(fields), fields.prev_hash)


def hash_body(fields: EventFields) -> str:
    """The hashed material of an event without its place in the chain (seq and previous hash):
    an appender prepares it before taking the chain's lock and only chains it inside."""
    moment = fields.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = [
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
    ]
    return json.dumps(material, ensure_ascii=False, separators=(",", ":"))[1:-1]


def chained_hash(seq: int, body: str, prev_hash: str) -> str:
    """SHA-256 of the JSON array [seq, *body, prev_hash] (the hashes are hex, seq an integer)."""
    return hashlib.sha256(f'[{int(seq)},{body},"{prev_hash}"]'.encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int  # the first bad event: altered, missing (deleted), moved or added outside the chain
    event_id: int | None  # None when the event is gone
    kind: str  # "altered", "missing", "reordered", "inserted"
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

    - a gap in seq means the events in the gap were deleted ("missing", naming the first);
    - an event whose content does not match its stored hash was changed ("altered"), unless
      its link to the previous event is broken too: then it was moved or renumbered
      ("reordered");
    - an intact event whose link does not match the previous event's hash means the
      previous event was changed and its hash recomputed ("altered", naming that one);
    - a head that records a later seq than the last event means the tail was cut off
      ("missing"); an earlier seq, that events were added behind the chain's back
      ("inserted"); the same seq with another hash, that the last event was changed and
      its hash recomputed ("altered").
    """
    expected_seq = 1
    previous_hash = genesis
    previous_id: int | None = None
    checked = 0

    def problem(seq: int, event_id: int | None, kind: str, detail: str) -> ChainReport:
        return ChainReport(checked, ChainProblem(seq, event_id, kind, detail))

    for event_id, fields, stored_hash in events:
        if fields.seq > expected_seq:
            return problem(
                expected_seq, None, "missing", f"event {expected_seq} is missing; next is {fields.seq}"
            )
        if fields.seq < expected_seq:
            return problem(
                fields.seq, event_id, "reordered", f"expected seq {expected_seq}, found {fields.seq}"
            )
        linked = fields.prev_hash == previous_hash
        if event_hash(fields) != stored_hash:
            if linked or event_hash(replace(fields, prev_hash=previous_hash)) == stored_hash:
                return problem(fields.seq, event_id, "altered", "content does not match its hash")
            return problem(
                fields.seq, event_id, "reordered", "moved or renumbered: neither content nor link match"
            )
        if not linked:
            if expected_seq == 1:
                return problem(1, event_id, "altered", "the first event does not start the chain")
            return problem(
                expected_seq - 1,
                previous_id,
                "altered",
                f"changed and re-hashed: event {expected_seq} records a different hash for it",
            )
        previous_hash = stored_hash
        previous_id = event_id
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last_seq:
            return problem(
                last_seq + 1,
                None,
                "missing",
                f"the chain ends at seq {last_seq} but its head records {head_seq}",
            )
        if head_seq < last_seq:
            return problem(
                head_seq + 1, None, "inserted", f"events after seq {head_seq} were added outside the chain"
            )
        if last_seq and head_hash != previous_hash:
            return problem(
                last_seq, previous_id, "altered", "changed and re-hashed: the head records a different hash"
            )
    return ChainReport(checked, None)
