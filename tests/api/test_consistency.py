"""One shape for numbers and times across the API, checked on the demo consultancy (a year of
data for several clients): every timestamp is UTC written with ``Z``, and no number has more
than 6 places after the point."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from clients.models import Client, User
from plans.models import Plan

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def walk(value, path="$"):
    """Every leaf of a JSON document with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


def problems_in(document) -> list[str]:
    found = []
    for path, value in walk(document):
        if isinstance(value, str) and TIMESTAMP.match(value) and not value.endswith("Z"):
            found.append(f"{path}: {value} is not UTC with Z")
        if isinstance(value, Decimal | float) and not isinstance(value, bool):
            places = -Decimal(str(value)).normalize().as_tuple().exponent
            if places > 6:
                found.append(f"{path}: {value} has {places} places")
    return found


@pytest.fixture
def demo_api():
    call_command("load_demo", verbosity=0)
    api = APIClient()
    api.force_authenticate(User.objects.get(email="owner@demo.waypoint.test"))
    return api


def test_every_read_has_utc_timestamps_and_at_most_six_places(demo_api):
    urls = ["/api/v1/clients/", "/api/v1/portfolio/", "/api/v1/metrics/"]
    for client in Client.objects.filter(consultancy__slug="demo"):
        base = f"/api/v1/clients/{client.pk}"
        urls += [
            f"{base}/",
            f"{base}/scorecard/",
            f"{base}/bottlenecks/",
            f"{base}/checks/",
            f"{base}/measurements/?page_size=500",
            f"{base}/series/?metrics=mrr,ltv_cac,visit_to_lead,churn_rate&from=2026-01&to=2026-10",
            f"{base}/diagnostics/",
            f"{base}/audit-log/",
        ]
        urls += [f"{base}/plans/{plan.pk}/" for plan in Plan.objects.filter(client=client)]
    problems = []
    for url in urls:
        response = demo_api.get(url)
        if response.status_code == 404:  # e.g. no scorecard stored for a client without plan
            continue
        assert response.status_code == 200, (url, response.content[:300])
        problems += [f"{url} {problem}" for problem in problems_in(response.json())]

    assert problems == []
