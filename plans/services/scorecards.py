"""Scorecards and bottleneck reports: the active plan held against the client's measurements.

``scorecards_recompute(client_id=..., period=...)`` computes, in one transaction and a fixed
number of queries whatever the number of KPIs and months:

1. the requested month (default: the latest closed month in the client's time zone), and
2. every other month of the active plan, from its first month to the current one,

each only when the fingerprint of its inputs changed (or ``force``). The arithmetic is in the
pure modules ``plans.scorecard`` and ``plans.bottlenecks``; this module loads, fingerprints and
stores. Recomputes of one client take turns (a PostgreSQL advisory lock; SQLite has one writer
at a time anyway), and a crash leaves the previous snapshots untouched.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from clients.models import DirtyMark
from clients.services import dirty_marks_clear
from metrics import formulas
from metrics.models import Measurement, Metric
from metrics.periods import Granularity, Period
from metrics.rollup import MetricDef, Rollup
from metrics.selectors import client_today, metrics_for_client
from plans import bottlenecks, scorecard, signals
from plans.models import BottleneckReport, Funnel, KpiNode, Milestone, Plan, ScorecardSnapshot

ALGORITHM_VERSION = "1"  # part of every fingerprint: a change in the arithmetic recomputes all
RECOMPUTE_LOCK = 2  # first key of the advisory lock (metrics' ingest uses 1)
HIGHER = "higher_is_better"
GRANULARITIES = {granularity.value: granularity for granularity in Granularity}


@dataclass(frozen=True)
class RecomputeResult:
    client_id: object
    plan_id: object | None
    requested: str | None
    computed: list[str] = field(default_factory=list)  # months recomputed, oldest first
    unchanged: int = 0  # months whose inputs had not changed

    def as_dict(self) -> dict:
        return {
            "plan": None if self.plan_id is None else str(self.plan_id),
            "requested": self.requested,
            "computed": self.computed,
            "unchanged": self.unchanged,
        }

    def __str__(self) -> str:
        if self.plan_id is None:
            return "no active plan"
        months = ", ".join(self.computed) or "none"
        return f"computed {len(self.computed)} month(s) ({months}), {self.unchanged} unchanged"


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

    @property
    def static_digest(self) -> bytes:
        # Every part is a dataclass, tuple, Decimal, date or text, whose reprs are the same in
        # every process (formulas show their text, not their frozenset of keys).
        parts = (ALGORITHM_VERSION, self.plan, self.tree, self.funnels, self.definitions)
        return hashlib.sha256(repr(parts).encode()).digest()


# --- loading ------------------------------------------------------------------------------------


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


def _inputs(plan: Plan, catalogue: list[Metric]) -> Inputs:
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


def active_plan_inputs(*, client_id) -> Inputs | None:
    """The active plan as the arithmetic takes it (None without one)."""
    found = _active_plans([client_id])
    if not found:
        return None
    return _inputs(found[0], list(metrics_for_client(found[0].client)))


# --- months and fingerprints --------------------------------------------------------------------


def latest_closed_month(today: date) -> Period:
    return Period.containing(Granularity.MONTH, today).previous()


def _months(plan: Plan, today: date, requested: Period, *, latest_only: bool) -> list[Period]:
    current = Period.containing(Granularity.MONTH, today)
    if latest_only:
        return sorted({requested, current.previous(), current}, key=lambda month: month.index)
    first = Period.containing(Granularity.MONTH, plan.starts_on)
    last = min(Period.containing(Granularity.MONTH, plan.ends_on), current)
    months = {requested}
    period = first
    while period <= last:
        months.add(period)
        period = period.next()
    return sorted(months, key=lambda month: month.index)


def _fingerprints(
    static: bytes, tolerance: Decimal, rows: list[tuple], months: list[Period], today: date
) -> dict[Period, str]:
    """One digest per month over the static inputs, the tolerance, the as-of date and the
    measurements that had begun by then (``rows`` sorted by period start)."""
    running = hashlib.sha256(static)
    running.update(f"tolerance={tolerance}".encode())
    position, result = 0, {}
    for month in months:  # oldest first: each month's rows extend the previous month's
        as_of = min(month.end, today)
        end = position
        while end < len(rows) and rows[end][2] <= as_of:
            end += 1
        running.update(
            "".join(
                f"{m}|{g}|{start}|{value}\n" for m, g, start, value in rows[position:end]
            ).encode()
        )
        position = end
        digest = running.copy()
        digest.update(f"as_of={as_of}".encode())
        result[month] = digest.hexdigest()
    return result


# --- computing one month ------------------------------------------------------------------------


def _compute(
    inputs: Inputs, measured: dict, month: Period, as_of: date, tolerance: Decimal, spans=None
) -> tuple[dict, list[dict]]:
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
        reports.append(
            {
                "funnel": None,
                "funnel_name": None,
                "overall_conversion": None,
                "target_overall_conversion": None,
                "bottleneck": None,
                "stages": [],
            }
        )
    for report in reports:
        report["kpi_sensitivity"] = sensitivity
    return card, reports


def _next_milestone(card: dict) -> dict | None:
    open_ones = [m for m in card["milestones"] if m["status"] not in ("achieved", "missed")]
    if not open_ones:
        return None
    upcoming = min(open_ones, key=lambda m: m["due"])
    return {key: upcoming[key] for key in ("key", "name", "due", "status")}


# --- the service --------------------------------------------------------------------------------


def _lock(client_ids: list) -> None:
    """Take the recompute lock of each client, always in the same order (no deadlocks between
    batches that share clients)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(id)) "
                "FROM (SELECT unnest(%s::text[]) AS id ORDER BY 1) AS ids",
                [RECOMPUTE_LOCK, sorted(str(client_id) for client_id in client_ids)],
            )
    # SQLite: one writer at a time, and embedded mode runs tasks in-process.


