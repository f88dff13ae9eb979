"""A stored scorecard as a table to take away: CSV and XLSX, with the KPIs by name and the
statuses in words, in the reader's language (what consultants paste into their own decks).
Numbers stay numbers (ratios as fractions, money in the client's currency units), so a
spreadsheet can compute with them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from metrics import display
from plans import display as plan_display
from plans.arithmetic.scorecard import tidy
from plans.models import ScorecardSnapshot
from plans.selectors import scorecard_rows


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    units: list[str] = field(default_factory=list)  # each row's metric unit, for XLSX formats
    note: str = ""  # e.g. that the month is still in progress


def scorecard_table(snapshot: ScorecardSnapshot) -> Table:
    """The month's lines, one row a KPI, in tree order."""
    language = get_language()
    japanese = display.is_japanese(language)
    lines, _milestones = scorecard_rows(snapshot)
    headers = [
        _("KPI"),
        _("Metric key"),
        _("Period"),
        _("Actual"),
        _("Must"),
        _("Stretch"),
        _("Attainment"),
        _("Progress"),
        _("Status"),
        _("Change"),
        _("Change (%)"),
        _("Forecast"),
        _("Forecast meets the must"),
    ]
    rows = []
    for row in lines:
        line, metric = row.line, row.metric
        name = (metric.name_ja if japanese else metric.name) if metric else line["metric"]
        forecast = line.get("forecast") or {}
        change = line.get("change") or {}
        rows.append(
            [
                "  " * row.depth + name,
                line["metric"],
                display.period(line["period"], language),
                _number(line["actual"]),
                _number(line["must_target"]),
                _number(line["stretch_target"]),
                _number(line["attainment"]),
                _number(line["progress"]),
                str(plan_display.status_badge(line["status"]).word),
                _number(change.get("abs")),
                _number(change.get("pct")),
                _number(forecast.get("value")),
                _yes_no(forecast.get("meets_must")),
            ]
        )
    month = display.period(f"{snapshot.period_start:%Y-%m}", language)
    partial = any(row.line.get("partial") for row in lines)
    note = _("The month is still in progress: flows show what they reached so far.")
    units = [row.metric.unit if row.metric else "" for row in lines]
    return Table(f"{snapshot.client.name} {month}", headers, rows, units, note if partial else "")


def _yes_no(value) -> str:
    return "" if value is None else _("yes") if value else _("no")


def _number(value):
    """A stored number as a spreadsheet takes it: 6 places at most, no trailing zeros."""
    return tidy(value) if isinstance(value, Decimal) else value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value):
    """Text a spreadsheet would take for a formula (a name typed as ``=HYPERLINK(...)``) is
    kept as text by a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cells(row) -> list:
    return [_text_cell(cell) for cell in row]


def as_csv(table: Table) -> bytes:
    """UTF-8 with a BOM, which Excel needs to read Japanese from a CSV file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_cells(table.headers))
    for row in table.rows:
        writer.writerow(["" if cell is None else cell for cell in _cells(row)])
    return out.getvalue().encode("utf-8-sig")


PERCENT, WHOLE, DECIMAL, TIMES = "0.0%", "#,##0", "#,##0.##", '0.0"×"'
VALUE_COLUMNS = (4, 5, 6, 10, 12)  # actual, must, stretch, change, forecast (1-based)
SHARE_COLUMNS = (7, 8, 11)  # attainment, progress, change (%)


def _formats(unit: str) -> dict[int, str]:
    """Each numeric column's format in a row of this unit: shares as percentages, money as
    whole amounts, ratios as percentages, multiples with the times sign,
    the rest with up to two decimals."""
    value = {"money": WHOLE, "ratio": PERCENT, "multiple": TIMES}.get(unit, DECIMAL)
    return {**dict.fromkeys(VALUE_COLUMNS, value), **dict.fromkeys(SHARE_COLUMNS, PERCENT)}


def as_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Scorecard"
    sheet.append([_text_cell(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(_cells(table.headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row, unit in zip(table.rows, table.units or [""] * len(table.rows), strict=True):
        sheet.append(_cells(row))  # decimals stay exact numbers, shown in their unit
        for column, number_format in _formats(unit).items():
            sheet.cell(row=sheet.max_row, column=column).number_format = number_format
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    sheet.column_dimensions["A"].width = 32
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
