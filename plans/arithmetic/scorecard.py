"""Scorecard arithmetic (DESIGN.md, "Scorecard arithmetic"), in plain Python with exact decimals.

``scorecard(plan, month, as_of, rollup, tolerance)`` holds a plan's KPI nodes and milestones
against a client's values (a ``metrics.rollup.Rollup``) and returns the API's scorecard shape
(without ``client``, ``computed_at`` and ``stale``, which belong to the stored snapshot).

Choices where DESIGN.md is silent, each written where it is made:

- A node finer than a month (day, week) is judged on its period that holds the as-of date.
- A line whose period has no target (before the baseline) has no attainment and counts as a line
  without data for the score.
- Attainment is at least 0: a negative actual against a positive target attains nothing.
- Computed ratios are rounded to 6 places (the precision of a measurement), half to even.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, localcontext

from metrics.formulas import Formula
from metrics.periods import Granularity, Period
from metrics.rollup import Rollup

ZERO, ONE, TWO = Decimal(0), Decimal(1), Decimal(2)
PLACES = Decimal("0.000001")
FORECAST_WINDOW = 6  # periods of actuals a forecast is fitted on
FORECAST_MIN_POINTS = 3
MILESTONE_MIN_MONTHS = 3


def tidy(value: Decimal | None) -> Decimal | None:
    """Round a computed number to 6 places and drop trailing zeros (100, not 100.000000)."""
    if value is None:
        return None
    rounded = value.quantize(PLACES, rounding=ROUND_HALF_EVEN)
    if rounded == rounded.to_integral_value():
        return rounded.quantize(ONE)
    return rounded.normalize()


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    key: str
    metric: str
    parent: str | None
    weight: Decimal
    baseline_period: Period
    baseline_value: Decimal
    must: Decimal
    stretch: Decimal | None
    target_period: Period
    interpolation: str  # linear | compound
    higher_is_better: bool
    formula: Formula | None = None  # over the keys of its children (see sensitivity)
    formula_on_metrics: bool = False  # True when ``formula`` is the metric's, over metric keys

    @property
    def granularity(self) -> Granularity:
        return self.target_period.granularity


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str  # gte | lte
    value: Decimal
    cumulative: bool = False


@dataclass(frozen=True)
class Milestone:
    key: str
    name: str
    due: date
    kind: str  # state | event
    achieved_on: date | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class PlanSpec:
    starts_on: date
    ends_on: date
    nodes: tuple[Node, ...]
    milestones: tuple[Milestone, ...] = ()


def children_of(nodes: Iterable) -> dict[str, list]:
    """parent key -> its child nodes, in order (for anything with ``key`` and ``parent``)."""
    children: dict[str, list] = {}
    for node in nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)
    return children


def beats_or_meets(actual: Decimal, target: Decimal, higher_is_better: bool) -> bool:
    return actual >= target if higher_is_better else actual <= target


def stricter(a: Decimal, b: Decimal, higher_is_better: bool) -> Decimal:
    return max(a, b) if higher_is_better else min(a, b)


# --- target paths ---------------------------------------------------------------------------------


def waypoints(node: Node, milestones: Iterable[Milestone]) -> dict[Period, Decimal]:
    """The must path's waypoints: non-cumulative conditions on the node's metric whose op matches
    its direction, due strictly between the baseline and target periods; the stricter of two on
    one period wins."""
    wanted_op = "gte" if node.higher_is_better else "lte"
    points: dict[Period, Decimal] = {}
    for milestone in milestones:
        if milestone.kind != "state":
            continue
        period = Period.containing(node.granularity, milestone.due)
        if not (node.baseline_period < period < node.target_period):
            continue
        for condition in milestone.conditions:
            if condition.cumulative or condition.metric != node.metric:
                continue
            if condition.op != wanted_op:
                continue
            held = points.get(period)
            points[period] = (
                condition.value
                if held is None
                else stricter(held, condition.value, node.higher_is_better)
            )
    return points


def _between(a: Decimal, b: Decimal, steps: int, span: int, compound: bool) -> Decimal:
    """The value ``steps`` of ``span`` periods from a to b; geometric for compound (when both
    are positive), else linear (multiplied before dividing, so whole steps stay exact)."""
    with localcontext() as context:
        context.prec = 34
        if compound and a > 0 and b > 0:
            return a * (b / a) ** (Decimal(steps) / Decimal(span))
        return a + (b - a) * steps / span


def path_value(
    points: Sequence[tuple[Period, Decimal]], period: Period, compound: bool
) -> Decimal | None:
    """Piecewise interpolation through ``points`` (sorted, first = baseline, last = target),
    positions counted in whole periods; nothing before the first, the last value after it."""
    first, last = points[0][0], points[-1][0]
    if period < first:
        return None
    if period >= last:
        return points[-1][1]
    for (left, a), (right, b) in itertools.pairwise(points):
        if left <= period <= right:
            return _between(a, b, left.distance(period), left.distance(right), compound)
    return None  # unreachable: the points cover [first, last]


@dataclass(frozen=True)
class Paths:
    node: Node
    must_points: tuple[tuple[Period, Decimal], ...]

    @classmethod
    def of(cls, node: Node, milestones: Iterable[Milestone]) -> Paths:
        points = [(node.baseline_period, node.baseline_value)]
        points += sorted(waypoints(node, milestones).items())
        points.append((node.target_period, node.must))
        return cls(node, tuple(points))

    @property
    def compound(self) -> bool:
        return self.node.interpolation == "compound"

    def must(self, period: Period) -> Decimal | None:
        return path_value(self.must_points, period, self.compound)

    def stretch(self, period: Period) -> Decimal | None:
        node = self.node
        if node.stretch is None:
            return None
        raw = path_value(
            [(node.baseline_period, node.baseline_value), (node.target_period, node.stretch)],
            period,
            self.compound,
        )
        must = self.must(period)
        if raw is None or must is None:
            return None
        return stricter(raw, must, node.higher_is_better)  # never easier than must


# --- one line -------------------------------------------------------------------------------------


def attainment(
    actual: Decimal | None, target: Decimal | None, higher_is_better: bool
) -> Decimal | None:
    if actual is None or target is None:
        return None
    if target <= 0 or (not higher_is_better and actual <= 0):
        if actual == target:
            return ONE
        return TWO if beats_or_meets(actual, target, higher_is_better) else ZERO
    with localcontext() as context:
        context.prec = 34
        ratio = actual / target if higher_is_better else target / actual
    return min(max(ratio, ZERO), TWO)


def progress(actual: Decimal | None, baseline: Decimal, final_must: Decimal) -> Decimal | None:
    if actual is None or final_must == baseline:
        return None
    with localcontext() as context:
        context.prec = 34
        return (actual - baseline) / (final_must - baseline)


def status(
    actual: Decimal | None,
    must_target: Decimal | None,
    stretch_target: Decimal | None,
    attained: Decimal | None,
    higher_is_better: bool,
    tolerance: Decimal,
) -> str:
    if actual is None or must_target is None or attained is None:
        return "no_data"
    if stretch_target is not None and beats_or_meets(actual, stretch_target, higher_is_better):
        return "exceeded"
    if beats_or_meets(actual, must_target, higher_is_better):
        return "on_track"
    return "at_risk" if attained >= tolerance else "off_track"


def change(actual: Decimal | None, previous: Decimal | None) -> dict:
    if actual is None or previous is None:
        return {"abs": None, "pct": None}
    difference = actual - previous
    pct = None
    if previous != 0:
        with localcontext() as context:
            context.prec = 34
            pct = difference / previous
    return {"abs": difference, "pct": pct}


def growth_rate(value: Decimal | None, three_before: Decimal | None) -> Decimal | None:
    if value is None or three_before is None or value <= 0 or three_before <= 0:
        return None
    # A cube root in binary floating point (16 digits) is ample for 6 places, and a Decimal
    # power with a fractional exponent costs more than the rest of a line together.
    return Decimal(repr((float(value) / float(three_before)) ** (1 / 3) - 1))


@dataclass(frozen=True)
class Fit:
    """A least-squares line y = intercept + slope * x, on logs when ``logarithmic``."""

    intercept: Decimal
    slope: Decimal
    logarithmic: bool

    def at(self, x: int) -> Decimal:
        with localcontext() as context:
            context.prec = 34
            y = self.intercept + self.slope * Decimal(x)
            return y.exp() if self.logarithmic else y


def least_squares(points: Sequence[tuple[int, Decimal]], *, logarithmic: bool = False) -> Fit:
    """Fitted in binary floating point: a forecast is shown, and compared with must, to 6
    places, and Decimal sums of squares cost more than the rest of a line. The fit is handed
    back as Decimals."""
    xs = [float(x) for x, _y in points]
    ys = [math.log(y) if logarithmic else float(y) for _x, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    together = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = together / spread
    return Fit(Decimal(repr(mean_y - slope * mean_x)), Decimal(repr(slope)), logarithmic)


def forecast(
    node: Node,
    period: Period,
    actual_of: Callable[[Period], Decimal | None],
    search_periods: int,
) -> dict | None:
    """Fitted on the actuals of the 6 periods ending at ``period`` (gaps skipped), projected to
    the target period; ``eta`` is the first period from ``period`` on where the fit reaches the
    final must, searched ``search_periods`` ahead. None with fewer than 3 points."""
    points = []
    for back in range(FORECAST_WINDOW - 1, -1, -1):
        value = actual_of(period.shift(-back))
        if value is not None:
            points.append((-back, value))
    if len(points) < FORECAST_MIN_POINTS:
        return None
    logarithmic = node.interpolation == "compound" and all(y > 0 for _x, y in points)
    fit = least_squares(points, logarithmic=logarithmic)
    value = tidy(fit.at(period.distance(node.target_period)))
    ahead = _periods_to_reach(fit, node.must, node.higher_is_better, search_periods)
    eta = None if ahead is None else str(period.shift(ahead))
    return {
        "period": str(node.target_period),
        "value": value,
        "meets_must": beats_or_meets(value, node.must, node.higher_is_better),
        "eta": eta,
    }


def _periods_to_reach(fit: Fit, must: Decimal, higher_is_better: bool, limit: int) -> int | None:
    """The first whole x in [0, limit] where the fit, as shown (6 places), meets ``must``:
    solved, not searched."""

    def meets(x: int) -> bool:
        return beats_or_meets(tidy(fit.at(x)), must, higher_is_better)

    if meets(0):
        return 0
    moving_toward = fit.slope > 0 if higher_is_better else fit.slope < 0
    if not moving_toward or (fit.logarithmic and must <= 0):
        return None  # never gets there (a positive fit never falls to a target <= 0)
    with localcontext() as context:
        context.prec = 34
        goal = must.ln() if fit.logarithmic else must
        x = int(((goal - fit.intercept) / fit.slope).to_integral_value(rounding=ROUND_CEILING))
    x = max(x, 1)
    # The solution is exact up to rounding in the last digits: settle the boundary by checking.
    if x > 1 and meets(x - 1):
        x -= 1
    elif not meets(x):
        x += 1
    return x if x <= limit else None


def judged_period(node: Node, month: Period, as_of: date) -> Period:
    """The node's period that holds the scorecard month; a node finer than a month (day, week)
    is judged on its period that holds the as-of date."""
    if node.granularity in (Granularity.DAY, Granularity.WEEK):
        return Period.containing(node.granularity, min(as_of, month.end))
    return Period.containing(node.granularity, month.start)


def plan_length(plan: PlanSpec, granularity: Granularity) -> int:
    first = Period.containing(granularity, plan.starts_on)
    return first.distance(Period.containing(granularity, plan.ends_on)) + 1


def _value_of(rollup: Rollup, metric: str) -> Callable[[Period], Decimal | None]:
    def value(period: Period) -> Decimal | None:
        found = rollup.value(metric, period)
        return None if found is None else found.value

    return value


def line(
    node: Node,
    paths: Paths,
    plan: PlanSpec,
    month: Period,
    as_of: date,
    rollup: Rollup,
    tolerance: Decimal,
) -> dict:
    period = judged_period(node, month, as_of)
    actual_of = _value_of(rollup, node.metric)
    actual = actual_of(period)
    must_target, stretch_target = paths.must(period), paths.stretch(period)
    attained = attainment(actual, must_target, node.higher_is_better)
    moved = change(actual, actual_of(period.previous()))
    return {
        "kpi": node.key,
        "metric": node.metric,
        "parent": node.parent,
        "period": str(period),
        "weight": node.weight,
        "actual": tidy(actual),  # a derived metric's value (a ratio) has more places
        "must_target": tidy(must_target),
        "stretch_target": tidy(stretch_target),
        "attainment": attained,  # rounded by ``scorecard`` once the score is taken
        "progress": tidy(progress(actual, node.baseline_value, node.must)),
        "status": status(
            actual, must_target, stretch_target, attained, node.higher_is_better, tolerance
        ),
        "change": {"abs": tidy(moved["abs"]), "pct": tidy(moved["pct"])},
        "partial": period.end > as_of,
        "growth_rate": tidy(growth_rate(actual, actual_of(period.shift(-3)))),
        "forecast": forecast(node, period, actual_of, 2 * plan_length(plan, node.granularity)),
    }


# --- the whole card -------------------------------------------------------------------------------


def score(lines: Sequence[dict]) -> tuple[Decimal | None, str, Decimal | None]:
    """(score, health, coverage): 100 x the weighted mean of min(attainment, 1) over the lines
    with data; coverage = lines with data / lines."""
    judged = [line for line in lines if line["attainment"] is not None]
    coverage = Decimal(len(judged)) / Decimal(len(lines)) if lines else None
    total_weight = sum((line["weight"] for line in judged), ZERO)
    if not judged or total_weight == 0:
        return None, "no_data", tidy(coverage)
    with localcontext() as context:
        context.prec = 34
        weighted = sum((line["weight"] * min(line["attainment"], ONE) for line in judged), ZERO)
        value = Decimal(100) * weighted / total_weight
    health = "green" if value >= 90 else "amber" if value >= 70 else "red"
    return tidy(value), health, tidy(coverage)


@dataclass
class _ConditionTrack:
    condition: Condition
    actuals: list[tuple[Period, Decimal | None]] = field(default_factory=list)

    def met(self, actual: Decimal | None) -> bool:
        if actual is None:
            return False
        return (
            actual >= self.condition.value
            if self.condition.op == "gte"
            else (actual <= self.condition.value)
        )


def _condition_series(
    condition: Condition, months: list[Period], rollup: Rollup
) -> list[tuple[Period, Decimal | None]]:
    value_of = _value_of(rollup, condition.metric)
    series, running, seen = [], ZERO, False
    for month in months:
        value = value_of(month)
        if condition.cumulative:
            if value is not None:
                running, seen = running + value, True
            series.append((month, running if seen else None))
        else:
            series.append((month, value))
    return series


def milestone_status(milestone: Milestone, plan: PlanSpec, as_of: date, rollup: Rollup) -> dict:
    result = {
        "key": milestone.key,
        "name": milestone.name,
        "due": milestone.due.isoformat(),
        "kind": milestone.kind,
        "status": "pending",
        "achieved_on": None,
        "conditions": [],
    }
    if milestone.kind == "event":
        achieved = (
            milestone.achieved_on
            if milestone.achieved_on and milestone.achieved_on <= as_of
            else None
        )
        result["achieved_on"] = achieved.isoformat() if achieved else None
        if achieved is not None and achieved <= milestone.due:
            result["status"] = "achieved"
        elif milestone.due <= as_of:
            result["status"] = "missed"
        return result

    first = Period.containing(Granularity.MONTH, plan.starts_on)
    due_month = Period.containing(Granularity.MONTH, milestone.due)
    last = min(due_month, Period.containing(Granularity.MONTH, as_of))
    months = list(_months(first, last))
    tracks = [
        _ConditionTrack(condition, _condition_series(condition, months, rollup))
        for condition in milestone.conditions
    ]
    shown_index = len(months) - 1  # the latest month judged, unless achieved earlier
    for index, month in enumerate(months):
        if all(track.met(track.actuals[index][1]) for track in tracks):
            result["status"] = "achieved"
            result["achieved_on"] = month.end.isoformat()
            shown_index = index
            break
    else:
        if milestone.due <= as_of:
            result["status"] = "missed"
        else:
            result["status"] = _before_due(tracks, due_month)
    for track in tracks:
        actual = track.actuals[shown_index][1] if shown_index >= 0 else None
        result["conditions"].append(
            {
                "metric": track.condition.metric,
                "op": track.condition.op,
                "value": track.condition.value,
                "cumulative": track.condition.cumulative,
                "actual": actual,
                "met": track.met(actual),
            }
        )
    return result


def _months(first: Period, last: Period):
    period = first
    while period <= last:
        yield period
        period = period.next()


def _before_due(tracks: list[_ConditionTrack], due_month: Period) -> str:
    """``on_track`` when every condition holds now (its latest actual) or its linear forecast at
    due holds, ``at_risk`` when one fails, ``pending`` while one has fewer than 3 months of
    data. The forecast is fitted like a KPI's: on the last 6 months with data."""
    pending = False
    for track in tracks:
        known = [(period, value) for period, value in track.actuals if value is not None]
        if known and track.met(known[-1][1]):
            continue
        if len(known) < MILESTONE_MIN_MONTHS:
            pending = True
            continue
        recent = known[-FORECAST_WINDOW:]
        latest = recent[-1][0]
        fit = least_squares([(latest.distance(period), value) for period, value in recent])
        if not track.met(tidy(fit.at(latest.distance(due_month)))):
            return "at_risk"
    return "pending" if pending else "on_track"


def scorecard(
    plan: PlanSpec, month: Period, as_of: date, rollup: Rollup, tolerance: Decimal
) -> dict:
    lines = [
        line(node, Paths.of(node, plan.milestones), plan, month, as_of, rollup, tolerance)
        for node in plan.nodes
    ]
    value, health, coverage = score(lines)  # from attainments before rounding
    for each in lines:
        each["attainment"] = tidy(each["attainment"])
    return {
        "period": str(month),
        "as_of": as_of.isoformat(),
        "score": value,
        "health": health,
        "coverage": coverage,
        "lines": lines,
        "milestones": [
            milestone_status(milestone, plan, as_of, rollup) for milestone in plan.milestones
        ],
    }
