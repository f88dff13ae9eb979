"""Dirty marks: a client's computed results are stale. A write that changes a client's inputs
marks it in the same transaction; the dispatcher (beat, every 30 s) turns marks into one job per
client, of the kind the app that computes the results named (``dirty_marks_handled_by``), so a
burst of writes is one recompute and a broker outage loses nothing."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from clients.models import Client, DirtyMark, Job
from clients.services.jobs import job_create

REDISPATCH_AFTER = timedelta(hours=1)  # a mark still there this long after dispatch: again
_handler = {"kind": None}  # the job kind that brings a dirty client's results up to date

_MARK_SQL = """
INSERT INTO clients_dirtymark (client_id, marked_at, dirty_from, dirty_to)
VALUES (%s, %s, %s, %s)
ON CONFLICT (client_id) DO UPDATE SET
    marked_at = excluded.marked_at,
    dirty_from = CASE
        WHEN clients_dirtymark.dirty_from IS NULL OR excluded.dirty_from IS NULL THEN NULL
        ELSE {least}(clients_dirtymark.dirty_from, excluded.dirty_from) END,
    dirty_to = CASE
        WHEN clients_dirtymark.dirty_to IS NULL OR excluded.dirty_to IS NULL THEN NULL
        ELSE {greatest}(clients_dirtymark.dirty_to, excluded.dirty_to) END
"""


def dirty_marks_handled_by(kind: str) -> None:
    """Name the kind of job the dispatcher makes of a dirty mark (the app that computes the
    results calls this from its ``ready``)."""
    _handler["kind"] = kind


def clients_mark_dirty(*, client_ids, dirty_from=None, dirty_to=None) -> None:
    """Mark the clients' computed results stale, widening any outstanding mark. Call it inside
    the transaction of the change, so the mark exists exactly when the change does. No dates
    mean everything may have changed (e.g. a metric definition)."""
    vendor_functions = {"postgresql": ("LEAST", "GREATEST"), "sqlite": ("MIN", "MAX")}
    least, greatest = vendor_functions[connection.vendor]
    now = timezone.now()
    to_db = Client._meta.pk.get_db_prep_value  # UUIDs are text on SQLite
    with connection.cursor() as cursor:
        cursor.executemany(
            _MARK_SQL.format(least=least, greatest=greatest),
            [(to_db(client_id, connection), now, dirty_from, dirty_to) for client_id in client_ids],
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker, no beat (embedded mode): dispatch once the change commits.
        transaction.on_commit(dirty_marks_dispatch)


def dirty_marks_dispatch(*, limit: int = 1000) -> int:
    """Turn dirty marks into jobs, one per client. Marks written in a burst are one row per
    client, so the burst is one job; a client whose job is still queued gets none (the queued
    job will read the newest inputs). Marks stay until a recompute that started after them
    succeeds, so a broker outage loses nothing."""
    kind = _handler["kind"]
    if kind is None:
        raise LookupError("No kind of job is registered to handle dirty marks.")
    now = timezone.now()
    with transaction.atomic():
        marks = list(
            DirtyMark.objects.select_for_update(skip_locked=True)
            .filter(
                Q(dispatched_at__isnull=True)
                | Q(dispatched_at__lt=F("marked_at"))
                | Q(dispatched_at__lt=now - REDISPATCH_AFTER)  # its recompute failed: try again
            )
            .select_related("client")
            .order_by("marked_at")[:limit]
        )
        if not marks:
            return 0
        waiting = set(
            Job.objects.filter(
                kind=kind,
                status=Job.Status.QUEUED,
                client_id__in=[mark.client_id for mark in marks],
            ).values_list("client_id", flat=True)
        )
        for mark in marks:
            if mark.client_id not in waiting:
                job_create(kind=kind, client=mark.client, params={"reason": "dirty"})
        DirtyMark.objects.filter(pk__in=[mark.pk for mark in marks]).update(dispatched_at=now)
    return len(marks)


def dirty_marks_clear(*, marks) -> None:
    """A recompute succeeded that read these clients' marks before its inputs: ``marks`` is
    (client id, marked_at as read; None for no mark) pairs. A mark goes only if it is still the
    one read: a change during the recompute re-stamped it (its writer holds the row until it
    commits), so it stays for the next round. One query."""
    condition = Q()
    for client_id, marked_at in marks:
        if marked_at is not None:
            condition |= Q(client_id=client_id, marked_at=marked_at)
    if condition:
        DirtyMark.objects.filter(condition).delete()
