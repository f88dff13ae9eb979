"""Writes of the metrics app: measurements (set-based upsert with history) and metrics.

On PostgreSQL a batch is COPY'd into a temporary table and merged by one statement that
upserts, keeps history and counts; elsewhere (the embedded SQLite mode) a plain ORM fallback
does the same in a few queries. Both mark the client dirty and write one audit entry per batch,
inside the batch's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from clients.models import Client, Consultancy
from clients.principals import Principal
from clients.services import audit_record, clients_mark_dirty, snapshot
from metrics import formulas
from metrics.importing import read_file
from metrics.ingest import CleanRow, RowsInvalid, clean_rows
from metrics.models import Measurement, MeasurementHistory, Metric
from metrics.periods import Granularity, Period
from metrics.selectors import metric_refs_for_client, metrics_for_consultancy

MAX_BATCH_ROWS = 10_000
INGEST_LOCK = 1  # first key of the two-key advisory lock that serialises a client's batches
METRIC_FIELDS = ("key", "name", "name_ja", "unit", "direction", "aggregation", "formula")


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


# --- measurements -------------------------------------------------------------------------------


def measurements_upsert(
    *,
    client: Client,
    rows: Sequence,
    actor: Principal | None,
    default_source: str = "",
) -> UpsertResult:
    """Validate every row, then write all or nothing. Raises ``RowsInvalid`` naming bad rows."""
    cleaned = clean_rows(rows, metric_refs_for_client(client), default_source=default_source)
    with transaction.atomic():
        if not cleaned:
            return UpsertResult(0, 0, 0)
        batch = uuid.uuid4()
        if connection.vendor == "postgresql":
            created, updated = _upsert_postgresql(client, cleaned, actor, batch)
        else:
            created, updated = _upsert_portable(client, cleaned, actor, batch)
        result = UpsertResult(created, updated, len(cleaned) - created - updated)
        if created or updated:
            first = min(row.period_start for row in cleaned)
            last = max(_period_end(row) for row in cleaned)
            clients_mark_dirty(client_ids=[client.pk], dirty_from=first, dirty_to=last)
        audit_record(
            actor=actor,
            action="measurements.upserted",
            obj=client,
            consultancy=client.consultancy,
            client=client,
            after={"batch": str(batch), "rows": len(cleaned), **result.as_dict()},
        )
    return result


def _period_end(row: CleanRow) -> date:
    return Period(Granularity(row.granularity), row.period_start).end


def _actor_ids(actor: Principal | None) -> tuple:
    if actor is None:
        return None, None
    return (actor.user.pk if actor.user else None), (actor.api_key.pk if actor.api_key else None)


_MERGE_SQL = """
WITH prior AS (
    SELECT m.metric_id, m.granularity, m.period_start, m.value
    FROM metrics_measurement m
    JOIN incoming_measurement i USING (metric_id, granularity, period_start)
    WHERE m.client_id = %(client)s
),
written AS (
    INSERT INTO metrics_measurement AS m (
        client_id, metric_id, granularity, period_start, value, source,
        recorded_by_user_id, recorded_by_key_id, recorded_at, updated_at)
    SELECT %(client)s, metric_id, granularity, period_start, value, source,
           %(user)s, %(key)s, %(now)s, %(now)s
    FROM incoming_measurement
    ON CONFLICT (client_id, metric_id, granularity, period_start) DO UPDATE SET
        value = excluded.value,
        source = excluded.source,
        recorded_by_user_id = excluded.recorded_by_user_id,
        recorded_by_key_id = excluded.recorded_by_key_id,
        updated_at = excluded.updated_at
    WHERE m.value IS DISTINCT FROM excluded.value
    RETURNING m.metric_id, m.granularity, m.period_start, m.value, m.source
),
history AS (
    INSERT INTO metrics_measurementhistory (
        client_id, metric_id, granularity, period_start, old_value, new_value, source,
        changed_by_user_id, changed_by_key_id, changed_at, batch)
    SELECT %(client)s, w.metric_id, w.granularity, w.period_start, p.value, w.value, w.source,
           %(user)s, %(key)s, %(now)s, %(batch)s
    FROM written w
    LEFT JOIN prior p USING (metric_id, granularity, period_start)
)
SELECT count(*) FILTER (WHERE p.value IS NULL), count(*) FILTER (WHERE p.value IS NOT NULL)
FROM written w
LEFT JOIN prior p USING (metric_id, granularity, period_start)
"""


def _upsert_postgresql(client, rows: list[CleanRow], actor, batch) -> tuple[int, int]:
    user_id, key_id = _actor_ids(actor)
    with connection.cursor() as cursor:
        # Batches of one client take turns (until commit): the merge below reads the old values
        # for the history in its snapshot, which must include a concurrent batch's commit.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [INGEST_LOCK, str(client.pk)]
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS incoming_measurement ("
            " metric_id integer, granularity varchar(7), period_start date,"
            " value numeric(20, 6), source varchar(100)) ON COMMIT DELETE ROWS"
        )
        # The temporary table outlives one transaction on a kept connection; start empty.
        cursor.execute("TRUNCATE incoming_measurement")
        with cursor.copy(
            "COPY incoming_measurement (metric_id, granularity, period_start, value, source)"
            " FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(
                    (row.metric_id, row.granularity, row.period_start, row.value, row.source)
                )
        cursor.execute(
            _MERGE_SQL,
            {
                "client": client.pk,
                "user": user_id,
                "key": key_id,
                "now": timezone.now(),
                "batch": batch,
            },
        )
        created, updated = cursor.fetchone()
    return created, updated


def _upsert_portable(client, rows: list[CleanRow], actor, batch) -> tuple[int, int]:
    """The same merge with the ORM, for databases without COPY (SQLite in the embedded mode)."""
    user_id, key_id = _actor_ids(actor)
    now = timezone.now()
    metric_ids = {row.metric_id for row in rows}
    existing = {
        (m.metric_id, m.granularity, m.period_start): m
        for m in Measurement.objects.filter(client=client, metric_id__in=metric_ids).only(
            "id", "metric_id", "granularity", "period_start", "value"
        )
    }
    new, changed, history = [], [], []
    for row in rows:
        current = existing.get((row.metric_id, row.granularity, row.period_start))
        if current is not None and current.value == row.value:
            continue
        history.append(
            MeasurementHistory(
                client=client,
                metric_id=row.metric_id,
                granularity=row.granularity,
                period_start=row.period_start,
                old_value=current.value if current else None,
                new_value=row.value,
                source=row.source,
                changed_by_user_id=user_id,
                changed_by_key_id=key_id,
                changed_at=now,
                batch=batch,
            )
        )
        if current is None:
            new.append(
                Measurement(
                    client=client,
                    metric_id=row.metric_id,
                    granularity=row.granularity,
                    period_start=row.period_start,
                    value=row.value,
                    source=row.source,
                    recorded_by_user_id=user_id,
                    recorded_by_key_id=key_id,
                    recorded_at=now,
                    updated_at=now,
                )
            )
        else:
            current.value, current.source, current.updated_at = row.value, row.source, now
            current.recorded_by_user_id, current.recorded_by_key_id = user_id, key_id
            changed.append(current)
    Measurement.objects.bulk_create(new, batch_size=1000)
    Measurement.objects.bulk_update(
        changed,
        ["value", "source", "updated_at", "recorded_by_user_id", "recorded_by_key_id"],
        batch_size=1000,
    )
    MeasurementHistory.objects.bulk_create(history, batch_size=1000)
    return len(new), len(changed)


# --- metrics ------------------------------------------------------------------------------------


def _metric_validate(metric: Metric) -> None:
    """Key free and not a built-in's; formula parses, names known metrics, makes no cycle."""
    metric.full_clean(validate_constraints=False)
    others = metrics_for_consultancy(metric.consultancy).exclude(pk=metric.pk)
    if metric.consultancy_id and others.filter(key=metric.key).exists():
        builtin = others.filter(key=metric.key, consultancy__isnull=True).exists()
        reason = "is a built-in metric" if builtin else "is already a metric of the consultancy"
        raise ValidationError({"key": f"{metric.key!r} {reason}."})
    if not metric.formula:
        return
    try:
        parsed = formulas.parse(metric.formula)
        formulas.check_keys(parsed, {m.key for m in others})
    except formulas.FormulaError as exc:
        raise ValidationError({"formula": str(exc)}) from exc
    graph = {m.key: formulas.parse(m.formula).keys for m in others if m.formula}
    graph[metric.key] = parsed.keys
    cycle = formulas.find_cycle(graph)
    if cycle:
        raise ValidationError({"formula": f"Formulas go round in a cycle: {' → '.join(cycle)}."})


