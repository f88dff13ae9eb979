"""Validating rows of measurements in plain Python: no serializer, no ORM object per row.

Used by the bulk API and by the CSV/XLSX import. Every bad row is reported with its index and
the field at fault, so a batch can be refused whole with all its problems named at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from metrics.periods import Period, PeriodError

MAX_INTEGER_DIGITS = 14  # 20 digits in all, 6 after the point
MAX_FRACTION_DIGITS = 6
MAX_SOURCE_LENGTH = 100
ROW_FIELDS = frozenset({"metric", "period", "value", "source"})


@dataclass(frozen=True, slots=True)
class MetricRef:
    id: int
    derived: bool


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class CleanRow:
    metric_id: int
    granularity: str
    period_start: date
    value: Decimal
    source: str


class RowsInvalid(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


NUMBER_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(NUMBER_PATTERN)


def parse_value(raw) -> Decimal:
    """A finite decimal with at most 14 digits before the point and 6 after it."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
        raise ValueError("must be a number")
    if isinstance(raw, float):
        # A spreadsheet's binary float (3703.6800000000003) read to the 15 digits it holds.
        raw = format(raw, ".15g")
    if isinstance(raw, str):
        raw = raw.strip()
        if not _NUMBER.fullmatch(raw):
            raise ValueError("must be a number")
    try:
        value = Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value == 0:
        return Decimal(0)
    # Read from the digits, without arithmetic: 1e999999999 is a valid Decimal, but normalising
    # or rounding it overflows the context, and rounding would hide digits past its precision.
    if value.adjusted() + 1 > MAX_INTEGER_DIGITS:
        raise ValueError(f"has more than {MAX_INTEGER_DIGITS} digits before the point")
    _sign, digits, exponent = value.as_tuple()
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if exponent + trailing_zeros < -MAX_FRACTION_DIGITS:
        raise ValueError(f"has more than {MAX_FRACTION_DIGITS} digits after the point")
    return value


def clean_rows(
    rows: Sequence, catalogue: Mapping[str, MetricRef], *, default_source: str = ""
) -> list[CleanRow]:
    """The rows, checked and converted; raises RowsInvalid naming every bad row."""
    errors: list[RowError] = []
    cleaned: list[CleanRow] = []
    seen: dict[tuple[int, str, date], int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors.append(RowError(index, "", "must be an object with metric, period and value"))
            continue
        row_errors = len(errors)
        unknown = sorted(set(row) - ROW_FIELDS)
        for name in unknown:
            errors.append(RowError(index, name, "is not a field of a measurement"))

        key = row.get("metric")
        metric = catalogue.get(key) if isinstance(key, str) else None
        if metric is None:
            message = "is required" if key in (None, "") else f"{key!r} is not a known metric"
            errors.append(RowError(index, "metric", message))
        elif metric.derived:
            errors.append(
                RowError(index, "metric", f"{key!r} is computed from a formula; write its inputs")
            )

        period = None
        raw_period = row.get("period")
        if raw_period in (None, ""):
            errors.append(RowError(index, "period", "is required"))
        elif isinstance(raw_period, (datetime, date)):
            errors.append(
                RowError(index, "period", "is a date cell; write the period as text, e.g. 2026-09")
            )
        else:
            try:
                period = Period.parse(raw_period)
            except PeriodError as exc:
                errors.append(RowError(index, "period", str(exc)))

        value = None
        if "value" not in row:
            errors.append(RowError(index, "value", "is required"))
        else:
            try:
                value = parse_value(row["value"])
            except ValueError as exc:
                errors.append(RowError(index, "value", str(exc)))

        source = row.get("source") or default_source
        if (
            not isinstance(source, str)
            or len(source) > MAX_SOURCE_LENGTH
            or not source.isprintable()
        ):
            errors.append(
                RowError(
                    index,
                    "source",
                    f"must be printable text of at most {MAX_SOURCE_LENGTH} characters",
                )
            )

        if len(errors) > row_errors or metric is None or period is None:
            continue
        identity = (metric.id, period.granularity.value, period.start)
        first = seen.setdefault(identity, index)
        if first != index:
            errors.append(
                RowError(index, "period", f"{key} for {period} is already in row {first}")
            )
            continue
        cleaned.append(CleanRow(metric.id, period.granularity.value, period.start, value, source))
    if errors:
        raise RowsInvalid(errors)
    return cleaned
