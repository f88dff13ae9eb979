"""With Redis unreachable (cache and broker on a closed port) the API still answers, ingest
still stores the rows and the dirty mark in PostgreSQL, a recompute asked for stays queued for
the sweeper, and /readyz says which part is down."""

import logging

import pytest
from kombu import Connection

from clients import cache as cache_module
from clients.models import DirtyMark, Job
from config.celery import app as celery_app
from metrics.models import Measurement

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once


@pytest.fixture
def redis_down(settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CELERY_BROKER_URL = CLOSED
    # The Celery app read its broker when it started: give it connections to the closed port,
    # and empty pools that will make them (the old ones come back after the test).
    monkeypatch.setattr(
        celery_app, "connection_for_write", lambda *args, **kwargs: Connection(CLOSED)
    )
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    cache_module.cache_reset_backoff()
    yield
    cache_module.cache_reset_backoff()


def test_reads_are_served_and_the_rate_limit_fails_open_with_a_warning(world, redis_down, caplog):
    api = world.api("consultancy_key_read")

    with caplog.at_level(logging.WARNING, logger="clients.cache"):
        response = api.get("/api/v1/clients/")

    assert response.status_code == 200
    assert {row["slug"] for row in response.json()["results"]} == {"a1", "a2"}
    assert "rate limits are not applied" in caplog.text


def test_ingest_stores_the_rows_and_the_dirty_mark(world, redis_down):
    api = world.api("client_key_write")
    rows = [
        {"metric": "leads", "period": "2026-10", "value": 120},
        {"metric": "leads", "period": "2026-11", "value": 130},
    ]

    response = api.post(
        f"/api/v1/clients/{world.a1.pk}/measurements/bulk/",
        {"measurements": rows},
        format="json",
        headers={"Idempotency-Key": "during-the-outage"},
    )

    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    stored = Measurement.objects.filter(client=world.a1, metric__key="leads")
    assert sorted(str(m.period) for m in stored) == ["2026-09", "2026-10", "2026-11"]
    mark = DirtyMark.objects.get(client=world.a1)
    assert (str(mark.dirty_from), str(mark.dirty_to)) == ("2026-10-01", "2026-11-30")


def test_a_recompute_asked_for_is_kept_queued_for_the_sweeper(
    world, redis_down, django_capture_on_commit_callbacks, caplog
):
    api = world.api("owner")

    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        response = api.post(
            f"/api/v1/clients/{world.a1.pk}/scorecard/recompute/",
            {"period": "2026-09"},
            format="json",
        )

    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"]["id"])
    assert job.status == Job.Status.QUEUED  # the sweeper sends it once the broker is back
    assert "the sweeper will retry" in caplog.text


def test_readyz_names_the_cache_and_the_broker(client, redis_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["broker"]["ok"] is False
    assert checks["cache"] == {"ok": False, "error": "ConnectionError"}


def test_readyz_with_only_the_cache_down_still_serves(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED}
    }

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"]["ok"] is False


def test_a_webhook_event_written_while_the_broker_is_down_waits_for_the_sweeper(
    world, redis_down, django_capture_on_commit_callbacks, caplog
):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from clients.models import WebhookDelivery
    from clients.services.webhooks import WebhookEvent, webhook_emit, webhooks_sweep

    event = WebhookEvent(
        type="scorecard.computed",
        consultancy_id=world.a.pk,
        client_id=world.a1.pk,
        cause="outage",
        data={"period": "2026-09"},
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.WARNING),
        transaction.atomic(),
    ):
        webhook_emit(events=[event])

    delivery = WebhookDelivery.objects.get(subscription=world.webhooks["a1"])
    assert (delivery.status, delivery.tries) == ("pending", 0)  # kept, not lost
    assert "the sweeper will" in caplog.text
    # Still down when the sweeper comes by (after its lease on the hand-over): it finds the
    # delivery again and loses nothing.
    later = timezone.now() + timedelta(minutes=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_sweep(now=later) >= 1
    delivery.refresh_from_db()
    assert delivery.status == "pending"
