"""Smoke test of the embedded default: fresh SQLite, migrate, load_demo — as `make demo` does."""

import sqlite3
import uuid

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


def test_the_demo_is_computed_and_recompute_runs_on_sqlite(tmp_path):
    env = embedded_env(tmp_path)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    assert manage("load_demo", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "waypoint.sqlite3") as db:
        healths = dict(
            db.execute(
                "select c.slug, s.health from plans_scorecardsnapshot s"
                " join clients_client c on c.id = s.client_id"
                " where s.period_start = (select max(period_start) from plans_scorecardsnapshot"
                "   where client_id = s.client_id and score is not null)"
            ).fetchall()
        )
    # One client on track, one at risk, one off track (plans/demo.py).
    assert healths == {"nimbus-saas": "green", "sakura-cafe": "amber", "hikari-growth": "red"}

    recomputed = manage("recompute", env=env)

    assert recomputed.returncode == 0, recomputed.stderr
    lines = recomputed.stdout.strip().splitlines()
    assert len(lines) == 3
    assert all("computed 0 month(s)" in line for line in lines), lines  # inputs unchanged


def test_migrations_match_the_models(tmp_path):
    checked = manage("makemigrations", "--check", "--dry-run", env=embedded_env(tmp_path))

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_import_on_sqlite_uses_the_portable_upsert(tmp_path):
    # The COPY path is PostgreSQL's; on the embedded SQLite the ORM fallback must give the same
    # counts and history.
    env = embedded_env(tmp_path)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    assert manage("load_demo", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "waypoint.sqlite3") as db:
        (client_id,) = db.execute("select id from clients_client order by name limit 1").fetchone()
    client_uuid = str(uuid.UUID(client_id))
    good = tmp_path / "good.csv"
    good.write_text("metric,period,value\nleads,2019-08,10\nleads,2019-09,12\n")
    changed = tmp_path / "changed.csv"
    changed.write_text("metric,period,value\nleads,2019-08,10\nleads,2019-09,13\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("metric,period,value\nleads,2019-10,1\nleads,2019-13,1\n")

    first = manage("import_measurements", "--client", client_uuid, str(good), env=env)
    second = manage("import_measurements", "--client", client_uuid, str(changed), env=env)
    rejected = manage("import_measurements", "--client", client_uuid, str(bad), env=env)

    assert "created 2, updated 0, unchanged 0" in first.stdout, first.stderr
    assert "created 0, updated 1, unchanged 1" in second.stdout, second.stderr
    assert rejected.returncode == 1
    assert "line 3, period" in rejected.stderr
    with sqlite3.connect(tmp_path / "waypoint.sqlite3") as db:
        # The demo's own data starts later than 2019: these are the imported rows only.
        rows = db.execute(
            "select period_start, value from metrics_measurement"
            " where period_start < '2020-01-01' order by period_start"
        ).fetchall()
        history = db.execute(
            "select old_value, new_value from metrics_measurementhistory"
            " where period_start < '2020-01-01' order by id"
        ).fetchall()
    assert [(start, str(value)) for start, value in rows] == [
        ("2019-08-01", "10"),
        ("2019-09-01", "13"),
    ]
    assert [(str(old), str(new)) for old, new in history] == [
        ("None", "10"),
        ("None", "12"),
        ("12", "13"),
    ]