def scorecards_recompute(
    *, client_id, period: Period | None = None, force: bool = False, latest_only: bool = False
) -> RecomputeResult:
    """Recompute one client (see ``scorecards_recompute_many``)."""
    (result,) = scorecards_recompute_many(
        client_ids=[client_id], period=period, force=force, latest_only=latest_only
    )
    return result


def scorecards_recompute_many(
    *, client_ids, period: Period | None = None, force: bool = False, latest_only: bool = False
) -> list[RecomputeResult]:
    """Recompute clients together, in one transaction and the same fixed number of queries as
    one client. For each: the requested month (default: its latest closed month) and every
    other month of its active plan whose inputs changed — or, with ``latest_only`` (the nightly
    round, whose only news is the date), just the latest closed month and the month in
    progress. Months whose fingerprint is unchanged are skipped unless ``force``."""
    client_ids = list(dict.fromkeys(uuid.UUID(str(client_id)) for client_id in client_ids))
    with transaction.atomic():
        _lock(client_ids)
        computed_at = timezone.now()  # before any input is read: a later change makes it stale
        plans = {plan.client_id: plan for plan in _active_plans(client_ids)}
        # The marks as they were before any input was read; only these are cleared at the end.
        marks = {client_id: plan.mark_read_at for client_id, plan in plans.items()}
        without_plan = [client_id for client_id in client_ids if client_id not in plans]
        if without_plan:  # nothing to compute for them, but their marks are done with too
            marks.update(
                DirtyMark.objects.filter(client_id__in=without_plan).values_list(
                    "client_id", "marked_at"
                )
            )
        catalogues = _catalogues(plans.values())
        inputs = {
            cid: _inputs(plan, catalogues[plan.client.consultancy_id])
            for cid, plan in plans.items()
        }
        rows = measurement_rows(inputs)
        stored = _stored(plans.values())
        results, snapshots, reports, cleared, announcements = [], [], [], [], []
        for client_id in client_ids:
            plan = plans.get(client_id)
            if plan is None:
                results.append(RecomputeResult(client_id, None, str(period) if period else None))
                cleared.append((client_id, marks.get(client_id)))  # nothing to compute
                continue
            client = plan.client
            today = client_today(client)
            requested = period or latest_closed_month(today)
            months = _months(plan, today, requested, latest_only=latest_only)
            tolerance = client.consultancy.status_tolerance
            fingerprints = _fingerprints(
                inputs[client_id].static_digest, tolerance, rows.get(client_id, []), months, today
            )
            before = stored.get(plan.pk, {})
            todo = [
                month
                for month in months
                if force or before.get(month.start, (None, None))[0] != fingerprints[month]
            ]
            if todo:
                cards = _compute_months(
                    plan,
                    inputs[client_id],
                    rows.get(client_id, []),
                    todo,
                    fingerprints,
                    today,
                    tolerance,
                    computed_at,
                    snapshots,
                    reports,
                )
                newest = Period.containing(Granularity.MONTH, today)
                announcements.append((plan, cards, newest, before))
            if not latest_only:  # all the plan's months are current: the mark is done with
                cleared.append((client_id, marks.get(client_id)))
            results.append(
                RecomputeResult(
                    client_id,
                    plan.pk,
                    str(requested),
                    [str(month) for month in todo],
                    len(months) - len(todo),
                )
            )
        _write(snapshots, reports)
        dirty_marks_clear(marks=cleared)
        for announcement in announcements:
            _announce(*announcement)
    return results


