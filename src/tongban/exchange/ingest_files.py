"""Reading department files and batches as rows of text cells, streaming.

Every source becomes a ``Table``: the column names, an estimate of the row count (for
progress bars) and an iterator of ``(row_number, cells)`` where cells are strings or None,
aligned with the columns. Validation happens later, on text, so that a value means the same
whatever format it came in.

- CSV: UTF-8 with or without a byte-order mark, or GB18030 (which includes GBK and GB2312),
  detected by checking that the whole file decodes as UTF-8; UTF-16 with a byte-order mark
  (Excel's "Unicode text"). Comma, tab, semicolon or | separated (sniffed from the header).
- XLSX: the first sheet and the later sheets with the same header (or only the sheet named
  after the resource), read with openpyxl in read-only mode so a million rows never sit in
  memory. Numbers, dates and booleans are turned into the text a person would type. The
  header is the first row (a title row above it is skipped when a later row among the first
  ten names more fields).
- JSON: a list of objects, or ``{"rows": [...]}``, keyed by field name.

Blank rows are skipped and not counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tongban.kernel.errors import N_, FieldProblem, ValidationFailed

Cells = list[str | None]
HEADER_SCAN_ROWS = 10
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20
_DELIMITERS = ",\t;|"


@dataclass
class Table:
    """Rows of a source, as text. ``rows`` can be iterated once."""

    columns: list[str]
    rows: Iterator[tuple[int, Cells]]
    total: int | None = None  # estimated number of data rows, for progress
    closer: Any = None

    def close(self) -> None:
        if self.closer is not None:
            self.closer()
            self.closer = None


def refuse(message: str, **params: Any) -> ValidationFailed:
    return ValidationFailed(fields=[FieldProblem("file", message, params)])


def normalise_header(name: object) -> str:
    """Column names as people type them: byte-order marks and surrounding spaces removed."""
    return "" if name is None else str(name).replace("\ufeff", "").strip().replace("\u3000", "")


def cell_text(value: object) -> str | None:
    """A spreadsheet or JSON value as the text a person would have typed."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(cell_text(v)) for v in value if v is not None)
    return str(value)


# --- detection ------------------------------------------------------------------------------


