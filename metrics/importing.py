"""Reading measurement files: CSV (UTF-8 with or without BOM, or CP932) and XLSX.

Line 1 is the header ``metric,period,value[,source]``. Periods are text: a spreadsheet date cell
is a bad row whose reason says to write the period as text. Rows are handed on with their line
numbers, so every problem can be reported against the line a person sees in their editor.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

REQUIRED_COLUMNS = ("metric", "period", "value")
OPTIONAL_COLUMNS = ("source",)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass(frozen=True)
class Line:
    number: int
    row: dict


def read_file(filename: str, content: bytes) -> list[Line]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    return _read_csv(content)


def _columns(header: list) -> list[str]:
    columns = [str(cell).strip().lower() if cell is not None else "" for cell in header]
    while columns and not columns[-1]:
        columns.pop()
    if tuple(columns[:3]) != REQUIRED_COLUMNS or any(
        column not in OPTIONAL_COLUMNS for column in columns[3:]
    ):
        raise ImportFileError(
            f"Line 1 must be the header metric,period,value[,source]; found {','.join(columns)!r}."
        )
    return columns


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise ImportFileError("The file is binary, not CSV text (save it as CSV or XLSX).")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp932")  # what Japanese Excel saves CSV in
    except UnicodeDecodeError:
        raise ImportFileError("The file is neither UTF-8 nor CP932 (Shift_JIS) text.") from None


def _read_csv(content: bytes) -> list[Line]:
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    columns = _columns(header)
    lines = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        lines.append(Line(reader.line_num, _row(columns, cells)))
    return lines


def _read_xlsx(content: bytes) -> list[Line]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportFileError(f"The file is not a readable XLSX workbook ({exc}).") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportFileError("The first sheet is empty.")
        columns = _columns(list(header))
        lines = []
        for number, cells in enumerate(rows, start=2):
            if all(cell is None or str(cell).strip() == "" for cell in cells):
                continue
            lines.append(Line(number, _row(columns, list(cells))))
        return lines
    finally:
        workbook.close()


def _row(columns: list[str], cells: list) -> dict:
    row = {}
    for index, column in enumerate(columns):
        cell = cells[index] if index < len(cells) else None
        if isinstance(cell, str):
            cell = cell.strip()
        if cell is None or cell == "":
            if column == "value":
                continue  # reported as "is required"
            cell = "" if column == "source" else cell
        row[column] = cell
    extra = [cell for cell in cells[len(columns) :] if cell not in (None, "")]
    if extra:
        row["_extra"] = extra
    return row
