"""The demo's plans and data: three clients, each with a complete plan — a KPI tree whose KGI is
a formula over its drivers, dated milestones, a funnel — and measurements from 18 months back
through the month in progress: one on track, one at risk, one off track, computed, and two
saved scenarios each (an upside and a downside) for planning (a ``load_demo`` step).

The numbers follow each plan's own must path, scaled by a per-metric factor (above 1 beats the
plan, below 1 falls short; inverted for lower-is-better metrics) with a little deterministic
noise, so every re-run on the same day writes the same values. A KPI with a formula over its
children is computed from them, funnel stages from the stage before at its target conversion,
and the month in progress holds what a month's flows would have reached by today.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from metrics.periods import Granularity, Period

HISTORY_MONTHS = 18  # closed months of data, before the month in progress
PLAN_MONTHS_DONE = 11  # the plan started this many months before the current one


def _nimbus(document: dict) -> None:
    """B2B SaaS: MRR is paying companies times the revenue per company; a sales funnel."""
    kpis = {kpi["key"]: kpi for kpi in document["kpis"]}
    kpis["mrr"]["formula"] = "paying_customers * arpa"
    baseline, target = kpis["mrr"]["baseline"]["period"], kpis["mrr"]["target_period"]
    document["kpis"].insert(
        2,
        {
            "key": "arpa",
            "metric": "arpa",
            "parent": "mrr",
            "baseline": {"period": baseline, "value": 30000},
            "must": 33400,  # 30 companies x 33,400 = 1,002,000: the MRR must, within 1%
            "stretch": 35000,
            "target_period": target,
        },
    )
    document["funnels"] = [
        {
            "key": "sales",
            "name": "営業ファネル",
            "stages": [
                {"name": "リード", "metric": "leads"},
                {"name": "商談", "metric": "consultations", "target_conversion": 0.30},
                {"name": "新規契約", "metric": "new_customers", "target_conversion": 0.35},
            ],
        }
    ]


def _sakura(document: dict) -> None:
    """A café group on the customer journey: monthly revenue is (new + repeat customers) times
    the spend per visit, with milestones on the way and the journey as the funnel."""
    baseline = document["kpis"][0]["baseline"]["period"]
    target = document["kpis"][0]["target_period"]

    def kpi(key, base, must, stretch, **extra):
        return {
            "key": key,
            "metric": key,
            "baseline": {"period": baseline, "value": base},
            "must": must,
            "stretch": stretch,
            "target_period": target,
            **extra,
        }

    document["kpis"] = [
        # (600 + 240) x 1,800 = 1,512,000 yen a month; from (400 + 120) x 1,600 = 832,000.
        kpi(
            "revenue",
            832000,
            1512000,
            2320000,
            weight=2,
            formula="(new_customers + repeat_customers) * arpa",
        ),
        kpi("new_customers", 400, 600, 800, parent="revenue"),
        kpi("repeat_customers", 120, 240, 360, parent="revenue"),  # 40% of new: the funnel
        kpi("arpa", 1600, 1800, 2000, parent="revenue"),
    ]
    starts_on = date.fromisoformat(document["starts_on"])

    def month_end(months: int) -> str:
        return Period.containing(Granularity.MONTH, starts_on).shift(months - 1).end.isoformat()

    document["milestones"] = [
        {
            "key": "m3",
            "name": "3カ月後:新規客450人・リピート客150人",
            "due": month_end(3),
            "kind": "state",
            "conditions": [
                {"metric": "new_customers", "op": "gte", "value": 450},
                {"metric": "repeat_customers", "op": "gte", "value": 150},
            ],
        },
        {
            "key": "m6",
            "name": "6カ月後:月商110万円",
            "due": month_end(6),
            "kind": "state",
            "conditions": [{"metric": "revenue", "op": "gte", "value": 1100000}],
        },
        {
            "key": "m12",
            "name": "12カ月後:月商151万円・リピート客240人",
            "due": month_end(12),
            "kind": "state",
            "conditions": [
                {"metric": "revenue", "op": "gte", "value": 1512000},
                {"metric": "repeat_customers", "op": "gte", "value": 240},
            ],
        },
    ]


def _hikari(document: dict) -> None:
    """Automated acquisition, with the leads the funnel needs for its 10 customers a month:
    50 leads x 25% x 80% = 10."""
    for kpi in document["kpis"]:
        if kpi["key"] == "leads":
            kpi["baseline"]["value"], kpi["must"], kpi["stretch"] = 20, 50, 75
    for milestone in document["milestones"]:
        quarter = int(milestone["key"][1:])
        for condition in milestone["conditions"]:
            if condition["metric"] == "leads":
                condition["value"] = 150 * quarter  # 50 a month, summed since the start


@dataclass(frozen=True)
class Scenario:
    slug: str
    template: str
    complete: Callable[[dict], None]  # makes the template's document the demo's plan
    default: float  # how the client does against its must path
    factors: dict[str, float] = field(default_factory=dict)  # per metric
    weak_stage: str | None = None  # a funnel stage converting well below its target
    first_stage: tuple[float, float] | None = None  # first funnel stage a month: (then, now)
    # What-ifs the consultant saved for the client: name -> [(KPI, relative change)].
    what_ifs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


SCENARIOS = [
    # On track: a little ahead of every target.
    Scenario(
        "nimbus-saas",
        "b2b-saas-12m",
        _nimbus,
        1.06,
        {"trial_customers": 1.2},
        first_stage=(22.0, 40.0),
        what_ifs={
            "上振れ:顧客+10%・単価+5%": [("paying_customers", "0.1"), ("arpa", "0.05")],
            "下振れ:顧客-10%": [("paying_customers", "-0.1")],
        },
    ),
    # At risk: new customers just short, repeat customers well short (health amber).
    Scenario(
        "sakura-cafe",
        "customer-journey",
        _sakura,
        0.95,
        {"repeat_customers": 0.8},
        weak_stage="referrals",
        what_ifs={
            "上振れ:新規+10%・客単価+5%": [("new_customers", "0.1"), ("arpa", "0.05")],
            "下振れ:リピート-20%": [("repeat_customers", "-0.2")],
        },
    ),
    # Off track: leads and revenue far behind, consultations rarely booked.
    Scenario(
        "hikari-growth",
        "automated-acquisition",
        _hikari,
        0.62,
        {"cac": 0.7},
        weak_stage="consultations",
        what_ifs={
            "上振れ:CAC-20%": [("cac", "-0.2")],
            "下振れ:LTV-10%": [("ltv", "-0.1")],
        },
    ),
]


def _rounded(value: float, unit: str) -> Decimal:
    if unit in ("count", "money", "people", "days"):
        return Decimal(max(0, round(value)))
    return Decimal(str(round(max(value, 0.0), 4)))


def series_for(scenario: Scenario, inputs, metrics: dict, today: date) -> list[dict]:
    """Monthly measurements for the plan's KPIs, milestone conditions and funnel stages, from
    ``HISTORY_MONTHS`` back through the month in progress."""
    from plans.arithmetic.scorecard import Paths, children_of

    plan = inputs.plan
    rng = random.Random(f"{scenario.slug}-{today:%Y-%m}")  # noqa: S311 - demo noise, not secrets
    current = Period.containing(Granularity.MONTH, today)
    months = [current.shift(-back) for back in range(HISTORY_MONTHS, -1, -1)]
    values: dict[str, dict[Period, float]] = {}
    children = children_of(plan.nodes)
    own_formula = {node.key: node.formula for node in inputs.tree if node.formula}

    def factor(metric: str) -> float:
        raw = scenario.factors.get(metric, scenario.default)
        return raw if metrics[metric].direction == "higher_is_better" else 1 / raw

    for node in plan.nodes:
        if metrics[node.metric].formula or node.key in own_formula:
            continue  # derived (ARR, LTV/CAC) and tree formulas come from their inputs, below
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

    for node in reversed(plan.nodes):  # children come after their parent: compute bottom-up
        if node.key not in own_formula:
            continue
        metric_of = {child.key: child.metric for child in children.get(node.key, [])}
        series = values.setdefault(node.metric, {})
        for month in months:
            inputs_now = {
                key: Decimal(str(values[metric][month]))
                for key, metric in metric_of.items()
                if month in values.get(metric, {})
            }
            computed = own_formula[node.key].evaluate(inputs_now)
            if computed is not None:
                series[month] = float(computed)

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
            for position, month in enumerate(months):
                if index == 0:
                    following = next(
                        (s for s in stages[1:] if s[1] in values and month in values[s[1]]), None
                    )
                    if following is not None:  # work back from the next stage the plan measures
                        series[month] = values[following[1]][month] / float(following[2] or 1)
                    elif scenario.first_stage:  # no stage is a KPI: the volume rises steadily
                        then, now = scenario.first_stage
                        share = position / max(1, len(months) - 1)
                        series[month] = (then + (now - then) * share) * rng.uniform(0.95, 1.05)
                    continue
                previous = values[stages[index - 1][1]].get(month)
                if previous is None:
                    continue
                weakness = 0.55 if metric == scenario.weak_stage else 1.04
                series[month] = previous * float(target or 1) * weakness * rng.uniform(0.97, 1.03)

    # The month in progress: flows so far, stocks and levels as they stand.
    elapsed = today.day / current.days
    for metric, series in values.items():
        if current in series and metrics[metric].aggregation == "sum":
            series[current] *= elapsed

    return [
        {"metric": metric, "period": str(month), "value": _rounded(value, metrics[metric].unit)}
        for metric, series in sorted(values.items())
        if not metrics[metric].formula  # derived metrics are computed, never written
        for month, value in sorted(series.items(), key=lambda item: item[0].index)
    ]


def plans_and_data(context) -> None:
    from metrics.selectors import client_today, metrics_for_client
    from metrics.services import measurements_upsert
    from plans.models import Plan
    from plans.plan_templates import TEMPLATES
    from plans.services import plan_create, plan_replace, scorecards_recompute
    from plans.services.planning import scenario_save
    from plans.services.recompute.inputs import active_plan_inputs

    clients = context.objects["clients"]
    for scenario in SCENARIOS:
        client = clients[scenario.slug]
        today = client_today(client)
        starts_on = Period.containing(Granularity.MONTH, today).shift(-PLAN_MONTHS_DONE).start
        raw = TEMPLATES[scenario.template].document(
            starts_on=starts_on, language="ja", status=Plan.Status.ACTIVE
        )
        scenario.complete(raw)
        existing = Plan.objects.filter(client=client, status=Plan.Status.ACTIVE).first()
        if existing is None:
            plan_create(client=client, raw=raw, actor=None)
        else:
            plan_replace(plan=existing, raw=raw, actor=None)
        by_key = {metric.key: metric for metric in metrics_for_client(client)}
        rows = series_for(scenario, active_plan_inputs(client_id=client.pk), by_key, today)
        measurements_upsert(client=client, rows=rows, actor=None, default_source="demo")
        scorecards_recompute(client_id=client.pk)
        plan = Plan.objects.get(client=client, status=Plan.Status.ACTIVE)
        for name, changes in scenario.what_ifs.items():
            if not plan.scenarios.filter(name=name).exists():
                scenario_save(
                    plan=plan,
                    name=name,
                    changes=[{"kpi": kpi, "change_pct": change} for kpi, change in changes],
                    actor=None,
                )
