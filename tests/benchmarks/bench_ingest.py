"""Ingest benchmark: measurements through the HTTP API against the database's own limit.

Run by ``make bench``. It makes a fresh PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/waypoint_bench), migrates it, starts gunicorn on a free
loopback port and POSTs 10,000-row batches to /api/v1/clients/{id}/measurements/bulk/ — first
new rows (inserts), then the same rows with new values (updates). Next to it, the physical
limit: the same rows COPY'd into a staging table and merged with one INSERT … ON CONFLICT into a
table with the measurement table's columns, indexes and foreign keys, in the same database.
It prints rows per second for both and their ratio (the target is the API at >= 0.25).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from results import record

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BATCH = 10_000
BATCHES = int(os.environ.get("BENCH_BATCHES", "10"))
METRICS = [
    "visitors",
    "leads",
    "consultations",
    "new_customers",
    "churned_customers",
    "repeat_customers",
    "referrals",
    "revenue",
    "marketing_spend",
    "paying_customers",
]
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waypoint_bench"
)


def conninfo(url: str, database: str | None = None) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    if database is not None:
        parts = parts._replace(path=f"/{database}")
    return parts.geturl()


def fresh_database() -> None:
    name = urlsplit(DATABASE_URL).path.lstrip("/")
    with psycopg.connect(conninfo(DATABASE_URL, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def migrated_with_consultancy(env):
    """Migrate the fresh database and make the "bench" consultancy; its id."""
    manage(env, "migrate", "--noinput")
    manage(
        env,
        "create_consultancy",
        "--name",
        "Bench",
        "--slug",
        "bench",
        "--owner-email",
        "bench@example.com",
    )
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        return connection.execute(
            "SELECT id FROM clients_consultancy WHERE slug = 'bench'"
        ).fetchone()[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def batches(value_offset: int) -> list[list[tuple[str, str, int]]]:
    """BATCHES lists of BATCH rows (metric, day, value), every (metric, day) distinct."""
    rows = []
    first = date(2000, 1, 1)
    for index in range(BATCH * BATCHES):
        metric = METRICS[index % len(METRICS)]
        day = first + timedelta(days=index // len(METRICS))
        rows.append((metric, day.isoformat(), index % 1000 + value_offset))
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def through_api(port: int, key: str, client_id: str, chunks) -> float:
    bodies = [
        json.dumps(
            {"measurements": [{"metric": m, "period": p, "value": v} for m, p, v in chunk]}
        ).encode()
        for chunk in chunks
    ]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    started = time.perf_counter()
    for body in bodies:
        connection.request("POST", f"/api/v1/clients/{client_id}/measurements/bulk/", body, headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            sys.exit(f"API answered {response.status}: {payload[:500]!r}")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


LIMIT_SETUP = """
DROP TABLE IF EXISTS bench_limit;
CREATE TABLE bench_limit (LIKE metrics_measurement INCLUDING ALL);
DROP TABLE IF EXISTS bench_bare;
CREATE TABLE bench_bare (LIKE metrics_measurement INCLUDING ALL);
"""
# The measurement table's foreign keys, replayed on the limit table (they are triggers in
# PostgreSQL, checked row by row at commit).
FOREIGN_KEYS = """
SELECT pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'metrics_measurement'::regclass AND contype = 'f'
"""


LIMIT_MERGE = """
INSERT INTO {table} (client_id, metric_id, granularity, period_start, value, source,
                         recorded_by_user_id, recorded_by_key_id, recorded_at, updated_at)
SELECT %(client)s, metric_id, granularity, period_start, value, source, NULL, %(key)s, now(), now()
FROM staging
ON CONFLICT (client_id, metric_id, granularity, period_start) DO UPDATE SET
    value = excluded.value, source = excluded.source, updated_at = excluded.updated_at
