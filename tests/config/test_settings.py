"""The settings module in both run modes, and the Celery reliability settings."""

import json

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.helpers import embedded_env, settings_probe

pytestmark = pytest.mark.slow


def test_embedded_mode_without_database_or_broker_url(tmp_path):
    # Given a bare machine's environment, when the settings load,
    probe = settings_probe(embedded_env(tmp_path))

    # then SQLite under the var dir, in-process tasks and a local-memory cache are chosen.
    assert probe.returncode == 0, probe.stderr
    decided = json.loads(probe.stdout)
    assert decided["engine"] == "django.db.backends.sqlite3"
    assert decided["name"] == str(tmp_path / "waypoint.sqlite3")
    assert decided["eager"] is True
    assert decided["broker"] == "memory://localhost/"
    assert decided["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert decided["debug"] is False
    assert decided["time_zone"] == "Asia/Tokyo"
    assert decided["languages"] == ["en", "ja"]
    # and a secret key was generated once, readable by the owner only.
    key_file = tmp_path / "secret_key"
    assert len(key_file.read_text()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_generated_secret_key_is_reused(tmp_path):
    settings_probe(embedded_env(tmp_path))
    first = (tmp_path / "secret_key").read_text()

    settings_probe(embedded_env(tmp_path))

    assert (tmp_path / "secret_key").read_text() == first


def test_full_mode_with_database_and_broker_url(tmp_path):
    probe = settings_probe(
        embedded_env(
            tmp_path,
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/waypoint",
            REDIS_URL="redis://127.0.0.1:6379/3",
        )
    )

    assert probe.returncode == 0, probe.stderr
    decided = json.loads(probe.stdout)
    assert decided["engine"] == "django.db.backends.postgresql"
    assert decided["name"] == "waypoint"
    assert decided["eager"] is False
    assert decided["broker"] == "redis://127.0.0.1:6379/3"
    assert decided["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_visibility_timeout_below_time_limit_is_refused(tmp_path):
    probe = settings_probe(
        embedded_env(tmp_path, CELERY_TASK_TIME_LIMIT="120", CELERY_VISIBILITY_TIMEOUT="100")
    )

    assert probe.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT" in probe.stderr


def test_celery_reliability_settings():
    conf = celery_app.conf

    # Redis re-delivers an unacknowledged task after the visibility timeout: it must outlast the
    # hard time limit, or a long task would run twice at once.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.result_backend is None
    assert conf.task_ignore_result is True
    assert conf.broker_url == settings.REDIS_URL
