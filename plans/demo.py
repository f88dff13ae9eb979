"""The demo's plans and data: three clients on three templates, 18 months of measurements, one
on track, one at risk, one off track, with their scorecards computed (a ``load_demo`` step).

The numbers follow each plan's own must path, scaled by a per-metric factor (above 1 beats the
plan, below 1 falls short; inverted for lower-is-better metrics) with a little deterministic
noise, so every re-run on the same day writes the same values.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from metrics.periods import Granularity, Period

HISTORY_MONTHS = 18  # closed months of data, up to last month
PLAN_MONTHS_DONE = 11  # the plan started this many months before the current one


@dataclass(frozen=True)
class Scenario:
    slug: str
    template: str
    default: float  # how the client does against its must path
    factors: dict[str, float] = field(default_factory=dict)  # per metric
    weak_stage: str | None = None  # a funnel stage converting well below its target


SCENARIOS = [
    # On track: a little ahead of every target.
    Scenario("nimbus-saas", "b2b-saas-12m", 1.06, {"trial_customers": 1.2}),
    # At risk: new customers just short, the repeat rate well short (health amber).
    Scenario(
        "sakura-cafe",
        "customer-journey",
        0.94,
        {"repeat_rate": 0.78, "repeat_customers": 0.85},
        weak_stage="repeat_customers",
    ),
    # Off track: leads and revenue far behind, consultations rarely booked.
    Scenario(
        "hikari-growth", "automated-acquisition", 0.62, {"cac": 0.7}, weak_stage="consultations"
    ),
]


def _rounded(value: float, unit: str) -> Decimal:
    if unit in ("count", "money", "people", "days"):
        return Decimal(max(0, round(value)))
    return Decimal(str(round(max(value, 0.0), 4)))


def series_for(scenario: Scenario, inputs, metrics: dict, today: date) -> list[dict]:
    """Monthly measurements for the plan's KPIs, milestone conditions and funnel stages."""
    from plans.arithmetic.scorecard import Paths

    plan = inputs.plan
    rng = random.Random(f"{scenario.slug}-{today:%Y-%m}")  # noqa: S311 - demo noise, not secrets
    current = Period.containing(Granularity.MONTH, today)
    months = [current.shift(-back) for back in range(HISTORY_MONTHS, 0, -1)]
    values: dict[str, dict[Period, float]] = {}

    def factor(metric: str) -> float:
        raw = scenario.factors.get(metric, scenario.default)
        return raw if metrics[metric].direction == "higher_is_better" else 1 / raw

    for node in plan.nodes:
        if metrics[node.metric].formula or node.granularity != Granularity.MONTH:
            continue  # derived (ARR, LTV/CAC) come from their inputs; demo plans are monthly
        paths = Paths.of(node, plan.milestones)
        series = values.setdefault(node.metric, {})
        drift = -0.015 if node.higher_is_better else 0.015  # a month before the baseline
        for month in months:
            must = paths.must(month)
            if must is None:  # before the baseline: the business on its way to it
                before = month.distance(node.baseline_period)
                value = float(node.baseline_value) * (1 + drift * before)
            else:
                value = float(must) * factor(node.metric)
            series[month] = value * rng.uniform(0.97, 1.03)

    plan_start = Period.containing(Granularity.MONTH, plan.starts_on)
    for milestone in plan.milestones:  # condition metrics no KPI covers (trial customers)
        for condition in milestone.conditions:
            if condition.metric in values or metrics[condition.metric].formula:
                continue
            due = Period.containing(Granularity.MONTH, milestone.due)
            span = max(1, plan_start.distance(due) + 1)
            series = values.setdefault(condition.metric, {})
            for month in months:
                done = min(max(plan_start.distance(month) + 1, 0), span) / span
                target = float(condition.value) * done * factor(condition.metric)
                series[month] = max(series.get(month, 0.0), target * rng.uniform(0.95, 1.05))

    for funnel in inputs.funnels:
        stages = funnel.stages
        for index, (_name, metric, target) in enumerate(stages):
            if metric in values:
                continue
            series = values.setdefault(metric, {})
            for month in months:
                if index == 0:  # work back from the next stage the plan measures
                    following = next(
                        (s for s in stages[1:] if s[1] in values and month in values[s[1]]), None
                    )
                    if following is None:
                        continue
                    series[month] = values[following[1]][month] / float(following[2] or 1)
                    continue
                previous = values[stages[index - 1][1]].get(month)
                if previous is None:
                    continue
                weakness = 0.55 if metric == scenario.weak_stage else 1.04
                series[month] = previous * float(target or 1) * weakness * rng.uniform(0.97, 1.03)

    return [
        {"metric": metric, "period": str(month), "value": _rounded(value, metrics[metric].unit)}
        for metric, series in sorted(values.items())
        for month, value in sorted(series.items(), key=lambda item: item[0].index)
    ]


def plans_and_data(context) -> None:
    from metrics.selectors import client_today, metrics_for_client
    from metrics.services import measurements_upsert
    from plans.models import Plan
    from plans.plan_templates import TEMPLATES
    from plans.services import plan_create, plan_replace, scorecards_recompute
    from plans.services.recompute.inputs import active_plan_inputs

    clients = context.objects["clients"]
    for scenario in SCENARIOS:
        client = clients[scenario.slug]
        today = client_today(client)
        starts_on = Period.containing(Granularity.MONTH, today).shift(-PLAN_MONTHS_DONE).start
        raw = TEMPLATES[scenario.template].document(
            starts_on=starts_on, language="ja", status=Plan.Status.ACTIVE
        )
        existing = Plan.objects.filter(client=client, status=Plan.Status.ACTIVE).first()
        if existing is None:
            plan_create(client=client, raw=raw, actor=None)
        else:
            plan_replace(plan=existing, raw=raw, actor=None)
        by_key = {metric.key: metric for metric in metrics_for_client(client)}
        rows = series_for(scenario, active_plan_inputs(client_id=client.pk), by_key, today)
        measurements_upsert(client=client, rows=rows, actor=None, default_source="demo")
        scorecards_recompute(client_id=client.pk)
