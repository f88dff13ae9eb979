"""docker-compose.yml, checked by reading it (no Docker engine runs where the tests do)."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "db", "redis"}


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_point_at_the_service_hostnames(compose, name):
    service = compose["services"][name]
    env = service["environment"]

    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert {"path": ".env", "required": False} in service["env_file"]
    assert service["build"] == "."


def test_web_migrates_then_serves_with_gunicorn(compose):
    command = compose["services"]["web"]["command"]

    assert command.index("manage.py migrate --noinput") < command.index("gunicorn config.wsgi")
    assert "0.0.0.0:8000" in command
    assert "/readyz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_worker_and_beat_commands(compose):
    assert compose["services"]["worker"]["command"].startswith("celery -A config worker")
    assert compose["services"]["beat"]["command"].startswith("celery -A config beat")
    for name in ("worker", "beat"):
        # They start once web has applied the migrations.
        assert compose["services"][name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_database_and_redis(compose):
    db, redis = compose["services"]["db"], compose["services"]["redis"]

    assert db["image"] == "postgres:16"
    assert redis["image"] == "redis:7"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "ping" in redis["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "db-data" in compose["volumes"]
    for name in ("db", "redis"):
        assert compose["services"]["web"]["depends_on"][name]["condition"] == "service_healthy"


def test_image_builds_from_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile
