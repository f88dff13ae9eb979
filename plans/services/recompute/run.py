"""The recompute service: ``scorecards_recompute_many(client_ids=..., period=...)`` computes,
in one transaction and a fixed number of queries whatever the number of clients, KPIs and
months:

1. the requested month (default: the latest closed month in each client's time zone), and
2. every other month of the active plan, from its first month to the current one,

each only when the fingerprint of its inputs changed (or ``force``). Recomputes of one client
take turns (a PostgreSQL advisory lock; SQLite has one writer at a time anyway), and a crash
leaves the previous snapshots untouched.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from clients.models import DirtyMark
from clients.services.dirty_marks import dirty_marks_clear
from clients.services.webhooks import webhook_emit
from metrics.periods import Granularity, Period, latest_closed_month
from metrics.selectors import client_today
from plans.services.recompute.announce import results_announce, results_events
from plans.services.recompute.compute import compute_months
from plans.services.recompute.fingerprints import (
    month_fingerprints,
    months_to_consider,
    static_digest,
)
from plans.services.recompute.inputs import active_plans, catalogues, inputs_of, measurement_rows
from plans.services.recompute.store import results_write, snapshot_rows, stored_snapshots

RECOMPUTE_LOCK = 2  # first key of the advisory lock (metrics' ingest uses 1)


@dataclass(frozen=True)
class RecomputeResult:
    client_id: object
    plan_id: object | None
    requested: str | None
    computed: list[str] = field(default_factory=list)  # months recomputed, oldest first
    unchanged: int = 0  # months whose inputs had not changed

    def as_dict(self) -> dict:
        return {
            "plan": None if self.plan_id is None else str(self.plan_id),
            "requested": self.requested,
            "computed": self.computed,
            "unchanged": self.unchanged,
        }

    def __str__(self) -> str:
        if self.plan_id is None:
            return "no active plan"
        months = ", ".join(self.computed) or "none"
        return f"computed {len(self.computed)} month(s) ({months}), {self.unchanged} unchanged"


def _lock(client_ids: list) -> None:
    """Take the recompute lock of each client, always in the same order (no deadlocks between
    batches that share clients)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(id)) "
                "FROM (SELECT unnest(%s::text[]) AS id ORDER BY 1) AS ids",
                [RECOMPUTE_LOCK, sorted(str(client_id) for client_id in client_ids)],
            )
    # SQLite: one writer at a time, and embedded mode runs tasks in-process.


def scorecards_recompute(
    *, client_id, period: Period | None = None, force: bool = False, latest_only: bool = False
) -> RecomputeResult:
    """Recompute one client (see ``scorecards_recompute_many``)."""
    (result,) = scorecards_recompute_many(
        client_ids=[client_id], period=period, force=force, latest_only=latest_only
    )
    return result


def scorecards_recompute_many(
    *, client_ids, period: Period | None = None, force: bool = False, latest_only: bool = False
) -> list[RecomputeResult]:
    """Recompute clients together, in one transaction and the same fixed number of queries as
    one client. For each: the requested month (default: its latest closed month) and every
    other month of its active plan whose inputs changed — or, with ``latest_only`` (the nightly
    round, whose only news is the date), just the latest closed month and the month in
    progress. Months whose fingerprint is unchanged are skipped unless ``force``."""
    client_ids = list(dict.fromkeys(uuid.UUID(str(client_id)) for client_id in client_ids))
    with transaction.atomic():
        _lock(client_ids)
        computed_at = timezone.now()  # before any input is read: a later change makes it stale
        plans = {plan.client_id: plan for plan in active_plans(client_ids)}
        # The marks as they were before any input was read; only these are cleared at the end.
        marks = {client_id: plan.mark_read_at for client_id, plan in plans.items()}
        without_plan = [client_id for client_id in client_ids if client_id not in plans]
        if without_plan:  # nothing to compute for them, but their marks are done with too
            marks.update(
                DirtyMark.objects.filter(client_id__in=without_plan).values_list(
                    "client_id", "marked_at"
                )
            )
        by_consultancy = catalogues(plans.values())
        inputs = {
            client_id: inputs_of(plan, by_consultancy[plan.client.consultancy_id])
            for client_id, plan in plans.items()
        }
        rows = measurement_rows(inputs)
        stored = stored_snapshots(plans.values())
        results, snapshots, reports, cleared, announcements = [], [], [], [], []
        for client_id in client_ids:
            plan = plans.get(client_id)
            if plan is None:
                results.append(RecomputeResult(client_id, None, str(period) if period else None))
                cleared.append((client_id, marks.get(client_id)))  # nothing to compute
                continue
            today = client_today(plan.client)
            requested = period or latest_closed_month(today)
            months = months_to_consider(plan, today, requested, latest_only=latest_only)
            client_rows = rows.get(client_id, [])
            fingerprints = month_fingerprints(
                static=static_digest(inputs[client_id]),
                tolerance=plan.client.consultancy.status_tolerance,
                rows=client_rows,
                months=months,
                today=today,
            )
            before = stored.get(plan.pk, {})
            todo = [
                month
                for month in months
                if force or before.get(month.start, (None, None))[0] != fingerprints[month]
            ]
            if todo:
                computed = compute_months(
                    inputs=inputs[client_id],
                    rows=client_rows,
                    months=todo,
                    today=today,
                    tolerance=plan.client.consultancy.status_tolerance,
                )
                new_snapshots, new_reports = snapshot_rows(
                    plan=plan, computed=computed, fingerprints=fingerprints, computed_at=computed_at
                )
                snapshots += new_snapshots
                reports += new_reports
                announcements.append(
                    {
                        "plan": plan,
                        "cards": {result.month: result.scorecard for result in computed},
                        "newest": Period.containing(Granularity.MONTH, today),
                        "stored": before,
                        "fingerprints": fingerprints,
                    }
                )
            if not latest_only:  # all the plan's months are current: the mark is done with
                cleared.append((client_id, marks.get(client_id)))
            results.append(
                RecomputeResult(
                    client_id,
                    plan.pk,
                    str(requested),
                    [str(month) for month in todo],
                    len(months) - len(todo),
                )
            )
        results_write(snapshots, reports)
        dirty_marks_clear(marks=cleared)
        # The webhooks' outbox, in this transaction: a rollback sends nothing.
        webhook_emit(events=[e for a in announcements for e in results_events(**a)])
        for announcement in announcements:
            results_announce(**announcement)
    return results