def sniff_format(head: bytes, filename: str = "") -> str:
    """'xlsx', 'json' or 'csv', from the first bytes (and the name, for the old .xls)."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0") or filename.lower().endswith(".xls"):
        raise refuse(N_("Old .xls workbooks cannot be read: save the file as .xlsx or CSV."))
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def detect_encoding(stream: IO[bytes]) -> tuple[str, int]:
    """The text encoding of a CSV file and its number of lines; the stream is rewound.

    A byte-order mark decides; otherwise the whole file must decode as UTF-8 (checked in
    chunks, cheap next to parsing), else it is GB18030, the superset of GBK and GB2312 that
    Chinese office software writes.
    """
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")() if encoding == "utf-8" else None
    lines = 0
    while chunk := stream.read(_CHUNK):
        lines += chunk.count(b"\n")
        if decoder is not None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                decoder = None
                encoding = "gb18030"
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "gb18030"
    stream.seek(0)
    return encoding, lines


def _blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


# --- CSV ------------------------------------------------------------------------------------


def read_csv(stream: IO[bytes]) -> Table:
    encoding, lines = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(_SNIFF_BYTES)
    except UnicodeDecodeError as error:
        raise refuse(N_("The file is not readable text (UTF-8 or GB18030).")) from error
    text.seek(0)
    first_line = sample.splitlines()[0] if sample else ""
    delimiter = max(_DELIMITERS, key=first_line.count) if first_line else ","
    reader = csv.reader(text, delimiter=delimiter)
    header = next(reader, None)
    if header is None or _blank(header):
        raise refuse(N_("The file is empty: the first line must name the columns."))
    columns = [normalise_header(h) for h in header]

    def rows() -> Iterator[tuple[int, Cells]]:
        number = 0
        try:
            for record in reader:
                if _blank(record):
                    continue
                number += 1
                yield number, [c if c.strip() else None for c in record]
        except UnicodeDecodeError as error:  # only when the detection was fooled
            raise refuse(N_("The file is not readable text (UTF-8 or GB18030).")) from error
        except csv.Error as error:
            raise refuse(
                N_("The file is not valid CSV after data row {row}: {detail}"), row=number, detail=str(error)
            ) from error

    return Table(columns, rows(), max(0, lines - 1), closer=text.detach)


# --- XLSX -----------------------------------------------------------------------------------


def _ordered_sheets(book: Any, prefer: Sequence[str]) -> list[Any]:
    """The sheet named after the resource alone, if there is one; otherwise every sheet in order."""
    for name in prefer:
        if name and name in book.sheetnames:
            return [book[name]]
    return list(book.worksheets)


def _header(head: list[tuple[Any, ...]], known: set[str]) -> int | None:
    """Index of the header among a sheet's first rows: the first non-blank row, or a later one
    that names more fields (a title row above the header)."""
    index = next((i for i, row in enumerate(head) if not _blank(row)), None)
    if index is None or not known:
        return index
    scores = [sum(normalise_header(c) in known for c in row) for row in head]
    best = max(range(len(head)), key=lambda i: (scores[i], -i))
    return best if scores[best] > scores[index] else index


def _columns(row: Sequence[Any]) -> list[str]:
    columns = [normalise_header(c) for c in row]
    while columns and not columns[-1]:
        columns.pop()
    return columns


def read_xlsx(
    stream: IO[bytes], *, field_names: Iterable[str] = (), prefer_sheets: Sequence[str] = ()
) -> Table:
    """The first sheet, followed by every later sheet with the same header (a file split
    across sheets because one holds at most 1,048,576 rows); other sheets are ignored."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise refuse(N_("The workbook cannot be opened: {detail}"), detail=type(error).__name__) from error
    known = set(field_names)
    parts: list[tuple[Iterator[tuple[Any, ...]], list[tuple[Any, ...]], int, Any]] = []
    columns: list[str] | None = None
    for sheet in _ordered_sheets(book, prefer_sheets):
        iterator = sheet.iter_rows(values_only=True)
        head = list(itertools.islice(iterator, HEADER_SCAN_ROWS))
        index = _header(head, known)
        if index is None:
            continue
        if columns is None:
            columns = _columns(head[index])
        elif _columns(head[index]) != columns:
            continue
        parts.append((iterator, head, index, sheet))
    if columns is None:
        book.close()
        raise refuse(N_("The file is empty: the first line must name the columns."))
    sizes = [sheet.max_row - index - 1 for _, _, index, sheet in parts if isinstance(sheet.max_row, int)]
    total = sum(sizes) if len(sizes) == len(parts) else None

    def rows() -> Iterator[tuple[int, Cells]]:
        number = 0
        for iterator, head, index, _ in parts:
            for row in itertools.chain(head[index + 1 :], iterator):
                if not _blank(row):
                    number += 1
                    yield number, [cell_text(v) for v in row]

    return Table(columns, rows(), total, closer=book.close)


# --- JSON -----------------------------------------------------------------------------------


def table_from_mappings(items: Sequence[Mapping[str, Any]]) -> Table:
    """A batch of objects (push API, JSON files, corrections) as a table; columns in first-seen order."""
    columns: dict[str, None] = {}
    for item in items:
        for key in item:
            columns.setdefault(normalise_header(key), None)
    names = list(columns)

    def rows() -> Iterator[tuple[int, Cells]]:
        number = 0
        for item in items:
            by_name = {normalise_header(k): v for k, v in item.items()}
            cells = [cell_text(by_name.get(name)) for name in names]
            if _blank(cells):
                continue
            number += 1
            yield number, [c if c is None or c.strip() else None for c in cells]

    return Table(names, rows(), len(items))


def read_json(stream: IO[bytes]) -> Table:
    try:
        document = json.loads(stream.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise refuse(N_("The file is not valid JSON: {detail}"), detail=str(error)[:200]) from error
    items = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise refuse(N_("A JSON batch is a list of objects, or an object with a rows list."))
    return table_from_mappings(items)


def open_table(
    stream: IO[bytes],
    filename: str = "",
    *,
    field_names: Iterable[str] = (),
    prefer_sheets: Sequence[str] = (),
) -> Table:
    """A table from an uploaded or local file of any supported format."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    kind = sniff_format(head, filename)
    if kind == "xlsx":
        return read_xlsx(stream, field_names=field_names, prefer_sheets=prefer_sheets)
    if kind == "json":
        return read_json(stream)
    return read_csv(stream)


def open_path(path: Path, *, field_names: Iterable[str] = (), prefer_sheets: Sequence[str] = ()) -> Table:
    """A table from a file on disk; the file is closed with the table."""
    handle = path.open("rb")
    try:
        table = open_table(handle, path.name, field_names=field_names, prefer_sheets=prefer_sheets)
    except BaseException:
        handle.close()
        raise
    inner = table.closer

    def close() -> None:
        if inner is not None:
            inner()
        handle.close()

    table.closer = close
    return table
