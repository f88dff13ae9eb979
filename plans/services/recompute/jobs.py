"""Recomputes as jobs: asked for over the API or in the admin, made of a dirty mark by the
dispatcher, or batched for the nightly round; and what a recompute job does when it runs."""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Job
from clients.principals import Principal
from clients.services.jobs import job_create, job_progress
from metrics.periods import Period
from plans import selectors
from plans.services.recompute.run import scorecards_recompute_many

logger = logging.getLogger(__name__)
DIRTY_KIND = "recompute"  # the kind the dispatcher makes of a dirty mark
SCORECARD_KIND = "scorecard_recompute"
BOTTLENECKS_KIND = "bottlenecks_recompute"
NIGHTLY_KIND = "nightly_recompute"
KINDS = {  # each with what the admin calls it
    DIRTY_KIND: _("Recompute after a change"),
    SCORECARD_KIND: _("Scorecard recompute"),
    BOTTLENECKS_KIND: _("Bottleneck recompute"),
    NIGHTLY_KIND: _("Nightly recompute"),
}
NIGHTLY_BATCH = 50  # clients per nightly job: one set of queries serves them all
RESULT_ROUTES = {
    SCORECARD_KIND: "api-v1:client-scorecard-list",
    BOTTLENECKS_KIND: "api-v1:client-bottleneck-list",
}


def recompute_job_create(
    *,
    client: Client,
    period: Period,
    actor: Principal | None,
    kind: str = SCORECARD_KIND,
    force: bool = False,
) -> Job:
    """Queue a recompute of the client's results for ``period`` (and any other month whose
    inputs changed); ``force`` recomputes that month even if its inputs did not change. The
    job's ``result_url`` is where its result will be read."""
    route = RESULT_ROUTES.get(kind, RESULT_ROUTES[SCORECARD_KIND])
    result_url = f"{reverse(route, kwargs={'client_id': client.pk})}?period={period}"
    params = {"period": str(period), **({"force": True} if force else {})}
    return job_create(kind=kind, client=client, params=params, result_url=result_url, actor=actor)


def nightly_recompute_jobs_create(*, batch: int = NIGHTLY_BATCH) -> int:
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
                kind=NIGHTLY_KIND,
                params={"client_ids": client_ids[start : start + batch], "latest_only": True},
            )
        jobs += 1
    return jobs


def recompute_job_run(job: Job) -> dict | list:
    """The work of a recompute job of any kind; returns its result summary."""
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
