"""Measurements: a batch upserted all or nothing, with its history, in a set-based statement.

On PostgreSQL a batch is COPY'd into a temporary table and merged by one statement that
upserts, keeps history and counts; elsewhere (the embedded SQLite mode) a plain ORM fallback
does the same in a few queries. Both mark the client dirty and write one audit entry per batch,
inside the batch's transaction. ``measurements_bulk_upsert`` is the API's batch: at most
10,000 rows, and safe to retry with an idempotency key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from clients.models import Client
from clients.principals import Principal
from clients.services.audit import audit_record
from clients.services.dirty_marks import clients_mark_dirty
from clients.services.idempotency import Answer, idempotent_call
from metrics.ingest import CleanRow, clean_rows
from metrics.models import Measurement, MeasurementHistory
from metrics.periods import Granularity, Period
from metrics.selectors import metric_refs_for_client

MAX_BATCH_ROWS = 10_000
INGEST_LOCK = 1  # first key of the two-key advisory lock that serialises a client's batches


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
            Client.objects.filter(pk=client.pk).update(last_measurement_at=timezone.now())
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


class BatchTooLarge(Exception):
    """More rows in one request than ``MAX_BATCH_ROWS``."""

    def __init__(self, count: int):
        super().__init__(f"{count:,} rows: send at most {MAX_BATCH_ROWS:,} a request.")
        self.count = count


def measurements_bulk_upsert(
    *,
    client: Client,
    rows: Sequence,
    actor: Principal,
    idempotency_key: str = "",
    request_hash: str = "",
) -> Answer:
    """The API's batch: ``measurements_upsert`` of at most ``MAX_BATCH_ROWS`` rows, made once
    per ``idempotency_key`` (a retry with the same key and request gets the first response; the
    key is claimed in the batch's transaction, so a refused batch does not use it up). Returns
    (HTTP status, body, replayed). Raises ``BatchTooLarge``, ``RowsInvalid`` or
    ``IdempotencyMismatch``."""
    if len(rows) > MAX_BATCH_ROWS:
        raise BatchTooLarge(len(rows))
    return idempotent_call(
        principal=actor,
        key=idempotency_key,
        request_hash=request_hash,
        call=lambda: (200, measurements_upsert(client=client, rows=rows, actor=actor).as_dict()),
    )
