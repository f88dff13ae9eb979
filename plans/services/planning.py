"""Planning backwards (逆算) on a stored plan: what a KPI's drivers would need, what a funnel
needs, and what-if scenarios — the arithmetic of ``plans.arithmetic.planning`` fed with the
plan's values for a month.

A month's values are the scorecard's: each KPI's actual, and its must and stretch paths, for the
month (computed here, not read from a stored snapshot, so a draft plan can be planned too). A
KPI without an actual in the month (a month to come, the month in progress — whose flows are
only partly in — or a gap) stands at its latest actual of a closed month before it: planning
asks what it takes from where the client stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from clients.principals import Principal
from clients.services.audit import actor_label, audit_record, json_safe
from metrics.periods import Granularity, Period, PeriodError
from metrics.selectors import client_today, metrics_for_client
from plans.arithmetic import planning
from plans.arithmetic.bottlenecks import formula_over_children
from plans.arithmetic.scorecard import children_of, tidy
from plans.models import Funnel, KpiNode, Milestone, Plan, Scenario
from plans.selectors import plan_document, plan_with_document
from plans.services.plans import plan_replace
from plans.services.recompute.compute import compute_months
from plans.services.recompute.inputs import inputs_of, measurement_rows

BASES = ("actual", "must", "stretch")
CONVERSIONS = ("target", "actual")


class PlanningError(ValueError):
    """A request planning cannot answer; ``field`` names what is at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class MonthValues:
    """A plan's values for a month: per KPI (actual, must, stretch); per funnel its stages'
    (name, metric, target conversion, actual conversion, actual volume)."""

    month: Period
    kpis: dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]]
    funnels: dict[str, list[tuple]]


def _loaded(plan: Plan) -> Plan:
    return (
        Plan.objects.select_related("client__consultancy")
        .prefetch_related(
            Prefetch("kpis", KpiNode.objects.order_by("position")),
            Prefetch("milestones", Milestone.objects.prefetch_related("conditions")),
            Prefetch("funnels", Funnel.objects.prefetch_related("stages")),
        )
        .get(pk=plan.pk)
    )


class Planner:
    """A plan read once for planning: its KPIs as planning nodes, its measurements, and each
    month's values computed on first use. One per request (or per plan in a list), so a page
    that walks, sums a funnel and compares scenarios reads the plan once."""

    def __init__(self, plan: Plan):
        self.plan = _loaded(plan)
        catalogue = list(metrics_for_client(self.plan.client))
        self.inputs = inputs_of(self.plan, catalogue)
        units = {metric.key: metric.unit for metric in catalogue}
        self.nodes = [
            planning.PlanningNode(tree=node, unit=units[node.metric]) for node in self.inputs.tree
        ]
        self.today = client_today(self.plan.client)
        self._rows = None
        self._values: dict[Period, MonthValues] = {}

    @property
    def latest_month(self) -> Period:
        """The month planning starts from by default: the latest closed one."""
        return Period.containing(Granularity.MONTH, self.today).previous()

    def values(self, month: Period) -> MonthValues:
        if month not in self._values:
            self._values[month] = self._compute(month)
        return self._values[month]

    def _compute(self, month: Period) -> MonthValues:
        plan, inputs = self.plan, self.inputs
        if self._rows is None:
            self._rows = measurement_rows({plan.client_id: inputs}).get(plan.client_id, [])
        current = Period.containing(Granularity.MONTH, self.today)
        # The month asked for, and the plan's months up to it (or up to now), for the latest
        # actual.
        first = Period.containing(Granularity.MONTH, plan.starts_on)
        months, cursor = {month}, first
        while cursor <= min(month, current):
            months.add(cursor)
            cursor = cursor.next()
        computed = {
            result.month: result
            for result in compute_months(
                inputs=inputs,
                rows=self._rows,
                months=sorted(months),
                today=self.today,
                tolerance=plan.client.consultancy.status_tolerance,
            )
        }
        lines = {
            each: {line["kpi"]: line for line in result.scorecard["lines"]}
            for each, result in computed.items()
        }
        # Actuals come from closed months only: the month in progress holds part of its flows.
        closed = sorted((m for m in lines if m <= month and m < current), reverse=True)
        kpis = {}
        for node in inputs.tree:
            line = lines[month][node.key]
            found = (lines[m][node.key]["actual"] for m in closed)
            actual = next((value for value in found if value is not None), None)
            kpis[node.key] = (actual, line["must_target"], line["stretch_target"])
        funnels = {}
        for spec, report in zip(inputs.funnels, computed[month].reports, strict=False):
            funnels[spec.key] = [
                (name, metric, target, stage["conversion"], stage["volume"])
                for (name, metric, target), stage in zip(spec.stages, report["stages"], strict=True)
            ]
        return MonthValues(month, kpis, funnels)


