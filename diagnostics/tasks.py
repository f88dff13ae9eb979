"""Celery tasks of diagnostics (thin: take the job's id, call one service)."""

from celery import shared_task

from clients.services.jobs import JOB_TASK_OPTIONS, job_run
from diagnostics.services import run_score_job


@shared_task(name="diagnostics.score_run", **JOB_TASK_OPTIONS)
def score_run_job(self, job_id: str) -> None:
    """Score the run the job names (idempotent: a finished job is not run again)."""
    job_run(task=self, job_id=job_id, work=run_score_job)
