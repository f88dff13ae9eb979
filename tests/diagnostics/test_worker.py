"""A diagnostic run through the API with a real worker, real Redis and real PostgreSQL."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from clients.models import Job
from config.celery import app as celery_app
from diagnostics.builtin import builtin_sync
from diagnostics.models import DiagnosticTemplate
from metrics.catalogue import catalogue_sync
from metrics.models import Metric
from plans.services import plan_create
from tests.clients.factories import ClientFactory, member
from tests.diagnostics.test_api import complete_answers
from tests.tenancy import minimal_plan

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_start_answer_submit_and_read_the_scored_result(client):
    # A transactional test's flush empties the rows migrations wrote: put them back.
    catalogue_sync(Metric)
    builtin_sync(DiagnosticTemplate)
    celery_app.loader.import_default_modules()
    celery_app.control.purge()
    company = ClientFactory()
    plan_create(client=company, raw=minimal_plan(), actor=None)
    client.force_login(member(company.consultancy, "owner"))
    base = f"/api/v1/clients/{company.pk}/diagnostics/"

    with start_worker(
        celery_app,
        pool="solo",
        queues=[celery_app.conf.task_default_queue],
        perform_ping_check=False,
    ):
        run = client.post(
            base, {"template": "strategy-quick-check"}, content_type="application/json"
        ).json()
        url = f"{base}{run['id']}/"
        client.put(
            f"{url}answers/",
            {"answers": complete_answers()},
            content_type="application/json",
        )
        submitted = client.post(f"{url}submit/").json()
        deadline = time.monotonic() + 30
        while client.get(url).json()["status"] != "scored" and time.monotonic() < deadline:
            time.sleep(0.2)

    scored = client.get(url).json()
    assert scored["status"] == "scored", Job.objects.get(pk=submitted["job"]["id"]).error
    assert scored["result"]["level"] == 5
    assert {f["key"] for f in scored["result"]["findings"]} >= {"kgi_not_decomposed", "no_funnel"}
    assert Job.objects.get(pk=submitted["job"]["id"]).status == "succeeded"
