"""Planning backwards (逆算): from a target back to the drivers. Pure arithmetic, no Django.

- ``solve``: for a KPI whose formula runs over its children, the value each child alone would
  need for the formula to give the target, the other children held at their basis values.
  Where the child occurs once in a formula of ``+ - * /`` the equation is inverted exactly;
  otherwise (``min``/``max``, or the child twice) it is solved by bisection on the child's
  domain. A value outside the domain (a ratio above 1 or below 0; a negative count, amount,
  number of people or days) is infeasible.
- ``funnel_requirements``: from a target at the last stage, the volume each stage above needs,
  ``required_(i-1) = required_i / conversion_i``, and the gap to the actuals.
- ``scenario``: changed KPIs recomputed up the tree through the formulas, and each top KPI held
  against its must and stretch targets.

Numbers are Decimals; results are rounded to 6 places (``tidy``) as the scorecard's are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from itertools import pairwise

from metrics.formulas import Binary, Formula, Key, Negate
from plans.arithmetic.bottlenecks import TreeNode, formula_over_children
from plans.arithmetic.scorecard import beats_or_meets, children_of, tidy

ZERO, ONE = Decimal(0), Decimal(1)
# The values a metric of each unit can take: (lowest, highest); None is open.
DOMAINS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "ratio": (ZERO, ONE),
    "multiple": (ZERO, None),
    "money": (ZERO, None),
    "count": (ZERO, None),
    "days": (ZERO, None),
    "people": (ZERO, None),
}
BISECTION_STEPS = 200
RELATIVE_TOLERANCE = Decimal("1e-9")
WIDEST = Decimal("1e15")  # how far up an open domain is searched for a bracket


def in_domain(value: Decimal, unit: str) -> bool:
    low, high = DOMAINS.get(unit, (None, None))
    return (low is None or value >= low) and (high is None or value <= high)


def change_pct(value: Decimal | None, basis: Decimal | None) -> Decimal | None:
    if value is None or basis is None or basis == 0:
        return None
    with localcontext() as context:
        context.prec = 34
        return value / basis - 1


# --- solving one formula for one input ------------------------------------------------------------


def _occurrences(node, name: str) -> int:
    if isinstance(node, Key):
        return int(node.name == name)
    if isinstance(node, Negate):
        return _occurrences(node.operand, name)
    if isinstance(node, Binary):
        return _occurrences(node.left, name) + _occurrences(node.right, name)
    return sum(_occurrences(argument, name) for argument in getattr(node, "arguments", ()))


class _NotInvertible(Exception):
    """The input sits under a function (min, max): no exact inverse; solve numerically."""


def _invert(node, name: str, target: Decimal, values: Mapping) -> Decimal | None:
    """The value of ``name`` (occurring once under ``node``) that makes ``node`` equal
    ``target``; None when no value does (or another input has no value)."""
    if isinstance(node, Key):
        return target
    if isinstance(node, Negate):
        return _invert(node.operand, name, -target, values)
    if not isinstance(node, Binary):
        raise _NotInvertible
    on_left = _occurrences(node.left, name) == 1
    other = (node.right if on_left else node.left).evaluate(values)
    if other is None:
        return None
    inner = node.left if on_left else node.right
    op = node.op
    if op == "+":
        return _invert(inner, name, target - other, values)
    if op == "-":  # left - right = T
        return _invert(inner, name, target + other if on_left else other - target, values)
    if op == "*":
        return None if other == 0 else _invert(inner, name, target / other, values)
    # op == "/"
    if on_left:  # inner / other = T
        return None if other == 0 else _invert(inner, name, target * other, values)
    return None if target == 0 else _invert(inner, name, other / target, values)  # other / inner


def _bisect(
    formula: Formula, name: str, target: Decimal, values: Mapping, unit: str
) -> Decimal | None:
    """A value of ``name`` in its domain for which the formula gives ``target``, by bisection
    over the domain; None when the target is not bracketed (no value found)."""
    low, high = DOMAINS.get(unit, (None, None))
    low = -WIDEST if low is None else low
    high = WIDEST if high is None else high

    def gap(x: Decimal) -> Decimal | None:
        value = formula.evaluate({**values, name: x})
        return None if value is None else value - target

    # Scan the domain coarsely for a sign change (the formula may be flat in places).
    points = [low + (high - low) * Decimal(i) / 64 for i in range(65)]
    if high == WIDEST:  # an open domain: look on a logarithmic scale too
        points += [Decimal(10) ** exponent for exponent in range(-6, 16)]
    points = sorted(set(points))
    gaps = [(x, gap(x)) for x in points]
    gaps = [(x, g) for x, g in gaps if g is not None]
    for x, g in gaps:
        if g == 0:
            return x
    bracket = next(
        ((a, b) for (a, ga), (b, gb) in pairwise(gaps) if (ga < 0) != (gb < 0)),
        None,
    )
    if bracket is None:
        return None
    a, b = bracket
    with localcontext() as context:
        context.prec = 34
        ga = gap(a)
        for _step in range(BISECTION_STEPS):
            middle = (a + b) / 2
            gm = gap(middle)
            if gm is None:
                return None
            if gm == 0 or abs(b - a) <= RELATIVE_TOLERANCE * max(abs(middle), ONE):
                return middle
            if (gm < 0) == (ga < 0):
                a, ga = middle, gm
            else:
                b = middle
    return (a + b) / 2


@dataclass(frozen=True)
class Requirement:
    """What one input alone would need for its formula to reach the target."""

    name: str  # the input's name in the formula
    basis_value: Decimal | None
    required: Decimal | None  # None when infeasible (or an input has no value)
    feasible: bool

    @property
    def change_pct(self) -> Decimal | None:
        return change_pct(self.required, self.basis_value)


def solve_input(
    formula: Formula, name: str, target: Decimal, values: Mapping, unit: str
) -> Requirement:
    """The value ``name`` alone would need for ``formula`` to give ``target``, every other
    input at its value in ``values``."""
    basis = values.get(name)
    others = {key: value for key, value in values.items() if key != name}
    if any(others.get(key) is None for key in formula.keys - {name}):
        return Requirement(name, basis, None, False)  # an input without a value: no answer
    required = None
    with localcontext() as context:
        context.prec = 34
        if _occurrences(formula.tree, name) == 1:
            try:
                required = _invert(formula.tree, name, target, others)
            except _NotInvertible:
                required = _bisect(formula, name, target, others, unit)
        else:
            required = _bisect(formula, name, target, others, unit)
    if required is None or not in_domain(required, unit):
        return Requirement(name, basis, None, False)
    return Requirement(name, basis, required, True)


# --- over the KPI tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanningNode:
    """A KPI as planning sees it: the tree node and its metric's unit."""

    tree: TreeNode
    unit: str

    @property
    def key(self) -> str:
        return self.tree.key


