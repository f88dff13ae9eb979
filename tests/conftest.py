"""Suite-wide fixtures. The suite runs against real PostgreSQL and Redis (``make test``)."""

import copy
import os
import signal
import subprocess

import pytest
from django.conf import settings

from tests.helpers import ROOT, embedded_env, free_port, manage, wait_for_url


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or settings.CELERY_TASK_ALWAYS_EAGER:
        raise pytest.UsageError(
            "The tests need real PostgreSQL and Redis: run `make test` "
            "(or set DATABASE_URL and REDIS_URL yourself)."
        )


@pytest.fixture(autouse=True)
def _test_friendly_settings(settings):
    # Hashing with production cost would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest storage needs collectstatic to have run; tests render from the app dirs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Webhook receivers in the tests listen on this machine.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache (Redis): each test starts from zero.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The world, built once per test module inside a transaction that is rolled back when the
    module is done. Each test runs in a savepoint of it (pytest-django nests the test's own
    transaction), so what a test writes is gone before the next test starts."""
    from django.db import transaction

    from tests.tenancy import build_world

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        world = build_world()
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(_module_world, db):
    # A copy per test, so that a test changing a model instance in memory (as setUpTestData's
    # copies do) leaves the next test the instance as it is in the database.
    return copy.deepcopy(_module_world)


@pytest.fixture
def as_user(client, world):
    """Sign the test client in as one of the world's users (``as_user("owner")``)."""

    def sign_in(kind):
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[kind]
        return client

    return sign_in


# --- the demo as a bare machine runs it: SQLite, load_demo, make serve --------------------------


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """A migrated SQLite file with the demo loaded: (environment, var dir, what load_demo said)."""
    var_dir = tmp_path_factory.mktemp("embedded")
    env = embedded_env(var_dir)
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    loaded = manage("load_demo", env=env)
    assert loaded.returncode == 0, loaded.stderr
    return env, var_dir, loaded.stdout


@pytest.fixture(scope="session")
def served_demo(demo_site):
    """`make serve`, as the README runs it after migrating: (base URL, environment, load_demo's
    output). Stopped (with its gunicorn) when the test session ends."""
    env, var_dir, printed = demo_site
    port = free_port()
    log = (var_dir / "serve.log").open("w")  # what the server says, for a failing test
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}", "WEB_CONCURRENCY=2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{base}/healthz")
        yield base, env, printed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
