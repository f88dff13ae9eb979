"""A task travels through the real Redis broker to a real worker and writes to PostgreSQL."""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from clients.models import User
from config.celery import app as celery_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@celery_app.task(name="tests.create_user")
def create_user(email):
    User.objects.create_user(email)


def wait_until(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_task_runs_on_a_worker_through_redis():
    assert connection.vendor == "postgresql"
    assert not celery_app.conf.task_always_eager
    # A queue of its own, so messages left by an earlier, interrupted run cannot interfere.
    queue = f"test-{uuid.uuid4().hex}"
    email = f"worker-{uuid.uuid4().hex[:8]}@example.com"

    with start_worker(celery_app, pool="solo", queues=[queue], perform_ping_check=False):
        create_user.apply_async(args=[email], queue=queue)
        written = wait_until(lambda: User.objects.filter(email=email).exists())

    assert written, "the worker did not run the task within 20 s"
