"""Importing measurements from a CSV or XLSX file, all or nothing, every bad line named."""

from __future__ import annotations

from dataclasses import dataclass

from clients.models import Client
from clients.principals import Principal
from metrics.importing import read_file
from metrics.ingest import RowsInvalid, clean_rows
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


def measurements_import(
    *, client: Client, filename: str, content: bytes, actor: Principal | None
) -> UpsertResult:
    """Import a CSV or XLSX file, all or nothing. Raises ``ImportFileError`` for a file that
    cannot be read at all, ``ImportRejected`` listing every bad line otherwise."""
    lines = read_file(filename, content)
    rows = [line.row for line in lines]
    too_wide = [
        LineError(line.number, "", "has more cells than the header names")
        for line in lines
        if line.row.pop("_extra", None)
    ]
    try:
        if not too_wide:
            return measurements_upsert(
                client=client, rows=rows, actor=actor, default_source=f"import:{filename}"[:100]
            )
        clean_rows(rows, metric_refs_for_client(client))  # to report the other bad lines too
    except RowsInvalid as exc:
        found = [LineError(lines[e.row].number, e.field, e.message) for e in exc.errors]
        raise ImportRejected(too_wide + found) from exc
    raise ImportRejected(too_wide)
