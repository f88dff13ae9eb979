"""Plans from the built-in templates: a new plan, or a template's KPIs, milestones and funnels
put into an existing plan. The API and the admin both call these."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from clients.models import Client
from clients.principals import Principal
from plans.models import Plan
from plans.plan_templates import TEMPLATES
from plans.selectors import document_as_input, plan_document, plan_with_document
from plans.services.plans import PLAN_FIELDS, plan_create, plan_replace

LANGUAGES = ("ja", "en")


def plan_create_from_template(
    *,
    client: Client,
    template: str,
    starts_on: date,
    language: str,
    status: str = Plan.Status.DRAFT,
    actor: Principal | None,
) -> Plan:
    """A new twelve-month plan from the template ``template`` (a key of ``TEMPLATES``), dated
    from ``starts_on``, its names in ``language``. Raises ``DocumentInvalid`` if the client's
    catalogue lacks what the template names."""
    raw = TEMPLATES[template].document(starts_on=starts_on, language=language, status=status)
    return plan_create(client=client, raw=raw, actor=actor)


@transaction.atomic
def plan_apply_template(
    *, plan: Plan, template: str, language: str, actor: Principal | None
) -> Plan:
    """Replace the plan's KPIs, milestones and funnels with the template's, dated from the
    plan's own start; the plan's own fields (name, vision, dates, status) stay. Keys the
    template shares with the plan keep their history. Raises ``DocumentInvalid`` (nothing
    changed) when the template does not fit the plan, e.g. a milestone outside its dates."""
    stored = document_as_input(
        plan_document(plan_with_document(client=plan.client).get(pk=plan.pk))
    )
    raw = TEMPLATES[template].document(
        starts_on=plan.starts_on, language=language, status=plan.status
    )
    raw.update({name: stored[name] for name in PLAN_FIELDS})
    return plan_replace(plan=plan, raw=raw, actor=actor)
