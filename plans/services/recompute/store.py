"""The stored results: what is there (fingerprints and milestone statuses) and writing the
months just computed, replacing their previous snapshots and reports."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from metrics.periods import Period
from plans.models import BottleneckReport, Plan, ScorecardSnapshot
from plans.services.recompute.compute import ComputedMonth

SNAPSHOT_FIELDS = [
    "as_of",
    "fingerprint",
    "computed_at",
    "score",
    "health",
    "off_track",
    "at_risk",
    "bottleneck",
    "next_milestone",
    "milestone_statuses",
    "payload",
]


def stored_snapshots(plans) -> dict:
    """plan id -> {month start: (fingerprint, milestone statuses)} of the stored snapshots."""
    stored: dict = {}
    found = ScorecardSnapshot.objects.filter(plan__in=[plan.pk for plan in plans]).values_list(
        "plan_id", "period_start", "fingerprint", "milestone_statuses"
    )
    for plan_id, start, fingerprint, statuses in found:
        stored.setdefault(plan_id, {})[start] = (fingerprint, statuses)
    return stored


def next_milestone(card: dict) -> dict | None:
    """The open milestone due first, as the portfolio shows it."""
    open_ones = [m for m in card["milestones"] if m["status"] not in ("achieved", "missed")]
    if not open_ones:
        return None
    upcoming = min(open_ones, key=lambda m: m["due"])
    return {key: upcoming[key] for key in ("key", "name", "due", "status")}


def snapshot_rows(
    *,
    plan: Plan,
    computed: list[ComputedMonth],
    fingerprints: dict[Period, str],
    computed_at: datetime,
) -> tuple[list[ScorecardSnapshot], list[BottleneckReport]]:
    """The unsaved rows of the computed months: one snapshot each, and their reports."""
    snapshots, reports = [], []
    for result in computed:
        card = result.scorecard
        statuses = [line["status"] for line in card["lines"]]
        snapshots.append(
            ScorecardSnapshot(
                client_id=plan.client_id,
                plan=plan,
                period_start=result.month.start,
                as_of=result.as_of,
                fingerprint=fingerprints[result.month],
                computed_at=computed_at,
                score=card["score"],
                health=card["health"],
                off_track=statuses.count("off_track"),
                at_risk=statuses.count("at_risk"),
                bottleneck=result.reports[0]["bottleneck"] or "",
                next_milestone=next_milestone(card),
                milestone_statuses={m["key"]: m["status"] for m in card["milestones"]},
                payload=card,
            )
        )
        reports += [
            BottleneckReport(
                client_id=plan.client_id,
                plan=plan,
                period_start=result.month.start,
                funnel_key=report["funnel"] or "",
                position=position,
                fingerprint=fingerprints[result.month],
                computed_at=computed_at,
                payload=report,
            )
            for position, report in enumerate(result.reports)
        ]
    return snapshots, reports


def results_write(snapshots: list[ScorecardSnapshot], reports: list[BottleneckReport]) -> None:
    """Upsert the snapshots and replace their months' reports: three queries for any batch."""
    if not snapshots:
        return
    ScorecardSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["plan", "period_start"],
        update_fields=SNAPSHOT_FIELDS,
    )
    replaced = Q()
    for snapshot in snapshots:
        replaced |= Q(plan_id=snapshot.plan_id, period_start=snapshot.period_start)
    BottleneckReport.objects.filter(replaced).delete()
    BottleneckReport.objects.bulk_create(reports)
