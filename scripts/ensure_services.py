"""Make sure what the tests use is there: PostgreSQL and Redis answer (local ones are started if
they are stopped), and Debian's Chromium is installed for the browser tests.

Reads DATABASE_URL and REDIS_URL. For a loopback address whose server is installed but not
running, starts it with this machine's commands; otherwise stops at once with a message that says
how to start one. Chromium (with Japanese fonts, so pages and reports render their text) is
installed with apt when it is missing; a browser is never downloaded any other way. Exits 0
when both services answer, PostgreSQL is version 15 or newer, and Chromium is there.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

MIN_POSTGRES = 150000
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HOW_TO_START = (
    "Start PostgreSQL 15+ and Redis on loopback, for example with Docker:\n"
    "    docker compose up -d db redis\n"
    "    make test TEST_DATABASE_URL=postgres://waypoint:waypoint@127.0.0.1:5432/waypoint\n"
    "or, with Debian's packages:\n"
    "    pg_ctlcluster --skip-systemctl-redirect <version> main start\n"
    "    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
)


def fail(message: str, hint: str = HOW_TO_START) -> None:
    print(f"ensure_services: {message}\n\n{hint}", file=sys.stderr)
    sys.exit(1)


def wait_for(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def postgres_version(url: str) -> int:
    parts = urlsplit(url)
    # Connect to the maintenance database: the test database is pytest-django's to create.
    conninfo = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, connect_timeout=3) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0])


def start_postgres() -> bool:
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return False
    for version in sorted(os.listdir("/etc/postgresql")):
        print(f"ensure_services: starting PostgreSQL {version} (main)")
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
        )
    return True


def start_redis(port: int) -> bool:
    if not shutil.which("redis-server"):
        return False
    print(f"ensure_services: starting Redis on 127.0.0.1:{port}")
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=False,
    )
    return True


def ensure_postgres(url: str) -> None:
    host = urlsplit(url).hostname or "127.0.0.1"
    try:
        version = postgres_version(url)
    except psycopg.OperationalError as exc:
        if host not in LOOPBACK or not start_postgres():
            fail(f"PostgreSQL at {host} does not answer ({exc}).")
        try:
            version = wait_for(lambda: postgres_version(url))
        except psycopg.OperationalError as exc2:
            fail(f"PostgreSQL at {host} still does not answer after starting it ({exc2}).")
    if version < MIN_POSTGRES:
        fail(f"PostgreSQL at {host} is version {version}; Waypoint needs 15 or newer.")
    print(f"ensure_services: PostgreSQL {version // 10000} answers at {host}")


def ensure_redis(url: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379

    def ping():
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()

    try:
        ping()
    except redis.RedisError as exc:
        if host not in LOOPBACK or not start_redis(port):
            fail(f"Redis at {host}:{port} does not answer ({exc}).")
        try:
            wait_for(ping)
        except redis.RedisError as exc2:
            fail(f"Redis at {host}:{port} still does not answer after starting it ({exc2}).")
    print(f"ensure_services: Redis answers at {host}:{port}")


CHROMIUM = "/usr/bin/chromium"
BROWSER_PACKAGES = ["chromium", "fonts-noto-cjk"]


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        print(f"ensure_services: Chromium is at {CHROMIUM}")
        return
    apt = shutil.which("apt-get")
    if apt is None:
        fail("the browser tests need Debian's Chromium.", f"Install it at {CHROMIUM}.")
    print(f"ensure_services: installing {', '.join(BROWSER_PACKAGES)} with apt")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=False, env=env)
    done = subprocess.run([apt, "install", "-y", "-qq", *BROWSER_PACKAGES], check=False, env=env)
    if done.returncode != 0 or not Path(CHROMIUM).exists():
        fail("could not install Chromium.", f"apt-get install {' '.join(BROWSER_PACKAGES)}")


def ensure_wrk() -> None:
    """The reads benchmark's load generator (Debian's wrk)."""
    if shutil.which("wrk"):
        return
    apt = shutil.which("apt-get")
    if apt is None:
        fail("the reads benchmark needs wrk.", "Install it (apt-get install wrk).")
    print("ensure_services: installing wrk with apt")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=False, env=env)
    if subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, env=env).returncode:
        fail("could not install wrk.", "apt-get install wrk")


def main() -> None:
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        fail("DATABASE_URL and REDIS_URL must both be set (make test sets them).")
    if not database_url.startswith(("postgres://", "postgresql://")):
        fail(f"the tests need PostgreSQL, got DATABASE_URL={database_url!r}.")
    ensure_postgres(database_url)
    ensure_redis(redis_url)
    if "--bench" in sys.argv:
        ensure_wrk()
    else:
        ensure_chromium()


if __name__ == "__main__":
    main()
