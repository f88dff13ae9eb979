"""API keys: only a hash is stored, revoked and expired keys are refused, use noted sparingly."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import ApiKey, AuditLogEntry
from clients.services.api_keys import api_key_revoke
from tests.clients.factories import ClientFactory, ConsultancyFactory, api_key

pytestmark = pytest.mark.django_db


def get_clients(plain):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return api.get("/api/v1/clients/")


@pytest.fixture
def consultancy():
    return ConsultancyFactory()


def test_a_good_key_reads(consultancy):
    ClientFactory(consultancy=consultancy)
    _, plain = api_key(consultancy, "read")

    response = get_clients(plain)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_plain_key_is_stored_nowhere(consultancy):
    key, plain = api_key(consultancy, "read,write")
    secret = plain.split("_", 2)[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM clients_apikey")
        rows = cursor.fetchall()
        cursor.execute("SELECT before::text, after::text FROM clients_auditlogentry")
        audit = cursor.fetchall()

    stored = repr(rows) + repr(audit)
    assert key.prefix in stored
    assert secret not in stored
    assert plain not in stored
    assert key.secret_hash != secret
    assert len(key.secret_hash) == 64


def test_a_revoked_key_is_401(consultancy):
    key, plain = api_key(consultancy, "read")
    api_key_revoke(api_key=key, actor=None)

    response = get_clients(plain)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert AuditLogEntry.objects.filter(action="api_key.revoked", object_id=str(key.pk)).exists()


def test_an_expired_key_is_401(consultancy):
    _, plain = api_key(consultancy, "read", expires_at=timezone.now() - timedelta(seconds=1))

    assert get_clients(plain).status_code == 401


def test_a_key_not_yet_expired_works(consultancy):
    _, plain = api_key(consultancy, "read", expires_at=timezone.now() + timedelta(days=1))

    assert get_clients(plain).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        lambda plain: plain[:-1] + ("A" if plain[-1] != "A" else "B"),  # wrong secret
        lambda plain: "wp_000000000000_" + plain.split("_", 2)[2],  # unknown prefix
        lambda plain: plain.replace("wp_", "xx_", 1),
        lambda plain: "",
    ],
    ids=["wrong-secret", "unknown-prefix", "bad-label", "empty"],
)
def test_a_wrong_key_is_401(consultancy, mangle):
    _, plain = api_key(consultancy, "read")

    response = get_clients(mangle(plain))

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_last_used_is_written_once_per_minute_not_per_request(
    consultancy, django_assert_num_queries
):
    ClientFactory(consultancy=consultancy)
    key, plain = api_key(consultancy, "read")
    get_clients(plain)
    first_use = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first_use is not None

    # The next request within the minute reads the key but does not write it.
    with django_assert_num_queries(3):  # key lookup, page count, page rows
        get_clients(plain)

    assert ApiKey.objects.get(pk=key.pk).last_used_at == first_use


def test_a_key_for_a_client_of_another_consultancy_is_refused(consultancy):
    from django.core.exceptions import ValidationError

    foreign_client = ClientFactory()

    with pytest.raises(ValidationError):
        api_key(consultancy, "read", client=foreign_client)
