"""Reading ingested records on both databases: any past state, history, the change feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from tests.exchange.test_ingest_service import HEADER, A, B, load_csv, resource

from tongban.exchange import records
from tongban.kernel.clock import Clock

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_state_at_any_past_moment_after_two_loads(
    db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    res = resource(db)
    frozen_clock.freeze(T1)
    first = load_csv(db, HEADER, f"{A},2025,100,1,", f"{B},2025,200,2,")
    frozen_clock.freeze(T2)
    second = load_csv(db, HEADER, f"{A},2025,150,1,", f"{B},2025,200,2,")
    assert (second.rows_changed, second.rows_unchanged) == (1, 1)
    key = f"{A}|2025"

    assert records.state_at(db, res.id, key, T1 - timedelta(seconds=1)) is None
    at_first = records.state_at(db, res.id, key, T1)
    between = records.state_at(db, res.id, key, T2 - timedelta(microseconds=1))
    at_second = records.state_at(db, res.id, key, T2)
    later = records.state_at(db, res.id, key, T2 + timedelta(days=365))
    assert at_first is not None and between is not None and at_second is not None and later is not None
    assert at_first.values["营业收入"] == between.values["营业收入"] == "100"
    assert at_first.load_id == first.id and at_first.valid_to == T2
    assert at_second.values["营业收入"] == later.values["营业收入"] == "150"
    assert at_second.is_current and at_second.valid_from == T2

    assert [v.values["营业收入"] for v in records.history(db, res.id, key)] == ["100", "150"]
    unchanged = records.history(db, res.id, f"{B}|2025")
    assert len(unchanged) == 1 and unchanged[0].valid_from == T1

    assert [v.values["营业收入"] for v in records.subject_at(db, res.id, A, T1 + timedelta(days=1))] == [
        "100"
    ]
    assert [v.values["营业收入"] for v in records.current_for_subject(db, res.id, A)] == ["150"]
    assert len(records.subject_history(db, res.id, A)) == 2
    assert records.current(db, res.id, "no|such") is None


def test_current_records_of_a_subject_span_its_keys(db: Session, demo_city: dict[str, Any]) -> None:
    res = resource(db)
    load_csv(db, HEADER, f"{A},2023,1,1,", f"{A},2024,2,1,", f"{A},2025,3,1,", f"{B},2025,9,1,")
    mine = records.current_for_subject(db, res.id, A)
    assert [v.values["年度"] for v in mine] == [2023, 2024, 2025]
    assert all(v.subject == A for v in mine)
    assert records.count_current(db, res.id) == 4


def test_the_change_feed_pages_through_new_versions_in_order(
    db: Session, demo_city: dict[str, Any], frozen_clock: Clock
) -> None:
    res = resource(db)
    frozen_clock.freeze(T1)
    load_csv(db, HEADER, f"{A},2025,100,1,", f"{B},2025,200,2,")
    start = records.changes_since(db, res.id, 0, limit=1)
    assert len(start.items) == 1 and start.has_more
    rest = records.changes_since(db, res.id, start.cursor, limit=10)
    assert [v.subject for v in start.items + rest.items] == [A, B] and not rest.has_more
    cursor = rest.cursor
    assert records.latest_cursor(db, res.id) == cursor
    assert records.changes_since(db, res.id, cursor).items == []

    frozen_clock.freeze(T2)
    load_csv(db, HEADER, f"{A},2025,150,1,", f"{B},2025,200,2,")  # one change, one unchanged
    feed = records.changes_since(db, res.id, cursor)
    assert [(v.subject, v.values["营业收入"], v.valid_from) for v in feed.items] == [(A, "150", T2)]
    assert feed.cursor > cursor

    bulk = records.current_page(db, res.id, 0, limit=1)
    following = records.current_page(db, res.id, bulk.cursor, limit=5)
    assert {v.subject for v in bulk.items + following.items} == {A, B}
    assert all(v.is_current for v in bulk.items + following.items)