def _month(raw, default: Period) -> Period:
    if raw in (None, ""):
        return default
    try:
        period = Period.parse(str(raw)) if not isinstance(raw, Period) else raw
    except PeriodError as exc:
        raise PlanningError("period", str(exc)) from None
    if period.granularity != Granularity.MONTH:
        raise PlanningError("period", _("Give a month, written like 2026-09."))
    return period


@dataclass(frozen=True)
class _Solving:
    month: Period
    target: Decimal
    values: MonthValues
    nodes: list
    column: int

    def basis(self, key: str) -> Decimal | None:
        return self.values.kpis[key][self.column]


def _solving(planner: Planner, kpi: str, target, period, basis: str) -> _Solving:
    node = next((node for node in planner.inputs.plan.nodes if node.key == kpi), None)
    if node is None:
        raise PlanningError("kpi", _("%(key)s is not a KPI of this plan.") % {"key": kpi})
    if basis not in BASES:
        raise PlanningError("basis", _("One of %(choices)s.") % {"choices": ", ".join(BASES)})
    month = _month(period, Period.containing(Granularity.MONTH, node.target_period.end))
    values, nodes = planner.values(month), planner.nodes
    if target is None:
        target = values.kpis[kpi][1]
        if target is None:
            raise PlanningError(
                "target", _("Give a target: the KPI has no must target for the month.")
            )
    return _Solving(month, Decimal(target), values, nodes, BASES.index(basis))


def _solved(solving: _Solving, kpi: str, target: Decimal, path=()) -> dict:
    try:
        return planning.solve(solving.nodes, kpi, target, solving.basis, path)
    except planning.NotSolvable as exc:
        if str(exc) == kpi:
            raise PlanningError(
                "kpi", _("This KPI has no formula over its children to solve.")
            ) from None
        raise PlanningError(
            "path", _("%(key)s is not a child of the step before.") % {"key": exc}
        ) from None


def _answer(solving: _Solving, kpi: str, basis: str, path) -> dict:
    return {
        "kpi": kpi,
        "period": str(solving.month),
        "target": tidy(solving.target),
        "basis": basis,
        "current": tidy(solving.basis(kpi)),
        **_solved(solving, kpi, solving.target, path),
    }


def plan_solve(
    *,
    plan: Plan,
    kpi: str,
    target: Decimal | None = None,
    period=None,
    basis: str = "actual",
    path=(),
    apply: str | None = None,
    actor: Principal | None = None,
    planner: Planner | None = None,
) -> dict:
    """What each child of ``kpi`` alone would need for ``kpi`` to reach ``target`` in ``period``
    (defaults: the KPI's must at its target period), the other children at ``basis``; and the
    requirement walked down ``path``. With ``apply`` ("must" or "stretch"), ``kpi``'s target
    and each step's requirement become those targets of the plan (``plan_solve_apply``).
    Raises ``PlanningError`` (or the plan document's ``DocumentInvalid`` when applying).
    ``planner``: the plan already read (``Planner``), else it is read here."""
    solving = _solving(planner or Planner(plan), kpi, target, period, basis)
    answer = _answer(solving, kpi, basis, path)
    if apply is not None:
        answer["applied"] = plan_solve_apply(
            plan=plan, answer=answer, level=apply, path=path, actor=actor
        )
    return answer


