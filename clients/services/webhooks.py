"""Webhooks through an outbox.

The service that causes an event calls ``webhook_emit`` inside its own transaction: one
``WebhookDelivery`` row per matching subscription, with the exact JSON body. Nothing is sent
inside the transaction, so an event whose cause rolls back sends nothing, and a committed one
survives a broker outage (the sweeper finds it). ``webhook_send`` posts one delivery, signed,
and logs the attempt; a non-2xx answer or a network error is retried with exponential backoff
and jitter up to ``WEBHOOK_MAX_ATTEMPTS``, then the delivery is ``failed``. An event's id is
derived from its cause, so replaying the cause (a task run twice) emits nothing new.

Receivers are checked when a subscription is saved and again before every POST (the POST goes
to the address that was checked): http(s) only, and no loopback, private, link-local, shared or
metadata address unless ``WEBHOOK_ALLOWED_NETWORKS`` names its network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import random
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import simplejson
from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import (
    Client,
    Consultancy,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from clients.principals import Principal
from clients.services.audit import actor_label, audit_record, changed, snapshot

logger = logging.getLogger(__name__)

SEND_TASK = "clients.send_webhook"
PING_EVENT = "ping"
SECRET_PREFIX = "whsec_"  # noqa: S105  (a label, not a secret)
EVENT_NAMESPACE = uuid.UUID("6f1d3c52-1b0e-4c1b-9a55-3f0c1d2e7a10")  # event ids from causes
DELIVERY_KEEP = timedelta(days=30)  # finished deliveries and their attempts are kept this long
EXCERPT = 500  # characters of a response kept in the log
COUNTDOWN_LIMIT = 900  # retries sooner than this are scheduled on the broker; later, the sweeper
SWEEP_LIMIT = 500
SUBSCRIPTION_FIELDS = ("url", "events", "description", "is_active", "client_id")
UPDATABLE_FIELDS = frozenset({"url", "events", "description", "is_active"})


@dataclass(frozen=True)
class WebhookEvent:
    """An event to emit: ``cause`` names what caused it, uniquely (e.g. a run's id), so that the
    same cause is one event however often it is replayed."""

    type: str
    consultancy_id: object
    client_id: object
    cause: str
    data: dict


# --- receivers ----------------------------------------------------------------------------------


def _allowed_networks():
    return [ipaddress.ip_network(net) for net in settings.WEBHOOK_ALLOWED_NETWORKS]


# IPv6 ranges that carry an IPv4 address inside them (NAT64, 6to4, Teredo, IPv4-compatible and
# -translated): through a gateway they reach that IPv4 address, which may be internal.
TUNNELLED = [
    ipaddress.ip_network(net)
    for net in (
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "::/96",
        "::ffff:0:0:0/96",
    )
]


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    address = getattr(address, "ipv4_mapped", None) or address
    if any(address.version == net.version and address in net for net in _allowed_networks()):
        return False
    if address.version == 6 and any(address in network for network in TUNNELLED):
        return True
    # Not globally routable covers loopback, private, link-local (and so the cloud metadata
    # address 169.254.169.254), shared, documentation and reserved ranges.
    return not address.is_global or address.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class Receiver:
    """Where a POST goes: ``target`` has the checked address in place of the host name; the
    request names the host in ``host_header`` and, over TLS, ``sni_host`` (certificates are
    verified against it)."""

    target: str
    host_header: str
    sni_host: str


def receiver_address(url: str) -> Receiver:
    """The checked address to POST to for ``url``. A ``ValidationError`` on ``url`` says what
    is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname and parts.hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise ValidationError({"url": _("Give a valid URL.")}) from None
    allowed_schemes = ("https",) if settings.WEBHOOK_HTTPS_ONLY else ("http", "https")
    if parts.scheme not in allowed_schemes:
        raise ValidationError(
            {
                "url": _("The URL must start with %(schemes)s.")
                % {"schemes": " or ".join(f"{scheme}://" for scheme in allowed_schemes)}
            }
        )
    if not host:
        raise ValidationError({"url": _("The URL has no host.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("The URL must not hold a user name or password.")})
    addresses = _addresses(host, port)
    if not addresses:
        raise ValidationError({"url": _("The host %(host)s cannot be found.") % {"host": host}})
    if any(_refused(ipaddress.ip_address(address.split("%")[0])) for address in addresses):
        # The address itself is not said: the answer must not map an internal network.
        raise ValidationError(
            {
                "url": _(
                    "The host %(host)s has a loopback, private, link-local or other internal "
                    "address; webhooks go to public addresses only."
                )
                % {"host": host}
            }
        )

    def bracketed(name: str) -> str:
        return f"[{name}]" if ":" in name else name

    port_part = f":{parts.port}" if parts.port else ""
    target = urlunsplit(parts._replace(netloc=bracketed(addresses[0]) + port_part))
    return Receiver(target=target, host_header=bracketed(host) + port_part, sni_host=host)


def _check_events(events) -> list[str]:
    known = set(WebhookSubscription.Event.values)
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": _("Name at least one event.")})
    unknown = [event for event in events if event not in known]
    if unknown:
        raise ValidationError(
            {"events": _("Unknown event: %(events)s.") % {"events": ", ".join(map(str, unknown))}}
        )
    return sorted(set(events), key=WebhookSubscription.Event.values.index)


# --- subscriptions ------------------------------------------------------------------------------


def _audited(subscription: WebhookSubscription) -> dict:
    """A subscription as the audit log keeps it: the URL without its query or fragment, which
    may hold a token (the log is read by the client's people too)."""
    return {**snapshot(subscription, SUBSCRIPTION_FIELDS), "url": subscription.url_shown}


@transaction.atomic
def webhook_create(
    *,
    consultancy: Consultancy,
    url: str,
    events: list[str],
    client: Client | None = None,
    description: str = "",
    actor: Principal | None,
) -> tuple[WebhookSubscription, str]:
    """A subscription; returns it with its signing secret, which is not shown again."""
    if client is not None and client.consultancy_id != consultancy.pk:
        raise ValidationError({"client": _("The client belongs to another consultancy.")})
    receiver_address(url)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        consultancy=consultancy,
        client=client,
        url=url,
        events=_check_events(events),
        description=description,
        secret=secret,
        created_by=actor_label(actor),
    )
    subscription.full_clean()
    subscription.save()
    audit_record(
        actor=actor,
        action="webhook.created",
        obj=subscription,
        consultancy=consultancy,
        client=client,
        after=_audited(subscription),
    )
    return subscription, secret


@transaction.atomic
def webhook_update(
    *, subscription: WebhookSubscription, actor: Principal | None, **fields
) -> WebhookSubscription:
    """Change a subscription's URL, events, description or active flag. The consultancy and the
    client it is narrowed to are fixed when it is made: who may see it and its deliveries
    follows from them."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"Not changeable on a webhook: {sorted(unknown)}")
    before = _audited(subscription)
    if "url" in fields:
        receiver_address(fields["url"])
    if "events" in fields:
        fields["events"] = _check_events(fields["events"])
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    old, new = changed(before, _audited(subscription))
    if new:
        audit_record(
            actor=actor,
            action="webhook.updated",
            obj=subscription,
            consultancy=subscription.consultancy,
            client=subscription.client,
            before=old,
            after=new,
        )
    return subscription


@transaction.atomic
def webhook_delete(*, subscription: WebhookSubscription, actor: Principal | None) -> None:
    """Remove a subscription and its delivery log."""
    audit_record(
        actor=actor,
        action="webhook.deleted",
        obj=subscription,
        consultancy=subscription.consultancy,
        client=subscription.client,
        before=_audited(subscription),
    )
    subscription.delete()


# --- emitting -----------------------------------------------------------------------------------


def event_id(event_type: str, cause: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{cause}")


def _body(event_type: str, event_uuid: uuid.UUID, client_id, data: dict, at) -> str:
    document = {
        "id": str(event_uuid),
        "type": event_type,
        "created_at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "client": None if client_id is None else str(client_id),
        "data": data,
    }
    # Numbers as JSON numbers, digit for digit, as the API writes them.
    return simplejson.dumps(
        document,
        use_decimal=True,
        default=DjangoJSONEncoder().default,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def webhook_emit(*, events: list[WebhookEvent]) -> int:
    """Write the deliveries of ``events`` to the outbox, inside the caller's transaction (call
    it there), and send them once it commits. One query when nobody subscribes; an event
    emitted before for the same cause is skipped. Returns how many deliveries were written."""
    if not events:
        return 0
    subscriptions = list(
        WebhookSubscription.objects.filter(
            consultancy_id__in={event.consultancy_id for event in events}, is_active=True
        )
    )
    if not subscriptions:
        return 0
    now = timezone.now()
    rows = []
    for event in events:
        matching = [
            subscription
            for subscription in subscriptions
            if subscription.consultancy_id == event.consultancy_id
            and subscription.client_id in (None, event.client_id)
            and event.type in subscription.events
        ]
        if not matching:
            continue
        event_uuid = event_id(event.type, event.cause)
        body = _body(event.type, event_uuid, event.client_id, event.data, now)
        rows += [
            WebhookDelivery(
                subscription=subscription,
                client_id=event.client_id,
                event_id=event_uuid,
                event_type=event.type,
                body=body,
                next_attempt_at=now,
                queued_at=now,
            )
            for subscription in matching
        ]
    if not rows:
        return 0
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    _send_after_commit([row.pk for row in rows])
    return len(rows)


def _send_after_commit(delivery_ids, countdown: float | None = None) -> None:
    """Hand the deliveries to the sender once the transaction commits. In embedded mode (no
    broker) they are sent once, from a thread of this process, so that a slow receiver does not
    hold up the request. A broker that cannot be reached leaves them, all of them, to the
    sweeper: the first refusal stops the hand-over, so an outage costs one try, not one per
    delivery."""

    def send():
        if settings.CELERY_TASK_ALWAYS_EAGER:
            threading.Thread(
                target=_send_in_process, args=(list(delivery_ids),), daemon=True
            ).start()
            return
        for delivery_id in delivery_ids:
            try:
                current_app.send_task(
                    SEND_TASK, args=[str(delivery_id)], countdown=countdown, retry=False
                )
            except Exception:
                logger.warning(
                    "Could not hand over webhook deliveries (%d); the sweeper will.",
                    len(delivery_ids),
                )
                return

    transaction.on_commit(send)


def _send_in_process(delivery_ids) -> None:
    from django.db import connection

    try:
        for delivery_id in delivery_ids:
            webhook_send(delivery_id=delivery_id, retry=False)
    except Exception:
        logger.exception("Sending webhook deliveries in-process failed")
    finally:
        connection.close()


# --- sending ------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Waypoint-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def retry_delay(tries: int) -> float:
    """Seconds to wait after the ``tries``-th failed attempt: three times longer each time,
    with ±20% jitter so receivers coming back up are not hit by every sender at once. With the
    default base of 60 s, eight tries span about 18 hours."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 3 ** (tries - 1)
    return base * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not a secret)


@dataclass
class _Outcome:
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _clean(text: str) -> str:
    """Text as the log can store it (PostgreSQL refuses NUL), cut to size."""
    return text.replace("\x00", "")[:EXCERPT]


def _post(delivery: WebhookDelivery, deadline: float) -> _Outcome:
    """POST the delivery to its checked address, within ``deadline`` seconds in all: a receiver
    that trickles its answer is cut off (httpx's own timeouts are per read)."""
    subscription = delivery.subscription
    started = time.monotonic()
    outcome = _Outcome()
    http = httpx.Client(
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
    )
    watchdog = threading.Timer(deadline, http.close)
    watchdog.daemon = True
    try:
        receiver = receiver_address(subscription.url)
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Waypoint-Webhooks/1",
            "Host": receiver.host_header,
            "Waypoint-Event": delivery.event_type,
            "Waypoint-Delivery": str(delivery.pk),
            "Waypoint-Signature": signature(subscription.secret, int(time.time()), body),
        }
        watchdog.start()
        with http.stream(
            "POST",
            receiver.target,
            content=body,
            headers=headers,
            extensions={"sni_hostname": receiver.sni_host},
        ) as response:
            outcome.status_code = response.status_code
            received = b""
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= EXCERPT * 4 or time.monotonic() - started > deadline:
                    break
            outcome.excerpt = _clean(received.decode("utf-8", "replace"))
    except ValidationError as exc:
        outcome.error = _clean(" ".join(exc.messages))
    except Exception as exc:  # anything the receiver or the network did: a failed attempt
        if time.monotonic() - started >= deadline:
            outcome.error = _clean(f"Deadline: no complete answer within {deadline:g} s")
        else:
            outcome.error = _clean(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, DatabaseError):
            raise
    finally:
        watchdog.cancel()
        http.close()
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _deadline() -> float:
    """The longest one POST may take, start to end."""
    return 2 * settings.WEBHOOK_TIMEOUT_SECONDS


