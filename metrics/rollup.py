"""The value of a metric for a period, from the measurements that exist (pure, no Django).

- A measurement for exactly that period wins (coverage 1).
- Otherwise the value is rolled up from the next finer level (day → month → quarter → year,
  day → week), each sub-period valued by these same rules, with the metric's aggregation:
  ``sum`` adds, ``last`` takes the latest sub-period with a value, ``avg`` takes the mean.
  ``coverage`` is the share of the sub-periods that have a value; sub-periods that begin after
  the as-of date count as missing (one that holds the as-of date counts with its data so far).
- A derived metric is its formula over its inputs' values for the same period (ratios come from
  rolled-up counts, never from averaged ratios); its coverage is the lowest of its inputs'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics.formulas import Formula
from metrics.periods import Granularity, Period


@dataclass(frozen=True, slots=True)
class Value:
    value: Decimal
    coverage: Decimal


@dataclass(frozen=True, slots=True)
class MetricDef:
    key: str
    aggregation: str  # sum | last | avg
    formula: Formula | None = None


class Rollup:
    """Values of several metrics of one client, computed on demand and remembered.

    ``measurements`` maps ``metric key -> {Period: Decimal}`` (direct values only).
    """

    def __init__(
        self,
        metrics: Mapping[str, MetricDef],
        measurements: Mapping[str, Mapping[Period, Decimal]],
        as_of: date,
        spans: dict[str, tuple[date, date]] | None = None,
    ):
        """``spans`` may be shared between rollups of the same measurements (for several as-of
        dates): it caches each metric's first and last measured day."""
        self.metrics = metrics
        self.measurements = measurements
        self.as_of = as_of
        self._memo: dict[tuple[str, Period], Value | None] = {}
        self._spans: dict[str, tuple[date, date]] = {} if spans is None else spans

    def value(self, key: str, period: Period) -> Value | None:
        memo_key = (key, period)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._compute(key, period)
        return self._memo[memo_key]

    def _compute(self, key: str, period: Period) -> Value | None:
        metric = self.metrics.get(key)
        if metric is None:
            return None
        if period.start > self.as_of:
            return None  # the period has not begun by the as-of date
        if metric.formula is not None:
            return self._derived(metric, period)
        measured = self.measurements.get(key)
        if not measured or not self._may_hold_data(key, period):
            return None  # nothing to roll up: skip walking the calendar down to days
        direct = measured.get(period)
        if direct is not None:
            return Value(direct, Decimal(1))
        if period.granularity == Granularity.DAY:
            return None
        return self._rolled_up(metric, period)

    def _may_hold_data(self, key: str, period: Period) -> bool:
        span = self._spans.get(key)
        if span is None:
            # The latest end is that of the latest-starting period of some granularity: one
            # ``end`` per granularity instead of one per measurement.
            latest: dict[Granularity, Period] = {}
            for measured in self.measurements[key]:
                held = latest.get(measured.granularity)
                if held is None or measured.start > held.start:
                    latest[measured.granularity] = measured
            span = self._spans[key] = (
                min(p.start for p in self.measurements[key]),
                max(p.end for p in latest.values()),
            )
        return period.start <= span[1] and span[0] <= period.end

    def _rolled_up(self, metric: MetricDef, period: Period) -> Value | None:
        children = period.children()
        known = []
        for child in children:
            value = self.value(metric.key, child)  # None for children after the as-of date
            if value is not None:
                known.append(value.value)
        if not known:
            return None
        coverage = Decimal(len(known)) / Decimal(len(children))
        if metric.aggregation == "sum":
            return Value(sum(known, Decimal(0)), coverage)
        if metric.aggregation == "last":
            return Value(known[-1], coverage)
        return Value(sum(known, Decimal(0)) / len(known), coverage)

    def _derived(self, metric: MetricDef, period: Period) -> Value | None:
        inputs = {key: self.value(key, period) for key in metric.formula.keys}
        if any(value is None for value in inputs.values()):
            return None
        result = metric.formula.evaluate({key: value.value for key, value in inputs.items()})
        if result is None:
            return None
        coverage = min((value.coverage for value in inputs.values()), default=Decimal(1))
        return Value(result, coverage)
