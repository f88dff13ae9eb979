"""Planning backwards (逆算) as pages: the consultant's walk from a KGI target down to its
drivers, a funnel's requirements and the saved scenarios side by side (the admin), and the
client's what-if panel (the portal). What is computed is ``plans.services.planning``'s; this
module reads what a person typed — a ratio as a percentage, like the plan editor — and lays the
answers out for the templates, with each KPI's metric so numbers show in their unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from metrics.display import input_affixes
from metrics.models import Metric
from metrics.periods import Period
from metrics.templatetags.metrics_display import metric_name
from plans.admin.editor import as_percent, from_percent, read_number, typed_number
from plans.models import Scenario
from plans.services import planning
from portal.selectors import ClientPage

LARGEST_EXPONENT = 15  # a typed planning number beyond 10^15 is a typo, not a plan


class Typed(ValueError):
    """A number a person typed that is not one."""


def typed_value(text: str, unit: str) -> Decimal | None:
    """The value a person typed for a metric of ``unit``, read as the plan editor reads it
    (``read_number``; thousands separators are dropped first): a ratio as a percentage
    (15 → 0.15), anything else as it is; blank is None. Raises ``Typed``."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    number = read_number(text)
    if number is None or abs(number.adjusted()) > LARGEST_EXPONENT:
        raise Typed(_("Type a number, like 1500 or 12.5."))
    return Decimal(from_percent(str(number))) if unit == "ratio" else number


def shown_typed(value, unit: str) -> str:
    """A value as a person would type it back: a ratio as its percentage."""
    if value is None:
        return ""
    return as_percent(value) if unit == "ratio" else typed_number(value)


def _metric(page: ClientPage, node) -> Metric:
    return page.metrics[node.tree.metric]


# --- the walk down from a KGI target --------------------------------------------------------------


@dataclass
class Driver:
    kpi: str
    metric: Metric
    basis_value: Decimal | None
    required: Decimal | None
    change_pct: Decimal | None
    feasible: bool
    chosen: bool
    walk_query: str  # the page's query that walks down to (or chooses) this driver


@dataclass
class Level:
    kpi: str
    metric: Metric
    target: Decimal
    current: Decimal | None
    drivers: list[Driver]


@dataclass
class WalkDown:
    """What the solve form asked (as typed) and what it found."""

    choices: list[tuple[str, Metric]]  # the KPIs a requirement can be solved for
    kpi: str = ""
    target_text: str = ""
    period_text: str = ""
    basis: str = "actual"
    path: list[str] = field(default_factory=list)
    affixes: tuple[str, str] = ("", "")
    errors: dict[str, str] = field(default_factory=dict)
    period: Period | None = None
    levels: list[Level] = field(default_factory=list)
    applicable: list[tuple[str, Metric, Decimal]] = field(default_factory=list)
    blocked: Metric | None = None  # the step of the path no value of its metric reaches

    @property
    def query(self) -> dict:
        """The form as query parameters (path excluded)."""
        return {
            "kpi": self.kpi,
            "target": self.target_text,
            "period": self.period_text,
            "basis": self.basis,
        }


