"""Streaming writers: CSV (UTF-8 with BOM, so that Excel shows the Chinese) and XLSX.

CSV rows go straight to disk; an XLSX file is an openpyxl write-only workbook (rows stream
to a temporary file, memory stays flat), split into sheets of ``sheet_rows`` data rows since
a sheet holds at most 1,048,576 rows. XLSX cells are typed: counts as integers, amounts as
exact decimals, codes and dates as text (an ID number as a number would lose its digits).
CSV output is byte-for-byte deterministic; XLSX files carry a creation time, so only their
cell contents are.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tongban.demo.city.departments import Column, FileSpec

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Written:
    path: str  # relative to the output directory
    rows: int
    bytes: int
    sha256: str
    xlsx: str | None
    xlsx_sheets: int


def cell(column: Column, value: str) -> Any:
    """The XLSX value of a CSV cell: numbers typed where they are clean, text otherwise."""
    if value == "":
        return None
    if column.kind == "int" and _INTEGER.fullmatch(value):
        return int(value)
    if column.kind == "decimal" and _NUMBER.fullmatch(value):
        return Decimal(value)
    return value


class CsvFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # the BOM by hand: the utf-8-sig codec is slow per write
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._handle.write("\ufeff")
        self._csv = csv.writer(self._handle)
        self.rows = 0

    def header(self, names: Sequence[str]) -> None:
        self._csv.writerow(names)

    def write(self, rows: Iterable[Sequence[str]]) -> None:
        for row in rows:
            self._csv.writerow(row)
            self.rows += 1

    def close(self) -> tuple[int, str]:
        self._handle.close()
        with self.path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        return self.path.stat().st_size, digest


class XlsxFile:
    def __init__(self, path: Path, spec: FileSpec, sheet_rows: int) -> None:
        from openpyxl import Workbook

        self.path = path
        self.spec = spec
        self.sheet_rows = sheet_rows
        self.book = Workbook(write_only=True)
        self.sheets = 0
        self._in_sheet = sheet_rows  # forces a first sheet
        self._sheet: Any = None

    def _new_sheet(self) -> None:
        self.sheets += 1
        title = self.spec.title[:28] if self.sheets == 1 else f"{self.spec.title[:24]}_{self.sheets}"
        self._sheet = self.book.create_sheet(title=title)
        self._sheet.freeze_panes = "A2"
        self._sheet.append(self.spec.header)
        self._in_sheet = 0

    def write(self, rows: Iterable[Sequence[str]]) -> None:
        columns = self.spec.columns
        for row in rows:
            if self._in_sheet >= self.sheet_rows:
                self._new_sheet()
            self._sheet.append([cell(c, v) for c, v in zip(columns, row, strict=True)])
            self._in_sheet += 1

    def close(self) -> int:
        if self.sheets == 0:
            self._new_sheet()
        self.book.save(self.path)
        return self.sheets


class FileWriter:
    """One department file: CSV always, XLSX when asked."""

    def __init__(self, out_dir: Path, spec: FileSpec, xlsx: bool, sheet_rows: int) -> None:
        self.out_dir = out_dir
        self.spec = spec
        self.csv = CsvFile(out_dir / f"{spec.key}.csv")
        self.csv.header(spec.header)
        self.xlsx = XlsxFile(out_dir / f"{spec.key}.xlsx", spec, sheet_rows) if xlsx else None

    @property
    def rows(self) -> int:
        return self.csv.rows

    def write(self, rows: list[list[str]]) -> None:
        self.csv.write(rows)
        if self.xlsx is not None:
            self.xlsx.write(rows)

    def close(self) -> Written:
        size, digest = self.csv.close()
        sheets = self.xlsx.close() if self.xlsx is not None else 0
        return Written(
            path=f"{self.spec.key}.csv", rows=self.csv.rows, bytes=size, sha256=digest,
            xlsx=f"{self.spec.key}.xlsx" if self.xlsx is not None else None, xlsx_sheets=sheets,
        )