WHERE {table}.value IS DISTINCT FROM excluded.value
"""


def physical_limit(client_id, key_id, metric_ids, chunks, table="bench_limit") -> float:
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        prepared = [
            [(metric_ids[m], "day", date.fromisoformat(p), v, "") for m, p, v in chunk]
            for chunk in chunks
        ]
        started = time.perf_counter()
        for chunk in prepared:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS staging (metric_id integer,"
                    " granularity varchar(7), period_start date, value numeric(20, 6),"
                    " source varchar(100)) ON COMMIT DELETE ROWS"
                )
                with cursor.copy(
                    "COPY staging (metric_id, granularity, period_start, value, source) FROM STDIN"
                ) as copy:
                    for row in chunk:
                        copy.write_row(row)
                cursor.execute(
                    LIMIT_MERGE.format(table=table), {"client": client_id, "key": key_id}
                )
        return time.perf_counter() - started


def main() -> None:
    fresh_database()
    workdir = Path(tempfile.mkdtemp(prefix="waypoint-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": "",
        "CONN_MAX_AGE": "60",
        "WAYPOINT_VAR_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
        "API_RATE_KEY": "100000/min",
        "WAYPOINT_OWNER_PASSWORD": "bench-owner-password",
    }
    consultancy_id = migrated_with_consultancy(env)
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        client_id = str(
            connection.execute(
                "INSERT INTO clients_client (id, consultancy_id, name, slug, industry,"
                " business_model, currency, timezone, fiscal_year_start_month, status,"
                " created_at, updated_at) VALUES (gen_random_uuid(), %s, 'Bench Co', 'bench-co',"
                " '', '', 'JPY', 'Asia/Tokyo', 1, 'active', now(), now()) RETURNING id",
                [consultancy_id],
            ).fetchone()[0]
        )
        metric_ids = dict(
            connection.execute(
                "SELECT key, id FROM metrics_metric WHERE consultancy_id IS NULL"
            ).fetchall()
        )
        connection.execute(LIMIT_SETUP)
        for (definition,) in connection.execute(FOREIGN_KEYS).fetchall():
            connection.execute(f"ALTER TABLE bench_limit ADD {definition}")
    key = manage(
        env,
        "create_api_key",
        "--consultancy",
        "bench",
        "--client",
        client_id,
        "--scopes",
        "read,write",
        "--name",
        "bench",
    )
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        key_id = str(connection.execute("SELECT id FROM clients_apikey").fetchone()[0])

    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("gunicorn did not come up within 30 s")
            time.sleep(0.2)

        inserts, updates = batches(0), batches(1)
        rows = BATCH * BATCHES
        # A first small request warms the workers (imports, connections).
        through_api(port, key, client_id, [[("nps", f"1990-01-{d:02d}", 1) for d in range(1, 29)]])
        api_insert = through_api(port, key, client_id, inserts)
        api_update = through_api(port, key, client_id, updates)
        limit_insert = physical_limit(client_id, key_id, metric_ids, inserts)
        limit_update = physical_limit(client_id, key_id, metric_ids, updates)
        bare_insert = physical_limit(client_id, key_id, metric_ids, inserts, "bench_bare")
        bare_update = physical_limit(client_id, key_id, metric_ids, updates, "bench_bare")
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"Ingest benchmark: {BATCHES} requests of {BATCH:,} rows ({rows:,} rows) each way")
    print(f"{'':18}{'API rows/s':>14}{'limit rows/s':>16}{'ratio':>9}")
    for label, api, limit in (
        ("insert", api_insert, limit_insert),
        ("update", api_update, limit_update),
    ):
        print(f"{label:18}{rows / api:>14,.0f}{rows / limit:>16,.0f}{limit / api:>9.2f}")
    print("target: ratio >= 0.25 (API throughput as a share of COPY + INSERT … ON CONFLICT")
    print("into a table with the measurement table's columns, indexes and foreign keys)")
    print(
        f"for context, the same without foreign keys: {rows / bare_insert:,.0f} rows/s insert, "
        f"{rows / bare_update:,.0f} rows/s update"
    )
    record(
        "ingest",
        {
            "rows_each_way": rows,
            "batch": BATCH,
            "api_rows_per_second": {"insert": rows / api_insert, "update": rows / api_update},
            "limit_rows_per_second": {"insert": rows / limit_insert, "update": rows / limit_update},
            "bare_rows_per_second": {"insert": rows / bare_insert, "update": rows / bare_update},
            "ratio": {"insert": limit_insert / api_insert, "update": limit_update / api_update},
        },
    )


if __name__ == "__main__":
    main()
