"""Celery tasks of the plans app: thin wrappers that take ids and call one service.

``run_recompute_job`` runs every kind of recompute job (a request over the API, a dirty mark
dispatched, the nightly round). It is idempotent: a finished job is not run again, and a
recompute with unchanged inputs writes nothing. Database and broker errors are retried with
backoff; the job is failed with the error once retries are spent or on any other error.
"""

import logging

from celery import shared_task
from django.db import DatabaseError, transaction

from clients.services import job_create, job_finish, job_heartbeat, job_progress, job_start
from metrics.periods import Period
from plans import selectors
from plans.services import scorecards_recompute_many

logger = logging.getLogger(__name__)
TRANSIENT = (DatabaseError, ConnectionError)
KINDS = ("recompute", "scorecard_recompute", "bottlenecks_recompute", "nightly_recompute")
NIGHTLY_BATCH = 50  # clients per nightly job: one set of queries serves them all


@shared_task(
    bind=True,
    name="plans.run_recompute_job",
    max_retries=5,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
)
def run_recompute_job(self, job_id: str) -> None:
    job = job_start(job_id=job_id)
    if job is None:
        return  # finished already: this is a re-delivered message
    params = job.params or {}
    try:
        with job_heartbeat(job_id):
            job_progress(job_id=job_id, progress=5)
            results = scorecards_recompute_many(
                # A nightly batch names its clients; every other job is for its own client.
                client_ids=params.get("client_ids") or [job.client_id],
                period=Period.parse(params["period"]) if params.get("period") else None,
                force=bool(params.get("force")),
                latest_only=bool(params.get("latest_only")),
            )
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            job_finish(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
            raise
        logger.warning("Job %s: %s; retrying", job_id, exc)
        raise self.retry(exc=exc) from exc
    except Exception as exc:
        logger.exception("Job %s failed", job_id)
        job_finish(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        return
    logger.info("Job %s (%s): %s", job_id, job.kind, "; ".join(map(str, results)))
    summary = results[0].as_dict() if len(results) == 1 else [r.as_dict() for r in results]
    job_finish(job_id=job_id, result=summary)


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
