"""The tenancy rules table, row by row, for users and keys (DESIGN.md, "Tenancy")."""

import pytest

from clients.principals import Action, Principal
from clients.selectors import (
    client_actions,
    clients_visible_to,
    clients_with_action,
    consultancy_actions,
)
from tests.tenancy import EXPECTED, EXPECTED_CONSULTANCY, PRINCIPAL_KINDS, R

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_actions_on_home_sibling_and_foreign_client(world, kind):
    on_a1, on_a2 = EXPECTED[kind]
    who = world.principal(kind)

    assert client_actions(who, world.a1) == on_a1
    assert client_actions(who, world.a2) == on_a2
    assert client_actions(who, world.b1) == set()


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_visible_clients_match_the_read_rule(world, kind):
    on_a1, on_a2 = EXPECTED[kind]
    expected = {c.pk for c, actions in ((world.a1, on_a1), (world.a2, on_a2)) if R in actions}

    assert set(clients_visible_to(world.principal(kind)).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
@pytest.mark.parametrize("action", list(Action))
def test_clients_with_action_agrees_with_client_actions(world, kind, action):
    on_a1, on_a2 = EXPECTED[kind]
    expected = {c.pk for c, actions in ((world.a1, on_a1), (world.a2, on_a2)) if action in actions}

    got = clients_with_action(world.principal(kind), action).values_list("pk", flat=True)
    assert set(got) == expected


@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
def test_consultancy_level_actions(world, kind):
    who = world.principal(kind)

    assert consultancy_actions(who, world.a) == EXPECTED_CONSULTANCY[kind]
    assert consultancy_actions(who, world.b) == set()


def test_a_consultant_removed_from_the_consultancy_loses_their_assignments(world):
    from clients.models import ConsultancyMembership
    from clients.services.people import consultancy_member_remove

    consultant = world.users["consultant"]
    membership = ConsultancyMembership.objects.get(user=consultant)

    consultancy_member_remove(membership=membership, actor=None)

    assert not clients_visible_to(Principal(user=consultant)).exists()


def test_nobody_sees_nothing():
    assert not clients_visible_to(None).exists()
