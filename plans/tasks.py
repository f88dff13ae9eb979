"""Celery tasks of the plans app: thin wrappers that take ids and call one service.

``run_recompute_job`` runs every kind of recompute job (a request over the API or the admin, a
dirty mark dispatched, the nightly round) through ``clients.services.jobs.job_run``: a finished
job is not run again, and a recompute with unchanged inputs writes nothing.
"""

from celery import shared_task
from django.db import DatabaseError

from clients.services.jobs import JOB_TASK_OPTIONS, job_run
from plans.services.recompute.jobs import (
    NIGHTLY_BATCH,
    nightly_recompute_jobs_create,
    recompute_job_run,
)


@shared_task(name="plans.run_recompute_job", **JOB_TASK_OPTIONS)
def run_recompute_job(self, job_id: str) -> None:
    job_run(task=self, job_id=job_id, work=recompute_job_run)


@shared_task(
    name="plans.nightly_recompute",
    autoretry_for=(DatabaseError, ConnectionError),
    retry_backoff=True,
)
def nightly_recompute(batch: int = NIGHTLY_BATCH) -> int:
    return nightly_recompute_jobs_create(batch=batch)
