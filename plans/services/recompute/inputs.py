"""Loading what a recompute reads: the clients' active plans as the pure arithmetic takes them,
the metric catalogues, and the measurements. A fixed number of queries whatever the number of
clients, KPIs and months."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, Subquery

from clients.models import DirtyMark
from metrics import formulas
from metrics.models import Measurement, Metric
from metrics.periods import Granularity, Period
from metrics.rollup import MetricDef
from metrics.selectors import metrics_for_client
from plans.arithmetic import bottlenecks, scorecard
from plans.models import Funnel, KpiNode, Milestone, Plan

HIGHER = "higher_is_better"
GRANULARITIES = {granularity.value: granularity for granularity in Granularity}


@dataclass(frozen=True)
class FunnelSpec:
    key: str
    name: str
    stages: tuple[tuple[str, str, Decimal | None], ...]  # (name, metric key, target)


@dataclass(frozen=True)
class Inputs:
    """Everything but the measurements, as the pure modules take it."""

    plan: scorecard.PlanSpec
    tree: tuple[bottlenecks.TreeNode, ...]
    funnels: tuple[FunnelSpec, ...]
    metrics: dict[str, MetricDef]
    definitions: tuple  # what of the metrics the results depend on, for the fingerprint
    metric_ids: dict[str, int]  # key -> Metric id, of the metrics in ``metrics``


def _needed(keys: Iterable[str], by_key: dict[str, Metric]) -> set[str]:
    """The keys and, through formulas, everything they are computed from."""
    needed, todo = set(), list(keys)
    while todo:
        key = todo.pop()
        if key in needed or key not in by_key:
            continue
        needed.add(key)
        if by_key[key].formula:
            todo.extend(formulas.parse(by_key[key].formula).keys)
    return needed


def inputs_of(plan: Plan, catalogue: list[Metric]) -> Inputs:
    """A plan loaded by ``active_plans``, with its consultancy's catalogue, as ``Inputs``."""
    by_id = {metric.pk: metric for metric in catalogue}
    by_key = {metric.key: metric for metric in catalogue}
    kpis = list(plan.kpis.all())
    key_of_node = {kpi.pk: kpi.key for kpi in kpis}
    nodes, tree = [], []
    for kpi in kpis:
        metric = by_id[kpi.metric_id]
        own_formula = formulas.parse(kpi.formula) if kpi.formula else None
        nodes.append(
            scorecard.Node(
                key=kpi.key,
                metric=metric.key,
                parent=key_of_node.get(kpi.parent_id),
                weight=kpi.weight,
                baseline_period=Period.parse(kpi.baseline_period),
                baseline_value=kpi.baseline_value,
                must=kpi.must,
                stretch=kpi.stretch,
                target_period=Period.parse(kpi.target_period),
                interpolation=kpi.interpolation,
                higher_is_better=metric.direction == HIGHER,
            )
        )
        tree.append(
            bottlenecks.TreeNode(
                key=kpi.key,
                metric=metric.key,
                parent=key_of_node.get(kpi.parent_id),
                higher_is_better=metric.direction == HIGHER,
                formula=own_formula,
                metric_formula=formulas.parse(metric.formula) if metric.formula else None,
            )
        )
    milestones = tuple(
        scorecard.Milestone(
            key=milestone.key,
            name=milestone.name,
            due=milestone.due,
            kind=milestone.kind,
            achieved_on=milestone.achieved_on,
            conditions=tuple(
                scorecard.Condition(
                    by_id[condition.metric_id].key,
                    condition.op,
                    condition.value,
                    condition.cumulative,
                )
                for condition in milestone.conditions.all()
            ),
        )
        for milestone in plan.milestones.all()
    )
    funnels = tuple(
        FunnelSpec(
            funnel.key,
            funnel.name,
            tuple(
                (stage.name, by_id[stage.metric_id].key, stage.target_conversion)
                for stage in funnel.stages.all()
            ),
        )
        for funnel in plan.funnels.all()
    )
    used = {node.metric for node in nodes}
    used |= {c.metric for milestone in milestones for c in milestone.conditions}
    used |= {metric for funnel in funnels for _name, metric, _target in funnel.stages}
    needed = _needed(used, by_key)
    metrics = {
        key: MetricDef(
            key,
            by_key[key].aggregation,
            formulas.parse(by_key[key].formula) if by_key[key].formula else None,
        )
        for key in sorted(needed)
    }
    definitions = tuple(
        (key, by_key[key].aggregation, by_key[key].formula, by_key[key].direction)
        for key in sorted(needed)
    )
    spec = scorecard.PlanSpec(plan.starts_on, plan.ends_on, tuple(nodes), milestones)
    ids = {key: by_key[key].pk for key in needed}
    return Inputs(spec, tuple(tree), funnels, metrics, definitions, ids)


