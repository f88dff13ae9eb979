"""Writes for tenancy: consultancies, clients, people and keys — each with its audit entry.

Every function takes keyword arguments, owns its transaction and records who did it. ``actor`` is
the acting principal, or None for the operator at the command line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clients import jobs
from clients.models import (
    ApiKey,
    AuditLogEntry,
    Client,
    ClientAssignment,
    ClientMembership,
    Consultancy,
    ConsultancyMembership,
    DirtyMark,
    IdempotencyKey,
    Job,
    User,
)
from clients.principals import Principal

API_KEY_PREFIX = "wp"
# last_used_at is informational; refreshing it at most this often keeps a partner's request
# storm from turning every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
CLIENT_FIELDS = (
    "name",
    "slug",
    "industry",
    "business_model",
    "currency",
    "timezone",
    "fiscal_year_start_month",
    "status",
)


# --- audit --------------------------------------------------------------------------------------


def _json_safe(data):
    return None if data is None else json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def snapshot(obj, fields) -> dict:
    return _json_safe({name: getattr(obj, name) for name in fields})


def audit_record(
    *,
    actor: Principal | None,
    action: str,
    obj,
    consultancy: Consultancy,
    client: Client | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        consultancy=consultancy,
        client=client,
        actor_user=actor.user if actor else None,
        actor_api_key=actor.api_key if actor else None,
        actor_label=actor.label if actor else "system (manage.py)",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=_json_safe(before),
        after=_json_safe(after),
    )


# --- people -------------------------------------------------------------------------------------


def user_get_or_create(*, email: str, password: str | None = None, full_name: str = "") -> User:
    """The user with this e-mail; created (password unusable when none is given) if missing."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is not None:
        return user
    user = User(email=User.objects.normalize_email(email.strip()).lower(), full_name=full_name)
    user.set_password(password)  # None gives an unusable password: set one by password reset
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def consultancy_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None,
    timezone_name: str = "Asia/Tokyo",
    currency: str = "JPY",
    actor: Principal | None = None,
) -> Consultancy:
    consultancy = Consultancy(name=name, slug=slug, timezone=timezone_name, currency=currency)
    consultancy.full_clean()
    consultancy.save()
    audit_record(
        actor=actor,
        action="consultancy.created",
        obj=consultancy,
        consultancy=consultancy,
        after=snapshot(consultancy, ["name", "slug", "timezone", "currency"]),
    )
    owner = user_get_or_create(email=owner_email, password=owner_password)
    consultancy_member_set(
        consultancy=consultancy, user=owner, role=ConsultancyMembership.Role.OWNER, actor=actor
    )
    return consultancy


def _role_set(model, *, where: dict, user: User, role: str, actor, audit_as: str, **audit_scope):
    """Give ``user`` a role in a consultancy or a client (``where`` names which), audited."""
    if role not in model.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}: one of {model.Role.values}."})
    membership = model.objects.filter(user=user, **where).first()
    before = snapshot(membership, ["role"]) if membership else None
    if membership is None:
        membership = model(user=user, **where)
    membership.role = role
    membership.save()
    audit_record(
        actor=actor,
        action=f"{audit_as}.updated" if before else f"{audit_as}.created",
        obj=membership,
        before=before,
        after={"user": user.email, "role": role},
        **audit_scope,
    )
    return membership


