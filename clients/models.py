"""Who may sign in and which consultancy they belong to.

The user model is custom from the first migration: people sign in with their e-mail address.
A consultancy is the SaaS account; its members hold one role each.
"""

import re
import uuid
import zoneinfo
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.exactjson import ExactJSONField
from clients.labels import audit_action_label, job_kind_label


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_currency(value):
    if not re.fullmatch(r"[A-Z]{3}", value or ""):
        raise ValidationError(_("Give a three-letter ISO 4217 code such as JPY or USD."))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # E-mail addresses are matched without regard to case at sign-in.
        return self.get(email__iexact=username)

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("May sign in to the consultants' admin.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Consultancy(models.Model):
    """The SaaS account: a consulting firm and the clients it advises."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Tokyo", validators=[validate_timezone]
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="JPY", validators=[validate_currency]
    )
    status_tolerance = models.DecimalField(
        _("status tolerance"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("Attainment at or above this share of target is at risk, below it off track."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("consultancy")
        verbose_name_plural = _("consultancies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ConsultancyMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        CONSULTANT = "consultant", _("Consultant")

    consultancy = models.ForeignKey(
        Consultancy,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("consultancy"),
    )
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="consultancy_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("consultancy membership")
        verbose_name_plural = _("consultancy memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["consultancy", "user"], name="consultancy_membership_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.consultancy}"


class Client(models.Model):
    """A client company a consultancy advises. Every client-owned row carries its id."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultancy = models.ForeignKey(
        Consultancy, on_delete=models.PROTECT, related_name="clients", verbose_name=_("consultancy")
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    business_model = models.CharField(_("business model"), max_length=100, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, default="JPY", validators=[validate_currency]
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Tokyo", validators=[validate_timezone]
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # When a measurement of the client was last written (created or changed): kept by the
    # measurement service in the write's own transaction, so the portfolio reads one column
    # instead of searching every client's measurements.
    last_measurement_at = models.DateTimeField(
        _("data last received"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["consultancy", "slug"], name="client_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1)
                & models.Q(fiscal_year_start_month__lte=12),
                name="client_fiscal_month_range",
            ),
        ]

    def __str__(self):
        return self.name


class ClientAssignment(models.Model):
    """A consultant of the client's consultancy who works on (and so sees) this client."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("client")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="client_assignments", verbose_name=_("user")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("consultant assignment")
        verbose_name_plural = _("consultant assignments")
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="client_assignment_unique"),
        ]

    def __str__(self):
        return f"{self.user} → {self.client}"

    def clean(self):
        super().clean()
        if self.client_id and self.user_id:
            member = ConsultancyMembership.objects.filter(
                consultancy_id=self.client.consultancy_id, user_id=self.user_id
            ).exists()
            if not member:
                raise ValidationError(
                    {"user": _("Only members of the client's consultancy can be assigned.")}
                )


class ClientMembership(models.Model):
    """A person on the client's side who reads (viewer) or also writes (editor) its data."""

    class Role(models.TextChoices):
        VIEWER = "viewer", _("Viewer")
        EDITOR = "editor", _("Editor")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("client")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="client_memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("client membership")
        verbose_name_plural = _("client memberships")
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="client_membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.client}"


class ApiKey(models.Model):
    """A partner tool's key. Only a hash of the secret is kept; the key is shown once.

    The key reads ``wp_<prefix>_<secret>``: the prefix finds the row, the secret is compared
    with the stored SHA-256 in constant time. A fast hash is right here because the secret is
    256 random bits, not a password a person chose.
    """

    class Scopes(models.TextChoices):
        READ = "read", _("read")
        READ_WRITE = "read,write", _("read, write")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultancy = models.ForeignKey(
        Consultancy,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("consultancy"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="api_keys",
        null=True,
        blank=True,
        help_text=_("Leave empty for a key that covers every client of the consultancy."),
        verbose_name=_("client"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False, verbose_name=_("secret hash"))
    scopes = models.CharField(_("scopes"), max_length=20, choices=Scopes.choices)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} (wp_{self.prefix}_…)"

    def clean(self):
        super().clean()
        if (
            self.client_id
            and self.consultancy_id
            and self.client.consultancy_id != self.consultancy_id
        ):
            raise ValidationError({"client": _("The client belongs to another consultancy.")})

    @property
    def can_write(self) -> bool:
        return self.scopes == self.Scopes.READ_WRITE

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditLogEntry(models.Model):
    """Who changed what, when, from which key or user. Written by the services that change it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("when"))
    consultancy = models.ForeignKey(
        Consultancy,
        on_delete=models.CASCADE,
        related_name="audit_log",
        verbose_name=_("consultancy"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_log",
        verbose_name=_("client"),
    )
    actor_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor user"),
    )
    actor_api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor API key"),
    )
    # Kept as text too, so the entry still says who it was after the user or key is gone.
    actor_label = models.CharField(_("actor"), max_length=254)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["consultancy", "-at"], name="audit_consultancy_at"),
            models.Index(fields=["client", "-at"], name="audit_client_at"),
        ]

    def __str__(self):
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M} {self.actor_label}: {audit_action_label(self.action)}"


class DirtyMark(models.Model):
    """The client's inputs changed since its results were computed. Written in the same
    transaction as the change; the scorecard dispatcher turns marks into recomputes, so a broker
    outage loses nothing. ``dirty_from``/``dirty_to`` bound the dates that changed (both empty:
    everything may have)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="dirty_mark")
    marked_at = models.DateTimeField(default=timezone.now)
    dirty_from = models.DateField(null=True, blank=True)
    dirty_to = models.DateField(null=True, blank=True)
    # When the dispatcher last turned the mark into a job; a mark newer than that is dispatched
    # again. The mark itself goes only when a recompute that started after it succeeds.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dirty mark")
        verbose_name_plural = _("dirty marks")

    def __str__(self):
        return f"{self.client} changed at {self.marked_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """A write request's ``Idempotency-Key``, claimed in the transaction of the write, with the
    response to replay when the same principal sends the same key and body again."""

    principal = models.CharField(max_length=64)  # "key:<uuid>" or "user:<uuid>"
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self):
        return f"{self.principal} {self.key}"


class Job(models.Model):
    """One run of long work (a recompute, a diagnostic's scoring) that the API, the admin and the
    portal can follow. Tasks take the job's id, so a re-delivered task finds the job done and
    does nothing; the sweeper re-enqueues jobs left ``queued`` and ``running`` ones whose
    heartbeat stopped."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=40)
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="jobs",
        null=True,
        blank=True,
        verbose_name=_("client"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, validators=[MaxValueValidator(100)]
    )
    error = models.TextField(_("error"), blank=True)
    result = ExactJSONField(_("result"), null=True, blank=True)  # a summary of what was done
    result_url = models.CharField(_("result URL"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    requested_by = models.CharField(_("requested by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="job_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="job_progress_le_100"
            )
        ]

    def __str__(self):
        return f"{job_kind_label(self.kind)} ({self.get_status_display()})"


class WebhookSubscription(models.Model):
    """A partner's endpoint for events of a consultancy's clients (or of one client). The secret
    signs every delivery; it is shown once, at creation, and kept to sign with."""

    class Event(models.TextChoices):
        SCORECARD_COMPUTED = "scorecard.computed", _("scorecard computed")
        MILESTONE_ACHIEVED = "milestone.achieved", _("milestone achieved")
        MILESTONE_MISSED = "milestone.missed", _("milestone missed")
        DIAGNOSTIC_SCORED = "diagnostic.scored", _("diagnostic scored")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultancy = models.ForeignKey(
        Consultancy,
        on_delete=models.CASCADE,
        related_name="webhooks",
        verbose_name=_("consultancy"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="webhooks",
        null=True,
        blank=True,
        help_text=_("Empty: events of every client of the consultancy."),
        verbose_name=_("client"),
    )
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.CharField(_("created by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url_shown[:100]

    @property
    def url_shown(self) -> str:
        """The URL without its query or fragment, which may hold a token: what lists, audit
        entries and titles show (the full URL is on the webhook's own page)."""
        parts = urlsplit(self.url)
        hidden = "?…" if parts.query or parts.fragment else ""
        return urlunsplit(parts._replace(query="", fragment="")) + hidden


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row, written in the transaction of the event's
    cause and sent after it commits. Its id is the ``Waypoint-Delivery`` header, the same on
    every attempt; ``body`` is the exact JSON sent (and signed)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    id = models.UUIDField(_("delivery id"), primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("webhook"),
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        null=True,
        blank=True,
        verbose_name=_("client"),
    )
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event"), max_length=40)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    tries = models.PositiveSmallIntegerField(
        _("tries"), default=0, help_text=_("Attempts since it was last queued.")
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A sender holds the delivery until then; a sender that died lets it go when it passes.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When it was last handed to the broker: the sweeper leaves it alone for a while after.
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            # One event is one delivery per subscription, however often its cause is replayed.
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self):
        label = dict(WebhookSubscription.Event.choices).get(self.event_type, self.event_type)
        return f"{label} → {self.subscription}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what came back, or why nothing did."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempts",
        verbose_name=_("delivery"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
