"""The data checks on a client's own plan and measurements, as findings: alone (the API's
``checks/``) or with a run's scoring."""

from __future__ import annotations

from decimal import Decimal

from clients.models import Client
from diagnostics import checks
from metrics.periods import Granularity, Period
from metrics.rollup import Rollup
from metrics.selectors import client_today
from plans.arithmetic.bottlenecks import formula_over_children
from plans.arithmetic.scorecard import children_of
from plans.models import Plan, ScorecardSnapshot
from plans.services.recompute.inputs import (
    active_plan_inputs,
    measured_values,
    measurement_rows,
)


def client_findings(*, client: Client) -> list[dict]:
    """The data checks alone, for the active plan and the data as of today."""
    return checks.data_checks(check_inputs(client=client))


def check_inputs(*, client: Client) -> checks.CheckInputs:
    today = client_today(client)
    inputs = active_plan_inputs(client_id=client.pk)
    if inputs is None:
        return checks.CheckInputs(
            today, (), {}, (), (), lambda _metric, _period: None, has_plan=False
        )
    rows = measurement_rows({client.pk: inputs}).get(client.pk, [])
    rollup = Rollup(inputs.metrics, measured_values(inputs, rows), today)

    def value(metric: str, period: Period) -> Decimal | None:
        found = rollup.value(metric, period)
        return None if found is None else found.value

    children = children_of(inputs.tree)
    formulas = {}
    for node in inputs.tree:
        found = formula_over_children(node, children.get(node.key, []))
        if found is not None:
            formulas[node.key] = found
    return checks.CheckInputs(
        today=today,
        nodes=inputs.plan.nodes,
        formulas=formulas,
        milestones=inputs.plan.milestones,
        funnels=[checks.FunnelView(f.key, f.name, f.stages) for f in inputs.funnels],
        value=value,
        off_track_metrics=_off_track_metrics(client, today),
    )


def _off_track_metrics(client: Client, today) -> frozenset[str]:
    """The metrics whose line is off track in the latest closed month's stored scorecard."""
    current = Period.containing(Granularity.MONTH, today)
    snapshot = (
        ScorecardSnapshot.objects.filter(
            client=client, plan__status=Plan.Status.ACTIVE, period_start__lt=current.start
        )
        .order_by("-period_start")
        .values_list("payload", flat=True)
        .first()
    )
    if snapshot is None:
        return frozenset()
    return frozenset(line["metric"] for line in snapshot["lines"] if line["status"] == "off_track")