@transaction.atomic
def consultancy_member_set(
    *, consultancy: Consultancy, user: User, role: str, actor: Principal | None
) -> ConsultancyMembership:
    """Give the user this role in the consultancy (members sign in to the admin)."""
    membership = _role_set(
        ConsultancyMembership,
        where={"consultancy": consultancy},
        user=user,
        role=role,
        actor=actor,
        audit_as="consultancy_membership",
        consultancy=consultancy,
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def consultancy_member_remove(*, membership: ConsultancyMembership, actor: Principal | None):
    consultancy, user = membership.consultancy, membership.user
    ClientAssignment.objects.filter(user=user, client__consultancy=consultancy).delete()
    audit_record(
        actor=actor,
        action="consultancy_membership.deleted",
        obj=membership,
        consultancy=consultancy,
        before={"user": user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def client_assign(*, client: Client, user: User, actor: Principal | None) -> ClientAssignment:
    """Assign a consultant of the client's consultancy to the client."""
    assignment = ClientAssignment.objects.filter(client=client, user=user).first()
    if assignment is None:
        assignment = ClientAssignment(client=client, user=user)
        assignment.full_clean()
        assignment.save()
        audit_record(
            actor=actor,
            action="client_assignment.created",
            obj=assignment,
            consultancy=client.consultancy,
            client=client,
            after={"user": user.email},
        )
    return assignment


@transaction.atomic
def client_member_set(
    *, client: Client, user: User, role: str, actor: Principal | None
) -> ClientMembership:
    return _role_set(
        ClientMembership,
        where={"client": client},
        user=user,
        role=role,
        actor=actor,
        audit_as="client_membership",
        consultancy=client.consultancy,
        client=client,
    )


@transaction.atomic
def client_member_remove(*, membership: ClientMembership, actor: Principal | None) -> None:
    client = membership.client
    audit_record(
        actor=actor,
        action="client_membership.deleted",
        obj=membership,
        consultancy=client.consultancy,
        client=client,
        before={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


CONSULTANCY_FIELDS = ("name", "timezone", "currency", "status_tolerance")


@transaction.atomic
def consultancy_update(*, consultancy: Consultancy, actor: Principal | None, **fields):
    """Edit a consultancy; a new status tolerance re-judges every client's scorecards."""
    unknown = set(fields) - set(CONSULTANCY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown consultancy fields: {sorted(unknown)}")
    before = snapshot(consultancy, fields)
    for name, value in fields.items():
        setattr(consultancy, name, value)
    consultancy.full_clean()
    after = snapshot(consultancy, fields)
    if after == before:
        return consultancy
    consultancy.save()
    if before.get("status_tolerance") != after.get("status_tolerance"):
        clients_mark_dirty(client_ids=list(consultancy.clients.values_list("pk", flat=True)))
    audit_record(
        actor=actor,
        action="consultancy.updated",
        obj=consultancy,
        consultancy=consultancy,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return consultancy


# --- clients ------------------------------------------------------------------------------------


def _client_validate(client: Client) -> None:
    taken = (
        Client.objects.filter(consultancy_id=client.consultancy_id, slug=client.slug)
        .exclude(pk=client.pk)
        .exists()
    )
    if taken:
        raise ValidationError({"slug": f"The consultancy already has a client {client.slug!r}."})
    client.full_clean()


@transaction.atomic
def client_create(*, consultancy: Consultancy, actor: Principal | None, **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown client fields: {sorted(unknown)}")
    fields.setdefault("currency", consultancy.currency)
    fields.setdefault("timezone", consultancy.timezone)
    client = Client(consultancy=consultancy, **fields)
    _client_validate(client)
    client.save()
    audit_record(
        actor=actor,
        action="client.created",
        obj=client,
        consultancy=consultancy,
        client=client,
        after=snapshot(client, CLIENT_FIELDS),
    )
    return client


@transaction.atomic
def client_update(*, client: Client, actor: Principal | None, **fields) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown client fields: {sorted(unknown)}")
    before = snapshot(client, fields)
    for name, value in fields.items():
        setattr(client, name, value)
    _client_validate(client)
    after = snapshot(client, fields)
    if after != before:
        client.save()
        if "timezone" in fields and before["timezone"] != after["timezone"]:
            clients_mark_dirty(client_ids=[client.pk])  # "today" and "closed" move with it
        audit_record(
            actor=actor,
            action="client.updated",
            obj=client,
            consultancy=client.consultancy,
            client=client,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return client


# --- API keys -----------------------------------------------------------------------------------


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


# --- dirty marks ---------------------------------------------------------------------------------

_MARK_SQL = """
INSERT INTO clients_dirtymark (client_id, marked_at, dirty_from, dirty_to)
VALUES (%s, %s, %s, %s)
ON CONFLICT (client_id) DO UPDATE SET
    marked_at = excluded.marked_at,
    dirty_from = CASE
        WHEN clients_dirtymark.dirty_from IS NULL OR excluded.dirty_from IS NULL THEN NULL
        ELSE {least}(clients_dirtymark.dirty_from, excluded.dirty_from) END,
    dirty_to = CASE
        WHEN clients_dirtymark.dirty_to IS NULL OR excluded.dirty_to IS NULL THEN NULL
        ELSE {greatest}(clients_dirtymark.dirty_to, excluded.dirty_to) END
"""


def clients_mark_dirty(*, client_ids, dirty_from=None, dirty_to=None) -> None:
    """Mark the clients' computed results stale, widening any outstanding mark. Call it inside
    the transaction of the change, so the mark exists exactly when the change does. No dates
    mean everything may have changed (e.g. a metric definition)."""
    from django.db import connection

    vendor_functions = {"postgresql": ("LEAST", "GREATEST"), "sqlite": ("MIN", "MAX")}
    least, greatest = vendor_functions[connection.vendor]
    now = timezone.now()
    to_db = Client._meta.pk.get_db_prep_value  # UUIDs are text on SQLite
    with connection.cursor() as cursor:
        cursor.executemany(
            _MARK_SQL.format(least=least, greatest=greatest),
            [(to_db(client_id, connection), now, dirty_from, dirty_to) for client_id in client_ids],
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker, no beat (embedded mode): dispatch once the change commits.
        transaction.on_commit(dirty_marks_dispatch)


IDEMPOTENCY_KEEP = timedelta(hours=24)  # how long a replayable response is kept

# --- idempotency ---------------------------------------------------------------------------------


class IdempotencyMismatch(Exception):
    """The key was used before for a different request."""


def idempotency_claim(
    *, principal: Principal, key: str, request_hash: str
) -> tuple[IdempotencyKey, bool]:
    """Claim ``key`` for this principal inside the caller's transaction.

    Returns the row and whether this request owns it (True) or it holds a finished earlier
    response to replay (False). A concurrent request with the same key waits on the unique index
    until the first commits, then replays it.
    """
    claim, created = IdempotencyKey.objects.get_or_create(
        principal=principal.throttle_ident, key=key, defaults={"request_hash": request_hash}
    )
    if not created and claim.request_hash != request_hash:
        raise IdempotencyMismatch(key)
    return claim, created


def idempotency_store(*, claim: IdempotencyKey, status: int, body) -> None:
    claim.response_status, claim.response_body = status, _json_safe(body)
    claim.save(update_fields=["response_status", "response_body"])


# --- jobs ---------------------------------------------------------------------------------------

logger = logging.getLogger(__name__)
QUEUED_GRACE = timedelta(minutes=5)  # a job still queued this long after enqueueing was lost
HEARTBEAT_EVERY = timedelta(seconds=10)
HEARTBEAT_GRACE = timedelta(minutes=2)  # a running job silent this long has lost its worker
REDISPATCH_AFTER = timedelta(hours=1)  # a mark still there this long after dispatch: again


def job_create(
    *, kind: str, client: Client | None = None, params=None, result_url="", actor=None
) -> Job:
    """A queued job, enqueued once the caller's transaction commits (never before the rows the
    task will read exist)."""
    job = Job.objects.create(
        kind=kind,
        client=client,
        params=params or {},
        result_url=result_url,
        requested_by=actor_label(actor),
        enqueued_at=timezone.now(),
    )
    job_enqueue(job=job)
    return job


def actor_label(actor: Principal | None) -> str:
    """Who did it, for a row's "requested by": a user's e-mail or a key's prefix."""
    return "" if actor is None else actor.label[:200]


def job_enqueue(*, job: Job) -> None:
    """Send the job's task after commit (the caller stamps ``enqueued_at``). If the broker is
    down the job stays ``queued`` and the sweeper sends it again: nothing is lost."""
    job_id = str(job.pk)
    kind = job.kind

    def send():
        try:
            jobs.runner(kind).apply_async(args=[job_id])
        except Exception:  # any broker failure: the sweeper retries
            if settings.CELERY_TASK_ALWAYS_EAGER:
                raise  # in-process: the error is the task's own; let the caller see it
            logger.warning("Could not enqueue job %s (%s); the sweeper will retry.", job_id, kind)

    transaction.on_commit(send)


def job_start(*, job_id) -> Job | None:
    """Claim the job for this run. None when it is finished already (a re-delivered task) or
    gone. A ``running`` job is taken over: its message came back because its worker died."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED):
            return None
        now = timezone.now()
        job.status, job.started_at, job.heartbeat_at = Job.Status.RUNNING, now, now
        job.attempts += 1
        job.error = ""
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "error"])
        return job


def job_progress(*, job_id, progress: int) -> None:
    Job.objects.filter(pk=job_id).update(
        progress=max(0, min(100, progress)), heartbeat_at=timezone.now()
    )


def job_finish(*, job_id, error: str = "", result=None) -> None:
    fields = {"finished_at": timezone.now(), "heartbeat_at": timezone.now(), "result": result}
    if error:
        fields.update(status=Job.Status.FAILED, error=error[:10_000])
    else:
        fields.update(status=Job.Status.SUCCEEDED, progress=100, error="")
    Job.objects.filter(pk=job_id).update(**fields)


class job_heartbeat:  # a context manager, named like a function
    """Beat the job's heartbeat from a thread while the work runs (the work itself sits in one
    long transaction, whose writes nobody sees before it commits)."""

    def __init__(self, job_id, every: timedelta = HEARTBEAT_EVERY):
        self.job_id, self.every = job_id, every.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        from django.db import connection

        try:
            while not self._stop.wait(self.every):
                Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a missed beat only delays the sweeper's verdict
            logger.exception("Heartbeat of job %s failed", self.job_id)
        finally:
            connection.close()

    def __enter__(self):
        if not settings.CELERY_TASK_ALWAYS_EAGER:  # in-process runs are short and synchronous
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def jobs_sweep(*, now: datetime | None = None) -> int:
    """Re-enqueue jobs left ``queued`` (their message was lost: a broker outage, a crash before
    sending) and ``running`` ones whose heartbeat stopped (their worker died). Returns how many."""
    now = now or timezone.now()
    lost = Job.objects.filter(
        Q(status=Job.Status.QUEUED)
        & (Q(enqueued_at__lt=now - QUEUED_GRACE) | Q(enqueued_at__isnull=True))
        & Q(created_at__lt=now - QUEUED_GRACE)
        | Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - HEARTBEAT_GRACE)
    )
    count = 0
    for job in lost.order_by("created_at")[:1000]:
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, enqueued_at=now)
            job_enqueue(job=job)
        count += 1
    return count


def dirty_marks_dispatch(*, limit: int = 1000) -> int:
    """Turn dirty marks into recompute jobs, one per client. Marks written in a burst are one
    row per client, so the burst is one job; a client whose job is still queued gets none (the
    queued job will read the newest inputs). Marks stay until a recompute that started after
    them succeeds, so a broker outage loses nothing."""
    now = timezone.now()
    with transaction.atomic():
        marks = list(
            DirtyMark.objects.select_for_update(skip_locked=True)
            .filter(
                Q(dispatched_at__isnull=True)
                | Q(dispatched_at__lt=F("marked_at"))
                | Q(dispatched_at__lt=now - REDISPATCH_AFTER)  # its recompute failed: try again
            )
            .select_related("client")
            .order_by("marked_at")[:limit]
        )
        if not marks:
            return 0
        waiting = set(
            Job.objects.filter(
                kind=jobs.DIRTY_KIND,
                status=Job.Status.QUEUED,
                client_id__in=[mark.client_id for mark in marks],
            ).values_list("client_id", flat=True)
        )
        for mark in marks:
            if mark.client_id not in waiting:
                job_create(kind=jobs.DIRTY_KIND, client=mark.client, params={"reason": "dirty"})
        DirtyMark.objects.filter(pk__in=[mark.pk for mark in marks]).update(dispatched_at=now)
    return len(marks)


def dirty_marks_clear(*, marks) -> None:
    """A recompute succeeded that read these clients' marks before its inputs: ``marks`` is
    (client id, marked_at as read; None for no mark) pairs. A mark goes only if it is still the
    one read: a change during the recompute re-stamped it (its writer holds the row until it
    commits), so it stays for the next round. One query."""
    condition = Q()
    for client_id, marked_at in marks:
        if marked_at is not None:
            condition |= Q(client_id=client_id, marked_at=marked_at)
    if condition:
        DirtyMark.objects.filter(condition).delete()


def idempotency_keys_purge(*, older_than: timedelta = IDEMPOTENCY_KEEP) -> int:
    """Forget idempotency keys past the window in which a partner may retry a request."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
