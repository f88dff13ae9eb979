"""The reliability drills' stage (``make drills``; docs/reliability.md). Each drill breaks
something for real — a PostgreSQL cluster it starts itself and restarts, a Redis it starts
itself on its own port and stops, a Celery worker it SIGKILLs — never the machine's shared
services. Waypoint runs as it does in production: gunicorn, Celery worker and beat processes,
configured through the environment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=None)
PASSWORD = "drill-owner-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, seconds: float = 30.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(every)
    return False


class Postgres:
    """A PostgreSQL cluster of the drill's own (initdb as the postgres user, trust on loopback)."""

    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/waypoint_drill"

    def _as_postgres(self, *command, check=True):
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            check=False,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0 or not check, f"{command[0]}: {done.stdout}{done.stderr}"
        return done

    def create(self) -> None:
        self.directory.mkdir(parents=True)
        shutil.chown(self.directory, "postgres", "postgres")
        self._as_postgres(
            PG_BIN / "initdb", "-D", self.directory, "-A", "trust", "-U", "postgres", "-E", "UTF8"
        )
        self.start()
        self._as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "waypoint_drill")

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            PG_BIN / "pg_ctl",
            "-D",
            self.directory,
            "-o",
            options,
            "-w",
            "-l",
            self.directory / "log",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(
            PG_BIN / "pg_ctl", "-D", self.directory, "-m", mode, "-w", "stop", check=False
        )

    def restart(self) -> None:
        self.stop()
        self.start()


class Redis:
    """A Redis of the drill's own, on its own port, with nothing saved to disk."""

    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(
            lambda: socket.create_connection(("127.0.0.1", self.port), 1).close() is None, 10
        ), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Stage:
    """Waypoint's processes on the drill's own PostgreSQL and Redis, started with one environment
    (``env``: change it before starting a process); their output kept for the report."""

    def __init__(self, directory: Path, postgres: Postgres, redis: Redis):
        self.directory, self.postgres, self.redis = directory, postgres, redis
        self.env = base_env(postgres.url, redis.url, directory / "var")
        self.database = postgres.url.replace("postgres://", "postgresql://")  # for psycopg
        self.processes: dict[str, subprocess.Popen] = {}
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"

    def prepare(self) -> str:
        """Migrate, make the "drill" consultancy and a read-write key for it; the key."""
        self.manage("migrate", "--noinput")
        self.manage(
            "create_consultancy",
            "--name",
            "Drill",
            "--slug",
            "drill",
            "--owner-email",
            "owner@drill.test",
        )
        answer = self.manage(
            "create_api_key", "--consultancy", "drill", "--scopes", "read,write", "--name", "drill"
        )
        return answer.splitlines()[-1]

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Api-Key {key}"}, timeout=30
        )

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "ab")  # noqa: SIM115 - kept open with the process
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def web(self) -> None:
        self._start(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
            ],
        )
        assert wait_until(lambda: httpx.get(f"{self.base}/healthz").status_code == 200, 30), (
            self.log("web")
        )

    def worker(self, name: str = "worker") -> subprocess.Popen:
        return self._start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"{name}@%h",
                "--loglevel",
                "INFO",
            ],
        )

    def beat(self) -> None:
        schedule = self.directory / "beat-schedule"
        self._start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--schedule",
                str(schedule),
            ],
        )

    def kill(self, name: str, how: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, how)
        process.wait(timeout=30)

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)


def client_with_plan(api: httpx.Client) -> str:
    """A client made over the API, with the small plan of the tests; its id."""
    from tests.tenancy import minimal_plan

    created = api.post("/api/v1/clients/", json={"name": "Drill Co", "slug": "drill-co"})
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    planned = api.post(f"/api/v1/clients/{client_id}/plans/", json=minimal_plan())
    assert planned.status_code == 201, planned.text
    return client_id


def post_rows(api: httpx.Client, client_id: str, rows: list[dict]) -> httpx.Response:
    return api.post(
        f"/api/v1/clients/{client_id}/measurements/bulk/",
        content=json.dumps({"measurements": rows}),
        headers={"Content-Type": "application/json"},
    )


@pytest.fixture
def stage(drill_dir):
    """A PostgreSQL cluster and a Redis of the drill's own, and the stage on them; every process
    stopped and both services shut down afterwards."""
    postgres, redis = Postgres(drill_dir / "pg"), Redis(drill_dir / "redis")
    postgres.create()
    redis.start()
    found = Stage(drill_dir, postgres, redis)
    try:
        yield found
    finally:
        found.stop_all()
        redis.stop()
        postgres.stop("immediate")


@pytest.fixture
def drill_dir():
    """A directory the postgres user can reach (pytest's own are private to this user)."""
    directory = Path(tempfile.mkdtemp(prefix="waypoint-drill-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def base_env(database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "CELERY_", "CACHE_", "API_RATE"))
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        WAYPOINT_VAR_DIR=str(var_dir),
        WAYPOINT_OWNER_PASSWORD=PASSWORD,
        LOG_LEVEL="INFO",
        API_RATE_KEY="1000000/min",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    return env