def webhook_send(*, delivery_id, retry: bool = True) -> WebhookAttempt | None:
    """POST one due delivery and log the attempt. The delivery is claimed first, so two senders
    never post it at once; a finished one, one not yet due, or one claimed by another sender is
    left alone (None). A failure is retried after ``retry_delay`` until ``WEBHOOK_MAX_ATTEMPTS``,
    then the delivery fails; with ``retry=False`` (no worker to retry it) it fails at once."""
    now = timezone.now()
    deadline = _deadline()
    # The claim outlasts any POST, and its time is the claim's token: the outcome is written
    # only while the claim is still this sender's.
    token = now + timedelta(seconds=4 * deadline + 60)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=token)
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    if not delivery.subscription.is_active:
        outcome = _Outcome(error=_("The webhook is paused."))
    else:
        outcome = _post(delivery, deadline)
    tries = delivery.tries + 1
    fields = {"tries": tries, "last_status_code": outcome.status_code, "claimed_until": None}
    delay = None
    if outcome.ok:
        fields.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=timezone.now())
        fields["next_attempt_at"] = None
    elif (
        not retry  # embedded mode, or a ping: nothing will try it again by itself
        or tries >= settings.WEBHOOK_MAX_ATTEMPTS
        or delivery.event_type == PING_EVENT
        or not delivery.subscription.is_active
    ):
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        delay = retry_delay(tries)
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
        if delay <= COUNTDOWN_LIMIT:  # on the broker; the sweeper leaves it alone till then
            fields["queued_at"] = fields["next_attempt_at"]
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        still_ours = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_until=token).update(
            **fields
        )
        if still_ours and delay is not None and delay <= COUNTDOWN_LIMIT:
            _send_after_commit([delivery.pk], countdown=delay)
    return attempt


