"""manage.py load_demo: the demo consultancy with an owner login, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from clients.demo import DEMO_OWNER_EMAIL
from clients.models import Consultancy, ConsultancyMembership, User

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
    # The printed login works.
    assert client.login(username=DEMO_OWNER_EMAIL, password="waypoint-demo")


def test_load_demo_twice_changes_nothing():
    load_demo()
    first_ids = (Consultancy.objects.get().id, User.objects.get().id)

    load_demo()

    assert Consultancy.objects.count() == 1
    assert User.objects.count() == 1
    assert ConsultancyMembership.objects.count() == 1
    assert (Consultancy.objects.get().id, User.objects.get().id) == first_ids
