"""A database that cannot be reached is a 503 with Retry-After, not a 500: a fault injected
into the first query of a request (the real outage, a PostgreSQL cluster restarted under load,
is `make drills`: tests/drills/drill_postgres_restart.py)."""

import logging
from contextlib import contextmanager

import pytest
from django.db import OperationalError, ProgrammingError, connections

pytestmark = pytest.mark.django_db


@contextmanager
def database_down(error=None):
    """Every query raises what psycopg raises when PostgreSQL refuses the connection (or
    ``error``)."""

    def refuse(*args, **kwargs):
        raise error or OperationalError(
            "connection to server at 127.0.0.1 failed: Connection refused"
        )

    wrapper = type(connections["default"])
    real = wrapper.cursor
    wrapper.cursor = refuse
    try:
        yield
    finally:
        wrapper.cursor = real


def test_the_api_answers_503_with_a_problem_and_retry_after(world, caplog):
    api = world.api("consultancy_key_read")
    with caplog.at_level(logging.WARNING, logger="clients.middleware"), database_down():
        response = api.get("/api/v1/clients/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert "database" in response.json()["detail"]
    [record] = [r for r in caplog.records if r.name == "clients.middleware"]
    assert record.levelno == logging.WARNING
    assert "answered GET /api/v1/clients/ with 503" in record.getMessage()
    assert record.exc_info is None  # one line, no traceback


def test_a_page_answers_503_in_plain_text(world):
    browser = world.browser("viewer")
    with database_down():
        response = browser.get(f"/portal/{world.a1.pk}/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/plain")


def test_a_bad_query_is_still_a_500(world):
    api = world.api("consultancy_key_read")
    api.raise_request_exception = False
    with database_down(ProgrammingError('relation "nowhere" does not exist')):
        response = api.get("/api/v1/clients/")
    assert response.status_code == 500
