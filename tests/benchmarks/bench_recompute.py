"""Recompute benchmark: the nightly round against the cost of merely reading its data.

Run by ``make bench``. On a fresh PostgreSQL database (BENCH_DATABASE_URL) it writes BENCH_CLIENTS
clients (default 1,000), each with an active plan of 30 monthly KPIs and 24 months of data for
each (720 rows a client, 720,000 in all), starts two Celery workers (one process each) on their
own Redis database (BENCH_REDIS_URL), and runs the nightly round: every client's latest closed
month and the month in progress, computed and stored. It prints the round's time, from the
first job created to the last one finished, next to the floor for any Python-side computation:
the same measurement rows fetched into Python with psycopg in one query (best of three). The
target is a ratio of at most 3. The timed round is a steady-state night: a first round stores every
client's two months, the month in progress is then made yesterday's, and the timed round
recomputes it for every client while finding the closed month unchanged. A last round, with
nothing changed, shows the fingerprint check alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from bench_ingest import (
    DATABASE_URL,
    ROOT,
    conninfo,
    fresh_database,
    manage,
    migrated_with_consultancy,
)
from results import record

PYTHON = sys.executable
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
KPIS = 30
MONTHS = 24
WORKERS = 2
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

# Months are counted back from the current month (Asia/Tokyo, the clients' time zone): the plan
# runs over the last 24 months, its baseline the month before, data for each of the 24.
POPULATE = """
INSERT INTO clients_client (id, consultancy_id, name, slug, industry, business_model, currency,
    timezone, fiscal_year_start_month, status, created_at, updated_at)
SELECT gen_random_uuid(), %(consultancy)s, 'Client ' || n, 'client-' || n, '', '', 'JPY',
    'Asia/Tokyo', 1, 'active', now(), now()
FROM generate_series(1, %(clients)s) AS n;

INSERT INTO plans_plan (id, client_id, name, vision, starts_on, ends_on, status, created_at,
    updated_at)
