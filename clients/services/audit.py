"""The audit log: who changed what, when, from which key or user."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from clients.models import AuditLogEntry, Client, Consultancy
from clients.principals import Principal

OPERATOR_LABEL = "system (manage.py)"


def json_safe(data):
    """``data`` as plain JSON types (dates, decimals and UUIDs as text)."""
    return None if data is None else json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def snapshot(obj, fields) -> dict:
    """The named fields of ``obj``, JSON-safe, for an entry's before and after."""
    return json_safe({name: getattr(obj, name) for name in fields})


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Of two snapshots, only the fields that differ: an update's before and after."""
    return (
        {k: v for k, v in before.items() if after[k] != v},
        {k: v for k, v in after.items() if before[k] != v},
    )


def actor_label(actor: Principal | None) -> str:
    """Who did it, for a row's "requested by" or "started by": a user's e-mail or a key's
    prefix; empty for the operator."""
    return "" if actor is None else actor.label[:200]


def audit_record(
    *,
    actor: Principal | None,
    action: str,
    obj,
    consultancy: Consultancy,
    client: Client | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        consultancy=consultancy,
        client=client,
        actor_user=actor.user if actor else None,
        actor_api_key=actor.api_key if actor else None,
        actor_label=actor.label if actor else OPERATOR_LABEL,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=json_safe(before),
        after=json_safe(after),
    )
