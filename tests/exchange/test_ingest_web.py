"""The steward's ingest pages: upload a real CSV or XLSX, read the report, fix or discard rows."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from tests.exchange.test_ingest_service import CODE, HEADER, A, B, C, resource
from tests.support.web import csrf_token, log_in, post_form

from tongban.exchange import ingest_store, records

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client: TestClient, name: str, data: bytes, media: str = "text/csv", code: str = CODE) -> Any:
    return client.post(
        "/workbench/ingest",
        data={"resource": code, "csrf_token": csrf_token(client)},
        files={"file": (name, data, media)},
        follow_redirects=False,
    )


def texts_of(html: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="{name}"[^>]*>([^<]*)<', html)


def test_steward_uploads_a_csv_reads_the_report_and_fixes_a_row(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    res = resource(db)
    log_in(client, "steward")
    home = client.get("/workbench/ingest")
    assert home.status_code == 200
    assert 'data-testid="nav-ingest"' in home.text and CODE in home.text

    csv = "\n".join([HEADER + ",备注", f"{A},2025,100,1,,", f"{B},2025,很多,1,,", f"{C},2025,3,1,,"]) + "\n"
    sent = upload(client, "经营信息.csv", csv.encode("gb18030"))
    assert sent.status_code == 303
    report = client.get(sent.headers["location"])
    assert texts_of(report.text, "count-read") == ["3"]
    assert texts_of(report.text, "count-new") == ["2"]
    assert texts_of(report.text, "count-quarantined")[0].strip() == "1"
    assert "备注" in texts_of(report.text, "columns-unknown")[0]
    assert "很多 不是有效数值。" in report.text

    fix_url = re.search(r'href="(/workbench/ingest/quarantine/\d+)" data-testid="fix-2"', report.text)
    assert fix_url is not None
    form = client.get(fix_url.group(1))
    assert 'value="很多"' in form.text and "很多 不是有效数值。" in form.text
    values = {"v_0": B, "v_1": "2025", "v_2": "还是很多", "v_3": "1", "v_4": ""}
    still_bad = post_form(client, fix_url.group(1) + "/resubmit", values)
    assert still_bad.status_code == 422
    assert "还是很多 不是有效数值。" in still_bad.text and 'value="还是很多"' in still_bad.text
    fixed = post_form(client, fix_url.group(1) + "/resubmit", values | {"v_2": "200万"})
    assert fixed.status_code == 303
    correction = client.get(fixed.headers["location"])
    assert texts_of(correction.text, "count-new") == ["1"]
    assert records.current(db, res.id, f"{B}|2025").values["营业收入"] == "2000000"  # type: ignore[union-attr]
    assert 'data-testid="quarantine-empty"' in client.get("/workbench/ingest/quarantine").text


def test_steward_uploads_an_xlsx_and_discards_a_row(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    res = resource(db)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append([A, 2025, 1234.5, 10, "I65"])
    sheet.append([B, 2025, "n/a", 10, "I65"])
    buffer = io.BytesIO()
    book.save(buffer)
    log_in(client, "steward")
    sent = upload(client, "经营信息.xlsx", buffer.getvalue(), XLSX)
    assert sent.status_code == 303
    report = client.get(sent.headers["location"])
    assert texts_of(report.text, "count-new") == ["1"]
    assert records.current(db, res.id, f"{A}|2025").values["营业收入"] == "1234.5"  # type: ignore[union-attr]

    listing = client.get("/workbench/ingest/quarantine")
    row_url = re.search(r'href="(/workbench/ingest/quarantine/\d+)"', listing.text)
    assert row_url is not None
    discarded = post_form(client, row_url.group(1) + "/discard", {"note": "企业已注销"})
    assert discarded.status_code == 303
    page = client.get(discarded.headers["location"])
    assert 'data-status="discarded"' in page.text and "企业已注销" in page.text


def test_a_file_that_does_not_fit_is_refused_on_the_form(
    client: TestClient, db: Session, demo_city: dict[str, Any]
) -> None:
    resource(db)
    log_in(client, "steward")
    refused = upload(client, "wrong.csv", "年度,营业收入\n2025,1\n".encode())
    assert refused.status_code == 422
    assert "缺少必填列：统一社会信用代码。" in refused.text
    assert texts_of(client.get("/workbench/ingest").text, "load-row") == []
    empty = client.post(
        "/workbench/ingest", data={"resource": CODE, "csrf_token": csrf_token(client)}, follow_redirects=False
    )
    assert empty.status_code == 422 and 'data-testid="error-file"' in empty.text


def test_officers_cannot_reach_ingest(client: TestClient, db: Session, demo_city: dict[str, Any]) -> None:
    resource(db)
    log_in(client, "officer")
    page = client.get("/workbench/ingest")
    assert page.status_code == 403
    assert 'data-testid="nav-ingest"' not in client.get("/workbench").text


def test_a_failed_load_is_reported_and_stores_nothing(
    client: TestClient, db: Session, demo_city: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    res = resource(db)

    def broken(self: Any, versions: Any) -> None:
        raise RuntimeError("database went away")

    for store in (ingest_store.RecordStore, ingest_store.SqliteRecordStore, ingest_store.PostgresRecordStore):
        monkeypatch.setattr(store, "insert", broken)
    log_in(client, "steward")
    sent = upload(client, "经营信息.csv", f"{HEADER}\n{A},2025,1,1,\n".encode())
    assert sent.status_code == 303
    report = client.get(sent.headers["location"] + "?lang=en")
    assert 'data-status="failed"' in report.text
    assert "database went away" in texts_of(report.text, "load-error")[0]
    assert records.count_current(db, res.id) == 0
