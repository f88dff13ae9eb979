"""Suite-wide fixtures. The suite runs against real PostgreSQL and Redis (``make test``)."""

import pytest
from django.conf import settings


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache (Redis): each test starts from zero.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db):
    from tests.tenancy import build_world

    return build_world()


@pytest.fixture
def as_user(client, world):
    """Sign the test client in as one of the world's users (``as_user("owner")``)."""

    def sign_in(kind):
        client.force_login(world.users[kind])
        return client

    return sign_in
