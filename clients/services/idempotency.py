"""Idempotency keys: a request retried with the same ``Idempotency-Key`` gets the first
response back instead of being applied twice. Keys are kept for a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from clients.models import IdempotencyKey
from clients.principals import Principal
from clients.services.audit import json_safe

IDEMPOTENCY_KEEP = timedelta(hours=24)  # how long a replayable response is kept
MAX_KEY_LENGTH = 255


class IdempotencyMismatch(Exception):
    """The key was used before for a different request."""


class Answer(NamedTuple):
    status: int
    body: object
    replayed: bool = False  # the stored answer to an earlier request with the same key


def idempotent_call(
    *, principal: Principal, key: str, request_hash: str, call: Callable[[], tuple[int, object]]
) -> Answer:
    """``call()`` → (status, body), once per key: in one transaction, the key is claimed, the
    call made and its response stored with it. A retry with the same key and request gets the
    stored response (``replayed``) and nothing is done again; a concurrent retry waits on the
    key's unique index until the first commits, then gets its response. An error in ``call``
    rolls the claim back with everything else, so the key can be used again. Without a key, just
    ``call()``. Raises ``IdempotencyMismatch`` when the key was used for a different request."""
    if not key:
        return Answer(*call())
    with transaction.atomic():
        claim, created = IdempotencyKey.objects.get_or_create(
            principal=principal.throttle_ident, key=key, defaults={"request_hash": request_hash}
        )
        if not created:
            if claim.request_hash != request_hash:
                raise IdempotencyMismatch(key)
            return Answer(claim.response_status, claim.response_body, replayed=True)
        status, body = call()
        claim.response_status, claim.response_body = status, json_safe(body)
        claim.save(update_fields=["response_status", "response_body"])
        return Answer(status, body)


def idempotency_keys_purge(*, older_than: timedelta = IDEMPOTENCY_KEEP) -> int:
    """Forget idempotency keys past the window in which a partner may retry a request."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
