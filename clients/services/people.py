"""Users and their roles: members of a consultancy, consultants assigned to clients, and the
client's own people. Every change of who may see what is audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import (
    Client,
    ClientAssignment,
    ClientMembership,
    Consultancy,
    ConsultancyMembership,
    User,
)
from clients.principals import Principal
from clients.services.audit import audit_record, snapshot


def user_get_or_create(*, email: str, password: str | None = None, full_name: str = "") -> User:
    """The user with this e-mail; created (password unusable when none is given) if missing."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is not None:
        return user
    user = User(email=User.objects.normalize_email(email.strip()).lower(), full_name=full_name)
    user.set_password(password)  # None gives an unusable password: set one by password reset
    user.full_clean(exclude=["password"])
    user.save()
    return user


def _role_set(model, *, where: dict, user: User, role: str, actor, audit_as: str, **audit_scope):
    """Give ``user`` a role in a consultancy or a client (``where`` names which), audited."""
    if role not in model.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}: one of {model.Role.values}."})
    membership = model.objects.filter(user=user, **where).first()
    before = snapshot(membership, ["role"]) if membership else None
    if membership is None:
        membership = model(user=user, **where)
    membership.role = role
    membership.save()
    audit_record(
        actor=actor,
        action=f"{audit_as}.updated" if before else f"{audit_as}.created",
        obj=membership,
        before=before,
        after={"user": user.email, "role": role},
        **audit_scope,
    )
    return membership


@transaction.atomic
def consultancy_member_set(
    *, consultancy: Consultancy, user: User, role: str, actor: Principal | None
) -> ConsultancyMembership:
    """Give the user this role in the consultancy (members sign in to the admin)."""
    membership = _role_set(
        ConsultancyMembership,
        where={"consultancy": consultancy},
        user=user,
        role=role,
        actor=actor,
        audit_as="consultancy_membership",
        consultancy=consultancy,
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def consultancy_member_remove(*, membership: ConsultancyMembership, actor: Principal | None):
    consultancy, user = membership.consultancy, membership.user
    ClientAssignment.objects.filter(user=user, client__consultancy=consultancy).delete()
    audit_record(
        actor=actor,
        action="consultancy_membership.deleted",
        obj=membership,
        consultancy=consultancy,
        before={"user": user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def client_assign(*, client: Client, user: User, actor: Principal | None) -> ClientAssignment:
    """Assign a consultant of the client's consultancy to the client."""
    assignment = ClientAssignment.objects.filter(client=client, user=user).first()
    if assignment is None:
        assignment = ClientAssignment(client=client, user=user)
        assignment.full_clean()
        assignment.save()
        audit_record(
            actor=actor,
            action="client_assignment.created",
            obj=assignment,
            consultancy=client.consultancy,
            client=client,
            after={"user": user.email},
        )
    return assignment


@transaction.atomic
def client_member_set(
    *, client: Client, user: User, role: str, actor: Principal | None
) -> ClientMembership:
    return _role_set(
        ClientMembership,
        where={"client": client},
        user=user,
        role=role,
        actor=actor,
        audit_as="client_membership",
        consultancy=client.consultancy,
        client=client,
    )


@transaction.atomic
def client_member_remove(*, membership: ClientMembership, actor: Principal | None) -> None:
    client = membership.client
    audit_record(
        actor=actor,
        action="client_membership.deleted",
        obj=membership,
        consultancy=client.consultancy,
        client=client,
        before={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()
