"""Drill: the Celery worker is SIGKILLed in the middle of recomputing 50 clients, then a new one
starts. Every job ends succeeded, none is left running, and every client has its month's
scorecard exactly once — the killed worker's unacknowledged message comes back to the new one
after the visibility timeout, and a job is safe to run twice."""

import psycopg

from tests.drills.conftest import wait_until

CLIENTS = 50
POPULATE = """
from clients.models import Consultancy
from metrics.services import measurements_upsert
from plans.services import plan_create
from tests.clients.factories import ClientFactory
from tests.tenancy import minimal_plan

consultancy = Consultancy.objects.get(slug="drill")
for number in range({clients}):
    client = ClientFactory(consultancy=consultancy, name=f"Client {{number}}")
    plan_create(client=client, raw=minimal_plan(), actor=None)
    rows = [
        {{"metric": "leads", "period": f"2026-{{month:02d}}", "value": 100 + number + month}}
        for month in range(1, 10)
    ]
    measurements_upsert(client=client, rows=rows, actor=None)
"""
QUEUE = """
from clients.models import Client
from metrics.periods import Period
from plans.services.recompute.jobs import recompute_job_create

for client in Client.objects.all():
    recompute_job_create(client=client, period=Period.parse("2026-09"), actor=None, force=True)
"""


def test_a_worker_killed_mid_round_leaves_every_job_done_once(stage):
    # Seconds, not the production hour: an unacknowledged message comes back quickly.
    stage.env.update(
        CELERY_TASK_TIME_LIMIT="5",
        CELERY_TASK_SOFT_TIME_LIMIT="4",
        CELERY_VISIBILITY_TIMEOUT="6",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
    )
    database = stage.database

    def counts() -> dict[str, int]:
        with psycopg.connect(database) as db:
            return dict(db.execute("SELECT status, count(*) FROM clients_job GROUP BY status"))

    stage.prepare()
    stage.manage("shell", "-c", POPULATE.format(clients=CLIENTS))
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("DELETE FROM clients_job")  # the ingest's own recomputes: start clean
        db.execute("DELETE FROM plans_scorecardsnapshot")
    stage.manage("shell", "-c", QUEUE)
    assert counts() == {"queued": CLIENTS}

    # Hold the recompute lock of the 20th client in the queue, so the worker is caught in
    # the middle of its job (started, inside its transaction) when it is killed.
    holder = psycopg.connect(database)
    (held,) = holder.execute(
        "SELECT client_id FROM clients_job ORDER BY created_at, id OFFSET 19 LIMIT 1"
    ).fetchone()
    holder.execute("SELECT pg_advisory_xact_lock(2, hashtext(%s))", [str(held)])
    try:
        stage.worker("first")
        assert wait_until(
            lambda: counts().get("succeeded", 0) == 19 and counts().get("running") == 1, 60
        ), (counts(), stage.log("first")[-3000:])
        stage.kill("first")  # SIGKILL, the whole process group
    finally:
        holder.rollback()
        holder.close()
    killed_at = counts()
    assert killed_at == {"succeeded": 19, "running": 1, "queued": CLIENTS - 20}

    stage.worker("second")
    finished = wait_until(lambda: counts() == {"succeeded": CLIENTS}, 120, every=0.5)
    assert finished, (counts(), stage.log("second")[-3000:])
    with psycopg.connect(database) as db:
        per_client = db.execute(
            "SELECT c.id, count(s.id) FROM clients_client c LEFT JOIN"
            " plans_scorecardsnapshot s ON s.client_id = c.id"
            " AND s.period_start = '2026-09-01' GROUP BY c.id"
        ).fetchall()
        attempts = db.execute("SELECT max(attempts) FROM clients_job").fetchone()[0]
    assert len(per_client) == CLIENTS
    assert {count for _client, count in per_client} == {1}
    print(
        f"\n  killed with {killed_at}; after the restart {CLIENTS} jobs succeeded, each"
        f" client's September scorecard stored once (most attempts of a job: {attempts})"
    )
