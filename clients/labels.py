"""What people read for the codes the system writes: an audit entry's action, a job's kind."""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "client.created": _("client created"),
    "client.updated": _("client changed"),
    "client_assignment.created": _("consultant assigned"),
    "client_membership.created": _("client user added"),
    "client_membership.updated": _("client user's role changed"),
    "client_membership.deleted": _("client user removed"),
    "consultancy.created": _("consultancy created"),
    "consultancy.updated": _("consultancy changed"),
    "consultancy_membership.created": _("member added"),
    "consultancy_membership.updated": _("member's role changed"),
    "consultancy_membership.deleted": _("member removed"),
    "diagnostic.started": _("diagnostic started"),
    "diagnostic.submitted": _("diagnostic submitted"),
    "diagnostic_template.copied": _("questionnaire copied"),
    "diagnostic_template.updated": _("questionnaire changed"),
    "measurements.upserted": _("measurements written"),
    "metric.created": _("metric created"),
    "metric.updated": _("metric changed"),
    "milestone.achieved": _("milestone achieved"),
    "plan.created": _("plan created"),
    "plan.updated": _("plan changed"),
    "plan.deleted": _("plan deleted"),
    "scenario.created": _("scenario saved"),
    "scenario.updated": _("scenario changed"),
    "scenario.deleted": _("scenario deleted"),
    "webhook.created": _("webhook added"),
    "webhook.updated": _("webhook changed"),
    "webhook.deleted": _("webhook removed"),
    "webhook.redelivered": _("webhook delivery sent again"),
}


def audit_action_label(action: str) -> str:
    """``plan changed`` for ``plan.updated``; the code itself if it has no words yet."""
    return str(AUDIT_ACTIONS.get(action, action))


_job_kinds: dict[str, object] = {}  # job kind -> what people read for it (apps name theirs)


def job_kind_name(kind: str, label) -> None:
    _job_kinds[kind] = label


def job_kind_label(kind: str) -> str:
    """``Scorecard recompute`` for ``scorecard_recompute``; the kind itself if unnamed."""
    return str(_job_kinds.get(kind, kind))
