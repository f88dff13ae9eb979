"""Jobs, the dirty-mark dispatcher and the sweeper (the task itself runs in-process here; the
tests in tests/plans/test_recompute_worker.py use a real worker)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import DirtyMark, Job
from clients.services.dirty_marks import dirty_marks_dispatch
from clients.services.idempotency import idempotency_keys_purge
from clients.services.jobs import HEARTBEAT_GRACE, QUEUED_GRACE, job_start, jobs_sweep
from metrics.services import measurements_upsert
from plans.models import ScorecardSnapshot
from plans.services import plan_create
from plans.tasks import nightly_recompute, run_recompute_job
from tests.clients.factories import ClientFactory
from tests.tenancy import minimal_plan

pytestmark = pytest.mark.django_db


def measure(client, period="2026-09", value=5):
    measurements_upsert(
        client=client, actor=None, rows=[{"metric": "leads", "period": period, "value": value}]
    )


@pytest.fixture
def client_with_plan():
    client = ClientFactory()
    plan_create(client=client, raw=minimal_plan(), actor=None)
    return client


def test_a_burst_of_changes_is_one_job(client_with_plan, django_capture_on_commit_callbacks):
    for value in range(5):
        measure(client_with_plan, value=value)

    with django_capture_on_commit_callbacks() as sends:
        assert dirty_marks_dispatch() == 1

    jobs = Job.objects.filter(client=client_with_plan)
    assert [(job.kind, job.status) for job in jobs] == [("recompute", "queued")]
    assert len(sends) == 1  # the task is sent once the dispatch commits
    # Dispatched marks stay (until a recompute succeeds) but are not dispatched twice.
    assert DirtyMark.objects.filter(client=client_with_plan).exists()
    assert dirty_marks_dispatch() == 0


def test_a_change_after_dispatch_while_the_job_still_waits_adds_no_job(client_with_plan):
    measure(client_with_plan)
    dirty_marks_dispatch()
    measure(client_with_plan, value=9)

    assert dirty_marks_dispatch() == 1  # the re-stamped mark is seen ...
    assert Job.objects.filter(client=client_with_plan).count() == 1  # ... the queued job covers it


def test_the_job_recomputes_clears_the_mark_and_a_second_delivery_does_nothing(client_with_plan):
    measure(client_with_plan)
    dirty_marks_dispatch()
    job = Job.objects.get(client=client_with_plan)

    run_recompute_job.apply(args=[str(job.pk)])

    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts, job.error) == ("succeeded", 100, 1, "")
    assert job.started_at <= job.finished_at
    assert ScorecardSnapshot.objects.filter(client=client_with_plan).exists()
    assert not DirtyMark.objects.filter(client=client_with_plan).exists()

    run_recompute_job.apply(args=[str(job.pk)])  # the broker delivered it again
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_job_that_raises_is_failed_with_the_error(client_with_plan):
    job = Job.objects.create(
        kind="scorecard_recompute", client=client_with_plan, params={"period": "not a period"}
    )

    run_recompute_job.apply(args=[str(job.pk)])

    job.refresh_from_db()
    assert job.status == "failed"
    assert "not a period" in job.error


def test_the_sweeper_resends_lost_jobs_only(client_with_plan, django_capture_on_commit_callbacks):
    now = timezone.now()
    lost = Job.objects.create(
        kind="recompute",
        client=client_with_plan,
        created_at=now - QUEUED_GRACE * 2,
        enqueued_at=now - QUEUED_GRACE * 2,
    )
    fresh = Job.objects.create(kind="recompute", client=client_with_plan, enqueued_at=now)
    silent = Job.objects.create(
        kind="recompute",
        client=client_with_plan,
        status="running",
        heartbeat_at=now - HEARTBEAT_GRACE * 2,
    )
    beating = Job.objects.create(
        kind="recompute", client=client_with_plan, status="running", heartbeat_at=now
    )

    with django_capture_on_commit_callbacks() as sends:
        assert jobs_sweep() == 2

    assert len(sends) == 2
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses[lost.pk] == statuses[silent.pk] == "queued"
    assert statuses[fresh.pk] == "queued"
    assert statuses[beating.pk] == "running"
    lost.refresh_from_db()
    assert lost.enqueued_at > now - timedelta(seconds=5)


def test_a_running_job_whose_worker_died_is_taken_over(client_with_plan):
    job = Job.objects.create(kind="recompute", client=client_with_plan, status="running")
    assert job_start(job_id=job.pk).attempts == 1
    Job.objects.filter(pk=job.pk).update(status="succeeded")
    assert job_start(job_id=job.pk) is None


def test_the_nightly_round_batches_the_clients_with_an_active_plan(client_with_plan):
    ClientFactory()  # no plan: in no batch
    others = [ClientFactory() for _ in range(2)]
    for other in others:
        plan_create(client=other, raw=minimal_plan(), actor=None)

    assert nightly_recompute.apply(kwargs={"batch": 2}).get() == 2

    batches = [job.params for job in Job.objects.order_by("created_at")]
    assert sorted(cid for batch in batches for cid in batch["client_ids"]) == sorted(
        str(client.pk) for client in [client_with_plan, *others]
    )
    assert [len(batch["client_ids"]) for batch in batches] == [2, 1]
    assert all(batch["latest_only"] for batch in batches)


def test_a_nightly_batch_recomputes_the_latest_months_and_leaves_marks(client_with_plan):
    measure(client_with_plan)
    job = Job.objects.create(
        kind="nightly_recompute",
        params={"client_ids": [str(client_with_plan.pk)], "latest_only": True},
    )

    run_recompute_job.apply(args=[str(job.pk)])

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    months = set(
        ScorecardSnapshot.objects.filter(client=client_with_plan).values_list(
            "period_start", flat=True
        )
    )
    today = timezone.localdate()
    assert max(months) == today.replace(day=1)  # the month in progress ...
    assert len(months) == 2  # ... and the latest closed month, nothing else
    # Only a full recompute settles a change: the mark stays for the dispatcher.
    assert DirtyMark.objects.filter(client=client_with_plan).exists()


def test_old_idempotency_keys_are_purged():
    from clients.models import IdempotencyKey

    old = IdempotencyKey.objects.create(
        principal="user:x", key="a", request_hash="h", created_at=timezone.now() - timedelta(days=2)
    )
    new = IdempotencyKey.objects.create(principal="user:x", key="b", request_hash="h")

    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [new.pk]
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()


def test_every_periodic_task_expires_and_is_registered():
    from django.conf import settings
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    app.loader.import_default_modules()  # what a worker and beat do on start (autodiscovery)
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {"dispatch-dirty-marks", "sweep-jobs", "nightly-recompute"} <= set(schedule)
    assert schedule["dispatch-dirty-marks"]["schedule"] <= 60
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, name
        # What beat sends: the database scheduler's entry, made as `make beat` makes it.
        loaded = DatabaseScheduler.Entry.from_entry(name, app=app, **entry)
        assert loaded.options["expires"] == entry["options"]["expire_seconds"] > 0, name
