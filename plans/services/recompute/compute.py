"""Running the pure arithmetic for the months that changed: the scorecard of each month, and
a bottleneck report per funnel with the KPI tree's sensitivity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics.periods import Period
from metrics.rollup import Rollup
from plans.arithmetic import bottlenecks, scorecard
from plans.services.recompute.inputs import Inputs, measured_values

NO_FUNNEL_REPORT = {
    "funnel": None,
    "funnel_name": None,
    "overall_conversion": None,
    "target_overall_conversion": None,
    "bottleneck": None,
    "stages": [],
}


@dataclass(frozen=True)
class ComputedMonth:
    month: Period
    as_of: date
    scorecard: dict  # the API's scorecard shape, without what the stored snapshot adds
    reports: list[dict]  # one per funnel, in the plan's order (one without a funnel if none)


def compute_month(
    inputs: Inputs,
    measured: dict,
    month: Period,
    as_of: date,
    tolerance: Decimal,
    spans: dict | None = None,
) -> ComputedMonth:
    rollup = Rollup(inputs.metrics, measured, as_of, spans)
    card = scorecard.scorecard(inputs.plan, month, as_of, rollup, tolerance)
    lines = {line["kpi"]: line for line in card["lines"]}
    sensitivity = bottlenecks.sensitivity(
        inputs.tree,
        actual=lambda key: lines[key]["actual"],
        must=lambda key: lines[key]["must_target"],
    )
    reports = []
    for funnel in inputs.funnels:
        stages = []
        for name, metric, target in funnel.stages:
            value = rollup.value(metric, month)
            stages.append(
                bottlenecks.StageInput(name, metric, None if value is None else value.value, target)
            )
        report = {"funnel": funnel.key, "funnel_name": funnel.name}
        report.update(bottlenecks.funnel_report(stages))
        reports.append(report)
    if not reports:
        reports.append(dict(NO_FUNNEL_REPORT))
    for report in reports:
        report["kpi_sensitivity"] = sensitivity
    return ComputedMonth(month, as_of, card, reports)


def compute_months(
    *, inputs: Inputs, rows: list[tuple], months: list[Period], today: date, tolerance: Decimal
) -> list[ComputedMonth]:
    """Each month as of its end, or ``today`` for the month in progress."""
    measured = measured_values(inputs, rows)
    spans: dict = {}  # shared by the months' roll-ups of these measurements
    return [
        compute_month(inputs, measured, month, min(month.end, today), tolerance, spans)
        for month in months
    ]
