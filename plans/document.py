"""The plan document (API.md, "Plans"): read, checked and normalised in plain Python.

``read_document(raw, catalogue)`` returns a ``PlanDocument`` or raises ``DocumentInvalid`` with
every problem found, each naming its field by path (``kpis[2].stretch``). No Django here: the
catalogue of metrics is handed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clients.documents import DocumentReader
from metrics import formulas
from metrics.ingest import parse_value
from metrics.periods import Granularity, Period, PeriodError

KPI_KEY = re.compile(rf"{formulas.KEY_PATTERN}")  # KPI keys appear in formulas
HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # milestone and funnel keys
KEY_HINT = "must be letters, digits, - or _ (a KPI key: lower-case, digits, _)"
STATUSES = ("draft", "active", "archived")
INTERPOLATIONS = ("linear", "compound")


@dataclass(frozen=True)
class MetricInfo:
    unit: str
    direction: str  # higher_is_better | lower_is_better
    aggregation: str
    formula_keys: frozenset[str] = frozenset()


@dataclass
class Kpi:
    key: str
    metric: str
    parent: str | None
    weight: Decimal
    baseline_period: Period
    baseline_value: Decimal
    must: Decimal
    stretch: Decimal | None
    target_period: Period
    granularity: Granularity
    interpolation: str
    formula: str


@dataclass
class Condition:
    metric: str
    op: str
    value: Decimal
    cumulative: bool


@dataclass
class MilestoneDoc:
    key: str
    name: str
    due: date
    kind: str
    achieved_on: date | None
    conditions: list[Condition]


@dataclass
class Stage:
    name: str
    metric: str
    target_conversion: Decimal | None


@dataclass
class FunnelDoc:
    key: str
    name: str
    stages: list[Stage]


@dataclass
class PlanDocument:
    name: str
    vision: str
    starts_on: date
    ends_on: date
    status: str
    kpis: list[Kpi] = field(default_factory=list)
    milestones: list[MilestoneDoc] = field(default_factory=list)
    funnels: list[FunnelDoc] = field(default_factory=list)


class DocumentInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(f"{len(errors)} problems")
        self.errors = errors  # (field path, message)

    def as_dict(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for path, message in self.errors:
            grouped.setdefault(path, []).append(message)
        return grouped


class _Reader(DocumentReader):
    """A document reader that also reads the plan's periods and numbers."""

    def number(self, name, *, required=True, default=None):
        return super().number(name, parse=parse_value, required=required, default=default)

    def text(self, name, **options):
        return super().text(name, pattern_hint=KEY_HINT, **options)

    def period(self, name, *, granularity):
        try:
            period = Period.parse(self.raw.get(name))
        except PeriodError as exc:
            self.fail(name, str(exc))
            return None
        if period.granularity != granularity:
            self.fail(
                name,
                f"must be a {granularity} (the KPI's granularity), e.g. {_example(granularity)}",
            )
            return None
        return period


def _example(granularity: Granularity) -> str:
    return {
        "day": "2026-09-15",
        "week": "2026-W38",
        "month": "2026-09",
        "quarter": "2026-Q3",
        "year": "2026",
    }[granularity]


def read_document(raw, catalogue: Mapping[str, MetricInfo]) -> PlanDocument:
    errors: list[tuple[str, str]] = []
    top = _Reader(errors, raw, "")
    document = PlanDocument(
        name=top.text("name"),
        vision=top.text("vision", required=False, max_length=10_000),
        starts_on=top.day("starts_on"),
        ends_on=top.day("ends_on"),
        status=top.choice("status", STATUSES, default="draft"),
    )
    if document.starts_on and document.ends_on and document.ends_on <= document.starts_on:
        top.fail("ends_on", "must be after starts_on")

    document.kpis = _kpis(errors, top.items("kpis"), catalogue)
    document.milestones = _milestones(errors, top.items("milestones"), catalogue, document)
    document.funnels = _funnels(errors, top.items("funnels"), catalogue)
    if errors:
        raise DocumentInvalid(errors)
    return document


