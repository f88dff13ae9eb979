"""The pipeline with a real worker, real Redis and real PostgreSQL: a recompute asked over the API,
a no-op for unchanged inputs, a change picked up by the dispatcher, and a worker killed mid-task.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, connections, transaction

from clients.models import DirtyMark, Job
from clients.services.jobs import job_create
from config.celery import app as celery_app
from metrics.catalogue import catalogue_sync
from metrics.models import Metric
from metrics.services import measurements_upsert
from plans.models import ScorecardSnapshot
from plans.services import plan_create
from tests.clients.factories import ClientFactory, member
from tests.tenancy import minimal_plan

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
# Named, so a worker started by another test with its own queue does not leave us on that one.
DEFAULT_QUEUE = celery_app.conf.task_default_queue


def wait_until(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def setup():
    # A transactional test's flush empties tables filled by migrations: put the catalogue back.
    if not Metric.objects.filter(consultancy=None).exists():
        catalogue_sync(Metric)
    celery_app.loader.import_default_modules()
    celery_app.control.purge()  # the test broker's queue starts empty
    client = ClientFactory()
    owner = member(client.consultancy, "owner")
    plan_create(client=client, raw=minimal_plan(), actor=None)
    measurements_upsert(
        client=client, actor=None, rows=[{"metric": "leads", "period": "2026-09", "value": 320}]
    )
    return client, owner


def api_as(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


def job_status(job_id):
    return Job.objects.filter(pk=job_id).values_list("status", flat=True).first()


def test_a_recompute_asked_over_the_api_is_done_by_a_worker_and_then_a_no_op(setup):
    client, owner = setup
    api = api_as(owner)
    url = f"/api/v1/clients/{client.pk}/scorecard/"

    with start_worker(celery_app, pool="solo", queues=[DEFAULT_QUEUE], perform_ping_check=False):
        first = api.post(f"{url}recompute/", {"period": "2026-09"}, format="json").json()["job"]
        assert wait_until(lambda: job_status(first["id"]) == "succeeded"), job_status(first["id"])
        card = api.get(url, {"period": "2026-09"}).json()
        stamp = ScorecardSnapshot.objects.get(period_start="2026-09-01").computed_at

        second = api.post(f"{url}recompute/", {"period": "2026-09"}, format="json").json()["job"]
        assert wait_until(lambda: job_status(second["id"]) == "succeeded")

    # 320 leads in September against 100 + 400 x 9/12 = 400: attainment 0.8.
    assert (card["lines"][0]["actual"], card["lines"][0]["attainment"]) == (320, 0.8)
    assert card["stale"] is False
    assert "2026-09" in Job.objects.get(pk=first["id"]).result["computed"]
    assert Job.objects.get(pk=second["id"]).result["computed"] == []
    assert ScorecardSnapshot.objects.get(period_start="2026-09-01").computed_at == stamp


def test_a_change_goes_stale_and_the_dispatcher_has_it_recomputed(setup):
    client, owner = setup
    api = api_as(owner)
    url = f"/api/v1/clients/{client.pk}/scorecard/"
    dispatch = celery_app.tasks["clients.dispatch_dirty_marks"]

    with start_worker(celery_app, pool="solo", queues=[DEFAULT_QUEUE], perform_ping_check=False):
        dispatch.delay()  # as beat would: the marks of the setup become a job
        assert wait_until(lambda: not DirtyMark.objects.filter(client=client).exists())
        api.post(
            f"/api/v1/clients/{client.pk}/measurements/bulk/",
            {"measurements": [{"metric": "leads", "period": "2026-09", "value": 400}]},
            format="json",
        )
        assert api.get(url, {"period": "2026-09"}).json()["stale"] is True

        dispatch.delay()
        assert wait_until(lambda: api.get(url, {"period": "2026-09"}).json()["stale"] is False)

    card = api.get(url, {"period": "2026-09"}).json()
    assert (card["lines"][0]["actual"], card["lines"][0]["status"]) == (400, "on_track")


def worker_process(env):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_task_leaves_nothing_half_written_and_the_work_completes(setup):
    client, _owner = setup
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.CELERY_BROKER_URL,
        # Seconds, not the production hour: an unacknowledged message comes back quickly.
        "CELERY_TASK_TIME_LIMIT": "3",
        "CELERY_TASK_SOFT_TIME_LIMIT": "2",
        "CELERY_VISIBILITY_TIMEOUT": "4",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }

    # Hold the client's recompute lock from here, so the worker's task stops in the middle:
    # after it started its job and opened its transaction, before it could write anything.
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(2, hashtext(%s))", [str(client.pk)])

    first = worker_process(env)
    try:
        with transaction.atomic():
            job = job_create(
                kind="scorecard_recompute", client=client, params={"period": "2026-09"}
            )
        assert wait_until(lambda: job_status(job.pk) == "running"), first.stderr
        time.sleep(0.5)  # well inside the task, waiting on the lock
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        holder.rollback()  # the lock goes with the transaction
        holder.close()

    assert not ScorecardSnapshot.objects.filter(client=client).exists()
    assert job_status(job.pk) == "running"  # nobody finished it

    second = worker_process(env)
    try:
        # The killed worker never acknowledged the message: once its visibility timeout passes,
        # the broker hands it to the new worker, which takes the job over.
        done = wait_until(lambda: job_status(job.pk) == "succeeded", seconds=60)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=20)
    assert done, second.stderr.read().decode()[-2000:]
    job.refresh_from_db()
    assert job.attempts == 2
    assert ScorecardSnapshot.objects.filter(client=client, period_start="2026-09-01").exists()