@transaction.atomic
def metric_create(*, consultancy: Consultancy, actor: Principal | None, **fields) -> Metric:
    metric = Metric(consultancy=consultancy, **fields)
    _metric_validate(metric)
    metric.save()
    audit_record(
        actor=actor,
        action="metric.created",
        obj=metric,
        consultancy=consultancy,
        after=snapshot(metric, METRIC_FIELDS),
    )
    return metric


@transaction.atomic
def metric_update(*, metric: Metric, actor: Principal | None, **fields) -> Metric:
    """Edit a consultancy's metric; every client of the consultancy becomes stale."""
    if metric.is_builtin:
        raise ValidationError("Built-in metrics cannot be edited; add a metric of your own.")
    if "key" in fields and fields["key"] != metric.key:
        if metric.measurements.exists():
            raise ValidationError({"key": "The key of a metric with measurements cannot change."})
        naming = [
            other.key
            for other in metrics_for_consultancy(metric.consultancy).exclude(formula="")
            if metric.key in formulas.parse(other.formula).keys
        ]
        if naming:
            raise ValidationError(
                {"key": f"Formulas of {', '.join(sorted(naming))} name {metric.key!r}."}
            )
    before = snapshot(metric, METRIC_FIELDS)
    for name, value in fields.items():
        setattr(metric, name, value)
    _metric_validate(metric)
    after = snapshot(metric, METRIC_FIELDS)
    if after == before:
        return metric
    metric.save()
    clients_mark_dirty(client_ids=list(metric.consultancy.clients.values_list("pk", flat=True)))
    audit_record(
        actor=actor,
        action="metric.updated",
        obj=metric,
        consultancy=metric.consultancy,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return metric


# --- import -------------------------------------------------------------------------------------


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
