"""Process probes for load balancers and orchestrators: /healthz and /readyz."""

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from clients.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2


@never_cache
@require_GET
def healthz(request):
    """The process is alive and answering; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Ready to serve: the database and the broker both answer (503 names what is down). The
    cache is checked and reported too, but a process without it still serves (rate limits
    fail open), so it alone does not make the answer 503."""
    checks = {"database": _check_database(), "broker": _check_broker(), "cache": _check_cache()}
    ready = checks["database"]["ok"] and checks["broker"]["ok"]
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("readyz: database unreachable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _check_cache() -> dict:
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return {"ok": True, "mode": "in-process"}
    try:
        backend.get("readyz-probe")
    except CACHE_ERRORS as exc:
        logger.warning("readyz: cache unreachable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "in-process"}
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=PROBE_TIMEOUT_SECONDS,
            transport_options={
                "socket_connect_timeout": PROBE_TIMEOUT_SECONDS,
                "socket_timeout": PROBE_TIMEOUT_SECONDS,
            },
        ) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2)
    except Exception as exc:
        logger.warning("readyz: broker unreachable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}
