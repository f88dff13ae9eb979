"""Periodic platform work (thin: each calls one service). Scheduled by beat, see
``CELERY_BEAT_SCHEDULE`` in config/settings.py; every entry has ``expires``."""

from celery import shared_task
from django.db import DatabaseError

from clients.services.dirty_marks import dirty_marks_dispatch
from clients.services.idempotency import idempotency_keys_purge
from clients.services.jobs import jobs_sweep
from clients.services.webhooks import (
    SEND_TASK,
    webhook_deliveries_purge,
    webhook_send,
    webhooks_sweep,
)

RETRY = {
    "autoretry_for": (DatabaseError, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 3,
}


@shared_task(name="clients.dispatch_dirty_marks", **RETRY)
def dispatch_dirty_marks() -> int:
    return dirty_marks_dispatch()


@shared_task(name="clients.sweep_jobs", **RETRY)
def sweep_jobs() -> int:
    return jobs_sweep()


@shared_task(name="clients.purge_idempotency_keys", **RETRY)
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()


@shared_task(name=SEND_TASK, **RETRY)
def send_webhook(delivery_id: str) -> None:
    webhook_send(delivery_id=delivery_id)


@shared_task(name="clients.sweep_webhooks", **RETRY)
def sweep_webhooks() -> int:
    return webhooks_sweep()


@shared_task(name="clients.purge_webhook_deliveries", **RETRY)
def purge_webhook_deliveries() -> int:
    return webhook_deliveries_purge()
