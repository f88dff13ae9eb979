"""Importing measurements from a CSV or XLSX file, all or nothing, every bad line named."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from clients.models import Client
from clients.principals import Principal
from metrics.importing import read_file
from metrics.ingest import RowsInvalid, clean_rows
from metrics.models import Measurement
from metrics.periods import Granularity, Period
from metrics.selectors import metric_refs_for_client
from metrics.services.measurements import UpsertResult, measurements_upsert


@dataclass(frozen=True, order=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self):
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """Bad lines in an import: nothing was written."""

    def __init__(self, errors: list[LineError]):
        super().__init__(f"{len(errors)} bad lines")
        self.errors = sorted(errors)


def _read(filename: str, content: bytes):
    """The file's lines, their rows, and the lines with more cells than the header names."""
    lines = read_file(filename, content)
    too_wide = [
        LineError(line.number, "", "has more cells than the header names")
        for line in lines
        if line.row.pop("_extra", None)
    ]
    return lines, [line.row for line in lines], too_wide


def _rejected(lines, too_wide, exc: RowsInvalid | None) -> ImportRejected:
    found = [LineError(lines[e.row].number, e.field, e.message) for e in exc.errors] if exc else []
    return ImportRejected(too_wide + found)


def measurements_import(
    *, client: Client, filename: str, content: bytes, actor: Principal | None
) -> UpsertResult:
    """Import a CSV or XLSX file, all or nothing. Raises ``ImportFileError`` for a file that
    cannot be read at all, ``ImportRejected`` listing every bad line otherwise."""
    lines, rows, too_wide = _read(filename, content)
    try:
        if not too_wide:
            return measurements_upsert(
                client=client, rows=rows, actor=actor, default_source=f"import:{filename}"[:100]
            )
        clean_rows(rows, metric_refs_for_client(client))  # to report the other bad lines too
    except RowsInvalid as exc:
        raise _rejected(lines, too_wide, exc) from exc
    raise _rejected(lines, too_wide, None)


@dataclass(frozen=True)
class PreviewLine:
    line: int
    metric: str
    period: Period
    value: Decimal
    old_value: Decimal | None
    change: str  # created | updated | unchanged


@dataclass
class ImportPreview:
    lines: list[PreviewLine]
    errors: list[LineError]  # none: the import would write every line

    @property
    def counts(self) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for line in self.lines:
            counts[line.change] += 1
        return counts


def measurements_import_preview(*, client: Client, filename: str, content: bytes) -> ImportPreview:
    """What importing the file would do, writing nothing: each line created, updated (with
    the value it replaces) or unchanged; or every bad line with its reason. Raises
    ``ImportFileError`` for a file that cannot be read at all. Two queries."""
    lines, rows, too_wide = _read(filename, content)
    try:
        cleaned = clean_rows(rows, metric_refs_for_client(client))
    except RowsInvalid as exc:
        return ImportPreview([], _rejected(lines, too_wide, exc).errors)
    if too_wide:
        return ImportPreview([], _rejected(lines, too_wide, None).errors)
    stored = dict(
        ((metric_id, granularity, start), value)
        for metric_id, granularity, start, value in Measurement.objects.filter(
            client=client, metric_id__in={row.metric_id for row in cleaned}
        ).values_list("metric_id", "granularity", "period_start", "value")
    )
    preview = []
    for line, row in zip(lines, cleaned, strict=True):
        old = stored.get((row.metric_id, row.granularity, row.period_start))
        change = "created" if old is None else "unchanged" if old == row.value else "updated"
        period = Period(Granularity(row.granularity), row.period_start)
        preview.append(PreviewLine(line.number, line.row["metric"], period, row.value, old, change))
    return ImportPreview(preview, [])
