"""A stored scorecard as a table to take away: CSV and XLSX, with the KPIs by name and the
statuses in words, in the reader's language (what consultants paste into their own decks).
Numbers stay numbers (ratios as fractions, money in the client's currency units), so a
spreadsheet can compute with them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
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
                forecast.get("meets_must"),
            ]
        )
    month = display.period(f"{snapshot.period_start:%Y-%m}", language)
    return Table(f"{snapshot.client.name} {month}", headers, rows)


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


def as_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Scorecard"
    sheet.append([_text_cell(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(_cells(table.headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(_cells(row))  # decimals stay exact numbers
    sheet.column_dimensions["A"].width = 32
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
