"""Writes of plans: the whole document in one transaction, matched by key on edits.

A PUT matches KPIs, milestones and funnels by their document keys, so their ids (and what hangs
on them: history, achievements) survive an edit; rows whose key left the document are deleted.
Activating a plan archives the client's previous active plan. Every write is audited and marks
the client's results stale.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import Client
from clients.principals import Principal
from clients.services.audit import audit_record
from clients.services.dirty_marks import clients_mark_dirty
from metrics.selectors import metrics_for_client
from plans.document import PlanDocument, read_document
from plans.models import Funnel, FunnelStage, KpiNode, Milestone, MilestoneCondition, Plan
from plans.selectors import (
    document_as_input,
    document_version,
    plan_catalogue,
    plan_document,
    plan_with_document,
)

PLAN_FIELDS = ("name", "vision", "starts_on", "ends_on", "status")


def _checked(client: Client, raw) -> PlanDocument:
    """The document read against the client's catalogue; raises DocumentInvalid."""
    return read_document(raw, plan_catalogue(client=client))


@transaction.atomic
def plan_create(*, client: Client, raw, actor: Principal | None) -> Plan:
    document = _checked(client, raw)
    plan = Plan(client=client)
    _write(plan, document)
    _audit(actor, plan, "plan.created", before=None)
    return plan


class PlanChanged(Exception):
    """The plan was saved by someone else after the version an edit started from."""


@transaction.atomic
def plan_replace(
    *, plan: Plan, raw, actor: Principal | None, expected_version: str | None = None
) -> Plan:
    """Replace the plan's document. With ``expected_version`` (``document_version`` of what the
    editor was shown), raises ``PlanChanged`` if the stored plan is no longer that: saves of
    one plan queue on its row, so two people cannot both save over the same version."""
    Plan.objects.select_for_update().filter(pk=plan.pk).exists()
    before = _stored_document(plan)
    if expected_version is not None and document_version(before) != expected_version:
        raise PlanChanged
    document = _checked(plan.client, raw)
    _write(plan, document)
    _audit(actor, plan, "plan.updated", before=before)
    return plan


@transaction.atomic
def plan_update(*, plan: Plan, fields: dict, actor: Principal | None) -> Plan:
    """Change the plan's own fields (name, vision, dates, status); the rest stays as stored."""
    unknown = sorted(set(fields) - set(PLAN_FIELDS))
    if unknown:
        raise ValidationError(
            {
                name: "PATCH changes the plan's own fields; send the whole document with PUT."
                for name in unknown
            }
        )
    before = _stored_document(plan)
    raw = document_as_input(before)
    raw.update(fields)
    _write(plan, _checked(plan.client, raw))
    _audit(actor, plan, "plan.updated", before=before)
    return plan


@transaction.atomic
def plan_delete(*, plan: Plan, actor: Principal | None) -> None:
    before = _stored_document(plan)
    client = plan.client
    audit_record(
        actor=actor,
        action="plan.deleted",
        obj=plan,
        consultancy=client.consultancy,
        client=client,
        before=before,
    )
    plan.delete()
    clients_mark_dirty(client_ids=[client.pk])


@transaction.atomic
def milestone_achieve(
    *, plan: Plan, key: str, achieved_on: date, actor: Principal | None
) -> Milestone:
    milestone = Milestone.objects.select_for_update().filter(plan=plan, key=key).first()
    if milestone is None:
        raise Milestone.DoesNotExist(key)
    if milestone.kind != Milestone.Kind.EVENT:
        raise ValidationError(
            {
                "key": "Only an event milestone is marked achieved; a state milestone is judged "
                "from the data."
            }
        )
    before = milestone.achieved_on
    milestone.achieved_on = achieved_on
    milestone.save(update_fields=["achieved_on"])
    audit_record(
        actor=actor,
        action="milestone.achieved",
        obj=milestone,
        consultancy=plan.client.consultancy,
        client=plan.client,
        before={"achieved_on": before},
        after={"achieved_on": achieved_on},
    )
    clients_mark_dirty(client_ids=[plan.client_id])
    return milestone


# --- internals ----------------------------------------------------------------------------------


def _stored_document(plan: Plan) -> dict:
    fresh = plan_with_document(client=plan.client).get(pk=plan.pk)
    return plan_document(fresh)


