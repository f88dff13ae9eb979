"""manage.py load_demo: the demo consultancy with an owner login, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from clients.demo import DEMO_OWNER_EMAIL
from clients.models import (
    Client,
    ClientAssignment,
    ClientMembership,
    Consultancy,
    ConsultancyMembership,
    User,
)

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_creates_a_consultancy_and_prints_the_owner_login(client):
    printed = load_demo()

    consultancy = Consultancy.objects.get(slug="demo")
    owner = User.objects.get(email=DEMO_OWNER_EMAIL)
    membership = ConsultancyMembership.objects.get(consultancy=consultancy, user=owner)
    assert membership.role == "owner"
    assert f"{DEMO_OWNER_EMAIL}  /  waypoint-demo" in printed
    assert "consultant@demo.waypoint.test" in printed
    assert "viewer@sakura.waypoint.test" in printed
    # The printed login works.
    response = client.post(
        "/accounts/login/", {"username": DEMO_OWNER_EMAIL, "password": "waypoint-demo"}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_load_demo_twice_changes_nothing():
    load_demo()
    first_ids = (Consultancy.objects.get().id, User.objects.get(email=DEMO_OWNER_EMAIL).id)

    load_demo()

    assert Consultancy.objects.count() == 1
    assert User.objects.count() == 4  # owner, consultant, client viewer, client editor
    assert ConsultancyMembership.objects.count() == 2
    assert Client.objects.count() == 3
    assert ClientAssignment.objects.count() == 1
    assert ClientMembership.objects.count() == 2
    owner = User.objects.get(email=DEMO_OWNER_EMAIL)
    assert (Consultancy.objects.get().id, owner.id) == first_ids


def test_load_demo_prints_the_slug_and_client_ids_the_next_commands_take():
    printed = load_demo()

    consultancy = Consultancy.objects.get(slug="demo")
    assert f"slug demo, id {consultancy.id}" in printed
    for client in Client.objects.filter(consultancy=consultancy):
        assert f"{client.id}  {client.slug}" in printed
    # The command it suggests works as printed.
    suggested = next(line for line in printed.splitlines() if "create_api_key" in line)
    args = suggested.split("manage.py ", 1)[1].split()
    out = StringIO()
    call_command(*args, stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("wp_")
