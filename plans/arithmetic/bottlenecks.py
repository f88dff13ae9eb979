"""Bottleneck arithmetic (DESIGN.md, "Bottleneck arithmetic"), in plain Python with exact decimals.

- ``funnel_report(stages)``: conversion per stage, overall and target overall conversion, the
  output each stage's miss costs (``lost_output``), ranks and the bottleneck. A division by zero
  or a missing number gives ``None``, never an error.
- ``sensitivity(nodes, ...)``: for each node whose value is a formula over its children, the gain
  from bringing one child to its must path, signed by the node's direction, ranked per parent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from metrics.formulas import Formula
from plans.arithmetic.scorecard import TWO, children_of, tidy


@dataclass(frozen=True)
class StageInput:
    name: str
    metric: str
    volume: Decimal | None  # the stage's count over the month; None without data
    target_conversion: Decimal | None  # from the previous stage; None on the first


def _divide(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    with localcontext() as context:
        context.prec = 34
        return numerator / denominator


def _product(values: Sequence[Decimal | None]) -> Decimal | None:
    result = Decimal(1)
    with localcontext() as context:
        context.prec = 34
        for value in values:
            if value is None:
                return None
            result *= value
    return result


def funnel_report(stages: Sequence[StageInput]) -> dict:
    volumes = [stage.volume for stage in stages]
    targets = [stage.target_conversion for stage in stages]
    conversions = [None] + [_divide(volumes[i], volumes[i - 1]) for i in range(1, len(stages))]
    final = volumes[-1] if stages else None

    lost: list[Decimal | None] = [None]
    for i in range(1, len(stages)):
        c, t = conversions[i], targets[i]
        if c is None or t is None:
            lost.append(None)
        elif c >= t:
            lost.append(Decimal(0))
        else:
            # Had stage i alone met its target: v_(i-1) x t_i x product(c_j, j > i) - v_n.
            rest = _product(conversions[i + 1 :])
            if rest is None or volumes[i - 1] is None or final is None:
                lost.append(None)
            else:
                with localcontext() as context:
                    context.prec = 34
                    lost.append(volumes[i - 1] * t * rest - final)

    losing = sorted(
        (i for i, value in enumerate(lost) if value is not None and value > 0),
        key=lambda i: (-lost[i], i),  # largest first; ties: the upstream stage first
    )
    ranks = {i: rank for rank, i in enumerate(losing, start=1)}
    return {
        "overall_conversion": tidy(_divide(final, volumes[0])) if stages else None,
        "target_overall_conversion": tidy(_product(targets[1:])) if len(stages) > 1 else None,
        "bottleneck": stages[losing[0]].name if losing else None,
        "stages": [
            {
                "name": stage.name,
                "metric": stage.metric,
                "volume": stage.volume,
                "conversion": tidy(conversions[i]),
                "target_conversion": stage.target_conversion,
                "attainment": tidy(
                    None
                    if conversions[i] is None or targets[i] is None
                    else min(_divide(conversions[i], targets[i]), TWO)
                ),
                "lost_output": tidy(lost[i]),
                "rank": ranks.get(i),
            }
            for i, stage in enumerate(stages)
        ],
    }


# --- KPI-tree sensitivity -------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    key: str
    metric: str
    parent: str | None
    higher_is_better: bool
    formula: Formula | None  # the node's own, over its children's keys
    metric_formula: Formula | None  # its metric's, over metric keys (the default)


def formula_over_children(
    node: TreeNode, children: Sequence[TreeNode]
) -> tuple[Formula, dict[str, str]] | None:
    """The node's formula and, for each name in it, the child node it stands for."""
    by_key = {child.key: child.key for child in children}
    if node.formula is not None:
        return (node.formula, by_key) if node.formula.keys <= by_key.keys() else None
    if node.metric_formula is None:
        return None
    by_metric = {}
    for child in children:
        by_metric.setdefault(child.metric, child.key)
    if not node.metric_formula.keys <= by_metric.keys():
        return None
    return node.metric_formula, {name: by_metric[name] for name in node.metric_formula.keys}


def sensitivity(
    nodes: Sequence[TreeNode],
    actual: Callable[[str], Decimal | None],
    must: Callable[[str], Decimal | None],
) -> list[dict]:
    """``actual(key)`` and ``must(key)`` give a node's actual and must target at its parent's
    period. For each node with a formula over its children: the formula with one child at its
    must (the others at their actuals) minus the node's actual, positive = better."""
    children = children_of(nodes)
    rows = []
    for node in nodes:
        found = formula_over_children(node, children.get(node.key, []))
        if found is None:
            continue
        formula, stands_for = found
        base = actual(node.key)
        inputs = {name: actual(child) for name, child in stands_for.items()}
        group = []
        for name, child in sorted(stands_for.items(), key=lambda item: item[1]):
            target = must(child)
            gain = None
            if base is not None and target is not None:
                moved = formula.evaluate({**inputs, name: target})
                if moved is not None:
                    gain = moved - base if node.higher_is_better else base - moved
            group.append({"kpi": child, "parent": node.key, "gain": tidy(gain), "rank": None})
        ranked = sorted((row for row in group if row["gain"] is not None), key=lambda r: -r["gain"])
        for rank, row in enumerate(ranked, start=1):
            row["rank"] = rank
        rows += sorted(group, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["kpi"]))
    return rows
