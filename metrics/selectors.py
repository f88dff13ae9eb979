"""Reads of the metrics app, each starting from a client or a principal's scope."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from clients.models import Client, Consultancy
from clients.principals import Principal
from clients.selectors import consultancies_of
from metrics import formulas
from metrics.ingest import MetricRef
from metrics.models import Measurement, Metric
from metrics.periods import Granularity, Period, iterate
from metrics.rollup import MetricDef, Rollup, Value

MAX_SERIES_PERIODS = 1000
MAX_SERIES_METRICS = 20


def metrics_for_consultancy(consultancy: Consultancy | None) -> QuerySet[Metric]:
    """The built-in metrics plus the consultancy's own."""
    own = Q(consultancy=consultancy) if consultancy is not None else Q(pk__in=[])
    return Metric.objects.filter(Q(consultancy__isnull=True) | own)


def metrics_for_client(client: Client) -> QuerySet[Metric]:
    return metrics_for_consultancy(client.consultancy)


def metric_catalogue_for(principal: Principal | None) -> QuerySet[Metric]:
    """The metrics the principal can use: built-in ones and its consultancies' own."""
    return Metric.objects.filter(
        Q(consultancy__isnull=True) | Q(consultancy__in=consultancies_of(principal))
    ).select_related("consultancy")


def metric_refs_for_client(client: Client) -> dict[str, MetricRef]:
    return {
        key: MetricRef(id=pk, derived=bool(formula))
        for key, pk, formula in metrics_for_client(client).values_list("key", "id", "formula")
    }


def client_today(client: Client) -> date:
    """Today in the client's time zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(client.timezone)).date()


def measurements_for_client(
    *,
    client: Client,
    metric: str | None = None,
    since: Period | None = None,
    until: Period | None = None,
) -> QuerySet[Measurement]:
    """Raw measurements, oldest period first; ``since``/``until`` bound the periods' starts."""
    rows = Measurement.objects.filter(client=client).select_related("metric")
    if metric:
        rows = rows.filter(metric__key=metric)
    if since is not None:
        rows = rows.filter(period_start__gte=since.start)
    if until is not None:
        rows = rows.filter(period_start__lte=until.end)
    return rows.order_by("period_start", "metric__key", "granularity", "id")


def series_for_client(
    *,
    client: Client,
    keys: list[str],
    granularity: Granularity,
    first: Period,
    last: Period,
    as_of: date | None = None,
) -> dict[str, list[tuple[Period, Value | None]]]:
    """Each metric's value and coverage for every period from ``first`` to ``last``."""
    catalogue = {m.key: m for m in metrics_for_client(client)}
    definitions = _definitions_needed(catalogue, keys)
    measured = [key for key, d in definitions.items() if d.formula is None]
    periods = list(iterate(first, last))
    rows = Measurement.objects.filter(
        client=client,
        metric__key__in=measured,
        period_start__gte=periods[0].start,
        period_start__lte=periods[-1].end,
    ).values_list("metric__key", "granularity", "period_start", "value")
    measurements: dict[str, dict[Period, object]] = defaultdict(dict)
    for key, row_granularity, start, value in rows:
        measurements[key][Period(Granularity(row_granularity), start)] = value
    rollup = Rollup(definitions, measurements, as_of or client_today(client))
    return {key: [(period, rollup.value(key, period)) for period in periods] for key in keys}


def _definitions_needed(catalogue: dict[str, Metric], keys: list[str]) -> dict[str, MetricDef]:
    """The metrics asked for and, through formulas, every metric they are computed from."""
    definitions: dict[str, MetricDef] = {}
    pending = list(keys)
    while pending:
        key = pending.pop()
        if key in definitions or key not in catalogue:
            continue
        metric = catalogue[key]
        formula = formulas.parse(metric.formula) if metric.formula else None
        definitions[key] = MetricDef(key, metric.aggregation, formula)
        if formula is not None:
            pending.extend(formula.keys)
    return definitions
