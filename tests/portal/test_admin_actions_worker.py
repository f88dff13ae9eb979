"""The client list's "recompute" action with a real worker, real Redis and real PostgreSQL: one
job per selected client, each done (its own module: it needs real transactions)."""

import pytest
from celery.contrib.testing.worker import start_worker

from clients.models import Job
from config.celery import app as celery_app
from metrics.catalogue import catalogue_sync
from metrics.models import Metric
from plans.models import ScorecardSnapshot
from plans.services import plan_create
from tests.clients.factories import ClientFactory, member
from tests.plans.test_recompute_worker import DEFAULT_QUEUE, wait_until
from tests.tenancy import minimal_plan

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_recompute_action_queues_one_job_per_selected_client_and_a_worker_does_them(client):
    if not Metric.objects.filter(consultancy=None).exists():
        catalogue_sync(Metric)  # a transactional test's flush emptied the catalogue
    celery_app.loader.import_default_modules()
    celery_app.control.purge()
    first = ClientFactory(name="First")
    second = ClientFactory(consultancy=first.consultancy, name="Second")
    left_out = ClientFactory(consultancy=first.consultancy, name="Left out")
    for each in (first, second, left_out):
        plan_create(client=each, raw=minimal_plan(), actor=None)
    client.force_login(member(first.consultancy, "owner"))

    response = client.post(
        "/admin/clients/client/",
        {"action": "recompute_clients", "_selected_action": [first.pk, second.pk]},
    )
    jobs = list(Job.objects.filter(client__in=[first, second, left_out]))
    with start_worker(celery_app, pool="solo", queues=[DEFAULT_QUEUE], perform_ping_check=False):
        assert wait_until(lambda: all(j.status == "succeeded" for j in _fresh(jobs)))

    assert response.status_code == 302
    assert sorted(job.client.name for job in jobs) == ["First", "Second"]
    months = {job.params["period"] for job in jobs}
    assert len(months) == 1
    computed = set(
        ScorecardSnapshot.objects.filter(client__in=[first, second, left_out]).values_list(
            "client__name", flat=True
        )
    )
    assert computed == {"First", "Second"}


def _fresh(jobs):
    return Job.objects.filter(pk__in=[job.pk for job in jobs])