def _metric(reader: _Reader, catalogue) -> str | None:
    key = reader.raw.get("metric")
    if not isinstance(key, str) or key not in catalogue:
        reader.fail("metric", f"{key!r} is not a known metric" if key else "is required")
        return None
    return key


def _kpis(errors, raws, catalogue) -> list[Kpi]:
    kpis, readers, seen = [], {}, set()
    for index, raw in enumerate(raws):
        r = _Reader(errors, raw, f"kpis[{index}]")
        key = r.text("key", max_length=64, pattern=KPI_KEY)
        r.unique(seen, key)
        metric = _metric(r, catalogue)
        granularity = Granularity(
            r.choice("granularity", [g.value for g in Granularity], default="month")
        )
        baseline = r.raw.get("baseline") if isinstance(r.raw.get("baseline"), Mapping) else None
        if baseline is None:
            r.fail("baseline", 'is required: {"period", "value"}')
            baseline_reader = _Reader([], {}, "")
        else:
            baseline_reader = _Reader(errors, baseline, r.where("baseline"))
        kpi = Kpi(
            key=key,
            metric=metric,
            parent=r.text("parent", required=False, max_length=64) or None,
            weight=r.number("weight", required=False, default=Decimal(1)),
            baseline_period=baseline_reader.period("period", granularity=granularity)
            if baseline is not None
            else None,
            baseline_value=baseline_reader.number("value") if baseline is not None else None,
            must=r.number("must"),
            stretch=r.number("stretch", required=False),
            target_period=r.period("target_period", granularity=granularity),
            granularity=granularity,
            interpolation=r.choice("interpolation", INTERPOLATIONS, default="linear"),
            formula=r.text("formula", required=False, max_length=500),
        )
        if kpi.weight is not None and kpi.weight < 0:
            r.fail("weight", "must be 0 or more")
        _check_targets(r, kpi, catalogue.get(metric))
        kpis.append(kpi)
        readers[key] = r
    _check_tree(kpis, readers, catalogue)
    return kpis


def _check_targets(r: _Reader, kpi: Kpi, metric: MetricInfo | None) -> None:
    if kpi.baseline_period and kpi.target_period and kpi.target_period <= kpi.baseline_period:
        r.fail("target_period", "must come after the baseline period")
    if kpi.interpolation == "compound":
        for name, value in (
            ("baseline.value", kpi.baseline_value),
            ("must", kpi.must),
            ("stretch", kpi.stretch),
        ):
            if value is not None and value <= 0:
                r.fail(name, "must be above 0 for compound interpolation")
    if metric and kpi.stretch is not None and kpi.must is not None:
        higher = metric.direction == "higher_is_better"
        if (kpi.stretch < kpi.must) if higher else (kpi.stretch > kpi.must):
            side = "below" if higher else "above"
            r.fail(
                "stretch",
                f"is easier than must: {side} it while {'higher' if higher else 'lower'} is better",
            )


def _check_tree(kpis: list[Kpi], readers: dict, catalogue) -> None:
    by_key = {kpi.key: kpi for kpi in kpis if kpi.key}
    for kpi in kpis:
        r = readers.get(kpi.key)
        if r is None:
            continue
        if kpi.parent is not None and kpi.parent not in by_key:
            r.fail("parent", f"{kpi.parent!r} is not a KPI of this plan")
            continue
        walked, node = set(), kpi
        while node.parent is not None and node.parent in by_key:
            if node.key in walked:
                r.fail("parent", f"makes a cycle through {kpi.key!r}")
                break
            walked.add(node.key)
            node = by_key[node.parent]
    children: dict[str, set[str]] = {}
    for kpi in kpis:
        if kpi.parent:
            children.setdefault(kpi.parent, set()).add(kpi.key)
    for kpi in kpis:
        if not kpi.formula or kpi.key not in readers:
            continue
        r = readers[kpi.key]
        try:
            parsed = formulas.parse(kpi.formula)
        except formulas.FormulaError as exc:
            r.fail("formula", str(exc))
            continue
        strangers = sorted(parsed.keys - children.get(kpi.key, set()))
        if strangers:
            r.fail("formula", f"names what is not a child of {kpi.key!r}: {', '.join(strangers)}")


