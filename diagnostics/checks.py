"""Checks on a client's own plan and data, and answers the data contradicts (plain Python).

``data_checks(inputs)`` returns findings ``{key, severity, message, message_ja, evidence}``:

- ``too_many_core_kpis``: more than 3 KGIs, or more than 3 KPIs directly under one KGI;
- ``kgi_not_decomposed``: a KGI with no KPI under it;
- ``no_milestones``; ``event_only_milestones``: milestones, but none stated as KPI states;
- ``no_stretch_targets``: a KPI without stretch, or with stretch equal to must;
- ``unambitious_targets``: a higher-is-better KGI whose stretch (else must) is below 2x its
  baseline;
- ``no_funnel``; ``funnel_stage_without_target``: a stage after the first without a target;
- ``stale_data``: a plan KPI with no value (direct, rolled up or derived) in either of its last
  two closed periods after its baseline;
- ``inconsistent_targets``: a KPI with a formula whose final must differs by more than 5% from
  the formula over its children's final musts; or two funnel stages with KPIs whose musts for
  the same period disagree by more than 5% with the target conversions between them.

``contradicted(rules, answers, inputs, findings)`` adds ``answer_contradicted`` for each
contradiction rule whose claiming answer was given while its data check fires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from diagnostics.definition import Contradiction
from metrics.periods import Granularity, Period
from plans.arithmetic.scorecard import Milestone, Node, children_of, tidy

TOLERANCE = Decimal("0.05")  # targets within 5% of each other agree


@dataclass(frozen=True)
class FunnelView:
    key: str
    name: str
    stages: tuple[tuple[str, str, Decimal | None], ...]  # (name, metric key, target conversion)


@dataclass(frozen=True)
class CheckInputs:
    today: date
    nodes: Sequence[Node]
    # node key -> (its formula, {name in the formula: the child KPI it stands for})
    formulas: Mapping[str, tuple[object, Mapping[str, str]]]
    milestones: Sequence[Milestone]
    funnels: Sequence[FunnelView]
    value: Callable[[str, Period], Decimal | None]  # a metric's value for a period, as of today
    off_track_metrics: frozenset[str] = frozenset()  # lines off track in the latest scorecard
    has_plan: bool = True


def finding(key: str, severity: str, message: str, message_ja: str, evidence) -> dict:
    return {
        "key": key,
        "severity": severity,
        "message": message,
        "message_ja": message_ja,
        "evidence": evidence,
    }


def _last_closed(granularity: Granularity, today: date, count: int) -> list[Period]:
    current = Period.containing(granularity, today)
    return [current.shift(-back) for back in range(count, 0, -1)]


def data_checks(inputs: CheckInputs) -> list[dict]:
    if not inputs.has_plan:
        return [
            finding(
                "no_plan",
                "high",
                "The client has no active plan: there is nothing to check the data against.",
                "有効な計画がないため、データを照らし合わせる基準がありません。",
                {},
            )
        ]
    found = []
    for check in CHECKS:
        result = check(inputs)
        if result:
            found.append(result)
    found += _inconsistent_targets(inputs)
    return found


def _core_kpis(inputs: CheckInputs) -> dict | None:
    kgis = [node.key for node in inputs.nodes if node.parent is None]
    children = children_of(inputs.nodes)
    crowded = {
        kgi: [child.key for child in children.get(kgi, [])]
        for kgi in kgis
        if len(children.get(kgi, [])) > 3
    }
    if len(kgis) <= 3 and not crowded:
        return None
    return finding(
        "too_many_core_kpis",
        "medium",
        "Too many core numbers to steer by: keep at most three KGIs, and at most three KPIs "
        "directly under each.",
        "重点指標が多すぎます。KGIは3つまで、各KGI直下のKPIも3つまでに絞りましょう。",
        {"kgis": kgis, "crowded": crowded},
    )


def _not_decomposed(inputs: CheckInputs) -> dict | None:
    children = children_of(inputs.nodes)
    bare = [n.key for n in inputs.nodes if n.parent is None and n.key not in children]
    if not bare:
        return None
    return finding(
        "kgi_not_decomposed",
        "high",
        "A goal is not broken down into the KPIs that drive it.",
        "KGIが、それを動かすKPIに分解されていません。",
        {"kgis": bare},
    )


def _no_milestones(inputs: CheckInputs) -> dict | None:
    if inputs.milestones:
        return None
    return finding(
        "no_milestones",
        "high",
        "The plan has no milestones: nothing says where the numbers should be along the way.",
        "マイルストーンがなく、途中でどこまで進んでいるべきかが示されていません。",
        {},
    )


def _event_only(inputs: CheckInputs) -> dict | None:
    if not inputs.milestones or any(m.kind == "state" for m in inputs.milestones):
        return None
    return finding(
        "event_only_milestones",
        "medium",
        "Every milestone is an event; state at least some as KPI values to reach by a date.",
        "マイルストーンがすべて出来事です。期日までに達するKPIの状態として示しましょう。",
        {"milestones": [m.key for m in inputs.milestones]},
    )


def _no_stretch(inputs: CheckInputs) -> dict | None:
    flat = [n.key for n in inputs.nodes if n.stretch is None or n.stretch == n.must]
    if not flat:
        return None
    return finding(
        "no_stretch_targets",
        "low",
        "Some KPIs have a must target only: add a stretch target to aim beyond it.",
        "必達目標だけのKPIがあります。挑戦目標も設定しましょう。",
        {"kpis": flat},
    )


def _unambitious(inputs: CheckInputs) -> dict | None:
    timid = []
    for node in inputs.nodes:
        if node.parent is not None or not node.higher_is_better or node.baseline_value <= 0:
            continue
        aim = node.stretch if node.stretch is not None else node.must
        if aim < 2 * node.baseline_value:
            timid.append(
                {
                    "kpi": node.key,
                    "baseline": node.baseline_value,
                    "target": aim,
                    "multiple": tidy(aim / node.baseline_value),
                }
            )
    if not timid:
        return None
    return finding(
        "unambitious_targets",
        "medium",
        "A goal's highest target is less than twice where it starts: an ambitious goal forces "
        "new ways of working.",
        "KGIの最も高い目標が基準値の2倍未満です。非常識なほど高い目標が、やり方の見直しを促します。",
        {"kgis": timid},
    )


def _no_funnel(inputs: CheckInputs) -> dict | None:
    if inputs.funnels:
        return None
    return finding(
        "no_funnel",
        "high",
        "The customer journey is not split into stages, so its bottleneck cannot be seen.",
        "顧客の流れが段階に分解されておらず、ボトルネックが見えません。",
        {},
    )


def _stage_without_target(inputs: CheckInputs) -> dict | None:
    missing = [
        {"funnel": funnel.key, "stage": name}
        for funnel in inputs.funnels
        for name, _metric, target in funnel.stages[1:]
        if target is None
    ]
    if not missing:
        return None
    return finding(
        "funnel_stage_without_target",
        "medium",
        "Some funnel stages have no target conversion.",
        "目標転換率のないファネル段階があります。",
        {"stages": missing},
    )


def _stale(inputs: CheckInputs) -> dict | None:
    stale = []
    for node in inputs.nodes:
        recent = [
            period
            for period in _last_closed(node.granularity, inputs.today, 2)
            if period > node.baseline_period
        ]
        missing = [str(p) for p in recent if inputs.value(node.metric, p) is None]
        if missing:
            stale.append({"kpi": node.key, "metric": node.metric, "missing": missing})
    if not stale:
        return None
    return finding(
        "stale_data",
        "high",
        "Some KPIs have no data for recent periods: the scorecard cannot judge them.",
        "直近の期間にデータのないKPIがあり、スコアカードで評価できません。",
        {"kpis": stale},
    )


CHECKS = [
    _core_kpis,
    _not_decomposed,
    _no_milestones,
    _event_only,
    _no_stretch,
    _unambitious,
    _no_funnel,
    _stage_without_target,
    _stale,
]


def _differs(value: Decimal, expected: Decimal) -> Decimal | None:
    """The relative difference when above the tolerance, else None."""
    if expected == 0:
        return None if value == 0 else Decimal(1)
    with localcontext() as context:
        context.prec = 34
        difference = abs(value - expected) / abs(expected)
    return difference if difference > TOLERANCE else None


def _inconsistent_targets(inputs: CheckInputs) -> list[dict]:
    by_key = {node.key: node for node in inputs.nodes}
    evidence = []
    for key, (formula, stands_for) in inputs.formulas.items():
        node = by_key[key]
        computed = formula.evaluate(
            {name: by_key[child].must for name, child in stands_for.items()}
        )
        if computed is None:
            continue
        difference = _differs(node.must, computed)
        if difference is not None:
            evidence.append(
                {
                    "kind": "formula",
                    "kpi": key,
                    "formula": str(formula),
                    "must": node.must,
                    "from_children": tidy(computed),
                    "difference": tidy(difference),
                }
            )
    by_metric: dict[str, Node] = {}
    for node in inputs.nodes:
        by_metric.setdefault(node.metric, node)
    for funnel in inputs.funnels:
        stages = funnel.stages
        for i, (first_name, first_metric, _target) in enumerate(stages):
            first = by_metric.get(first_metric)
            if first is None:
                continue
            rate = Decimal(1)
            for name, metric, target in stages[i + 1 :]:
                if target is None:
                    break
                rate *= target
                second = by_metric.get(metric)
                if second is None or second.target_period != first.target_period:
                    continue
                expected = first.must * rate
                difference = _differs(second.must, expected)
                if difference is not None:
                    evidence.append(
                        {
                            "kind": "funnel",
                            "funnel": funnel.key,
                            "from": first_name,
                            "to": name,
                            "period": str(first.target_period),
                            "must_from": first.must,
                            "conversion": tidy(rate),
                            "expected": tidy(expected),
                            "must_to": second.must,
                            "difference": tidy(difference),
                        }
                    )
    if not evidence:
        return []
    return [
        finding(
            "inconsistent_targets",
            "high",
            "Targets contradict each other: the numbers below cannot all be met as planned.",
            "目標同士が矛盾しています。以下の数値は計画どおりには両立しません。",
            evidence,
        )
    ]


# --- answers the data contradicts ---------------------------------------------------------------


def _stage_without_data(inputs: CheckInputs):
    months = _last_closed(Granularity.MONTH, inputs.today, 2)
    empty = [
        {"funnel": funnel.key, "stage": name, "months": [str(m) for m in months]}
        for funnel in inputs.funnels
        for name, metric, _target in funnel.stages
        if all(inputs.value(metric, month) is None for month in months)
    ]
    return empty or None


def _disproof(rule: Contradiction, inputs: CheckInputs, findings: Mapping[str, dict]):
    """The evidence that disproves the rule's claim, or None."""
    match rule.check:
        case "funnel_stage_without_data":
            if not inputs.funnels:
                return {"funnels": []}  # no stage is measured at all
            return _stage_without_data(inputs)
        case "kpi_off_track":
            return {"metric": rule.metric} if rule.metric in inputs.off_track_metrics else None
        case "no_state_milestones":
            if any(m.kind == "state" for m in inputs.milestones):
                return None
            return {"milestones": [m.key for m in inputs.milestones]}
        case _:
            found = findings.get(rule.check)
            return None if found is None else found["evidence"]


def contradicted(
    rules: Sequence[Contradiction],
    answers: Mapping[str, object],
    inputs: CheckInputs,
    findings: Sequence[dict],
) -> list[dict]:
    if not inputs.has_plan:
        return []
    by_key = {item["key"]: item for item in findings}
    result = []
    for rule in rules:
        answer = answers.get(rule.question)
        claimed = answer is not None and any(
            answer == wanted and type(answer) is type(wanted) for wanted in rule.answers
        )
        if not claimed:
            continue
        disproof = _disproof(rule, inputs, by_key)
        if disproof is None:
            continue
        result.append(
            finding(
                "answer_contradicted",
                rule.severity,
                rule.message,
                rule.message_ja,
                {
                    "rule": rule.key,
                    "question": rule.question,
                    "answer": answer,
                    "check": rule.check,
                    "data": disproof,
                },
            )
        )
    return result
