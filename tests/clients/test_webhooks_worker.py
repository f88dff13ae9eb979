"""Webhooks with a real worker, real Redis and real PostgreSQL: a recompute asked over the API
achieves a milestone; the worker sends ``milestone.achieved`` to a receiver that answers 500 and
then 200, under the same delivery id both times, signed, with both attempts in the log."""

import json

import pytest
from celery.contrib.testing.worker import start_worker
from rest_framework.test import APIClient

from clients.models import WebhookDelivery
from clients.services.webhooks import webhook_create
from config.celery import app as celery_app
from metrics.catalogue import catalogue_sync
from metrics.models import Metric
from plans.services import plan_create
from tests.clients.factories import ClientFactory, member
from tests.clients.webhook_receiver import start_receiver, verify
from tests.plans.builders import measure, plan_document
from tests.plans.test_recompute_worker import DEFAULT_QUEUE, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_delivers_a_milestone_retrying_a_500_under_the_same_id(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    if not Metric.objects.filter(consultancy=None).exists():
        catalogue_sync(Metric)  # a transactional test's flush emptied the catalogue
    celery_app.loader.import_default_modules()
    celery_app.control.purge()
    receiver = start_receiver(answers=[500])
    client = ClientFactory()
    plan_create(client=client, raw=plan_document(), actor=None)
    measure(client, [("leads", "2026-04", 160)])
    _, secret = webhook_create(
        consultancy=client.consultancy, url=receiver.url, events=["milestone.achieved"], actor=None
    )
    api = APIClient()
    api.force_authenticate(member(client.consultancy, "owner"))

    try:
        with start_worker(
            celery_app, pool="solo", queues=[DEFAULT_QUEUE], perform_ping_check=False
        ):
            response = api.post(f"/api/v1/clients/{client.pk}/scorecard/recompute/", {})
            assert wait_until(
                lambda: WebhookDelivery.objects.filter(status="succeeded").exists(), 60
            )
    finally:
        receiver.server.shutdown()

    assert response.status_code == 202
    (delivery,) = WebhookDelivery.objects.all()
    assert [got.headers["Waypoint-Delivery"] for got in receiver.received] == [str(delivery.pk)] * 2
    assert all(verify(secret, got.headers, got.body) for got in receiver.received)
    body = json.loads(receiver.received[-1].body)
    assert (body["type"], body["data"]["key"], body["data"]["achieved_on"]) == (
        "milestone.achieved",
        "spring",
        "2026-04-30",
    )
    assert list(delivery.attempts.values_list("status_code", flat=True)) == [500, 200]
