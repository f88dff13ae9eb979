"""The shared cache (Redis) as an aid, never a dependency.

Rate limits and the count of failed API keys live in the cache so that every web process sees
the same numbers. When the cache cannot be reached, the API must still answer and still store
what it is sent (the rows and their dirty marks are in PostgreSQL): limits are then not applied
(they fail open), a warning is logged, and for a few seconds this process does not try the
cache again, so an unreachable host does not add its timeout to every request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
CACHE_ERRORS = (RedisError, OSError)
RETRY_AFTER_SECONDS = 10.0
T = TypeVar("T")

_skip_until = 0.0  # monotonic time until which this process leaves the cache alone


def cache_or_default(what: str, default: T, call: Callable[[], T]) -> T:
    """``call()``, or ``default`` when the cache is down (then logged, and skipped for a while
    in this process). ``what`` says in the log what went without the cache."""
    global _skip_until
    if time.monotonic() < _skip_until:
        return default
    try:
        return call()
    except CACHE_ERRORS as exc:
        _skip_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning(
            "The cache is unreachable (%s: %s) for %s: rate limits are not applied for the "
            "next %d s.",
            type(exc).__name__,
            exc,
            what,
            RETRY_AFTER_SECONDS,
        )
        return default


def cache_reset_backoff() -> None:
    """Try the cache again at the next call (for tests and after a configuration change)."""
    global _skip_until
    _skip_until = 0.0
