"""Writes of the metrics app, one module per concern: ``measurements`` (the set-based upsert
with history, and the API's batch), ``catalogue`` (the consultancy's own metrics), ``imports``
(CSV and XLSX files)."""

from metrics.services.catalogue import METRIC_FIELDS, metric_create, metric_update
from metrics.services.imports import ImportRejected, LineError, measurements_import
from metrics.services.measurements import (
    MAX_BATCH_ROWS,
    BatchTooLarge,
    UpsertResult,
    measurements_bulk_upsert,
    measurements_upsert,
)

__all__ = [
    "MAX_BATCH_ROWS",
    "METRIC_FIELDS",
    "BatchTooLarge",
    "ImportRejected",
    "LineError",
    "UpsertResult",
    "measurements_bulk_upsert",
    "measurements_import",
    "measurements_upsert",
    "metric_create",
    "metric_update",
]
