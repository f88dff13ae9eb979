"""The demo data set, loaded by ``manage.py load_demo``.

Each app contributes a step from its ``AppConfig.ready()`` (apps depend in one direction only, so
the lowest app keeps the registry and higher apps add to it). Steps run in ``order``, inside one
transaction, and must be idempotent: re-running the command updates the demo, never duplicates it.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

DEMO_CONSULTANCY_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.waypoint.test"
DEMO_CONSULTANT_EMAIL = "consultant@demo.waypoint.test"
DEMO_CLIENT_VIEWER_EMAIL = "viewer@sakura.waypoint.test"
DEMO_CLIENT_EDITOR_EMAIL = "editor@hikari.waypoint.test"
DEMO_CLIENTS = [
    # slug, name, industry, business model
    ("sakura-cafe", "Sakura Cafe Group", "Food service", "B2C stores and online shop"),
    ("nimbus-saas", "Nimbus Cloud", "Software", "B2B SaaS"),
    ("hikari-growth", "Hikari Growth Partners", "Marketing services", "B2B lead generation"),
]
# A fixed, printed password is the point of a local demo; WAYPOINT_DEMO_PASSWORD overrides it.
DEFAULT_DEMO_PASSWORD = "waypoint-demo"  # noqa: S105


class DemoConflict(Exception):
    """The demo would overwrite data that is not the demo's."""


@dataclass
class DemoContext:
    """What steps hand to each other, and the logins to print at the end."""

    password: str
    objects: dict = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, password)


@dataclass(frozen=True)
class _Step:
    order: int
    name: str
    step: Callable[[DemoContext], None]


_steps: dict[str, _Step] = {}


def register_step(*, order: int, name: str, step: Callable[[DemoContext], None]) -> None:
    _steps[name] = _Step(order=order, name=name, step=step)


def demo_load(*, password: str | None = None) -> DemoContext:
    context = DemoContext(
        password=password or os.environ.get("WAYPOINT_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    )
    with transaction.atomic():
        for registered in sorted(_steps.values(), key=lambda s: (s.order, s.name)):
            registered.step(context)
    return context


def consultancy_with_owner(context: DemoContext) -> None:
    from clients.models import Consultancy, ConsultancyMembership, User
    from clients.services.people import consultancy_member_set

    existing = Consultancy.objects.filter(slug=DEMO_CONSULTANCY_SLUG).first()
    if (
        existing is not None
        and not existing.memberships.filter(user__email__iexact=DEMO_OWNER_EMAIL).exists()
    ):
        # A real consultancy chose this slug: never hand it to a login with a printed password.
        raise DemoConflict(
            f"A consultancy with the slug {DEMO_CONSULTANCY_SLUG!r} exists and is not the demo."
        )
    consultancy, _ = Consultancy.objects.update_or_create(
        slug=DEMO_CONSULTANCY_SLUG,
        defaults={"name": "Demo Consulting", "timezone": "Asia/Tokyo", "currency": "JPY"},
    )
    owner = User.objects.filter(email__iexact=DEMO_OWNER_EMAIL).first()
    if owner is None:
        owner = User.objects.create_user(DEMO_OWNER_EMAIL, context.password)
    elif not owner.check_password(context.password):
        owner.set_password(context.password)
    owner.full_name = "Demo Owner"
    owner.is_active = True
    owner.is_superuser = False  # an owner sees their consultancy, not the platform
    owner.save()
    if not ConsultancyMembership.objects.filter(consultancy=consultancy, user=owner).exists():
        consultancy_member_set(
            consultancy=consultancy, user=owner, role=ConsultancyMembership.Role.OWNER, actor=None
        )
    context.objects["consultancy"] = consultancy
    context.logins.append(("consultancy owner", owner.email, context.password))


def _demo_user(email: str, full_name: str, password: str):
    from clients.services.people import user_get_or_create

    user = user_get_or_create(email=email, password=password, full_name=full_name)
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def clients_and_people(context: DemoContext) -> None:
    """The clients, a consultant assigned to one, a client viewer and a client editor."""
    from clients.models import Client, ClientAssignment, ClientMembership, ConsultancyMembership
    from clients.services.people import client_assign, client_member_set, consultancy_member_set
    from clients.services.tenants import client_create

    consultancy = context.objects["consultancy"]
    clients = {}
    for slug, name, industry, business_model in DEMO_CLIENTS:
        client = Client.objects.filter(consultancy=consultancy, slug=slug).first()
        if client is None:
            client = client_create(
                consultancy=consultancy,
                actor=None,
                slug=slug,
                name=name,
                industry=industry,
                business_model=business_model,
            )
        clients[slug] = client
    context.objects["clients"] = clients

    consultant = _demo_user(DEMO_CONSULTANT_EMAIL, "Demo Consultant", context.password)
    if not ConsultancyMembership.objects.filter(consultancy=consultancy, user=consultant).exists():
        consultancy_member_set(
            consultancy=consultancy,
            user=consultant,
            role=ConsultancyMembership.Role.CONSULTANT,
            actor=None,
        )
    if not ClientAssignment.objects.filter(client=clients["nimbus-saas"], user=consultant).exists():
        client_assign(client=clients["nimbus-saas"], user=consultant, actor=None)
    context.logins.append(("consultant (Nimbus)", consultant.email, context.password))

    viewer = _demo_user(DEMO_CLIENT_VIEWER_EMAIL, "Sakura Viewer", context.password)
    if not ClientMembership.objects.filter(client=clients["sakura-cafe"], user=viewer).exists():
        client_member_set(
            client=clients["sakura-cafe"],
            user=viewer,
            role=ClientMembership.Role.VIEWER,
            actor=None,
        )
    context.logins.append(("client viewer (Sakura)", viewer.email, context.password))

    editor = _demo_user(DEMO_CLIENT_EDITOR_EMAIL, "Hikari Editor", context.password)
    if not ClientMembership.objects.filter(client=clients["hikari-growth"], user=editor).exists():
        client_member_set(
            client=clients["hikari-growth"],
            user=editor,
            role=ClientMembership.Role.EDITOR,
            actor=None,
        )
    context.logins.append(("client editor (Hikari)", editor.email, context.password))