def walk_down(page: ClientPage, planner: planning.Planner, query) -> WalkDown:
    """The solve form read from ``query`` (a QueryDict: kpi, target, period, basis, path…) and
    its answer: a level per step walked down, each with what its drivers would need."""
    nodes = planner.nodes
    by_key = {node.key: node for node in nodes}
    solvable = planning.solvable_kpis(nodes)
    found = WalkDown(choices=[(key, _metric(page, by_key[key])) for key in solvable])
    if not solvable:
        return found
    found.kpi = query.get("kpi") if query.get("kpi") in solvable else solvable[0]
    found.basis = query.get("basis") if query.get("basis") in planning.BASES else "actual"
    found.period_text = (query.get("period") or "").strip()
    found.target_text = (query.get("target") or "").strip()
    found.path = [key for key in query.getlist("path") if key in by_key]
    metric = _metric(page, by_key[found.kpi])
    found.affixes = _affixes(page, metric)
    try:
        target = typed_value(found.target_text, metric.unit)
    except Typed as exc:
        found.errors["target"] = str(exc)
        return found
    try:
        answer = planning.plan_walk_down(
            plan=planner.plan,
            planner=planner,
            kpi=found.kpi,
            target=target,
            period=found.period_text or None,
            basis=found.basis,
            path=found.path,
        )
    except planning.PlanningError as exc:
        found.errors[exc.field if exc.field in ("target", "period") else "kpi"] = exc.message
        return found
    found.period = Period.parse(answer["period"])
    found.target_text = found.target_text or shown_typed(answer["target"], metric.unit)
    for index, level in enumerate(answer["levels"]):
        drivers = []
        chosen = found.path[index] if index < len(found.path) else None
        for row in level["alternatives"]:
            walk = [*found.path[:index], row["kpi"]]
            drivers.append(
                Driver(
                    kpi=row["kpi"],
                    metric=_metric(page, by_key[row["kpi"]]),
                    basis_value=row["basis_value"],
                    required=row["required"],
                    change_pct=row["change_pct"],
                    feasible=row["feasible"],
                    chosen=chosen == row["kpi"],
                    walk_query=urlencode([*found.query.items(), *(("path", key) for key in walk)]),
                )
            )
        found.levels.append(
            Level(
                kpi=level["kpi"],
                metric=_metric(page, by_key[level["kpi"]]),
                target=level["target"],
                current=level["current"],
                drivers=drivers,
            )
        )
    blocked = next((row for row in answer["cascade"] if not row["feasible"]), None)
    if blocked is not None:
        found.blocked = _metric(page, by_key[blocked["kpi"]])
    elif answer["cascade"]:
        found.applicable = [(found.kpi, _metric(page, by_key[found.kpi]), answer["target"])] + [
            (row["kpi"], _metric(page, by_key[row["kpi"]]), row["required"])
            for row in answer["cascade"]
        ]
    return found


def named_problems(page: ClientPage, planner: planning.Planner, lines: list[str]) -> list[str]:
    """The plan document's problems with ``kpis[2].must`` written as the KPI's name and the
    target: ``MRR (must)`` (the document lists the KPIs in the planner's order)."""
    names = {
        str(index): metric_name(_metric(page, node)) for index, node in enumerate(planner.nodes)
    }
    fields = {"must": _("must"), "stretch": _("stretch")}

    def named(found) -> str:
        name = names.get(found.group(1))
        if name is None:
            return found.group(0)
        field = found.group(2)
        return f"{name} ({fields.get(field, field)})" if field else name

    return [re.sub(r"kpis\[(\d+)\](?:\.(\w+))?", named, line) for line in lines]


def _affixes(page: ClientPage, metric: Metric) -> tuple[str, str]:
    return input_affixes(metric.unit, page.client.currency, get_language())


# --- a funnel's requirements ----------------------------------------------------------------------


@dataclass
class FunnelNeeds:
    choices: list[tuple[str, str]]  # (key, name) of the plan's funnels
    funnel: str = ""
    target_text: str = ""
    period_text: str = ""
    conversions: str = "target"
    errors: dict[str, str] = field(default_factory=dict)
    period: Period | None = None
    stages: list[dict] = field(default_factory=list)  # the service's rows, with "metric" a Metric


def funnel_needs(page: ClientPage, planner: planning.Planner, query) -> FunnelNeeds:
    """The requirements form read from ``query`` (funnel, funnel_target, funnel_period,
    conversions) and the stage volumes it needs against the month's actuals (default: the
    latest closed month)."""
    funnels = [(funnel.key, funnel.name) for funnel in planner.inputs.funnels]
    found = FunnelNeeds(choices=funnels)
    if not funnels:
        return found
    keys = [key for key, _name in funnels]
    found.funnel = query.get("funnel") if query.get("funnel") in keys else keys[0]
    found.conversions = (
        query.get("conversions") if query.get("conversions") == "actual" else "target"
    )
    found.target_text = (query.get("funnel_target") or "").strip()
    found.period_text = (query.get("funnel_period") or "").strip()
    try:
        target = typed_value(found.target_text, "count")
        answer = planning.plan_funnel_requirements(
            plan=planner.plan,
            planner=planner,
            funnel=found.funnel,
            target=target,
            # Default: the latest closed month (the month in progress is partial).
            period=found.period_text or None,
            conversions=found.conversions,
        )
    except Typed as exc:
        found.errors["funnel_target"] = str(exc)
        return found
    except planning.PlanningError as exc:
        found.errors["funnel_target"] = exc.message
        return found
    found.period = Period.parse(answer["period"])
    found.target_text = found.target_text or typed_number(answer["target"])
    found.stages = [{**row, "metric": page.metrics.get(row["metric"])} for row in answer["stages"]]
    return found


