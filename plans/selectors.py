"""Reads of the plans app, each starting from a client the caller may see."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from clients.models import Client, DirtyMark
from clients.selectors import clients_visible_to
from metrics import formulas
from metrics.models import Metric
from metrics.periods import Period
from metrics.selectors import metrics_for_client
from plans.document import MetricInfo
from plans.models import (
    BottleneckReport,
    FunnelStage,
    KpiNode,
    MilestoneCondition,
    Plan,
    ScorecardSnapshot,
)


def plans_for_client(*, client: Client) -> QuerySet[Plan]:
    return Plan.objects.filter(client=client).order_by("-starts_on", "name")


def plan_with_document(*, client: Client) -> QuerySet[Plan]:
    """Plans with everything their document needs, in a fixed number of queries."""
    return plans_for_client(client=client).prefetch_related(
        Prefetch("kpis", KpiNode.objects.select_related("metric", "parent")),
        Prefetch("milestones__conditions", MilestoneCondition.objects.select_related("metric")),
        Prefetch("funnels__stages", FunnelStage.objects.select_related("metric")),
    )


def plan_catalogue(*, client: Client) -> dict[str, MetricInfo]:
    """The metrics a plan of this client may name, as the document checker needs them."""
    return {
        metric.key: MetricInfo(
            unit=metric.unit,
            direction=metric.direction,
            aggregation=metric.aggregation,
            formula_keys=formulas.parse(metric.formula).keys if metric.formula else frozenset(),
        )
        for metric in metrics_for_client(client)
    }


def plan_document(plan: Plan) -> dict:
    """The plan as the API's document: the same shape that was posted, plus ids."""
    return {
        "id": plan.id,
        "name": plan.name,
        "vision": plan.vision,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "status": plan.status,
        "kpis": [
            {
                "id": kpi.id,
                "key": kpi.key,
                "metric": kpi.metric.key,
                "parent": kpi.parent.key if kpi.parent else None,
                "weight": kpi.weight,
                "baseline": {"period": kpi.baseline_period, "value": kpi.baseline_value},
                "must": kpi.must,
                "stretch": kpi.stretch,
                "target_period": kpi.target_period,
                "granularity": kpi.granularity,
                "interpolation": kpi.interpolation,
                "formula": kpi.formula,
            }
            for kpi in plan.kpis.all()
        ],
        "milestones": [
            {
                "id": milestone.id,
                "key": milestone.key,
                "name": milestone.name,
                "due": milestone.due,
                "kind": milestone.kind,
                "achieved_on": milestone.achieved_on,
                "conditions": [
                    {
                        "metric": condition.metric.key,
                        "op": condition.op,
                        "value": condition.value,
                        "cumulative": condition.cumulative,
                    }
                    for condition in milestone.conditions.all()
                ],
            }
            for milestone in plan.milestones.all()
        ],
        "funnels": [
            {
                "id": funnel.id,
                "key": funnel.key,
                "name": funnel.name,
                "stages": [
                    {
                        "name": stage.name,
                        "metric": stage.metric.key,
                        "target_conversion": stage.target_conversion,
                    }
                    for stage in funnel.stages.all()
                ],
            }
            for funnel in plan.funnels.all()
        ],
    }


@dataclass(frozen=True)
class KpiRow:
    kpi: KpiNode
    depth: int  # 0 for a KGI


def kpi_rows(plan: Plan) -> list[KpiRow]:
    """The plan's KPIs as a tree, each parent before its children (``plan_with_document``'s
    prefetched KPIs: no query)."""
    kpis = list(plan.kpis.all())
    children: dict = {}
    for kpi in kpis:
        children.setdefault(kpi.parent_id, []).append(kpi)
    rows, known = [], {kpi.pk for kpi in kpis}

    def walk(kpi, depth):
        rows.append(KpiRow(kpi, depth))
        for child in children.get(kpi.pk, []):
            walk(child, depth + 1)

    for root in [kpi for kpi in kpis if kpi.parent_id is None or kpi.parent_id not in known]:
        walk(root, 0)
    return rows


def document_version(document: dict) -> str:
    """A fingerprint of a stored document (``plan_document``): an edit carries the version it
    started from, so a save over someone else's newer one is refused (``PlanChanged``)."""
    text = json.dumps(document_as_input(document), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def document_as_input(document: dict, *, number: Callable[[Decimal], object] | None = None) -> dict:
    """A stored document (``plan_document``) as input again: ids dropped, dates as ISO text,
    decimals as they are or through ``number`` (e.g. to make them JSON-friendly)."""

    def clean(value):
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items() if key != "id"}
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, date):
            return value.isoformat()
        if number is not None and isinstance(value, Decimal):
            return number(value)
        return value

    return clean(document)


