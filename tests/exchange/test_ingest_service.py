"""Ingest on both databases: validation, quarantine with reasons in Chinese, counts, idempotence,
duplicates, fix-and-resubmit, discard, permissions, audit, and a failing load that leaves nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.support.actors import SYSTEM, actions, actor, valid_uscc
from tests.support.hub import F, make_resource

from tongban.catalog.models import Resource, ResourceStatus
from tongban.exchange import ingest, ingest_store, loads, records
from tongban.exchange.models import Load, LoadSource, LoadStatus, QuarantinedRow, QuarantineStatus, Record
from tongban.kernel.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from tongban.kernel.i18n import translate

CODE = "350200-SCJGJ-0101"
FIELDS = (
    F("统一社会信用代码", "uscc", subject=True),
    F("年度", "reporting_year", key=True),
    F("营业收入", "annual_revenue", required=True),
    F("纳税额", "tax_paid"),
    F("所属行业", "industry"),
)
A = valid_uscc("91350200MA8TEXT01")
B = valid_uscc("91350200MA8TEXT02")
C = valid_uscc("91350200MA8TEXT03")
HEADER = "统一社会信用代码,年度,营业收入,纳税额,所属行业"


def resource(db: Session, code: str = CODE, provider: str = "350200-SCJGJ") -> Resource:
    made = make_resource(db, provider_code=provider, code=code, name="企业年度经营信息", fields=FIELDS)
    db.commit()
    return made


def csv_bytes(*lines: str, encoding: str = "utf-8-sig") -> io.BytesIO:
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


def load_csv(
    db: Session, *lines: str, who: str = "steward", name: str = "data.csv", code: str = CODE
) -> Load:
    load = loads.load_stream(db, actor(db, who), code, csv_bytes(*lines), name)
    db.commit()
    return load


def counts(load: Load) -> tuple[int, int, int, int, int, int]:
    return (
        load.rows_read,
        load.rows_new,
        load.rows_changed,
        load.rows_unchanged,
        load.rows_quarantined,
        load.rows_duplicate,
    )


def zh(problem: dict[str, Any]) -> str:
    return translate(problem["message"], language="zh-CN", **problem["params"])


def quarantined(db: Session, load: Load) -> dict[int, QuarantinedRow]:
    rows = db.scalars(select(QuarantinedRow).where(QuarantinedRow.load_id == load.id))
    return {r.row_number: r for r in rows}


def test_valid_rows_are_stored_and_bad_rows_quarantined_with_every_reason(
    db: Session, demo_city: dict[str, Any]
) -> None:
    res = resource(db)
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    load = load_csv(
        db,
        HEADER,
        f"{A},2025,2000万,1200000.50,I65",
        f"{B},2025,很多,abc,I65",
        f"{bad_check},2025,100,1,",
        f"{C},2025,,1,",
    )
    assert load.status is LoadStatus.DONE
    assert counts(load) == (4, 1, 0, 0, 3, 0)
    held = quarantined(db, load)
    assert set(held) == {2, 3, 4}
    reasons_b = {p["field"]: zh(p) for p in held[2].problems}
    assert reasons_b == {"营业收入": "很多 不是有效数值。", "纳税额": "abc 不是有效数值。"}
    assert held[2].raw["营业收入"] == "很多"
    assert "校验码应为" in zh(held[3].problems[0])
    assert [(p["field"], zh(p)) for p in held[4].problems] == [("营业收入", "此项为必填项。")]
    stored = records.current_for_subject(db, res.id, A)
    assert [v.values for v in stored] == [
        {
            "统一社会信用代码": A,
            "年度": 2025,
            "营业收入": "20000000",
            "纳税额": "1200000.5",
            "所属行业": "65",  # the canonical industry code
        }
    ]
    assert stored[0].record_key == f"{A}|2025"


def test_reloading_the_same_file_changes_nothing(db: Session, demo_city: dict[str, Any]) -> None:
    res = resource(db)
    lines = (HEADER, f"{A},2025,100,1,I65", f"{B},2025,200,2,", f"{C},2025,bad,3,")
    first = load_csv(db, *lines)
    assert counts(first) == (3, 2, 0, 0, 1, 0)
    again = load_csv(db, *lines)
    assert counts(again) == (3, 0, 0, 2, 1, 0)
    assert again.rows_held == 1  # the bad row is already waiting in quarantine: not stored twice
    assert db.scalar(select(func.count()).select_from(Record).where(Record.resource_id == res.id)) == 2
    assert db.scalar(select(func.count()).select_from(QuarantinedRow)) == 1


def test_new_changed_and_unchanged_are_counted(db: Session, demo_city: dict[str, Any]) -> None:
    res = resource(db)
    load_csv(db, HEADER, f"{A},2024,100,1,", f"{A},2025,110,1,", f"{B},2025,200,2,")
    second = load_csv(
        db,
        HEADER,
        f"{A},2024,100.00,1,",  # the same amount written differently is unchanged
        f"{A},2025,120,1,",  # changed
        f"{B},2025,200,2,",
        f"{C},2025,300,3,",  # new
    )
    assert counts(second) == (4, 1, 1, 2, 0, 0)
    versions = records.history(db, res.id, f"{A}|2025")
    assert [v.values["营业收入"] for v in versions] == ["110", "120"]
    assert versions[0].valid_to == versions[1].valid_from
    assert versions[1].is_current and versions[1].load_id == second.id


def test_a_repeated_key_in_one_load_counts_once_or_is_quarantined(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource(db)
    load = load_csv(
        db,
        HEADER,
        f"{A},2025,100,1,",
        f"{A},2025,100,1,",  # same values: a harmless repeat
        f"{A},2025,999,1,",  # same key, other values: a person decides
    )
    assert counts(load) == (3, 1, 0, 0, 1, 1)
    (row,) = quarantined(db, load).values()
    assert row.row_number == 3
    assert zh(row.problems[0]) == translate(
        "Row {row} of this load has the same key ({key}) with different values.",
        language="zh-CN",
        row=1,
        key=f"{A}|2025",
    )


@pytest.mark.parametrize("preload", [True, False])
def test_duplicates_across_chunks_and_both_lookup_paths(
    db: Session, demo_city: dict[str, Any], monkeypatch: pytest.MonkeyPatch, preload: bool
) -> None:
    res = resource(db)
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 2)
    monkeypatch.setattr(ingest, "PRELOAD_ROWS", 0 if preload else 10**9)
    load_csv(db, HEADER, f"{A},2024,1,1,", f"{B},2024,1,1,")
    load = load_csv(
        db,
        HEADER,
        f"{A},2024,1,1,",  # unchanged
        f"{B},2024,2,1,",  # changed
        f"{C},2024,3,1,",  # new
        f"{B},2024,2,1,",  # repeat of row 2, next chunk
        f"{C},2024,4,1,",  # conflicts with row 3
        f"{A},2024,5,1,",  # conflicts with row 1 (which was unchanged)
    )
    assert counts(load) == (6, 1, 1, 1, 2, 1)
    assert sorted(quarantined(db, load)) == [5, 6]
    assert records.count_current(db, res.id) == 3
    assert records.current(db, res.id, f"{C}|2024").values["营业收入"] == "3"  # type: ignore[union-attr]


def test_columns_are_matched_by_name_and_reported(db: Session, demo_city: dict[str, Any]) -> None:
    res = resource(db)
    load = load_csv(db, "年度, 统一社会信用代码 ,营业收入,备注", f"2025,{A},100,内部备注")
    assert counts(load) == (1, 1, 0, 0, 0, 0)
    assert load.columns_unknown == ["备注"]
    assert load.columns_missing == ["纳税额", "所属行业"]
    (version,) = records.current_for_subject(db, res.id, A)
    assert version.values["纳税额"] is None


def test_a_missing_required_column_refuses_the_load_before_writing(
    db: Session, demo_city: dict[str, Any]
) -> None:
    resource(db)
    with pytest.raises(ValidationFailed) as refused:
        loads.load_stream(db, actor(db, "steward"), CODE, csv_bytes("年度,营业收入", "2025,1"), "x.csv")
    assert refused.value.code == "columns_mismatch"
    assert [p.field for p in refused.value.fields] == ["统一社会信用代码"]
    assert translate(refused.value.fields[0].message, language="zh-CN", **refused.value.fields[0].params) == (
        "缺少必填列：统一社会信用代码。"
    )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Load)) == 0


@pytest.mark.parametrize("background", [False, True])
def test_a_failing_load_leaves_nothing_half_written(
    db: Session, demo_city: dict[str, Any], monkeypatch: pytest.MonkeyPatch, background: bool
) -> None:
    res = resource(db)
    load_csv(db, HEADER, f"{A},2024,1,1,")
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 2)
    monkeypatch.setattr(ingest, "PRELOAD_ROWS", 0 if background else 10**9)  # writes in a thread, or not
    real_insert = ingest_store.RecordStore.insert
    calls = {"n": 0}

    def failing_insert(self: ingest_store.RecordStore, versions: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real_insert(self, versions)

    for store in (ingest_store.RecordStore, ingest_store.SqliteRecordStore, ingest_store.PostgresRecordStore):
        monkeypatch.setattr(store, "insert", failing_insert)
    load = load_csv(db, HEADER, f"{A},2024,2,1,", f"{B},2024,1,1,", f"{C},2024,bad,1,", f"{C},2025,1,1,")
    assert calls["n"] == 2
    assert load.status is LoadStatus.FAILED
    assert "disk full" in load.error
    assert (load.rows_new, load.rows_changed, load.rows_quarantined) == (0, 0, 0)
    # The first chunk (a change to A, a new B) was written before the failure and rolled back.
    assert records.count_current(db, res.id) == 1
    assert records.current(db, res.id, f"{A}|2024").values["营业收入"] == "1"  # type: ignore[union-attr]
    assert len(records.history(db, res.id, f"{A}|2024")) == 1
    assert db.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
    assert actions(db)[-1] == "ingest.load_failed"
    monkeypatch.undo()
    retry = load_csv(db, HEADER, f"{A},2024,2,1,", f"{B},2024,1,1,", f"{C},2024,bad,1,", f"{C},2025,1,1,")
    assert counts(retry) == (4, 2, 1, 0, 1, 0)


def test_fix_and_resubmit_a_quarantined_row(db: Session, demo_city: dict[str, Any]) -> None:
    res = resource(db)
    steward = actor(db, "steward")
    load = load_csv(db, HEADER, f"{A},2025,很多,1,I65")
    (row,) = quarantined(db, load).values()
    fixed = {"统一社会信用代码": A, "年度": "2025", "营业收入": "还是很多", "纳税额": "1", "所属行业": "I65"}
    with pytest.raises(ValidationFailed) as still_bad:
        loads.resubmit(db, steward, row.id, fixed)
    assert [(p.field, p.message) for p in still_bad.value.fields] == [
        ("营业收入", "{value} is not a number.")
    ]
    db.rollback()
    correction = loads.resubmit(db, steward, row.id, fixed | {"营业收入": "1.5亿"})
    db.commit()
    assert correction.source is LoadSource.CORRECTION and correction.rows_new == 1
    db.refresh(row)
    assert row.status is QuarantineStatus.RESUBMITTED
    assert row.resolution_load_id == correction.id and row.resolved_by == steward.label
    assert records.current(db, res.id, f"{A}|2025").values["营业收入"] == "150000000"  # type: ignore[union-attr]
    assert actions(db)[-2:] == ["ingest.load", "ingest.quarantine.resubmit"]
    with pytest.raises(InvalidTransition):
        loads.resubmit(db, steward, row.id, fixed)


def test_discard_a_quarantined_row(db: Session, demo_city: dict[str, Any]) -> None:
    resource(db)
    steward = actor(db, "steward")
    load = load_csv(db, HEADER, f"{A},2025,很多,1,")
    (row,) = quarantined(db, load).values()
    loads.discard(db, steward, row.id, "企业已注销")
    db.commit()
    assert row.status is QuarantineStatus.DISCARDED and row.note == "企业已注销"
    assert actions(db)[-1] == "ingest.quarantine.discard"
    assert loads.list_quarantine(db, steward).total == 0
    with pytest.raises(InvalidTransition):
        loads.discard(db, steward, row.id)


def test_only_the_provider_departments_steward_may_load(db: Session, demo_city: dict[str, Any]) -> None:
    resource(db)
    resource(db, code="350200-SWJ-0101", provider="350200-SWJ")
    lines = (HEADER, f"{A},2025,1,1,")
    for who in ("officer", "admin", "tax_officer", "leader"):
        with pytest.raises(PermissionDenied) as denied:
            load_csv(db, *lines, who=who)
        assert denied.value.code == "permission_denied"
    with pytest.raises(PermissionDenied) as outside:
        load_csv(db, *lines, code="350200-SWJ-0101")
    assert outside.value.code == "outside_scope"
    with pytest.raises(NotFound):
        load_csv(db, *lines, code="NO-SUCH-RESOURCE")
    draft = make_resource(db, provider_code="350200-SCJGJ", code="350200-SCJGJ-0102", fields=FIELDS)
    draft.status = ResourceStatus.DRAFT
    db.commit()
    with pytest.raises(InvalidTransition):
        load_csv(db, *lines, code="350200-SCJGJ-0102")
    assert [r.code for r in loads.ingestible_resources(db, actor(db, "steward"))] == [CODE]


def test_every_load_is_audited_with_its_report(db: Session, demo_city: dict[str, Any]) -> None:
    resource(db)
    load = load_csv(db, HEADER, f"{A},2025,1,1,", f"{B},2025,x,1,")
    from tongban.kernel.audit.models import AuditEvent

    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "ingest.load"))
    assert event is not None and event.object_id == str(load.id)
    assert '"new":1' in event.summary and '"quarantined":1' in event.summary
    assert str(B) not in event.summary  # no row data in the audit chain


def test_push_rows_as_a_batch(db: Session, demo_city: dict[str, Any]) -> None:
    res = resource(db)
    load = loads.load_rows(
        db,
        SYSTEM,
        CODE,
        [
            {"统一社会信用代码": A, "年度": 2025, "营业收入": 1234.5, "纳税额": None},
            {"统一社会信用代码": B, "年度": 2025.0, "营业收入": "2000万", "所属行业": "6511"},
        ],
        source_name="税务系统",
    )
    assert (load.source, load.source_name, load.rows_new) == (LoadSource.PUSH, "税务系统", 2)
    assert records.current(db, res.id, f"{A}|2025").values["营业收入"] == "1234.5"  # type: ignore[union-attr]
    assert records.current(db, res.id, f"{B}|2025").values["所属行业"] == "6511"  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed):
        loads.load_rows(db, SYSTEM, CODE, [])


def test_values_in_department_units_are_converted(db: Session, demo_city: dict[str, Any]) -> None:
    fields = (
        F("统一社会信用代码", "uscc", subject=True),
        F("年度", "reporting_year", key=True),
        F("营业收入（万元）", "annual_revenue"),
        F("从业人员（万人）", "employees"),
    )
    res = make_resource(db, provider_code="350200-SCJGJ", code="350200-SCJGJ-0103", fields=fields)
    res.fields[2].unit = "万元"
    res.fields[3].unit = "万人"
    db.commit()
    load = load_csv(
        db,
        "统一社会信用代码,年度,营业收入（万元）,从业人员（万人）",
        f"{A},2025,12.34567,0.0012",
        f"{B},2025,1.5,0.00125",
        code="350200-SCJGJ-0103",
    )
    assert (load.rows_new, load.rows_quarantined) == (1, 1)
    version = records.current(db, res.id, f"{A}|2025")
    assert version is not None
    assert (version.values["营业收入（万元）"], version.values["从业人员（万人）"]) == ("123456.7", 12)
    (row,) = quarantined(db, load).values()
    assert [(p["field"], zh(p)) for p in row.problems] == [("从业人员（万人）", "0.00125 不是整数。")]