SELECT gen_random_uuid(), c.id, 'Plan', '',
    (date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo') - interval '23 months')::date,
    (date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo') + interval '1 month - 1 day')::date,
    'active', now(), now()
FROM clients_client c;

INSERT INTO plans_kpinode (id, plan_id, client_id, key, metric_id, parent_id, weight,
    baseline_period, baseline_value, must, stretch, target_period, granularity, interpolation,
    formula, position)
SELECT gen_random_uuid(), p.id, p.client_id, m.key, m.id, NULL, 1,
    to_char(p.starts_on - interval '1 month', 'YYYY-MM'),
    CASE WHEN m.direction = 'higher_is_better' THEN 100 ELSE 200 END,
    CASE WHEN m.direction = 'higher_is_better' THEN 200 ELSE 100 END,
    CASE WHEN m.direction = 'higher_is_better' THEN 300 ELSE 50 END,
    to_char(p.ends_on, 'YYYY-MM'), 'month', 'linear', '', m.position
FROM plans_plan p
CROSS JOIN (
    -- the first measured (not derived) built-in metrics, in catalogue order
    SELECT id, key, direction, row_number() OVER (ORDER BY id) AS position
    FROM metrics_metric WHERE consultancy_id IS NULL AND formula = ''
    ORDER BY id LIMIT %(kpis)s
) m;

INSERT INTO metrics_measurement (client_id, metric_id, granularity, period_start, value, source,
    recorded_at, updated_at)
SELECT k.client_id, k.metric_id, 'month', (p.starts_on + make_interval(months => s.step))::date,
    100 + ((hashtext(k.client_id::text) & 1023) + k.position * 7 + s.step * 5) %% 120
        + (s.step %% 3) * 0.25,
    'bench', now(), now()
FROM plans_kpinode k
JOIN plans_plan p ON p.id = k.plan_id
CROSS JOIN generate_series(0, %(months)s - 1) AS s(step);

UPDATE clients_client SET last_measurement_at = now();
"""


def populate(consultancy_id) -> int:
    params = {
        "consultancy": consultancy_id,
        "clients": CLIENTS,
        "kpis": KPIS,
        "months": MONTHS,
    }
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        for statement in POPULATE.split(";\n\n"):
            names = [name for name in params if f"%({name})s" in statement]
            connection.execute(statement, {name: params[name] for name in names})
        connection.execute("ANALYZE")
        return connection.execute("SELECT count(*) FROM metrics_measurement").fetchone()[0]


def fetch_floor() -> float:
    """Seconds to fetch every measurement row into Python, the way the recompute reads them
    (psycopg, numeric -> Decimal, uuid -> UUID, date -> date): best of three."""
    best = float("inf")
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        for _ in range(3):
            started = time.perf_counter()
            rows = connection.execute(
                "SELECT client_id, metric_id, granularity, period_start, value"
                " FROM metrics_measurement"
            ).fetchall()
            best = min(best, time.perf_counter() - started)
            del rows
    return best


def start_workers(env) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--hostname",
                f"bench{number}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        for number in range(WORKERS)
    ]


def peak_rss(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def nightly_round(env, *, new_day: bool = False) -> tuple[float, int, int]:
    """Run the nightly round on the workers; (seconds, jobs, failed jobs). With ``new_day``,
    first make the stored snapshots of the month in progress yesterday's: their fingerprint no
    longer matches (tomorrow their as-of date will have moved on), so the round recomputes that
    month for every client and only checks the closed month - a steady-state night."""
    with psycopg.connect(conninfo(DATABASE_URL), autocommit=True) as connection:
        connection.execute("DELETE FROM clients_job")
        if new_day:
            connection.execute(
                "UPDATE plans_scorecardsnapshot SET fingerprint = 'yesterday' WHERE period_start"
                " = date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo')::date"
            )
        jobs = int(
            manage(
                env,
                "shell",
                "-c",
                "from plans.tasks import nightly_recompute; print(nightly_recompute.apply().get())",
            )
        )
        while True:
            done, failed = connection.execute(
                "SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed')),"
                " count(*) FILTER (WHERE status = 'failed') FROM clients_job"
            ).fetchone()
            if done >= jobs:
                break
            time.sleep(0.2)
        (seconds,) = connection.execute(
            "SELECT extract(epoch FROM max(finished_at) - min(created_at)) FROM clients_job"
        ).fetchone()
    return float(seconds), jobs, failed


def main() -> None:
    fresh_database()
    workdir = Path(tempfile.mkdtemp(prefix="waypoint-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CONN_MAX_AGE": "60",
        "WAYPOINT_VAR_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
        "WAYPOINT_OWNER_PASSWORD": "bench-owner-password",
    }
    consultancy_id = migrated_with_consultancy(env)
    rows = populate(consultancy_id)
    subprocess.run(
        [PYTHON, "-m", "celery", "-A", "config", "purge", "-f"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    workers = start_workers(env)
    try:
        time.sleep(3)  # the workers connect to Redis and PostgreSQL
        first, _, failed_first = nightly_round(env)
        seconds, jobs, failed = nightly_round(env, new_day=True)
        again, _, failed_again = nightly_round(env)
        peak_rss_mb = max(peak_rss(worker.pid) for worker in workers)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        (snapshots,) = connection.execute("SELECT count(*) FROM plans_scorecardsnapshot").fetchone()
    floor = fetch_floor()

    print(f"recompute benchmark: {CLIENTS} clients x {KPIS} KPIs x {MONTHS} months = {rows} rows")
    print(
        f"  first round, nothing stored yet (2 months a client):  {first:.2f} s "
        f"({failed_first} failed jobs)"
    )
    print(
        f"  nightly round, {WORKERS} workers, {jobs} jobs (the month in progress recomputed,"
        f" the closed one checked): {seconds:.2f} s ({snapshots} snapshots, {failed} failed)"
    )
    print(f"  again, nothing changed:                 {again:.2f} s ({failed_again} failed)")
    print(f"  floor, the rows fetched with psycopg:   {floor:.2f} s")
    print(f"  peak worker memory (VmHWM):             {peak_rss_mb:.0f} MiB")
    ratio = seconds / floor
    print(f"  ratio: {ratio:.1f}x (target <= 3x) {'OK' if ratio <= 3 else 'OVER TARGET'}")
    record(
        "recompute",
        {
            "clients": CLIENTS,
            "kpis": KPIS,
            "months": MONTHS,
            "rows": rows,
            "workers": WORKERS,
            "first_round_seconds": first,
            "nightly_round_seconds": seconds,
            "unchanged_round_seconds": again,
            "fetch_floor_seconds": floor,
            "ratio": ratio,
            "peak_worker_rss_mib": round(peak_rss_mb),
        },
    )
    if failed or failed_again or failed_first:
        sys.exit("some jobs failed")


if __name__ == "__main__":
    main()
