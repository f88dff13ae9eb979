"""Celery tasks of the plans app: thin wrappers that take ids and call one service.

``run_recompute_job`` runs every kind of recompute job (a request over the API, a dirty mark
dispatched, the nightly round). It is idempotent: a finished job is not run again, and a
recompute with unchanged inputs writes nothing. Database and broker errors are retried with
backoff; the job is failed with the error once retries are spent or on any other error.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from clients.services import job_create, job_finish, job_heartbeat, job_progress, job_start
from metrics.periods import Period
from plans import selectors
from plans.services import scorecards_recompute

logger = logging.getLogger(__name__)
TRANSIENT = (DatabaseError, ConnectionError)
KINDS = ("recompute", "scorecard_recompute", "bottlenecks_recompute", "nightly_recompute")


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
            result = scorecards_recompute(
                client_id=job.client_id,
                period=Period.parse(params["period"]) if params.get("period") else None,
                force=bool(params.get("force")),
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
    logger.info("Job %s (%s): %s", job_id, job.kind, result)
    job_finish(job_id=job_id, result=result.as_dict())


@shared_task(name="plans.nightly_recompute", autoretry_for=TRANSIENT, retry_backoff=True)
def nightly_recompute() -> int:
    """A recompute job for every client with an active plan: the month in progress moves with
    the date, and a closed month's results are checked against their fingerprints."""
    count = 0
    for client in selectors.clients_with_active_plan():
        job_create(kind="nightly_recompute", client=client)
        count += 1
    return count