def active_plans(client_ids) -> list[Plan]:
    """The clients' active plans with all the arithmetic needs, and each client's dirty mark as
    read in the same statement (``mark_read_at``)."""
    mark = DirtyMark.objects.filter(client_id=OuterRef("client_id")).values("marked_at")[:1]
    return list(
        Plan.objects.filter(client_id__in=client_ids, status=Plan.Status.ACTIVE)
        .select_related("client__consultancy")
        .annotate(mark_read_at=Subquery(mark))
        .prefetch_related(
            Prefetch("kpis", KpiNode.objects.order_by("position")),
            Prefetch("milestones", Milestone.objects.prefetch_related("conditions")),
            Prefetch("funnels", Funnel.objects.prefetch_related("stages")),
        )
    )


def active_plan_inputs(*, client_id) -> Inputs | None:
    """The client's active plan as the arithmetic takes it (None without one)."""
    found = active_plans([client_id])
    if not found:
        return None
    return inputs_of(found[0], list(metrics_for_client(found[0].client)))


def catalogues(plans) -> dict:
    """consultancy id -> the metrics its clients' plans may use (built-in and its own)."""
    consultancies = {plan.client.consultancy_id for plan in plans}
    if not consultancies:
        return {}
    metrics = list(
        Metric.objects.filter(Q(consultancy__isnull=True) | Q(consultancy_id__in=consultancies))
    )
    built_in = [metric for metric in metrics if metric.consultancy_id is None]
    return {
        consultancy: built_in + [m for m in metrics if m.consultancy_id == consultancy]
        for consultancy in consultancies
    }


def measurement_rows(inputs: dict) -> dict[object, list[tuple]]:
    """client id -> its rows (metric id, granularity, period start, value) of the metrics its
    plan uses (``inputs``: client id -> ``Inputs``), oldest period first. One query."""
    metric_ids = {pk for each in inputs.values() for pk in each.metric_ids.values()}
    rows: dict[object, list[tuple]] = {}
    if not inputs:
        return rows
    found = (
        Measurement.objects.filter(client_id__in=list(inputs), metric_id__in=metric_ids)
        .order_by("client_id", "period_start", "metric_id", "granularity")
        .values_list("client_id", "metric_id", "granularity", "period_start", "value")
    )
    if connection.vendor == "postgresql":
        # The same query without the ORM's per-value converters: psycopg already returns
        # UUID, date and Decimal, and this is the largest read of a recompute.
        sql, params = found.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
    wanted = {cid: frozenset(each.metric_ids.values()) for cid, each in inputs.items()}
    for client_id, group in itertools.groupby(found, key=operator.itemgetter(0)):
        own = wanted[client_id]
        # Other clients' plans may use metrics this one's does not: keep only its own.
        rows[client_id] = [row[1:] for row in group if row[1] in own]
    return rows


def measured_values(inputs: Inputs, rows) -> dict[str, dict[Period, Decimal]]:
    """A client's ``measurement_rows`` as a roll-up takes them: metric key -> {period: value}."""
    key_of = {pk: key for key, pk in inputs.metric_ids.items()}
    measured: dict[str, dict[Period, Decimal]] = {}
    for metric_id, granularity, start, value in rows:
        # Stored periods were checked when written: build them without checking again.
        period = Period.aligned(GRANULARITIES[granularity], start)
        measured.setdefault(key_of[metric_id], {})[period] = value
    return measured