def webhooks_sweep(*, now=None) -> int:
    """Hand due pending deliveries to the sender: those whose first hand-over was lost (a broker
    outage), whose retry is further off than the broker should hold a message, or whose sender
    died. One handed over in the last ``WEBHOOK_SWEEP_LEASE_SECONDS`` is left alone, so a
    backlog is not sent again every minute. Returns how many."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.WEBHOOK_SWEEP_LEASE_SECONDS)
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - lease))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_LIMIT]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(queued_at=now)
        _send_after_commit(due)
    return len(due)


@transaction.atomic
def webhook_redeliver(*, deliveries, actor: Principal | None) -> int:
    """Queue deliveries again (failed or delivered), under the same delivery id, with a fresh
    set of tries. One being sent right now is left to finish. Returns how many."""
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries])
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING,
        tries=0,
        next_attempt_at=now,
        queued_at=now,
        claimed_until=None,
    )
    for delivery in deliveries:
        if delivery.pk in ids:
            audit_record(
                actor=actor,
                action="webhook.redelivered",
                obj=delivery,
                consultancy=delivery.subscription.consultancy,
                client=delivery.client,
            )
    _send_after_commit(ids)
    return len(ids)


def webhook_deliveries_purge(*, older_than: timedelta = DELIVERY_KEEP) -> int:
    """Drop finished deliveries (and their attempts) older than ``older_than``; pending ones
    stay whatever their age. Returns how many."""
    cutoff = timezone.now() - older_than
    count, _by_model = (
        WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING)
        .filter(created_at__lt=cutoff)
        .delete()
    )
    return count


def webhook_ping(*, subscription: WebhookSubscription, actor: Principal | None) -> WebhookDelivery:
    """Send a ``ping`` event to the subscription now, once (no retries), and return the logged
    delivery with its attempt."""
    now = timezone.now()
    event_uuid = uuid.uuid4()
    data = {"webhook": str(subscription.pk)}
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        client=subscription.client,
        event_id=event_uuid,
        event_type=PING_EVENT,
        body=_body(PING_EVENT, event_uuid, subscription.client_id, data, now),
        next_attempt_at=now,
        queued_at=now,
    )
    webhook_send(delivery_id=delivery.pk, retry=False)
    delivery.refresh_from_db()
    return delivery
