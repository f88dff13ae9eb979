"""create_consultancy, create_api_key, create_user — exactly as API.md names them."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from clients.models import (
    ApiKey,
    AuditLogEntry,
    ClientAssignment,
    ClientMembership,
    Consultancy,
    ConsultancyMembership,
    User,
)
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().rstrip("\n").splitlines()


def test_create_consultancy_prints_its_id_last_and_makes_the_owner():
    lines = run(
        "create_consultancy",
        "--name",
        "Kaizen Partners",
        "--slug",
        "kaizen",
        "--owner-email",
        "Boss@Kaizen.example",
        "--owner-password",
        "a-good-password",
    )

    consultancy = Consultancy.objects.get(pk=uuid.UUID(lines[-1]))
    assert consultancy.slug == "kaizen"
    owner = User.objects.get(email="boss@kaizen.example")
    assert owner.check_password("a-good-password")
    assert owner.is_staff
    assert not owner.is_superuser
    assert ConsultancyMembership.objects.get(user=owner).role == "owner"
    assert AuditLogEntry.objects.filter(consultancy=consultancy).count() == 2


def test_the_owner_password_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WAYPOINT_OWNER_PASSWORD", "from-the-env-123")

    run("create_consultancy", "--name", "K", "--slug", "k", "--owner-email", "o@k.example")

    assert User.objects.get(email="o@k.example").check_password("from-the-env-123")


def test_a_duplicate_slug_is_a_clear_error():
    run("create_consultancy", "--name", "K", "--slug", "k", "--owner-email", "o@k.example")

    with pytest.raises(CommandError, match="slug"):
        run("create_consultancy", "--name", "K2", "--slug", "k", "--owner-email", "p@k.example")


def test_create_api_key_prints_a_working_key_last():
    run("create_consultancy", "--name", "K", "--slug", "k", "--owner-email", "o@k.example")
    client = ClientFactory(consultancy=Consultancy.objects.get(slug="k"))

    lines = run(
        "create_api_key",
        "--consultancy",
        "k",
        "--client",
        str(client.pk),
        "--scopes",
        "read,write",
        "--name",
        "CRM",
    )

    key = ApiKey.objects.get()
    assert (key.client, key.scopes, key.name) == (client, "read,write", "CRM")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {lines[-1]}")
    response = api.get("/api/v1/clients/")
    assert [row["id"] for row in response.json()["results"]] == [str(client.pk)]


def test_create_api_key_refuses_a_client_of_another_consultancy():
    run("create_consultancy", "--name", "K", "--slug", "k", "--owner-email", "o@k.example")
    foreign = ClientFactory()

    with pytest.raises(CommandError, match="No client"):
        run(
            "create_api_key",
            "--consultancy",
            "k",
            "--client",
            str(foreign.pk),
            "--scopes",
            "read",
            "--name",
            "x",
        )
    assert not ApiKey.objects.exists()


def test_create_user_as_a_consultant_with_assignments():
    run("create_consultancy", "--name", "K", "--slug", "k", "--owner-email", "o@k.example")
    consultancy = Consultancy.objects.get(slug="k")
    first, second = ClientFactory(consultancy=consultancy), ClientFactory(consultancy=consultancy)

    lines = run(
        "create_user",
        "--email",
        "c@k.example",
        "--password",
        "pw-for-consultant",
        "--consultancy",
        "k",
        "--role",
        "consultant",
        "--assign",
        str(first.pk),
        str(second.pk),
    )

    user = User.objects.get(pk=uuid.UUID(lines[-1]))
    assert user.check_password("pw-for-consultant")
    assert user.consultancy_memberships.get().role == "consultant"
    assert set(ClientAssignment.objects.filter(user=user).values_list("client", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_create_user_as_a_client_viewer():
    client = ClientFactory()

    lines = run(
        "create_user", "--email", "v@client.example", "--client", str(client.pk), "--role", "viewer"
    )

    user = User.objects.get(pk=uuid.UUID(lines[-1]))
    assert ClientMembership.objects.get(user=user).role == "viewer"
    assert not user.is_staff
    assert not user.has_usable_password()  # no password given: set one by password reset


@pytest.mark.parametrize(
    "args",
    [
        ["--consultancy", "k", "--role", "viewer"],
        ["--client", "00000000-0000-0000-0000-000000000000", "--role", "viewer"],
        ["--client", "not-a-uuid", "--role", "editor"],
        ["--consultancy", "nope", "--role", "manager"],
        ["--consultancy", "k", "--role", "consultant", "--assign", "not-a-uuid"],
    ],
    ids=[
        "client-role-in-consultancy",
        "unknown-client",
        "bad-uuid",
        "unknown-consultancy",
        "bad-assignment",
    ],
)
def test_create_user_errors_write_nothing(args):
    run("create_consultancy", "--name", "K", "--slug", "k", "--owner-email", "o@k.example")

    with pytest.raises(CommandError):
        run("create_user", "--email", "x@k.example", *args)
    assert not User.objects.filter(email="x@k.example").exists()
