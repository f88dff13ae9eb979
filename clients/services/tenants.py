"""Consultancies (the SaaS accounts) and their clients."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Client, Consultancy, ConsultancyMembership
from clients.principals import Principal
from clients.services.audit import audit_record, changed, snapshot
from clients.services.dirty_marks import clients_mark_dirty
from clients.services.people import consultancy_member_set, user_get_or_create

CLIENT_FIELDS = (
    "name",
    "slug",
    "industry",
    "business_model",
    "currency",
    "timezone",
    "fiscal_year_start_month",
    "status",
)
CONSULTANCY_FIELDS = ("name", "timezone", "currency", "status_tolerance")


@transaction.atomic
def consultancy_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None,
    timezone_name: str = "Asia/Tokyo",
    currency: str = "JPY",
    actor: Principal | None = None,
) -> Consultancy:
    consultancy = Consultancy(name=name, slug=slug, timezone=timezone_name, currency=currency)
    consultancy.full_clean()
    consultancy.save()
    audit_record(
        actor=actor,
        action="consultancy.created",
        obj=consultancy,
        consultancy=consultancy,
        after=snapshot(consultancy, ["name", "slug", "timezone", "currency"]),
    )
    owner = user_get_or_create(email=owner_email, password=owner_password)
    consultancy_member_set(
        consultancy=consultancy, user=owner, role=ConsultancyMembership.Role.OWNER, actor=actor
    )
    return consultancy


@transaction.atomic
def consultancy_update(*, consultancy: Consultancy, actor: Principal | None, **fields):
    """Edit a consultancy; a new status tolerance re-judges every client's scorecards."""
    unknown = set(fields) - set(CONSULTANCY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown consultancy fields: {sorted(unknown)}")
    before = snapshot(consultancy, fields)
    for name, value in fields.items():
        setattr(consultancy, name, value)
    consultancy.full_clean()
    after = snapshot(consultancy, fields)
    if after == before:
        return consultancy
    consultancy.save()
    if before.get("status_tolerance") != after.get("status_tolerance"):
        clients_mark_dirty(client_ids=list(consultancy.clients.values_list("pk", flat=True)))
    changed_before, changed_after = changed(before, after)
    audit_record(
        actor=actor,
        action="consultancy.updated",
        obj=consultancy,
        consultancy=consultancy,
        before=changed_before,
        after=changed_after,
    )
    return consultancy


def _client_validate(client: Client) -> None:
    taken = (
        Client.objects.filter(consultancy_id=client.consultancy_id, slug=client.slug)
        .exclude(pk=client.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            {"slug": _("The consultancy already has a client '%(slug)s'.") % {"slug": client.slug}}
        )
    client.full_clean()


@transaction.atomic
def client_create(*, consultancy: Consultancy, actor: Principal | None, **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown client fields: {sorted(unknown)}")
    fields.setdefault("currency", consultancy.currency)
    fields.setdefault("timezone", consultancy.timezone)
    client = Client(consultancy=consultancy, **fields)
    _client_validate(client)
    client.save()
    audit_record(
        actor=actor,
        action="client.created",
        obj=client,
        consultancy=consultancy,
        client=client,
        after=snapshot(client, CLIENT_FIELDS),
    )
    return client


@transaction.atomic
def client_update(*, client: Client, actor: Principal | None, **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown client fields: {sorted(unknown)}")
    before = snapshot(client, fields)
    for name, value in fields.items():
        setattr(client, name, value)
    _client_validate(client)
    after = snapshot(client, fields)
    if after != before:
        client.save()
        if "timezone" in fields and before["timezone"] != after["timezone"]:
            clients_mark_dirty(client_ids=[client.pk])  # "today" and "closed" move with it
        changed_before, changed_after = changed(before, after)
        audit_record(
            actor=actor,
            action="client.updated",
            obj=client,
            consultancy=client.consultancy,
            client=client,
            before=changed_before,
            after=changed_after,
        )
    return client
