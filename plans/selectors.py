"""Reads of the plans app, each starting from a client the caller may see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from clients.models import Client
from metrics import formulas
from metrics.selectors import metrics_for_client
from plans.document import MetricInfo
from plans.models import FunnelStage, KpiNode, MilestoneCondition, Plan


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
