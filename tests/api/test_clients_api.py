"""/api/v1/clients/: shapes, validation, audit, pagination, CSRF, throttling."""

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from clients.models import AuditLogEntry, Client
from clients.services.tenants import client_create
from clients.throttling import ApiKeyRateThrottle
from tests.clients.factories import ConsultancyFactory

pytestmark = pytest.mark.django_db

NEW_CLIENT = {
    "name": "Sakura Bakery",
    "slug": "sakura-bakery",
    "industry": "Food",
    "business_model": "B2C retail",
    "currency": "JPY",
    "timezone": "Asia/Tokyo",
    "fiscal_year_start_month": 4,
}


def test_create_a_client(world):
    response = world.api("owner").post("/api/v1/clients/", NEW_CLIENT, format="json")

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in NEW_CLIENT} == NEW_CLIENT
    assert body["consultancy"] == "acme"
    assert body["status"] == "active"
    client = Client.objects.get(pk=body["id"])
    entry = AuditLogEntry.objects.get(action="client.created", client=client)
    assert entry.actor_label == world.users["owner"].email
    assert entry.after["slug"] == "sakura-bakery"


def test_a_write_key_creates_in_its_consultancy_and_the_audit_names_the_key(world):
    response = world.api("consultancy_key_write").post(
        "/api/v1/clients/", NEW_CLIENT, format="json"
    )

    assert response.status_code == 201
    entry = AuditLogEntry.objects.get(action="client.created", object_id=response.json()["id"])
    key = world.keys["consultancy_key_write"][0]
    assert entry.actor_label == f"key wp_{key.prefix}"
    assert entry.actor_api_key == key


def test_validation_errors_are_problem_documents_naming_each_field(world):
    bad = {**NEW_CLIENT, "slug": "a1", "timezone": "Mars/Olympus", "fiscal_year_start_month": 13}

    response = world.api("owner").post("/api/v1/clients/", bad, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:waypoint:problem:validation-error"
    assert body["title"] == "Bad Request"
    assert body["status"] == 400
    assert {e["field"] for e in body["errors"]} == {"fiscal_year_start_month", "timezone"}
    # Once the fields are right, the slug already taken in the consultancy is named.
    fixed = {**bad, "fiscal_year_start_month": 4, "timezone": "Asia/Tokyo"}
    response = world.api("owner").post("/api/v1/clients/", fixed, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"slug"}
    assert Client.objects.filter(consultancy=world.a).count() == 2


def test_patch_changes_only_what_is_sent_and_audits_old_and_new(world):
    url = f"/api/v1/clients/{world.a1.pk}/"

    response = world.api("manager").patch(url, {"industry": "Retail"}, format="json")

    assert response.status_code == 200
    assert response.json()["industry"] == "Retail"
    assert response.json()["name"] == "A1"
    entry = AuditLogEntry.objects.get(action="client.updated", client=world.a1)
    assert entry.before == {"industry": ""}
    assert entry.after == {"industry": "Retail"}


def test_put_is_not_offered(world):
    response = world.api("owner").put(f"/api/v1/clients/{world.a1.pk}/", NEW_CLIENT, format="json")

    assert response.status_code == 405


def test_a_manager_of_two_consultancies_must_name_one(world):
    owner = world.users["owner"]
    other = ConsultancyFactory(slug="other")
    from clients.services.people import consultancy_member_set

    consultancy_member_set(consultancy=other, user=owner, role="manager", actor=None)
    api = world.api("owner")

    unnamed = api.post("/api/v1/clients/", NEW_CLIENT, format="json")
    named = api.post("/api/v1/clients/", {**NEW_CLIENT, "consultancy": "other"}, format="json")

    assert unnamed.status_code == 400
    assert unnamed.json()["errors"][0]["field"] == "consultancy"
    assert named.status_code == 201
    assert named.json()["consultancy"] == "other"


def test_lists_are_paginated(world):
    response = world.api("owner").get("/api/v1/clients/", {"page_size": 1})

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [row["slug"] for row in body["results"]] == ["a1"]
    assert body["next"].endswith("page=2&page_size=1")


def test_client_list_queries_do_not_grow_with_clients(world, django_assert_max_num_queries):
    api = world.api("owner")
    with django_assert_max_num_queries(4) as few:
        api.get("/api/v1/clients/")
    baseline = len(few.captured_queries)
    for n in range(20):
        client_create(consultancy=world.a, name=f"Extra {n}", slug=f"extra-{n}", actor=None)

    with django_assert_max_num_queries(baseline):
        response = api.get("/api/v1/clients/")
    assert response.json()["count"] == 22


def test_audit_log_list_queries_do_not_grow(world, django_assert_max_num_queries):
    api = world.api("owner")
    url = f"/api/v1/clients/{world.a1.pk}/audit-log/"
    with django_assert_max_num_queries(8) as few:
        api.get(url)
    baseline = len(few.captured_queries)  # read now: the next request resets the query log
    for n in range(20):
        api.patch(f"/api/v1/clients/{world.a1.pk}/", {"industry": f"I{n}"}, format="json")

    with django_assert_max_num_queries(baseline):
        response = api.get(url)
    assert response.json()["count"] >= 21


def test_session_writes_need_the_csrf_token(world):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(world.users["owner"])

    response = api.post("/api/v1/clients/", NEW_CLIENT, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_throttled_keys_get_429_with_retry_after_counted_in_redis(world, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"key": "2/min"})
    api = world.api("consultancy_key_read")

    statuses = [api.get("/api/v1/clients/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    throttled = api.get("/api/v1/clients/")
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled["Content-Type"] == "application/problem+json"
    # The counter lives in the shared Redis cache, where every web process sees it.
    keys = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"]).keys("*throttle_key_*")
    assert len(keys) == 1


def test_unknown_api_paths_are_problem_documents(world):
    response = world.api("owner").get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
