"""Long work as ``Job`` rows: created and enqueued after commit, run by a Celery task through
``job_run`` (claimed, heart-beating, finished or failed), and swept up when lost.

``clients`` owns the row, the runner and the sweeper; the work itself belongs to the apps
above (``plans`` recomputes scorecards, ``diagnostics`` scores runs). Each registers the task
for its kinds of job in ``AppConfig.ready`` (``job_kind_register``), so ``clients`` enqueues a
job without importing them.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from clients.labels import job_kind_name
from clients.models import Client, Job
from clients.principals import Principal
from clients.services.audit import actor_label

logger = logging.getLogger(__name__)
QUEUED_GRACE = timedelta(minutes=5)  # a job still queued this long after enqueueing was lost
HEARTBEAT_EVERY = timedelta(seconds=10)
HEARTBEAT_GRACE = timedelta(minutes=2)  # a running job silent this long has lost its worker
SWEEP_LIMIT = 1000

# The options of every job task: bound (``job_run`` reads its retries), retried with backoff.
JOB_TASK_OPTIONS = {
    "bind": True,
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}
TRANSIENT_ERRORS = (DatabaseError, ConnectionError)

_tasks: dict[str, object] = {}  # job kind -> the Celery task that runs it (takes the job id)


def job_kind_register(kind: str, task, label=None) -> None:
    """Say which Celery task runs jobs of this kind, and what the admin calls them (called from
    an app's ``ready``)."""
    _tasks[kind] = task
    if label is not None:
        job_kind_name(kind, label)


def job_task(kind: str):
    try:
        return _tasks[kind]
    except KeyError:
        raise LookupError(f"No task is registered for jobs of kind {kind!r}.") from None


def job_create(
    *,
    kind: str,
    client: Client | None = None,
    params=None,
    result_url: str = "",
    actor: Principal | None = None,
) -> Job:
    """A queued job, enqueued once the caller's transaction commits (never before the rows the
    task will read exist)."""
    job_task(kind)  # an unknown kind fails here, in the caller, not later in a worker
    job = Job.objects.create(
        kind=kind,
        client=client,
        params=params or {},
        result_url=result_url,
        requested_by=actor_label(actor),
        enqueued_at=timezone.now(),
    )
    job_enqueue(job=job)
    return job


def job_enqueue(*, job: Job) -> None:
    """Send the job's task after commit (the caller stamps ``enqueued_at``). If the broker is
    down the job stays ``queued`` and the sweeper sends it again: nothing is lost."""
    job_id = str(job.pk)
    kind = job.kind

    def send():
        try:
            job_task(kind).apply_async(args=[job_id])
        except Exception:  # any broker failure: the sweeper retries
            if settings.CELERY_TASK_ALWAYS_EAGER:
                raise  # in-process: the error is the task's own; let the caller see it
            logger.warning("Could not enqueue job %s (%s); the sweeper will retry.", job_id, kind)

    transaction.on_commit(send)


def job_start(*, job_id) -> Job | None:
    """Claim the job for this run. None when it is finished already (a re-delivered task) or
    gone. A ``running`` job is taken over: its message came back because its worker died."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            return None
        now = timezone.now()
        job.status, job.started_at, job.heartbeat_at = Job.Status.RUNNING, now, now
        job.attempts += 1
        job.error = ""
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "error"])
        return job


def job_progress(*, job_id, progress: int) -> None:
    Job.objects.filter(pk=job_id).update(
        progress=max(0, min(100, progress)), heartbeat_at=timezone.now()
    )


def job_finish(*, job_id, error: str = "", result=None) -> None:
    fields = {"finished_at": timezone.now(), "heartbeat_at": timezone.now(), "result": result}
    if error:
        fields.update(status=Job.Status.FAILED, error=error[:10_000])
    else:
        fields.update(status=Job.Status.SUCCEEDED, progress=100, error="")
    Job.objects.filter(pk=job_id).update(**fields)


class job_heartbeat:  # a context manager, named like a function
    """Beat the job's heartbeat from a thread while the work runs (the work itself sits in one
    long transaction, whose writes nobody sees before it commits)."""

    def __init__(self, job_id, every: timedelta = HEARTBEAT_EVERY):
        self.job_id, self.every = job_id, every.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        from django.db import connection

        try:
            while not self._stop.wait(self.every):
                Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a missed beat only delays the sweeper's verdict
            logger.exception("Heartbeat of job %s failed", self.job_id)
        finally:
            connection.close()

    def __enter__(self):
        if not settings.CELERY_TASK_ALWAYS_EAGER:  # in-process runs are short and synchronous
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def job_run(*, task, job_id: str, work) -> None:
    """Run ``work(job)`` for a job task (a Celery task bound with ``JOB_TASK_OPTIONS``), the same
    way for every kind: a finished job is not run again (a re-delivered message); the heartbeat
    beats while it runs; database and broker errors are retried with backoff, and fail the job
    once the retries are spent; any other error fails it at once. ``work`` returns the job's
    result summary (JSON)."""
    job = job_start(job_id=job_id)
    if job is None:
        return
    try:
        with job_heartbeat(job_id):
            result = work(job)
    except TRANSIENT_ERRORS as exc:
        if task.request.retries >= task.max_retries:
            job_finish(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
            raise
        logger.warning("Job %s: %s; retrying", job_id, exc)
        raise task.retry(exc=exc) from exc
    except Exception as exc:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        job_finish(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        return
    job_finish(job_id=job_id, result=result)


def jobs_sweep(*, now: datetime | None = None) -> int:
    """Re-enqueue jobs left ``queued`` (their message was lost: a broker outage, a crash before
    sending) and ``running`` ones whose heartbeat stopped (their worker died). Returns how many."""
    now = now or timezone.now()
    lost = Job.objects.filter(
        Q(status=Job.Status.QUEUED)
        & (Q(enqueued_at__lt=now - QUEUED_GRACE) | Q(enqueued_at__isnull=True))
        & Q(created_at__lt=now - QUEUED_GRACE)
        | Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - HEARTBEAT_GRACE)
    )
    count = 0
    for job in lost.order_by("created_at")[:SWEEP_LIMIT]:
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, enqueued_at=now)
            job_enqueue(job=job)
        count += 1
    return count