# --- scenarios side by side -----------------------------------------------------------------------


@dataclass
class Cell:
    value: Decimal | None
    delta_pct: Decimal | None
    changed: bool  # differs from the base
    meets_must: bool | None = None  # a KGI's cells only
    meets_stretch: bool | None = None


@dataclass
class Row:
    kpi: str
    metric: Metric
    depth: int
    kgi: bool
    must: Decimal | None
    stretch: Decimal | None
    cells: list[Cell]
    # What its formula gives from its drivers' actuals, when that is over 1% off its own
    # actual: scenarios work from the drivers, so a reader sees where a jump comes from.
    modelled: Decimal | None = None


@dataclass
class Column:
    name: str
    period: Period
    scenario: Scenario | None  # None: the base (the actuals)
    changes: list[tuple[Metric, str, Decimal]]  # (metric, "value" | "change_pct", number)


@dataclass
class Comparison:
    columns: list[Column]
    rows: list[Row]

    @property
    def modelled(self) -> bool:
        return any(row.modelled is not None for row in self.rows)


MODELLED_GAP = Decimal("0.01")


def _modelled(planner: planning.Planner, period, base: dict) -> dict[str, Decimal]:
    """Each KPI with a formula over its drivers as that formula gives it from the drivers'
    actuals, where that is more than 1% off its own actual."""
    actuals = {row["kpi"]: row["base"] for row in base["result"]["nodes"]}
    solvable = set(planning.solvable_kpis(planner.nodes))
    leaves = [
        {"kpi": key, "value": value}
        for key, value in actuals.items()
        if key not in solvable and value is not None
    ]
    worked = planning.plan_scenario(
        plan=planner.plan, period=period, changes=leaves, planner=planner
    )
    found = {}
    for row in worked["result"]["nodes"]:
        actual, value = actuals.get(row["kpi"]), row["scenario"]
        if row["kpi"] not in solvable or actual is None or value is None or actual == 0:
            continue
        if abs(value - actual) > abs(actual) * MODELLED_GAP:
            found[row["kpi"]] = value
    return found


def comparison(
    page: ClientPage,
    planner: planning.Planner,
    *,
    period: Period | None = None,
    saved: bool = True,
    extra: list[dict] | None = None,
) -> Comparison:
    """The base (each KPI's actual in ``period``, default the latest closed month) beside every
    saved scenario of the plan (unless not ``saved``), each KPI a row and each KGI held against
    its must and stretch. ``extra``: unsaved scenario documents (``{"name", "period",
    "changes"}``) to show as further columns."""
    plan, nodes = planner.plan, planner.nodes
    by_key = {node.key: node for node in nodes}
    base = planning.plan_scenario(plan=plan, period=period, changes=[], planner=planner)
    modelled = _modelled(planner, period, base)
    documents = []
    if saved:
        documents = [
            (scenario, planning.scenario_document(scenario, planner=planner))
            for scenario in plan.scenarios.order_by("created_at")
        ]
    for document in extra or []:
        outcome = planning.plan_scenario(
            plan=plan, period=document.get("period"), changes=document["changes"], planner=planner
        )
        documents.append((None, {**document, **outcome}))
    columns = [Column(_("Now (the actuals)"), Period.parse(base["period"]), None, [])]
    outcomes = [base["result"]]
    for scenario, document in documents:
        columns.append(
            Column(
                document["name"],
                Period.parse(str(document["period"])),
                scenario,
                [
                    (_metric(page, by_key[change["kpi"]]), *_change_of(change))
                    for change in document["changes"]
                    if change["kpi"] in by_key
                ],
            )
        )
        outcomes.append(document["result"])
    kgi_rows = [{kgi["kpi"]: kgi for kgi in outcome["kgis"]} for outcome in outcomes]
    node_rows = [{row["kpi"]: row for row in outcome["nodes"]} for outcome in outcomes]
    rows = []
    for node in nodes:
        kgi = node.tree.parent is None
        cells = []
        for index in range(len(outcomes)):
            row, held = node_rows[index][node.key], kgi_rows[index].get(node.key, {})
            cells.append(
                Cell(
                    value=row["scenario"],
                    delta_pct=row["delta_pct"],
                    changed=index > 0 and row["scenario"] != row["base"],
                    meets_must=held.get("meets_must"),
                    meets_stretch=held.get("meets_stretch"),
                )
            )
        first_kgi = kgi_rows[0].get(node.key, {})
        rows.append(
            Row(
                kpi=node.key,
                metric=_metric(page, node),
                depth=_depth(node, by_key),
                kgi=kgi,
                must=first_kgi.get("must_target"),
                stretch=first_kgi.get("stretch_target"),
                cells=cells,
                modelled=modelled.get(node.key),
            )
        )
    return Comparison(columns, rows)


