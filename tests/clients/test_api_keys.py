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


# --- guessing keys ----------------------------------------------------------------------------


def test_failed_keys_from_one_address_are_429_past_the_limit(consultancy, settings):
    settings.API_KEY_FAILURE_LIMIT = 3
    settings.API_KEY_LOCKOUT_SECONDS = 600
    _, good = api_key(consultancy, "read")
    guesses = [f"wp_{'0' * 12}_guess{n}" for n in range(4)]

    answers = [get_clients(guess).status_code for guess in guesses[:3]]
    # Three failures: the limit. From now on the address gets 429 for any key, even a good one,
    # with how long to wait.
    blocked = get_clients(guesses[3])
    good_meanwhile = get_clients(good)

    assert answers == [401, 401, 401]
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "600"
    assert blocked.json()["status"] == 429
    assert good_meanwhile.status_code == 429


def test_failures_are_counted_per_address(consultancy, settings):
    settings.API_KEY_FAILURE_LIMIT = 2
    _, good = api_key(consultancy, "read")
    guessing = APIClient(REMOTE_ADDR="203.0.113.7")
    guessing.credentials(HTTP_AUTHORIZATION="Api-Key wp_000000000000_guess")
    partner = APIClient(REMOTE_ADDR="198.51.100.2")
    partner.credentials(HTTP_AUTHORIZATION=f"Api-Key {good}")

    for _ in range(3):
        guessing.get("/api/v1/clients/")

    assert guessing.get("/api/v1/clients/").status_code == 429
    assert partner.get("/api/v1/clients/").status_code == 200


def test_good_keys_are_not_counted(consultancy, settings):
    settings.API_KEY_FAILURE_LIMIT = 2
    _, good = api_key(consultancy, "read")

    statuses = {get_clients(good).status_code for _ in range(5)}

    assert statuses == {200}
