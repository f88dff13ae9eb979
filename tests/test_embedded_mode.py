"""Smoke test of the embedded default: fresh SQLite, migrate, load_demo — as `make demo` does."""

import sqlite3

import pytest

from tests.helpers import embedded_env, manage

pytestmark = pytest.mark.slow


def test_fresh_sqlite_migrate_and_load_demo_twice(tmp_path):
    env = embedded_env(tmp_path)

    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    first = manage("load_demo", env=env)
    assert first.returncode == 0, first.stderr
    second = manage("load_demo", env=env)
    assert second.returncode == 0, second.stderr

    assert "owner@demo.waypoint.test" in second.stdout
    with sqlite3.connect(tmp_path / "waypoint.sqlite3") as db:
        (consultancies,) = db.execute("select count(*) from clients_consultancy").fetchone()
        (users,) = db.execute("select count(*) from clients_user").fetchone()
    assert (consultancies, users) == (1, 3)


def test_migrations_match_the_models(tmp_path):
    checked = manage("makemigrations", "--check", "--dry-run", env=embedded_env(tmp_path))

    assert checked.returncode == 0, checked.stdout + checked.stderr