class NotSolvable(ValueError):
    """The KPI has no formula over its children (or a path step is not its child)."""


def _row(node: PlanningNode, requirement: Requirement) -> dict:
    return {
        "kpi": node.key,
        "metric": node.tree.metric,
        "basis_value": tidy(requirement.basis_value),
        "required": tidy(requirement.required),
        "change_pct": tidy(requirement.change_pct),
        "feasible": requirement.feasible,
    }


def solve(
    nodes: Sequence[PlanningNode],
    kpi: str,
    target: Decimal,
    basis: Callable[[str], Decimal | None],
    path: Sequence[str] = (),
) -> dict:
    """``alternatives``: for each child in ``kpi``'s formula, the value it alone would need for
    ``kpi`` to reach ``target``, the other children at ``basis(child)``. ``cascade``: down
    ``path`` (each a child of the one before, the first a child of ``kpi``), each step's target
    being the previous step's requirement. Raises ``NotSolvable``."""
    by_key = {node.key: node for node in nodes}
    children = children_of([node.tree for node in nodes])

    def alternatives(parent_key: str, goal: Decimal) -> list[tuple[PlanningNode, Requirement]]:
        parent = by_key.get(parent_key)
        found = parent and formula_over_children(parent.tree, children.get(parent_key, []))
        if not found:
            raise NotSolvable(parent_key)
        formula, stands_for = found
        values = {name: basis(child) for name, child in stands_for.items()}
        # Only the children the formula names drive it (a churn rate beside MRR = customers x
        # ARPA is a child, not a driver).
        named = {name: child for name, child in stands_for.items() if name in formula.keys}
        return [
            (by_key[child], solve_input(formula, name, goal, values, by_key[child].unit))
            for name, child in sorted(named.items(), key=lambda item: item[1])
        ]

    first = alternatives(kpi, target)
    cascade, parent, goal = [], kpi, target
    for step in path:
        rows = alternatives(parent, goal)
        chosen = next((pair for pair in rows if pair[0].key == step), None)
        if chosen is None:
            raise NotSolvable(step)
        cascade.append(_row(*chosen))
        if not chosen[1].feasible:
            break  # nothing below an infeasible step can make it
        parent, goal = step, chosen[1].required
    return {"alternatives": [_row(*pair) for pair in first], "cascade": cascade}


