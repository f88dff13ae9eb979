"""Which Celery task runs which kind of job.

``clients`` owns the ``Job`` row, the dispatcher and the sweeper, but the work itself belongs to
the apps above it (``plans`` recomputes scorecards, ``diagnostics`` scores runs). Each registers
its task for its kinds in ``AppConfig.ready``, so ``clients`` can enqueue a job without importing
them (DESIGN.md: a lower app offers a registry rather than importing a higher one).
"""

from __future__ import annotations

RUNNERS: dict[str, object] = {}  # job kind -> Celery task taking the job id
DIRTY_KIND = "recompute"  # the kind the dispatcher makes of a dirty mark


def register(kind: str, task) -> None:
    RUNNERS[kind] = task


def runner(kind: str):
    try:
        return RUNNERS[kind]
    except KeyError:
        raise LookupError(f"No task is registered for jobs of kind {kind!r}.") from None


JOB_TASK_OPTIONS = {
    "bind": True,
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}


def run_as_job(task, job_id: str, work) -> None:
    """Run ``work(job)`` for a job task (a Celery task bound with ``JOB_TASK_OPTIONS``), the same
    way for every kind: a finished job is not run again (a re-delivered message); the heartbeat
    beats while it runs; database and broker errors are retried with backoff, and fail the job
    once the retries are spent; any other error fails it at once. ``work`` returns the job's
    result summary (JSON)."""
    import logging

    from django.db import DatabaseError

    from clients.services import job_finish, job_heartbeat, job_start

    logger = logging.getLogger("clients.jobs")
    job = job_start(job_id=job_id)
    if job is None:
        return
    try:
        with job_heartbeat(job_id):
            result = work(job)
    except (DatabaseError, ConnectionError) as exc:
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