def _audit(actor, plan: Plan, action: str, *, before) -> None:
    client = plan.client
    after = _stored_document(plan)
    audit_record(
        actor=actor,
        action=action,
        obj=plan,
        consultancy=client.consultancy,
        client=client,
        before=before,
        after=after,
    )
    clients_mark_dirty(client_ids=[client.pk])


def _write(plan: Plan, document: PlanDocument) -> None:
    client = plan.client
    if document.status == Plan.Status.ACTIVE:
        # One active plan per client (also a database constraint): the previous one retires.
        Plan.objects.filter(client=client, status=Plan.Status.ACTIVE).exclude(pk=plan.pk).update(
            status=Plan.Status.ARCHIVED
        )
    for name in PLAN_FIELDS:
        setattr(plan, name, getattr(document, name))
    plan.save()
    metric_ids = dict(metrics_for_client(client).values_list("key", "id"))
    _write_kpis(plan, document, metric_ids)
    _write_milestones(plan, document, metric_ids)
    _write_funnels(plan, document, metric_ids)


def _write_kpis(plan, document, metric_ids) -> None:
    existing = {kpi.key: kpi for kpi in KpiNode.objects.filter(plan=plan)}
    kept = {}
    for position, doc in enumerate(document.kpis):
        kpi = existing.get(doc.key) or KpiNode(plan=plan, client=plan.client, key=doc.key)
        kpi.metric_id = metric_ids[doc.metric]
        kpi.parent = None  # set below, once every node exists
        kpi.weight, kpi.baseline_value = doc.weight, doc.baseline_value
        kpi.baseline_period, kpi.target_period = str(doc.baseline_period), str(doc.target_period)
        kpi.must, kpi.stretch = doc.must, doc.stretch
        kpi.granularity, kpi.interpolation = doc.granularity.value, doc.interpolation
        kpi.formula, kpi.position = doc.formula, position
        kpi.save()
        kept[doc.key] = kpi
    KpiNode.objects.filter(plan=plan).exclude(pk__in=[k.pk for k in kept.values()]).delete()
    for doc in document.kpis:
        parent = kept[doc.parent] if doc.parent else None
        KpiNode.objects.filter(pk=kept[doc.key].pk).update(parent=parent)


def _write_milestones(plan, document, metric_ids) -> None:
    existing = {m.key: m for m in Milestone.objects.filter(plan=plan)}
    kept = []
    for position, doc in enumerate(document.milestones):
        milestone = existing.get(doc.key) or Milestone(plan=plan, client=plan.client, key=doc.key)
        milestone.name, milestone.due, milestone.kind = doc.name, doc.due, doc.kind
        if doc.kind == Milestone.Kind.EVENT:
            # An edit that does not mention the achievement keeps it.
            milestone.achieved_on = doc.achieved_on or milestone.achieved_on
        else:
            milestone.achieved_on = None
        milestone.position = position
        milestone.save()
        milestone.conditions.all().delete()
        MilestoneCondition.objects.bulk_create(
            MilestoneCondition(
                milestone=milestone,
                client=plan.client,
                metric_id=metric_ids[c.metric],
                op=c.op,
                value=c.value,
                cumulative=c.cumulative,
                position=index,
            )
            for index, c in enumerate(doc.conditions)
        )
        kept.append(milestone.pk)
    Milestone.objects.filter(plan=plan).exclude(pk__in=kept).delete()


def _write_funnels(plan, document, metric_ids) -> None:
    existing = {f.key: f for f in Funnel.objects.filter(plan=plan)}
    kept = []
    for position, doc in enumerate(document.funnels):
        funnel = existing.get(doc.key) or Funnel(plan=plan, client=plan.client, key=doc.key)
        funnel.name, funnel.position = doc.name, position
        funnel.save()
        funnel.stages.all().delete()
        FunnelStage.objects.bulk_create(
            FunnelStage(
                funnel=funnel,
                client=plan.client,
                name=stage.name,
                metric_id=metric_ids[stage.metric],
                target_conversion=stage.target_conversion,
                position=index,
            )
            for index, stage in enumerate(doc.stages)
        )
        kept.append(funnel.pk)
    Funnel.objects.filter(plan=plan).exclude(pk__in=kept).delete()
