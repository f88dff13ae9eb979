"""Tenant-scoped reads. Every query for client-owned data starts from ``clients_visible_to``.

The rules (DESIGN.md, "Tenancy"; the roles are on the rows, the actions in ``Action``):

- read: owners and managers all clients of their consultancy, consultants their assigned clients,
  client editors and viewers their own client; a consultancy key all, a client key its client.
- write: as read, but not client viewers, and keys only with the write scope.
- manage clients (create/edit clients, consultancy metrics, webhooks): owners, managers, and
  consultancy-wide keys with the write scope.
- manage access (members and keys): owners and managers only.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from clients.models import (
    ApiKey,
    AuditLogEntry,
    Client,
    ClientAssignment,
    ClientMembership,
    Consultancy,
    ConsultancyMembership,
    WebhookDelivery,
    WebhookSubscription,
)
from clients.principals import Action, Principal

MANAGING_ROLES = (ConsultancyMembership.Role.OWNER, ConsultancyMembership.Role.MANAGER)
ALL_ACTIONS = frozenset(Action)
NOTHING: frozenset[Action] = frozenset()


def clients_visible_to(principal: Principal | None) -> QuerySet[Client]:
    """The clients the principal may read. Nobody (or an unknown principal) sees none."""
    if principal is None:
        return Client.objects.none()
    if principal.api_key is not None:
        key = principal.api_key
        clients = Client.objects.filter(consultancy_id=key.consultancy_id)
        return clients.filter(pk=key.client_id) if key.client_id else clients
    user = principal.user
    managed = ConsultancyMembership.objects.filter(user=user, role__in=MANAGING_ROLES)
    consulting = ConsultancyMembership.objects.filter(
        user=user, role=ConsultancyMembership.Role.CONSULTANT
    )
    return Client.objects.filter(
        Q(consultancy_id__in=managed.values("consultancy_id"))
        # An assignment counts only while the user is still a consultant of that consultancy.
        | Q(
            consultancy_id__in=consulting.values("consultancy_id"),
            pk__in=ClientAssignment.objects.filter(user=user).values("client_id"),
        )
        | Q(pk__in=ClientMembership.objects.filter(user=user).values("client_id"))
    )


def clients_with_action(principal: Principal | None, action: Action) -> QuerySet[Client]:
    """The clients on which the principal holds ``action`` (same rules as ``client_actions``)."""
    if action == Action.READ or principal is None:
        return clients_visible_to(principal)
    if principal.api_key is not None:
        key = principal.api_key
        allowed = key.can_write and (action == Action.WRITE or key.client_id is None)
        if action == Action.MANAGE_ACCESS or not allowed:
            return Client.objects.none()
        return clients_visible_to(principal)
    user = principal.user
    managed = Q(
        consultancy_id__in=ConsultancyMembership.objects.filter(
            user=user, role__in=MANAGING_ROLES
        ).values("consultancy_id")
    )
    if action != Action.WRITE:
        return Client.objects.filter(managed)
    consulting = ConsultancyMembership.objects.filter(
        user=user, role=ConsultancyMembership.Role.CONSULTANT
    )
    return Client.objects.filter(
        managed
        | Q(
            consultancy_id__in=consulting.values("consultancy_id"),
            pk__in=ClientAssignment.objects.filter(user=user).values("client_id"),
        )
        | Q(
            pk__in=ClientMembership.objects.filter(
                user=user, role=ClientMembership.Role.EDITOR
            ).values("client_id")
        )
    )


def client_actions(principal: Principal | None, client: Client) -> frozenset[Action]:
    """What the principal may do on this client's data; empty when it may not even read it."""
    if principal is None:
        return NOTHING
    if principal.api_key is not None:
        key = principal.api_key
        if key.consultancy_id != client.consultancy_id:
            return NOTHING
        if key.client_id is not None and key.client_id != client.pk:
            return NOTHING
        if not key.can_write:
            return frozenset({Action.READ})
        if key.client_id is None:
            return frozenset({Action.READ, Action.WRITE, Action.MANAGE_CLIENTS})
        return frozenset({Action.READ, Action.WRITE})

    user = principal.user
    role = (
        ConsultancyMembership.objects.filter(user=user, consultancy_id=client.consultancy_id)
        .values_list("role", flat=True)
        .first()
    )
    if role in MANAGING_ROLES:
        return ALL_ACTIONS
    actions: set[Action] = set()
    if (
        role == ConsultancyMembership.Role.CONSULTANT
        and ClientAssignment.objects.filter(user=user, client=client).exists()
    ):
        actions |= {Action.READ, Action.WRITE}
    client_role = (
        ClientMembership.objects.filter(user=user, client=client)
        .values_list("role", flat=True)
        .first()
    )
    if client_role == ClientMembership.Role.EDITOR:
        actions |= {Action.READ, Action.WRITE}
    elif client_role == ClientMembership.Role.VIEWER:
        actions.add(Action.READ)
    return frozenset(actions)