# --- funnels --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageInput:
    name: str
    metric: str
    conversion: Decimal | None  # from the stage before (None on the first, or unknown)
    actual: Decimal | None


def funnel_requirements(stages: Sequence[StageInput], target: Decimal) -> list[dict]:
    """From ``target`` units at the last stage, walking up: each stage's required volume is the
    next one's divided by the next one's conversion; a missing (or zero) conversion leaves every
    stage above it unknown. ``gap`` = required - actual."""
    required: list[Decimal | None] = [None] * len(stages)
    if stages:
        required[-1] = target
    with localcontext() as context:
        context.prec = 34
        for index in range(len(stages) - 1, 0, -1):
            below, conversion = required[index], stages[index].conversion
            if below is None or conversion is None or conversion == 0:
                break
            required[index - 1] = below / conversion
    return [
        {
            "name": stage.name,
            "metric": stage.metric,
            "conversion": tidy(stage.conversion),
            "actual": tidy(stage.actual),
            "required": tidy(need),
            "gap": tidy(None if need is None or stage.actual is None else need - stage.actual),
        }
        for stage, need in zip(stages, required, strict=True)
    ]


# --- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kpi: str
    value: Decimal | None = None  # the KPI's value in the scenario, or
    change_pct: Decimal | None = None  # a relative change of its actual (0.2 = +20%)


def scenario(
    nodes: Sequence[PlanningNode],
    actual: Callable[[str], Decimal | None],
    changes: Sequence[Change],
    targets: Callable[[str], tuple[Decimal | None, Decimal | None]],
) -> dict:
    """The changed KPIs take their scenario values; every KPI above one of them with a formula
    over its children is recomputed from its children's scenario values, bottom-up; the rest
    keep their actuals. ``targets(key)`` gives a top KPI's (must, stretch) at the period."""
    trees = [node.tree for node in nodes]
    children = children_of(trees)
    by_key = {node.key: node for node in nodes}
    base = {node.key: actual(node.key) for node in nodes}
    values = dict(base)
    changed = set()
    with localcontext() as context:
        context.prec = 34
        for change in changes:
            if change.value is not None:
                values[change.kpi] = change.value
            elif change.change_pct is not None and base.get(change.kpi) is not None:
                values[change.kpi] = base[change.kpi] * (1 + change.change_pct)
            changed.add(change.kpi)

    def depth(key: str) -> int:
        parent, steps = by_key[key].tree.parent, 0
        while parent is not None and parent in by_key:
            parent, steps = by_key[parent].tree.parent, steps + 1
        return steps

    # Recompute the ancestors of what changed, deepest first.
    moved = set(changed)
    for node in sorted(nodes, key=lambda n: -depth(n.key)):
        if node.key in changed:
            continue
        kids = children.get(node.key, [])
        if not any(kid.key in moved for kid in kids):
            continue
        found = formula_over_children(node.tree, kids)
        if found is None:
            continue
        formula, stands_for = found
        values[node.key] = formula.evaluate(
            {name: values.get(child) for name, child in stands_for.items()}
        )
        moved.add(node.key)

    rows = []
    for node in nodes:
        before, after = base.get(node.key), values.get(node.key)
        delta = None if before is None or after is None else after - before
        rows.append(
            {
                "kpi": node.key,
                "metric": node.tree.metric,
                "base": tidy(before),
                "scenario": tidy(after),
                "delta": tidy(delta),
                "delta_pct": tidy(change_pct(after, before)),
            }
        )
    kgis = []
    for node in nodes:
        if node.tree.parent is not None:
            continue
        must, stretch = targets(node.key)
        after = values.get(node.key)
        better = node.tree.higher_is_better
        kgis.append(
            {
                "kpi": node.key,
                "scenario": tidy(after),
                "must_target": tidy(must),
                "stretch_target": tidy(stretch),
                "meets_must": None
                if after is None or must is None
                else beats_or_meets(after, must, better),
                "meets_stretch": None
                if after is None or stretch is None
                else beats_or_meets(after, stretch, better),
            }
        )
    return {"nodes": rows, "kgis": kgis}
