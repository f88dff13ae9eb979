"""Celery tasks of diagnostics (thin: take the job's id, call one service)."""

from celery import shared_task

from clients.jobs import JOB_TASK_OPTIONS, run_as_job
from diagnostics.services import run_score


@shared_task(name="diagnostics.score_run", **JOB_TASK_OPTIONS)
def score_run_job(self, job_id: str) -> None:
    """Score the run the job names (idempotent: a finished job is not run again)."""
    run_as_job(self, job_id, _score)


def _score(job) -> dict | None:
    run = run_score(run_id=job.params["run"])
    return None if run is None else {"score": run.result["score"], "level": run.result["level"]}