def consultancy_actions(principal: Principal | None, consultancy: Consultancy) -> frozenset[Action]:
    """What the principal may do at the consultancy level (new clients, members, keys)."""
    if principal is None:
        return NOTHING
    if principal.api_key is not None:
        key = principal.api_key
        if key.consultancy_id != consultancy.pk:
            return NOTHING
        if key.client_id is None and key.can_write:
            return frozenset({Action.READ, Action.WRITE, Action.MANAGE_CLIENTS})
        return frozenset({Action.READ})
    role = (
        ConsultancyMembership.objects.filter(user=principal.user, consultancy=consultancy)
        .values_list("role", flat=True)
        .first()
    )
    if role in MANAGING_ROLES:
        return ALL_ACTIONS
    if role == ConsultancyMembership.Role.CONSULTANT:
        return frozenset({Action.READ})
    if ClientMembership.objects.filter(
        user=principal.user, client__consultancy=consultancy
    ).exists():
        return frozenset({Action.READ})
    return NOTHING


def consultancies_of(principal: Principal | None) -> QuerySet[Consultancy]:
    """The consultancies the principal belongs to, directly or through a client."""
    if principal is None:
        return Consultancy.objects.none()
    if principal.api_key is not None:
        return Consultancy.objects.filter(pk=principal.api_key.consultancy_id)
    user = principal.user
    return Consultancy.objects.filter(
        Q(pk__in=ConsultancyMembership.objects.filter(user=user).values("consultancy_id"))
        | Q(pk__in=ClientMembership.objects.filter(user=user).values("client__consultancy_id"))
    )


def consultancies_managed_by(principal: Principal | None, action: Action) -> QuerySet[Consultancy]:
    """The consultancies where the principal holds a consultancy-level ``action``."""
    if principal is None:
        return Consultancy.objects.none()
    if principal.api_key is not None:
        key = principal.api_key
        allowed = key.client_id is None and key.can_write and action == Action.MANAGE_CLIENTS
        return (
            Consultancy.objects.filter(pk=key.consultancy_id)
            if allowed
            else (Consultancy.objects.none())
        )
    return Consultancy.objects.filter(
        pk__in=ConsultancyMembership.objects.filter(
            user=principal.user, role__in=MANAGING_ROLES
        ).values("consultancy_id")
    )


def api_key_by_prefix(prefix: str) -> ApiKey | None:
    return ApiKey.objects.select_related("consultancy").filter(prefix=prefix).first()


def audit_log_for_client(*, client: Client) -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.filter(client=client).order_by("-at")


def webhooks_visible_to(principal: Principal | None) -> QuerySet[WebhookSubscription]:
    """The webhooks the principal manages: owners and managers their consultancies', a
    consultancy-wide key with the write scope its consultancy's, a client key with the write
    scope its client's. Nobody else sees any."""
    if principal is None:
        return WebhookSubscription.objects.none()
    if principal.api_key is not None:
        key = principal.api_key
        if not key.can_write:
            return WebhookSubscription.objects.none()
        webhooks = WebhookSubscription.objects.filter(consultancy_id=key.consultancy_id)
        return webhooks.filter(client_id=key.client_id) if key.client_id else webhooks
    return WebhookSubscription.objects.filter(
        consultancy__in=consultancies_managed_by(principal, Action.MANAGE_CLIENTS)
    )


def may_manage_webhooks(principal: Principal | None) -> bool:
    if principal is None:
        return False
    if principal.api_key is not None:
        return principal.api_key.can_write
    return consultancies_managed_by(principal, Action.MANAGE_CLIENTS).exists()


def webhook_deliveries(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .prefetch_related("attempts")
        .order_by("-created_at")
    )
