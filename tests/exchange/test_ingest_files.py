"""Reading department files: UTF-8 with and without BOM, GB18030, other separators, XLSX, JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session
from tests.exchange.test_ingest_service import CODE, A, B, resource
from tests.support.actors import actor

from tongban.exchange import loads, records
from tongban.exchange.ingest_files import cell_text, detect_encoding, open_table
from tongban.kernel.errors import ValidationFailed

ROWS = [["统一社会信用代码", "年度", "营业收入", "纳税额", "所属行业"], [A, "2025", "1,234.50", "12", "I65"]]


def table_rows(data: bytes, name: str = "x.csv") -> tuple[list[str], list[list[str | None]]]:
    table = open_table(io.BytesIO(data), name)
    try:
        return table.columns, [cells for _, cells in table.rows]
    finally:
        table.close()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_encodings_are_detected(encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(ROWS)  # "1,234.50" is quoted, as Excel writes it
    columns, rows = table_rows(buffer.getvalue().encode(encoding))
    assert columns == ROWS[0]
    assert rows == [ROWS[1]]


def test_gb18030_found_late_in_a_long_file() -> None:
    lines = [",".join(ROWS[0])] + [f"{A},2025,1,1,I65"] * 20000 + [f"{B},2025,1,1,软件业"]
    data = ("\n".join(lines) + "\n").encode("gb18030")
    assert detect_encoding(io.BytesIO(data)) == ("gb18030", 20002)
    _, rows = table_rows(data)
    assert rows[-1][-1] == "软件业"


def test_tab_separated_blank_lines_and_empty_cells() -> None:
    data = "统一社会信用代码\t年度\t营业收入\n\n9135\t2025\t \n\n".encode()
    columns, rows = table_rows(data, "x.txt")
    assert columns == ["统一社会信用代码", "年度", "营业收入"]
    assert rows == [["9135", "2025", None]]


def test_empty_and_old_excel_files_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        table_rows(b"")
    with pytest.raises(ValidationFailed) as old:
        table_rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls")
    assert old.value.fields[0].message.startswith("Old .xls")


def test_spreadsheet_values_read_as_a_person_typed_them() -> None:
    assert cell_text(2025) == "2025"
    assert cell_text(2025.0) == "2025"
    assert cell_text(1234.56) == "1234.56"
    assert cell_text(True) == "true"
    assert cell_text(datetime(2025, 3, 1)) == "2025-03-01"
    assert cell_text(date(2025, 3, 1)) == "2025-03-01"
    assert cell_text(["高新技术企业", "专精特新"]) == "高新技术企业;专精特新"


def xlsx(path: Path, rows: list[list[Any]], *, title: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_a_title_row_and_typed_cells(
    db: Session, demo_city: dict[str, Any], tmp_path: Path
) -> None:
    res = resource(db)
    path = xlsx(
        tmp_path / "经营信息.xlsx",
        [
            ROWS[0],
            [A, 2025, 1234.5, 12, "I65"],
            [None, None, None, None, None],
            [B, 2025.0, "2000万", None, "I"],
        ],
        title="2025年企业经营信息（市场监管局）",
    )
    load = loads.load_file(db, actor(db, "steward"), CODE, path)
    db.commit()
    assert (load.rows_read, load.rows_new, load.rows_quarantined) == (2, 2, 0)
    assert load.source_name == "经营信息.xlsx"
    a = records.current(db, res.id, f"{A}|2025")
    b = records.current(db, res.id, f"{B}|2025")
    assert a is not None and b is not None
    assert (a.values["营业收入"], a.values["纳税额"]) == ("1234.5", "12")
    assert (b.values["营业收入"], b.values["纳税额"]) == ("20000000", None)


def test_a_json_file_is_a_batch(db: Session, demo_city: dict[str, Any], tmp_path: Path) -> None:
    res = resource(db)
    path = tmp_path / "batch.json"
    body = {"rows": [{"统一社会信用代码": A, "年度": 2025, "营业收入": 10.5}]}
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    load = loads.load_file(db, actor(db, "steward"), CODE, path)
    assert load.rows_new == 1
    assert records.count_current(db, res.id) == 1


def test_xlsx_split_across_sheets_is_read_whole(tmp_path: Path) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    for sheet, rows in ((first, [[A, 2024]]), (book.create_sheet("经营信息_2"), [[B, 2025], [A, 2025]])):
        sheet.append(["统一社会信用代码", "年度"])
        for row in rows:
            sheet.append(row)
    notes = book.create_sheet("填表说明")
    notes.append(["说明"])
    notes.append(["年度填四位数字"])
    path = tmp_path / "split.xlsx"
    book.save(path)
    with path.open("rb") as handle:
        table = open_table(handle, "split.xlsx", field_names=["统一社会信用代码", "年度"])
        try:
            assert table.columns == ["统一社会信用代码", "年度"]
            assert table.total == 3
            assert [cells for _, cells in table.rows] == [[A, "2024"], [B, "2025"], [A, "2025"]]
        finally:
            table.close()
