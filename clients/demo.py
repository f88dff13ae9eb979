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
# A fixed, printed password is the point of a local demo; WAYPOINT_DEMO_PASSWORD overrides it.
DEFAULT_DEMO_PASSWORD = "waypoint-demo"  # noqa: S105


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
    # Until the consultancy-scoped admin exists the demo owner needs superuser rights to see it.
    owner.is_staff = owner.is_superuser = owner.is_active = True
    owner.save()
    ConsultancyMembership.objects.update_or_create(
        consultancy=consultancy,
        user=owner,
        defaults={"role": ConsultancyMembership.Role.OWNER},
    )
    context.objects["consultancy"] = consultancy
    context.logins.append(("consultancy owner", owner.email, context.password))
