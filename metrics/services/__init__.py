"""Writes of the metrics app, one module per concern: ``measurements`` (the set-based upsert
with history, and the API's batch), ``catalogue`` (the consultancy's own metrics), ``imports``
(CSV and XLSX files)."""

from metrics.services.catalogue import METRIC_FIELDS, metric_create, metric_update
from metrics.services.imports import (
    ImportPreview,
    ImportRejected,
    LineError,
    measurements_import,
    measurements_import_preview,
)
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
    "ImportPreview",
    "ImportRejected",
    "LineError",
    "UpsertResult",
    "measurements_bulk_upsert",
    "measurements_import",
    "measurements_import_preview",
    "measurements_upsert",
    "metric_create",
    "metric_update",
]