def plan_walk_down(
    *,
    plan: Plan,
    kpi: str,
    target=None,
    period=None,
    basis: str = "actual",
    path=(),
    planner: Planner | None = None,
) -> dict:
    """``plan_solve``'s answer with ``levels``: the KPI and each step of ``path`` reached with a
    feasible requirement, each with what its own children would need for it (``{"kpi",
    "target", "current", "alternatives"}``), for a person walking the requirement down the
    tree a level at a time. A step without a formula over children ends the walk."""
    solving = _solving(planner or Planner(plan), kpi, target, period, basis)
    answer = _answer(solving, kpi, basis, path)
    levels = [
        {
            "kpi": kpi,
            "target": answer["target"],
            "current": answer["current"],
            "alternatives": answer["alternatives"],
        }
    ]
    solvable = set(solvable_kpis(solving.nodes))
    for step in answer["cascade"]:
        if not step["feasible"] or step["kpi"] not in solvable:
            break
        below = _solved(solving, step["kpi"], step["required"])
        levels.append(
            {
                "kpi": step["kpi"],
                "target": step["required"],
                "current": step["basis_value"],
                "alternatives": below["alternatives"],
            }
        )
    return {**answer, "levels": levels}


def solvable_kpis(nodes) -> list[str]:
    """The keys of the KPIs (planning nodes) whose formula runs over their children: those a
    requirement can be solved for, in tree order."""
    children = children_of([node.tree for node in nodes])
    return [
        node.key
        for node in nodes
        if children.get(node.key) and formula_over_children(node.tree, children[node.key])
    ]


@transaction.atomic
def plan_solve_apply(*, plan: Plan, answer: dict, level: str, path, actor) -> dict:
    """Write a solve's target and its path's requirements as the ``level`` ("must" or
    "stretch") targets of those KPIs, through the plan document service (checked, audited, the
    client marked dirty). Only for the month of their target period, and only when every step
    is feasible. Returns ``{"as", "kpis": {key: value}}``."""
    if level not in ("must", "stretch"):
        raise PlanningError("apply", _("One of %(choices)s.") % {"choices": "must, stretch"})
    if not path:
        raise PlanningError("path", _("Name the path of KPIs the requirement applies to."))
    blocked = [row["kpi"] for row in answer["cascade"] if not row["feasible"]]
    if blocked or len(answer["cascade"]) != len(path):
        raise PlanningError(
            "path", _("%(key)s cannot reach it: nothing was applied.") % {"key": blocked[0]}
        )
    values = {answer["kpi"]: answer["target"]}
    values.update({row["kpi"]: row["required"] for row in answer["cascade"]})
    stored = plan_with_document(client=plan.client).get(pk=plan.pk)
    document = json_safe(plan_document(stored))
    for row in document["kpis"]:
        if row["key"] in values:
            target_month = Period.containing(
                Granularity.MONTH, Period.parse(row["target_period"]).end
            )
            if str(target_month) != answer["period"]:
                raise PlanningError(
                    "period",
                    _("Targets are set for the KPI's target period: solve for %(period)s.")
                    % {"period": target_month},
                )
            row[level] = str(values[row["key"]])
    plan_replace(plan=stored, raw=document, actor=actor)
    return {"as": level, "kpis": values}


def plan_funnel_requirements(
    *,
    plan: Plan,
    funnel: str,
    target: Decimal | None,
    period=None,
    conversions: str = "target",
    planner: Planner | None = None,
) -> dict:
    """The stage volumes ``funnel`` needs for ``target`` at its last stage in ``period``
    (default: the latest closed month), with the target or the month's actual conversions.
    Without a target: the must of the plan's KPI on the last stage's metric, else the last
    stage's actual volume."""
    if conversions not in CONVERSIONS:
        raise PlanningError(
            "conversions", _("One of %(choices)s.") % {"choices": ", ".join(CONVERSIONS)}
        )
    planner = planner or Planner(plan)
    month = _month(period, planner.latest_month)
    values, nodes = planner.values(month), planner.nodes
    if funnel not in values.funnels:
        raise PlanningError("funnel", _("%(key)s is not a funnel of this plan.") % {"key": funnel})
    if target is None:
        _name, last_metric, _target, _conversion, last_volume = values.funnels[funnel][-1]
        musts = [values.kpis[node.key][1] for node in nodes if node.tree.metric == last_metric]
        target = next((must for must in musts if must is not None), last_volume)
        if target is None:
            raise PlanningError("target", _("Give the number the last stage should reach."))
    use_target = conversions == "target"
    stages = [
        planning.StageInput(name, metric, target_conv if use_target else actual_conv, volume)
        for name, metric, target_conv, actual_conv, volume in values.funnels[funnel]
    ]
    return {
        "funnel": funnel,
        "period": str(month),
        "target": tidy(Decimal(target)),
        "conversions": conversions,
        "stages": planning.funnel_requirements(stages, Decimal(target)),
    }


