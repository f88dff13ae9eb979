"""The consultancy's own metrics: added and edited with their formulas checked (known keys,
no cycle, no shadowing of a built-in). Editing one makes every client of the consultancy stale."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Consultancy
from clients.principals import Principal
from clients.services.audit import audit_record, changed, snapshot
from clients.services.dirty_marks import clients_mark_dirty
from metrics import formulas
from metrics.models import Metric
from metrics.selectors import metrics_for_consultancy

METRIC_FIELDS = ("key", "name", "name_ja", "unit", "direction", "aggregation", "formula")


def _metric_validate(metric: Metric) -> None:
    """Key free and not a built-in's; formula parses, names known metrics, makes no cycle."""
    metric.full_clean(validate_constraints=False)
    others = metrics_for_consultancy(metric.consultancy).exclude(pk=metric.pk)
    if metric.consultancy_id and others.filter(key=metric.key).exists():
        builtin = others.filter(key=metric.key, consultancy__isnull=True).exists()
        reason = "is a built-in metric" if builtin else "is already a metric of the consultancy"
        raise ValidationError({"key": f"{metric.key!r} {reason}."})
    if not metric.formula:
        return
    try:
        parsed = formulas.parse(metric.formula)
        formulas.check_keys(parsed, {m.key for m in others})
    except formulas.FormulaError as exc:
        raise ValidationError({"formula": str(exc)}) from exc
    graph = {m.key: formulas.parse(m.formula).keys for m in others if m.formula}
    graph[metric.key] = parsed.keys
    cycle = formulas.find_cycle(graph)
    if cycle:
        raise ValidationError(
            {
                "formula": _("Formulas go round in a cycle: %(cycle)s.")
                % {"cycle": " → ".join(cycle)}
            }
        )


@transaction.atomic
def metric_create(*, consultancy: Consultancy, actor: Principal | None, **fields) -> Metric:
    metric = Metric(consultancy=consultancy, **fields)
    _metric_validate(metric)
    metric.save()
    audit_record(
        actor=actor,
        action="metric.created",
        obj=metric,
        consultancy=consultancy,
        after=snapshot(metric, METRIC_FIELDS),
    )
    return metric


@transaction.atomic
def metric_update(*, metric: Metric, actor: Principal | None, **fields) -> Metric:
    """Edit a consultancy's metric; every client of the consultancy becomes stale."""
    if metric.is_builtin:
        raise ValidationError("Built-in metrics cannot be edited; add a metric of your own.")
    if "key" in fields and fields["key"] != metric.key:
        if metric.measurements.exists():
            raise ValidationError(
                {"key": _("The key of a metric with measurements cannot change.")}
            )
        naming = [
            other.key
            for other in metrics_for_consultancy(metric.consultancy).exclude(formula="")
            if metric.key in formulas.parse(other.formula).keys
        ]
        if naming:
            raise ValidationError(
                {"key": f"Formulas of {', '.join(sorted(naming))} name {metric.key!r}."}
            )
    before = snapshot(metric, METRIC_FIELDS)
    for name, value in fields.items():
        setattr(metric, name, value)
    _metric_validate(metric)
    after = snapshot(metric, METRIC_FIELDS)
    if after == before:
        return metric
    metric.save()
    clients_mark_dirty(client_ids=list(metric.consultancy.clients.values_list("pk", flat=True)))
    changed_before, changed_after = changed(before, after)
    audit_record(
        actor=actor,
        action="metric.updated",
        obj=metric,
        consultancy=metric.consultancy,
        before=changed_before,
        after=changed_after,
    )
    return metric
