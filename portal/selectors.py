"""What the portal's pages read, composed from the apps below, always starting from the clients
the signed-in person may see. Each function returns plain data for one page; the templates
decide how it looks (through the display helpers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404

from clients.labels import audit_action_label, job_kind_label
from clients.models import AuditLogEntry, Client, Job
from clients.principals import Action, Principal
from clients.selectors import client_actions, clients_visible_to
from diagnostics.models import DiagnosticRun
from metrics.models import Measurement, MeasurementHistory, Metric
from metrics.periods import Granularity, Period, PeriodError, iterate, latest_closed_month
from metrics.selectors import client_today, metrics_for_client
from plans.arithmetic.scorecard import Paths
from plans.models import BottleneckReport, Plan, ScorecardSnapshot
from plans.selectors import (
    MilestoneRow,
    ScorecardRow,
    bottleneck_report_for,
    kpi_rows,
    plan_with_document,
    portfolio_for,
    scorecard_rows,
)
from plans.services.recompute.inputs import active_plan_inputs

STALE_AFTER_DAYS = 35  # no new measurement for this long: the page says the data is old


# --- the client and the month a page is about ---------------------------------------------------


@dataclass
class ClientPage:
    """What every page of one client knows: who is looking, at which month, and the stored
    scorecard of that month (None before the first recompute)."""

    client: Client
    principal: Principal
    may_write: bool
    plan: Plan | None
    month: Period
    months: list[Period]  # the months with a stored scorecard, newest first (the picker)
    snapshot: ScorecardSnapshot | None
    metrics: dict[str, Metric]
    today: date

    @property
    def partial(self) -> bool:
        """The month is still in progress: its flows are what they are so far."""
        return self.month.end > self.today


def visible_clients(principal: Principal):
    """The picker: every client the person may see, with its latest health."""
    return portfolio_for(principal)


def client_page(*, principal: Principal, client_id, period: str | None) -> ClientPage:
    """The client (404 outside the person's scope, or for an id that is no UUID) and the month:
    ``period`` when it is a month, else the latest month whose scorecard has data, else the
    latest closed month."""
    try:
        client = clients_visible_to(principal).select_related("consultancy").get(pk=client_id)
    except (Client.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    today = client_today(client)
    plan = Plan.objects.filter(client=client, status=Plan.Status.ACTIVE).first()
    snapshots = []
    if plan is not None:
        snapshots = list(
            ScorecardSnapshot.objects.filter(plan=plan)
            .order_by("-period_start")
            .values_list("period_start", "score")
        )
    months = [Period.containing(Granularity.MONTH, start) for start, _score in snapshots]
    month = _month_asked(period, today)
    if month is None:
        with_data = [start for start, score in snapshots if score is not None]
        month = (
            Period.containing(Granularity.MONTH, with_data[0])
            if with_data
            else latest_closed_month(today)
        )
    snapshot = None
    if plan is not None and month in months:
        snapshot = (
            ScorecardSnapshot.objects.select_related("plan")
            .filter(plan=plan, period_start=month.start)
            .first()
        )
    return ClientPage(
        client=client,
        principal=principal,
        may_write=Action.WRITE in client_actions(principal, client),
        plan=plan,
        month=month,
        months=months,
        snapshot=snapshot,
        metrics={metric.key: metric for metric in metrics_for_client(client)},
        today=today,
    )


def _month_asked(text: str | None, today: date) -> Period | None:
    if not text:
        return None
    try:
        period = Period.parse(text)
    except PeriodError:
        return None
    if period.granularity != Granularity.MONTH:
        return None
    return min(period, Period.containing(Granularity.MONTH, today))


# --- the overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KgiCard:
    line: dict
    metric: Metric | None
    bar_percent: int  # how much of the must the actual attains, 0-100, for the progress bar


@dataclass(frozen=True)
class NextMilestone:
    milestone: dict
    holding: int  # conditions that hold now
    conditions: int


@dataclass(frozen=True)
class Bottleneck:
    """The funnel's weakest stage this month, as one sentence reads it."""

    funnel: str
    stage: str
    lost_output: Decimal
    target_conversion: Decimal | None
    outcome: str  # the last stage, whose units were lost


@dataclass(frozen=True)
class Freshness:
    received_at: datetime | None  # when the newest measurement arrived
    latest_period: Period | None  # the newest period with a measurement
    stale: bool


@dataclass
class Overview:
    kgis: list[KgiCard] = field(default_factory=list)
    next_milestone: NextMilestone | None = None
    bottleneck: Bottleneck | None = None
    freshness: Freshness | None = None


def overview(page: ClientPage) -> Overview:
    result = Overview(freshness=freshness(page))
    if page.snapshot is None:
        return result
    card = page.snapshot.payload
    for line in card["lines"]:
        if line["parent"] is None:
            attained = line["attainment"]
            bar = 0 if attained is None else round(min(Decimal(1), attained) * 100)
            result.kgis.append(KgiCard(line, page.metrics.get(line["metric"]), bar))
    upcoming = [m for m in card["milestones"] if m["status"] not in ("achieved", "missed")]
    if upcoming:
        milestone = min(upcoming, key=lambda m: m["due"])
        result.next_milestone = NextMilestone(
            milestone,
            sum(1 for condition in milestone["conditions"] if condition["met"]),
            len(milestone["conditions"]),
        )
    report = bottleneck_report_for(client=page.client, period=page.month, funnel=None)
    if report is not None:
        result.bottleneck = bottleneck_of(report)
    return result


def bottleneck_of(report: BottleneckReport) -> Bottleneck | None:
    payload = report.payload
    stages = payload["stages"]
    first = next((stage for stage in stages if stage["rank"] == 1), None)
    if first is None:
        return None
    return Bottleneck(
        funnel=payload["funnel_name"] or "",
        stage=first["name"],
        lost_output=first["lost_output"],
        target_conversion=first["target_conversion"],
        outcome=stages[-1]["name"],
    )


def freshness(page: ClientPage) -> Freshness:
    found = Measurement.objects.filter(client=page.client).aggregate(
        received=Max("updated_at"), start=Max("period_start")
    )
    received, start = found["received"], found["start"]
    stale = received is None or (page.today - received.date()).days > STALE_AFTER_DAYS
    latest = Period.containing(Granularity.MONTH, start) if start else None
    return Freshness(received, latest, stale)


# --- one KPI ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    period: Period
    actual: Decimal | None
    must: Decimal | None
    stretch: Decimal | None
    attainment: Decimal | None
    status: str | None  # None for a period not judged yet
    partial: bool
    baseline: bool  # the baseline period: where the paths start


@dataclass
class KpiDetail:
    key: str
    line: dict | None  # the KPI's line in the month's scorecard
    metric: Metric
    rows: list[PeriodRow]
    chart: dict  # the chart's data, for json_script
    children: list[tuple[ScorecardRow, Decimal | None]]  # each child line, its sensitivity gain
    parent: ScorecardRow | None


def kpi_detail(page: ClientPage, key: str) -> KpiDetail:
    """The KPI's periods from its baseline to its target period: the stored actuals against the
    must and stretch paths, the milestones on its path, the forecast, and its children."""
    inputs = active_plan_inputs(client_id=page.client.pk) if page.plan else None
    node = next((node for node in inputs.plan.nodes if node.key == key), None) if inputs else None
    if node is None:
        raise Http404
    metric = page.metrics[node.metric]
    paths = Paths.of(node, inputs.plan.milestones)
    lines = _stored_lines(page.plan, key)
    periods = list(iterate(node.baseline_period, node.target_period))
    rows = []
    for period in periods:
        line = lines.get(period)
        rows.append(
            PeriodRow(
                period=period,
                actual=line["actual"] if line else None,
                must=paths.must(period),
                stretch=paths.stretch(period),
                attainment=line["attainment"] if line else None,
                status=line["status"] if line else None,
                partial=bool(line and line["partial"]),
                baseline=period == node.baseline_period,
            )
        )
    line, children, parent = None, [], None
    if page.snapshot is not None:
        shown, _milestones = scorecard_rows(page.snapshot)
        by_key = {row.line["kpi"]: row for row in shown}
        line = by_key[key].line if key in by_key else None
        parent = by_key.get(node.parent) if node.parent else None
        gains = _sensitivity(page, key)
        children = [(row, gains.get(row.line["kpi"])) for row in shown if row.line["parent"] == key]
    chart = _chart(node, rows, inputs.plan.milestones, line)
    return KpiDetail(key, line, metric, rows, chart, children, parent)


def _stored_lines(plan: Plan, key: str) -> dict[Period, dict]:
    """The KPI's line in each stored month, by the period it judged (a quarterly KPI is judged
    on its quarter in three months: the latest month's judgement stands). One query."""
    lines: dict[Period, dict] = {}
    payloads = (
        ScorecardSnapshot.objects.filter(plan=plan)
        .order_by("period_start")
        .values_list("payload", flat=True)
    )
    for payload in payloads:
        for line in payload["lines"]:
            if line["kpi"] == key:
                lines[Period.parse(line["period"])] = line
    return lines


def sensitivity(page: ClientPage) -> list[tuple[ScorecardRow, ScorecardRow | None, Decimal]]:
    """Each KPI with a formula over its children: what each child would add at its must,
    largest first within its parent: (child, parent, gain)."""
    if page.snapshot is None:
        return []
    report = bottleneck_report_for(client=page.client, period=page.month, funnel=None)
    if report is None:
        return []
    rows, _milestones = scorecard_rows(page.snapshot)
    by_key = {row.line["kpi"]: row for row in rows}
    return [
        (by_key[entry["kpi"]], by_key.get(entry["parent"]), entry["gain"])
        for entry in report.payload["kpi_sensitivity"]
        if entry["kpi"] in by_key and entry["gain"] is not None
    ]


def _sensitivity(page: ClientPage, parent: str) -> dict[str, Decimal]:
    report = bottleneck_report_for(client=page.client, period=page.month, funnel=None)
    if report is None:
        return {}
    return {
        entry["kpi"]: entry["gain"]
        for entry in report.payload["kpi_sensitivity"]
        if entry["parent"] == parent
    }


def _number(value) -> float | None:
    return None if value is None else float(value)


def _chart(node, rows: list[PeriodRow], milestones, line: dict | None) -> dict:
    """Plain numbers for the chart: one value per period (None where there is none)."""
    index = {row.period: position for position, row in enumerate(rows)}
    markers = []
    for milestone in milestones:
        period = Period.containing(node.granularity, milestone.due)
        for condition in milestone.conditions:
            if condition.metric == node.metric and not condition.cumulative and period in index:
                markers.append(
                    {"x": index[period], "y": float(condition.value), "label": milestone.name}
                )
    forecast = [None] * len(rows)
    found = line and line.get("forecast")
    if found and found["value"] is not None:
        actual_positions = [i for i, row in enumerate(rows) if row.actual is not None]
        if actual_positions:
            last = actual_positions[-1]
            forecast[last] = float(rows[last].actual)
            forecast[-1] = float(found["value"])
    return {
        "periods": [str(row.period) for row in rows],
        "actual": [_number(row.actual) for row in rows],
        "must": [_number(row.must) for row in rows],
        "stretch": [_number(row.stretch) for row in rows],
        "forecast": forecast,
        "milestones": markers,
    }


# --- the tree, the milestones, the funnel -------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    key: str
    metric: Metric
    line: dict | None
    children: list[TreeNode]


def kpi_tree(page: ClientPage) -> list[TreeNode]:
    """The plan's KPIs as a tree, KGIs at the top, each with its line of the month."""
    if page.plan is None:
        return []
    plan = plan_with_document(client=page.client).get(pk=page.plan.pk)
    lines = {}
    if page.snapshot is not None:
        lines = {line["kpi"]: line for line in page.snapshot.payload["lines"]}
    rows = kpi_rows(plan)
    built: dict[int, TreeNode] = {}
    roots = []
    for row in reversed(rows):  # children before parents
        kids = [built[child.kpi.pk] for child in rows if child.kpi.parent_id == row.kpi.pk]
        built[row.kpi.pk] = TreeNode(row.kpi.key, row.kpi.metric, lines.get(row.kpi.key), kids)
    for row in rows:
        if row.depth == 0:
            roots.append(built[row.kpi.pk])
    return roots


@dataclass
class Timeline:
    """The month's milestones by their due date against the month: each group by due date."""

    this_month: list[MilestoneRow] = field(default_factory=list)
    ahead: list[MilestoneRow] = field(default_factory=list)
    past: list[MilestoneRow] = field(default_factory=list)


def milestones(page: ClientPage) -> Timeline:
    timeline = Timeline()
    if page.snapshot is None:
        return timeline
    _lines, rows = scorecard_rows(page.snapshot)
    first, last = page.month.start.isoformat(), page.month.end.isoformat()
    for row in sorted(rows, key=lambda row: row.milestone["due"]):
        due = row.milestone["due"]
        group = timeline.past if due < first else timeline.ahead if due > last else None
        (timeline.this_month if group is None else group).append(row)
    timeline.past.reverse()  # the most recent first
    return timeline


@dataclass(frozen=True)
class StageBar:
    stage: dict
    metric: Metric | None
    width: int  # the bar's share of the widest stage, in percent (at least 2)
    is_bottleneck: bool


@dataclass
class FunnelView:
    funnels: list[tuple[str, str]]  # (key, name) of the plan's funnels, for the picker
    key: str | None
    report: dict | None
    stages: list[StageBar]
    bottleneck: Bottleneck | None


def funnel(page: ClientPage, key: str | None) -> FunnelView:
    """The month's report of the funnel ``key`` (default: the plan's first funnel)."""
    if page.plan is None:
        return FunnelView([], None, None, [], None)
    reports = [
        report
        for report in BottleneckReport.objects.filter(
            client=page.client, plan=page.plan, period_start=page.month.start
        ).order_by("position")
        if report.funnel_key  # a plan without funnels has one report, of no funnel
    ]
    named = [(report.funnel_key, report.payload["funnel_name"]) for report in reports]
    default = reports[0] if reports else None
    chosen = next((report for report in reports if report.funnel_key == key), default)
    if chosen is None:
        return FunnelView(named, None, None, [], None)
    stages = chosen.payload["stages"]
    widest = max((stage["volume"] or 0 for stage in stages), default=0) or 1
    bars = [
        StageBar(
            stage,
            page.metrics.get(stage["metric"]),
            max(2, round(100 * (stage["volume"] or 0) / widest)),
            stage["rank"] == 1,
        )
        for stage in stages
    ]
    return FunnelView(named, chosen.funnel_key, chosen.payload, bars, bottleneck_of(chosen))


# --- diagnostics and jobs -----------------------------------------------------------------------


def diagnostic_runs(page: ClientPage) -> list[DiagnosticRun]:
    return list(
        DiagnosticRun.objects.filter(client=page.client)
        .select_related("template", "job")
        .order_by("-created_at")
    )


def diagnostic_run(page: ClientPage, run_id) -> DiagnosticRun:
    try:
        return (
            DiagnosticRun.objects.select_related("template", "job")
            .filter(client=page.client)
            .get(pk=run_id)
        )
    except (DiagnosticRun.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def client_job(page: ClientPage, job_id) -> Job:
    try:
        return Job.objects.filter(client=page.client).get(pk=job_id)
    except (Job.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def hub_activity(page: ClientPage, *, recent: int) -> dict:
    """What the client's hub lists besides its numbers: the latest diagnostic, draft plans, and
    the ``recent`` latest jobs, measurement changes and audit entries (jobs and entries with
    the words people read for their codes). Five queries."""
    client = page.client
    return {
        "diagnostic": DiagnosticRun.objects.filter(client=client)
        .select_related("template")
        .order_by("-created_at")
        .first(),
        "drafts": list(
            Plan.objects.filter(client=client, status=Plan.Status.DRAFT).order_by("-starts_on")
        ),
        "jobs": [
            (job, job_kind_label(job.kind))
            for job in Job.objects.filter(client=client).order_by("-created_at")[:recent]
        ],
        "changes": list(
            MeasurementHistory.objects.filter(client=client)
            .select_related("metric")
            .order_by("-changed_at")[:recent]
        ),
        "audit": [
            (entry, audit_action_label(entry.action))
            for entry in AuditLogEntry.objects.filter(client=client).order_by("-at")[:recent]
        ],
    }
