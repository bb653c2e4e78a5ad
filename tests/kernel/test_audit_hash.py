"""An event's hash, computed in two parts (the body before the chain's lock, then chained inside
it), is the SHA-256 of the whole event as one JSON array — the definition both chains verify."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tongban.kernel.audit.domain import EventFields, event_hash

text = st.text(max_size=20)
optional_id = st.none() | st.integers(min_value=0, max_value=2**31)


def whole_event_hash(fields: EventFields) -> str:
    moment = fields.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = [
        fields.seq, moment, fields.actor_kind, fields.actor_id, fields.actor_label, fields.org_id,
        fields.action, fields.object_type, fields.object_id, fields.summary, fields.request_id,
        fields.prev_hash,
    ]  # fmt: skip
    encoded = json.dumps(material, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


@given(
    seq=st.integers(min_value=1, max_value=2**62),
    seconds=st.floats(min_value=0, max_value=3e9, allow_nan=False),
    labels=st.tuples(text, text, text, text, text, text),
    ids=st.tuples(optional_id, optional_id),
    request_id=st.none() | text,
    previous=st.binary(min_size=1, max_size=8),
)
def test_two_part_hash_equals_the_whole_event_hash(
    seq: int,
    seconds: float,
    labels: tuple[str, str, str, str, str, str],
    ids: tuple[int | None, int | None],
    request_id: str | None,
    previous: bytes,
) -> None:
    fields = EventFields(
        seq=seq,
        occurred_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds),
        actor_kind=labels[0],
        actor_id=ids[0],
        actor_label=labels[1],
        org_id=ids[1],
        action=labels[2],
        object_type=labels[3],
        object_id=labels[4],
        summary=labels[5],
        request_id=request_id,
        prev_hash=hashlib.sha256(previous).hexdigest(),
    )
    assert event_hash(fields) == whole_event_hash(fields)
