"""Reads benchmark: what people wait for, against the cheapest answer the same server gives.

Run by ``make bench``. On a fresh PostgreSQL database (BENCH_DATABASE_URL) it writes
BENCH_CLIENTS clients (default 1,000) of one consultancy, each with an active plan of 30 monthly
KPIs and 24 months of data (the recompute benchmark's population), and stores every client's
scorecard of the latest closed month and the month in progress. Then it serves Waypoint as
``make serve`` does — gunicorn, WEB_CONCURRENCY workers (2), the shipped settings — and drives
each address with wrk (Debian's; ``make bench`` installs it) from one thread with 32 connections
for BENCH_SECONDS (10) after a 2-second warm-up:

- ``/healthz`` — the floor: no database, no authentication;
- the stored scorecard of one client (``GET /api/v1/clients/{id}/scorecard/``, an API key);
- the portfolio of the 1,000 clients (``GET /api/v1/portfolio/``, its first page);
- the portal's overview page of one client (a signed-in owner's session).

It prints requests a second, p50/p95/p99 latencies and each against ``/healthz``, and records
them in var/bench/results.json. Targets: the scorecard at >= 0.5x /healthz's requests a second,
the portfolio at >= 0.25x, p95 under 100 ms for both.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
from bench_ingest import DATABASE_URL, ROOT, conninfo, free_port, fresh_database, manage
from bench_recompute import CLIENTS, KPIS, MONTHS, migrated_with_consultancy, populate
from results import record

PYTHON = sys.executable
WRK = "/usr/bin/wrk"
CONNECTIONS = 32
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WORKERS = os.environ.get("WEB_CONCURRENCY", "2")
OWNER, PASSWORD = "bench@example.com", "bench-owner-password"
TARGETS = {"scorecard": (0.5, 100), "portfolio": (0.25, 100)}  # (x /healthz, p95 ms)

# wrk's summary as one line: requests, microseconds, p50/p95/p99 in ms, non-2xx, socket errors.
REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("WAYPOINT %d %d %.3f %.3f %.3f %d %d\\n",
    summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""

STORE_SCORECARDS = """
from clients.models import Client
from plans.services import scorecards_recompute_many
ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
for start in range(0, len(ids), 100):
    scorecards_recompute_many(client_ids=ids[start:start + 100], latest_only=True)
print(len(ids))
"""


def serve(env, port: int) -> subprocess.Popen:
    manage(env, "collectstatic", "--noinput", "--verbosity", "1")
    server = subprocess.Popen(
        [
            str(Path(PYTHON).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            WORKERS,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def session_cookie(base: str) -> str:
    """Sign the owner in through the login page; the session's Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": OWNER, "password": PASSWORD}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", body, {"Referer": base}))
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        sys.exit("could not sign the bench owner in")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def drive(url: str, headers: dict[str, str], script: Path, seconds: int) -> dict:
    arguments = [
        WRK,
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "-s",
        str(script),
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        arguments += ["-H", f"{name}: {value}"]
    done = subprocess.run([*arguments, url], capture_output=True, text=True, check=True)
    found = re.search(r"^WAYPOINT (.*)$", done.stdout, re.M)
    requests, micros, p50, p95, p99, non_2xx, socket_errors = found.group(1).split()
    return {
        "requests_per_second": round(int(requests) / (int(micros) / 1e6), 1),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "non_2xx": int(non_2xx),
        "socket_errors": int(socket_errors),
    }


def main() -> None:
    if not Path(WRK).exists():
        sys.exit(f"the reads benchmark needs wrk at {WRK} (apt-get install wrk; make bench does)")
    fresh_database()
    workdir = Path(tempfile.mkdtemp(prefix="waypoint-bench-reads-"))
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "WAYPOINT_VAR_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
        "WAYPOINT_OWNER_PASSWORD": PASSWORD,
        # The per-key limit (1,200 a minute) would answer most requests 429: measure the work.
        "API_RATE_KEY": "10000000/min",
    }
    env.pop("CONN_MAX_AGE", None)  # the shipped default, unless the bench is told otherwise
    if os.environ.get("BENCH_CONN_MAX_AGE"):
        env["CONN_MAX_AGE"] = os.environ["BENCH_CONN_MAX_AGE"]
    consultancy_id = migrated_with_consultancy(env)
    rows = populate(consultancy_id)
    manage(env, "shell", "-c", STORE_SCORECARDS)
    with psycopg.connect(conninfo(DATABASE_URL)) as connection:
        (client_id,) = connection.execute(
            "SELECT id FROM clients_client ORDER BY name LIMIT 1"
        ).fetchone()
        (snapshots,) = connection.execute("SELECT count(*) FROM plans_scorecardsnapshot").fetchone()
    key = manage(
        env, "create_api_key", "--consultancy", "bench", "--scopes", "read", "--name", "bench"
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(env, port)
    script = workdir / "report.lua"
    script.write_text(REPORT)
    bearer = {"Authorization": f"Api-Key {key}"}
    addresses = {
        "healthz": (f"{base}/healthz", {}),
        "scorecard": (f"{base}/api/v1/clients/{client_id}/scorecard/", bearer),
        "portfolio": (f"{base}/api/v1/portfolio/", bearer),
        "portal_overview": (f"{base}/portal/{client_id}/", {"Cookie": session_cookie(base)}),
    }
    figures = {}
    try:
        for name, (url, headers) in addresses.items():
            answered = urllib.request.urlopen(urllib.request.Request(url, headers=headers))
            if answered.status != 200:
                sys.exit(f"{name}: {url} answered {answered.status}")
            drive(url, headers, script, 2)  # warm-up: connections, caches, imports
            figures[name] = drive(url, headers, script, SECONDS)
    finally:
        server.terminate()
        server.wait(timeout=30)

    floor = figures["healthz"]["requests_per_second"]
    print(
        f"reads benchmark: {CLIENTS} clients x {KPIS} KPIs x {MONTHS} months ({rows} rows,"
        f" {snapshots} stored scorecards); gunicorn {WORKERS} workers, CONN_MAX_AGE"
        f" {env.get('CONN_MAX_AGE', 'default')}; wrk 1 thread, {CONNECTIONS} connections,"
        f" {SECONDS} s each"
    )
    columns = ("req/s", "x healthz", "p50 ms", "p95 ms", "p99 ms")
    print(f"  {'address':<16} " + " ".join(f"{column:>9}" for column in columns) + "  verdict")
    for name, found in figures.items():
        share = found["requests_per_second"] / floor
        found["share_of_healthz"] = round(share, 3)
        verdict = ""
        if name in TARGETS:
            least, p95 = TARGETS[name]
            met = share >= least and found["p95_ms"] < p95
            verdict = f"{'OK' if met else 'OVER TARGET'} (>= {least}x, p95 < {p95} ms)"
        if found["non_2xx"] or found["socket_errors"]:
            verdict += f" {found['non_2xx']} non-2xx, {found['socket_errors']} socket errors"
        print(
            f"  {name:<16} {found['requests_per_second']:>9.1f} {share:>9.2f}"
            f" {found['p50_ms']:>9.1f} {found['p95_ms']:>9.1f} {found['p99_ms']:>9.1f}  {verdict}"
        )
    record(
        "reads",
        {
            "clients": CLIENTS,
            "web_workers": int(WORKERS),
            "conn_max_age": env.get("CONN_MAX_AGE", "default"),
            "connections": CONNECTIONS,
            "seconds": SECONDS,
            "addresses": figures,
        },
    )
    if any(found["non_2xx"] or found["socket_errors"] for found in figures.values()):
        sys.exit("some requests failed")


if __name__ == "__main__":
    main()