def plan_scenario(*, plan: Plan, period, changes, planner: Planner | None = None) -> dict:
    """The plan's KPIs in ``period`` with ``changes`` (``[{"kpi", "value"} | {"kpi",
    "change_pct"}]``) applied and recomputed up the tree; nothing is stored. ``planner`` keeps
    the plan read and its month values between calls (several scenarios of one plan)."""
    planner = planner or Planner(plan)
    month = _month(period, planner.latest_month)
    values, nodes = planner.values(month), planner.nodes
    known = {node.key for node in nodes}
    parsed = []
    for index, change in enumerate(changes):
        if change.get("kpi") not in known:
            raise PlanningError(
                f"changes[{index}].kpi",
                _("%(key)s is not a KPI of this plan.") % {"key": change.get("kpi")},
            )
        parsed.append(
            planning.Change(
                change["kpi"],
                value=None if change.get("value") is None else Decimal(change["value"]),
                change_pct=None
                if change.get("change_pct") is None
                else Decimal(change["change_pct"]),
            )
        )
    result = planning.scenario(
        nodes,
        lambda key: values.kpis[key][0],
        parsed,
        lambda key: (values.kpis[key][1], values.kpis[key][2]),
    )
    return {"period": str(month), "result": result}


# --- stored scenarios -------------------------------------------------------------------------


def _stored_changes(changes) -> list[dict]:
    """The changes as kept: each with its KPI and one of value / change_pct."""
    kept = []
    for change in changes:
        row = {"kpi": change["kpi"]}
        for name in ("value", "change_pct"):
            if change.get(name) is not None:
                row[name] = Decimal(change[name])
        kept.append(row)
    return kept


@transaction.atomic
def scenario_save(
    *,
    plan: Plan,
    name: str,
    changes,
    actor: Principal | None,
    period=None,
    scenario: Scenario | None = None,
) -> Scenario:
    """Keep a scenario for the plan (a new one, or ``scenario`` changed), for ``period``
    (default: the latest closed month, kept as such); its changes are checked by computing it
    once. Audited; the plan's results are not touched."""
    outcome = plan_scenario(plan=plan, period=period, changes=changes)
    fields = {"name": name, "period": outcome["period"], "changes": _stored_changes(changes)}
    if scenario is None:
        scenario = Scenario.objects.create(
            client_id=plan.client_id, plan=plan, created_by=actor_label(actor), **fields
        )
        action, before = "scenario.created", None
    else:
        before = {key: getattr(scenario, key) for key in fields}
        for key, value in fields.items():
            setattr(scenario, key, value)
        scenario.save()
        action = "scenario.updated"
    audit_record(
        actor=actor,
        action=action,
        obj=scenario,
        consultancy=plan.client.consultancy,
        client=plan.client,
        before=before,
        after=fields,
    )
    return scenario


@transaction.atomic
def scenario_delete(*, scenario: Scenario, actor: Principal | None) -> None:
    audit_record(
        actor=actor,
        action="scenario.deleted",
        obj=scenario,
        consultancy=scenario.plan.client.consultancy,
        client=scenario.plan.client,
        before={"name": scenario.name, "period": scenario.period},
    )
    scenario.delete()


def scenario_documents(scenarios) -> list[dict]:
    """Scenarios with their outcomes, each plan read (and each month computed) once."""
    planners: dict = {}
    documents = []
    for scenario in scenarios:
        if scenario.plan_id not in planners:
            planners[scenario.plan_id] = Planner(scenario.plan)
        documents.append(scenario_document(scenario, planner=planners[scenario.plan_id]))
    return documents


def scenario_document(scenario: Scenario, planner: Planner | None = None) -> dict:
    """The scenario with its outcome on today's data."""
    outcome = plan_scenario(
        plan=scenario.plan, period=scenario.period, changes=scenario.changes, planner=planner
    )
    return {
        "id": scenario.pk,
        "name": scenario.name,
        "period": scenario.period,
        "changes": scenario.changes,
        "created_by": scenario.created_by,
        "created_at": scenario.created_at,
        "updated_at": scenario.updated_at,
        "result": outcome["result"],
    }