def _milestones(errors, raws, catalogue, document: PlanDocument) -> list[MilestoneDoc]:
    milestones, seen = [], set()
    for index, raw in enumerate(raws):
        r = _Reader(errors, raw, f"milestones[{index}]")
        key = r.text("key", max_length=64, pattern=HANDLE)
        r.unique(seen, key)
        milestone = MilestoneDoc(
            key=key,
            name=r.text("name"),
            due=r.day("due"),
            kind=r.choice("kind", ("state", "event"), default="state"),
            achieved_on=r.day("achieved_on", required=False),
            conditions=[],
        )
        if (
            milestone.due
            and document.starts_on
            and document.ends_on
            and not (document.starts_on <= milestone.due <= document.ends_on)
        ):
            r.fail("due", f"must fall within the plan ({document.starts_on} to {document.ends_on})")
        raw_conditions = r.items("conditions")
        if milestone.kind == "state":
            if not raw_conditions:
                r.fail("conditions", "a state milestone needs at least one condition")
            if milestone.achieved_on is not None:
                r.fail(
                    "achieved_on",
                    "only an event milestone is marked achieved; a state "
                    "milestone is judged from the data",
                )
        elif raw_conditions:
            r.fail("conditions", "an event milestone has no conditions")
        for position, raw_condition in enumerate(
            raw_conditions if milestone.kind == "state" else []
        ):
            c = _Reader(errors, raw_condition, r.where(f"conditions[{position}]"))
            metric = _metric(c, catalogue)
            cumulative = c.raw.get("cumulative", False)
            if not isinstance(cumulative, bool):
                c.fail("cumulative", "must be true or false")
                cumulative = False
            if cumulative and metric and catalogue[metric].aggregation != "sum":
                c.fail("cumulative", f"{metric!r} is not summed, so it cannot be cumulative")
            milestone.conditions.append(
                Condition(
                    metric=metric,
                    op=c.choice("op", ("gte", "lte"), default="gte"),
                    value=c.number("value"),
                    cumulative=cumulative,
                )
            )
        milestones.append(milestone)
    return milestones


def _funnels(errors, raws, catalogue) -> list[FunnelDoc]:
    funnels, seen = [], set()
    for index, raw in enumerate(raws):
        r = _Reader(errors, raw, f"funnels[{index}]")
        key = r.text("key", max_length=64, pattern=HANDLE)
        r.unique(seen, key)
        funnel = FunnelDoc(key=key, name=r.text("name"), stages=[])
        raw_stages = r.items("stages")
        if len(raw_stages) < 2:
            r.fail("stages", "a funnel needs at least two stages")
        names = set()
        for position, raw_stage in enumerate(raw_stages):
            s = _Reader(errors, raw_stage, r.where(f"stages[{position}]"))
            name = s.text("name")
            s.unique(names, name, "name")
            metric = _metric(s, catalogue)
            if metric and (catalogue[metric].unit, catalogue[metric].aggregation) != (
                "count",
                "sum",
            ):
                s.fail("metric", f"{metric!r} is not a summed count (a stage counts people)")
            target = s.number("target_conversion", required=False)
            if position == 0 and target is not None:
                s.fail("target_conversion", "the first stage has no conversion to meet")
            elif target is not None and not (0 < target <= 1):
                s.fail("target_conversion", "must be above 0 and at most 1 (0.15 = 15%)")
            funnel.stages.append(Stage(name=name, metric=metric, target_conversion=target))
        funnels.append(funnel)
    return funnels