# --- computed results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardRow:
    """A stored scorecard's line with what a page needs to show it: its metric (name, unit)
    and its depth in the KPI tree."""

    line: dict
    metric: Metric | None
    depth: int


@dataclass(frozen=True)
class MilestoneRow:
    milestone: dict
    conditions: list[tuple[dict, Metric | None]]  # (condition, its metric)


def scorecard_rows(snapshot: ScorecardSnapshot) -> tuple[list[ScorecardRow], list[MilestoneRow]]:
    """The snapshot's lines (tree order, each with its depth) and milestones, with their
    metrics. One query (the client's catalogue), whatever the number of lines."""
    metrics = {metric.key: metric for metric in metrics_for_client(snapshot.client)}
    lines = snapshot.payload["lines"]
    parents = {line["kpi"]: line["parent"] for line in lines}

    def depth(key: str) -> int:
        steps, seen = 0, set()
        while parents.get(key) and key not in seen:
            seen.add(key)
            key, steps = parents[key], steps + 1
        return steps

    rows = [ScorecardRow(line, metrics.get(line["metric"]), depth(line["kpi"])) for line in lines]
    milestones = []
    for milestone in snapshot.payload["milestones"]:
        conditions = [(c, metrics.get(c["metric"])) for c in milestone["conditions"]]
        milestones.append(MilestoneRow(milestone, conditions))
    return rows, milestones


def clients_with_active_plan() -> QuerySet[Client]:
    """Every client with an active plan, for the nightly recompute (operator scope, not a
    caller's: only tasks use it)."""
    return Client.objects.filter(plans__status=Plan.Status.ACTIVE).order_by("pk")


def _stale():
    newer_mark = DirtyMark.objects.filter(
        client_id=OuterRef("client_id"), marked_at__gt=OuterRef("computed_at")
    )
    return Exists(newer_mark)


def scorecard_for(*, client: Client, period: Period) -> ScorecardSnapshot | None:
    """The stored scorecard of the client's active plan for the month, with ``stale``."""
    return (
        ScorecardSnapshot.objects.filter(
            client=client, plan__status=Plan.Status.ACTIVE, period_start=period.start
        )
        .annotate(stale=_stale())
        .first()
    )


def bottleneck_report_for(
    *, client: Client, period: Period, funnel: str | None
) -> BottleneckReport | None:
    """A stored report of the active plan for the month: the funnel with that key, else the
    plan's first funnel (or its funnel-less report)."""
    reports = BottleneckReport.objects.filter(
        client=client, plan__status=Plan.Status.ACTIVE, period_start=period.start
    ).annotate(stale=_stale())
    if funnel:
        reports = reports.filter(funnel_key=funnel)
    return reports.order_by("position").first()


HEALTH_ORDER = {"red": 0, "amber": 1, "green": 2}


def portfolio_for(principal) -> QuerySet[Client]:
    """One row per client the principal may see, riskiest first (API.md, "portfolio"), from the
    scorecard of each client's active plan for the latest closed month it has (the month in
    progress would make every flow look short early in the month). One query, whatever the
    number of clients."""
    latest = ScorecardSnapshot.objects.filter(
        client_id=OuterRef("pk"),
        plan__status=Plan.Status.ACTIVE,
        period_start__lt=timezone.now().date().replace(day=1),
    ).order_by("-period_start")
    health_rank = Case(
        *(When(health=health, then=Value(rank)) for health, rank in HEALTH_ORDER.items()),
        default=Value(len(HEALTH_ORDER)),
        output_field=IntegerField(),
    )
    return (
        clients_visible_to(principal)
        .annotate(
            score=Subquery(latest.values("score")[:1]),
            health=Subquery(latest.values("health")[:1]),
            off_track=Subquery(latest.values("off_track")[:1]),
            at_risk=Subquery(latest.values("at_risk")[:1]),
            bottleneck=Subquery(latest.values("bottleneck")[:1]),
            next_milestone=Subquery(latest.values("next_milestone")[:1]),
            scorecard_period=Subquery(latest.values("period_start")[:1]),
        )
        .annotate(health_rank=health_rank)
        .order_by(
            "health_rank",
            F("score").asc(nulls_last=True),
            F("off_track").desc(nulls_last=True),
            "name",
            "pk",
        )
    )
