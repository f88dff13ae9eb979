"""Partner API keys: made and revoked with an audit entry, authenticated in constant time, and
failed attempts counted per address so that guessing is stopped (429) past a limit.

Only a hash of a key's secret is stored; the key is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from clients.cache import cache_or_default
from clients.models import ApiKey, Client, Consultancy
from clients.principals import Principal
from clients.services.audit import audit_record

logger = logging.getLogger(__name__)
API_KEY_PREFIX = "wp"
# last_used_at is informational; refreshing it at most this often keeps a partner's request
# storm from turning every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
FAILURES_CACHE_KEY = "api-key-failures:{address}"


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    consultancy: Consultancy,
    name: str,
    scopes: str,
    client: Client | None = None,
    expires_at: datetime | None = None,
    actor: Principal | None,
) -> tuple[ApiKey, str]:
    """Make a key; returns it with the plain key, which is never stored nor shown again."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        consultancy=consultancy,
        client=client,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        scopes=scopes,
        expires_at=expires_at,
        created_by=actor.user if actor else None,
    )
    key.full_clean()
    key.save()
    audit_record(
        actor=actor,
        action="api_key.created",
        obj=key,
        consultancy=consultancy,
        client=client,
        after={
            "name": name,
            "prefix": prefix,
            "scopes": scopes,
            "client": str(client.pk) if client else None,
            "expires_at": expires_at,
        },
    )
    return key, f"{API_KEY_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Principal | None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_key.revoked",
            obj=api_key,
            consultancy=api_key.consultancy,
            client=api_key.client,
            after={"revoked_at": api_key.revoked_at},
        )
    return api_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key this string is, or None. Constant-time on the secret."""
    from clients.selectors import api_key_by_prefix

    label, _, rest = raw_key.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if label != API_KEY_PREFIX or not prefix or not secret:
        return None
    key = api_key_by_prefix(prefix)
    # Hash even when no row matched, so the answer takes as long either way.
    presented = _hash_secret(secret)
    if key is None or not hmac.compare_digest(presented, key.secret_hash):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- failed attempts ----------------------------------------------------------------------------


def api_key_failures_blocked(*, address: str) -> bool:
    """Whether this address failed ``API_KEY_FAILURE_LIMIT`` times within the lockout window:
    then every key it presents is refused (429) until the window passes. With the cache down
    nothing is counted and nobody is blocked (the cache module logs it)."""
    failures = cache_or_default(
        "the limit on failed API keys",
        0,
        lambda: cache.get(FAILURES_CACHE_KEY.format(address=address), 0),
    )
    return failures >= settings.API_KEY_FAILURE_LIMIT


def api_key_failure_record(*, address: str) -> None:
    """Count one failed key from this address; the count lasts the lockout window from the
    address's first failure."""
    key = FAILURES_CACHE_KEY.format(address=address)

    def count():
        if not cache.add(key, 1, timeout=settings.API_KEY_LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls: this is the first again
                cache.set(key, 1, timeout=settings.API_KEY_LOCKOUT_SECONDS)

    cache_or_default("the limit on failed API keys", None, count)