def _active_plans(client_ids) -> list[Plan]:
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


def _catalogues(plans) -> dict:
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


def _stored(plans) -> dict:
    """plan id -> {month start: (fingerprint, milestone statuses)} of the stored snapshots."""
    stored: dict = {}
    found = ScorecardSnapshot.objects.filter(plan__in=[plan.pk for plan in plans]).values_list(
        "plan_id", "period_start", "fingerprint", "milestone_statuses"
    )
    for plan_id, start, fingerprint, statuses in found:
        stored.setdefault(plan_id, {})[start] = (fingerprint, statuses)
    return stored


def _compute_months(
    plan, inputs, rows, todo, fingerprints, today, tolerance, computed_at, snapshots, reports
) -> dict[Period, dict]:
    """Compute the months in ``todo``, adding their rows to ``snapshots`` and ``reports``."""
    measured = measured_values(inputs, rows)
    cards, spans = {}, {}  # spans: shared by the months' rollups of these measurements
    for month in todo:
        as_of = min(month.end, today)
        card, month_reports = _compute(inputs, measured, month, as_of, tolerance, spans)
        cards[month] = card
        statuses = [line["status"] for line in card["lines"]]
        snapshots.append(
            ScorecardSnapshot(
                client_id=plan.client_id,
                plan=plan,
                period_start=month.start,
                as_of=as_of,
                fingerprint=fingerprints[month],
                computed_at=computed_at,
                score=card["score"],
                health=card["health"],
                off_track=statuses.count("off_track"),
                at_risk=statuses.count("at_risk"),
                bottleneck=month_reports[0]["bottleneck"] or "",
                next_milestone=_next_milestone(card),
                milestone_statuses={m["key"]: m["status"] for m in card["milestones"]},
                payload=card,
            )
        )
        reports += [
            BottleneckReport(
                client_id=plan.client_id,
                plan=plan,
                period_start=month.start,
                funnel_key=report["funnel"] or "",
                position=position,
                fingerprint=fingerprints[month],
                computed_at=computed_at,
                payload=report,
            )
            for position, report in enumerate(month_reports)
        ]
    return cards


SNAPSHOT_FIELDS = [
    "as_of",
    "fingerprint",
    "computed_at",
    "score",
    "health",
    "off_track",
    "at_risk",
    "bottleneck",
    "next_milestone",
    "milestone_statuses",
    "payload",
]


def _write(snapshots: list, reports: list) -> None:
    if not snapshots:
        return
    ScorecardSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["plan", "period_start"],
        update_fields=SNAPSHOT_FIELDS,
    )
    replaced = Q()
    for snapshot in snapshots:
        replaced |= Q(plan_id=snapshot.plan_id, period_start=snapshot.period_start)
    BottleneckReport.objects.filter(replaced).delete()
    BottleneckReport.objects.bulk_create(reports)


def _announce(plan: Plan, cards: dict[Period, dict], newest: Period, stored: dict) -> None:
    """Signals after commit: each month computed, and the milestones of the plan's newest month
    that became achieved or missed (against what that month, or else the latest stored month
    before it, said last)."""
    client_id, plan_id = plan.client_id, plan.pk
    months = [str(month) for month in cards]
    changed = []
    if newest in cards:
        earlier = [start for start in stored if start <= newest.start]
        before = stored[max(earlier)][1] if earlier else {}
        changed = [
            milestone
            for milestone in cards[newest]["milestones"]
            if milestone["status"] in ("achieved", "missed")
            and before.get(milestone["key"]) != milestone["status"]
        ]

    def send():
        for month in months:
            signals.scorecard_computed.send(
                sender=ScorecardSnapshot, client_id=client_id, plan_id=plan_id, period=month
            )
        for milestone in changed:
            achieved = milestone["status"] == "achieved"
            (signals.milestone_achieved if achieved else signals.milestone_missed).send(
                sender=Milestone,
                client_id=client_id,
                plan_id=plan_id,
                key=milestone["key"],
                name=milestone["name"],
                due=milestone["due"],
                achieved_on=milestone["achieved_on"],
                period=str(newest),
            )

    transaction.on_commit(send)
