"""Celery tasks of the plans app: thin wrappers that take ids and call one service.

``run_recompute_job`` runs every kind of recompute job (a request over the API, a dirty mark
dispatched, the nightly round) through ``clients.jobs.run_as_job``: a finished job is not run
again, and a recompute with unchanged inputs writes nothing.
"""

import logging

from celery import shared_task
from django.db import DatabaseError, transaction

from clients.jobs import JOB_TASK_OPTIONS, run_as_job
from clients.services import job_create, job_progress
from metrics.periods import Period
from plans import selectors
from plans.services import scorecards_recompute_many

logger = logging.getLogger(__name__)
TRANSIENT = (DatabaseError, ConnectionError)
KINDS = ("recompute", "scorecard_recompute", "bottlenecks_recompute", "nightly_recompute")
NIGHTLY_BATCH = 50  # clients per nightly job: one set of queries serves them all


@shared_task(name="plans.run_recompute_job", **JOB_TASK_OPTIONS)
def run_recompute_job(self, job_id: str) -> None:
    run_as_job(self, job_id, _recompute)


def _recompute(job) -> dict | list:
    params = job.params or {}
    job_progress(job_id=job.pk, progress=5)
    results = scorecards_recompute_many(
        # A nightly batch names its clients; every other job is for its own client.
        client_ids=params.get("client_ids") or [job.client_id],
        period=Period.parse(params["period"]) if params.get("period") else None,
        force=bool(params.get("force")),
        latest_only=bool(params.get("latest_only")),
    )
    logger.info("Job %s (%s): %s", job.pk, job.kind, "; ".join(map(str, results)))
    return results[0].as_dict() if len(results) == 1 else [r.as_dict() for r in results]


@shared_task(name="plans.nightly_recompute", autoretry_for=TRANSIENT, retry_backoff=True)
def nightly_recompute(batch: int = NIGHTLY_BATCH) -> int:
    """Recompute jobs for every client with an active plan, ``batch`` clients a job: the date is
    the only news at night (changes were dispatched as they came), so each client's latest
    closed month and the month in progress are recomputed. Returns the number of jobs."""
    client_ids = [
        str(pk) for pk in selectors.clients_with_active_plan().values_list("pk", flat=True)
    ]
    jobs = 0
    for start in range(0, len(client_ids), batch):
        with transaction.atomic():
            job_create(
                kind="nightly_recompute",
                params={"client_ids": client_ids[start : start + batch], "latest_only": True},
            )
        jobs += 1
    return jobs