def _change_of(change: dict) -> tuple[str, Decimal]:
    if change.get("value") is not None:
        return "value", change["value"]
    return "change_pct", change.get("change_pct")


def _depth(node, by_key) -> int:
    depth, parent = 0, node.tree.parent
    while parent is not None and parent in by_key:
        depth, parent = depth + 1, by_key[parent].tree.parent
    return depth


# --- the what-if panel ----------------------------------------------------------------------------


@dataclass
class Lever:
    """A KPI the client may move: its actual and the value typed for it."""

    kpi: str
    metric: Metric
    base: Decimal
    typed: str  # the value as typed (a ratio as its percentage)
    base_typed: str
    change_pct: int  # the slider: the typed value against the actual, in whole percent
    affixes: tuple[str, str]
    error: str = ""


@dataclass
class WhatIf:
    levers: list[Lever]
    outcome: Comparison  # now, and with the levers' values


def what_if(page: ClientPage, planner: planning.Planner, data=None) -> WhatIf:
    """The what-if panel, from where the client stands (the latest closed month, as saved
    scenarios): the levers with the values typed in ``data`` (a QueryDict, or None for the
    actuals), and what they make of every KPI; nothing stored."""
    month = planner.latest_month
    found, changes = levers(page, planner, month, data)
    outcome = comparison(
        page,
        planner,
        period=month,
        saved=False,
        extra=[{"name": _("What if"), "period": str(month), "changes": changes}],
    )
    return WhatIf(found, outcome)


def levers(
    page: ClientPage, planner: planning.Planner, month: Period, data=None
) -> tuple[list[Lever], list[dict]]:
    """The KPIs a what-if can move — the drivers (KPIs under a formula) with an actual in
    ``month`` — read with the values typed in ``data`` (a QueryDict, or None for the actuals),
    and the changes those values make (``[{"kpi", "value"}]``)."""
    values, nodes = planner.values(month), planner.nodes
    solvable = set(planning.solvable_kpis(nodes))
    found, changes = [], []
    for node in nodes:
        base = values.kpis[node.key][0]
        if node.tree.parent not in solvable or base is None:
            continue
        metric = _metric(page, node)
        base_typed = shown_typed(base, metric.unit)
        typed = (data.get(f"kpi-{node.key}") if data is not None else None) or base_typed
        lever = Lever(node.key, metric, base, typed, base_typed, 0, _affixes(page, metric))
        try:
            value = typed_value(typed, metric.unit)
        except Typed as exc:
            lever.error, value = str(exc), None
        if value is not None and value != base:
            changes.append({"kpi": node.key, "value": value})
            if base:
                lever.change_pct = int(((value / base - 1) * 100).to_integral_value())
        found.append(lever)
    return found, changes


# --- a scenario typed in the admin ----------------------------------------------------------------


@dataclass
class ScenarioField:
    kpi: str
    metric: Metric
    depth: int


def scenario_fields(page: ClientPage, planner: planning.Planner) -> list[ScenarioField]:
    """One "change by %" field per KPI of the plan, in tree order."""
    nodes = planner.nodes
    by_key = {node.key: node for node in nodes}
    return [ScenarioField(node.key, _metric(page, node), _depth(node, by_key)) for node in nodes]


def scenario_changes(planner: planning.Planner, data) -> tuple[list[dict], dict[str, str]]:
    """The changes typed as percentages (``change-<kpi>``: 20 is +20%, -10 is -10%), and the
    fields that are not numbers."""
    changes, errors = [], {}
    for node in planner.nodes:
        try:
            percent = typed_value(data.get(f"change-{node.key}", ""), "count")
        except Typed as exc:
            errors[node.key] = str(exc)
            continue
        if percent is not None and percent != 0:
            changes.append({"kpi": node.key, "change_pct": Decimal(from_percent(str(percent)))})
    return changes, errors
