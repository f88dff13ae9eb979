"""Running manage.py in a child process, in either run mode."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def embedded_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a bare machine: no database, broker or cache configured."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY"):
        env[name] = ""  # empty wins over a developer's .env, which never overrides the process
    env["WAYPOINT_VAR_DIR"] = str(var_dir)
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def settings_probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Print, as JSON, what the settings module decided in the given environment."""
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
        "'name': str(s.DATABASES['default']['NAME']), "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, "
        "'cache': s.CACHES['default']['BACKEND'], 'debug': s.DEBUG, "
        "'time_zone': s.TIME_ZONE, 'languages': [c for c, _ in s.LANGUAGES]}))"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_url(url: str, seconds: float = 60) -> None:
    """Wait until ``url`` answers (any status), or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")
