"""Shapes of clients, audit entries and webhooks in the API."""

import zoneinfo

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.fields import RegexTextField, TextOnlyModelSerializer, URLTextField
from clients.models import (
    AuditLogEntry,
    Client,
    Consultancy,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from clients.services.tenants import CLIENT_FIELDS

CLIENT_FIELDS = ["id", "consultancy", *CLIENT_FIELDS, "created_at", "updated_at"]


class ClientSerializer(TextOnlyModelSerializer):
    consultancy = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Said as an enum and a pattern, so the schema tells which values are accepted.
    timezone = serializers.ChoiceField(
        choices=sorted(zoneinfo.available_timezones()), required=False, help_text="IANA name"
    )
    currency = RegexTextField(
        r"^[A-Z]{3}$",
        required=False,
        help_text="ISO 4217, e.g. JPY",
        error_messages={"invalid": _("Give a three-letter ISO 4217 code such as JPY or USD.")},
    )

    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        read_only_fields = ["id", "created_at", "updated_at"]
        # Slug uniqueness within the consultancy is checked by the service, naming the field.
        validators = []


class ConsultancyChoiceMixin(serializers.Serializer):
    """For consultancy-level creates: ``consultancy`` names one of the caller's consultancies
    by slug; any other slug does not exist as far as the caller can tell (a 400)."""

    consultancy = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Consultancy.objects.none(),
        required=False,
        help_text="The consultancy's slug; needed only when the caller manages several.",
    )

    def __init__(self, *args, consultancies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if consultancies is not None:
            self.fields["consultancy"].queryset = consultancies


class ClientCreateSerializer(ConsultancyChoiceMixin, ClientSerializer):
    pass


class AuditLogEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
        ]


class WebhookSerializer(TextOnlyModelSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.none(),
        required=False,
        allow_null=True,
        help_text="Only this client's events; empty for every client the webhook's owner sees.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookSubscription.Event.choices),
        min_length=1,
        help_text="The events to receive.",
    )
    url = URLTextField(
        max_length=2000, help_text="Where deliveries are POSTed: http(s), a public address."
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "description",
            "client",
            "is_active",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is not None:
            self.fields["client"].queryset = clients


class WebhookUpdateSerializer(WebhookSerializer):
    """What a PATCH may change: not the client, which decides who sees the webhook."""

    client = serializers.PrimaryKeyRelatedField(read_only=True)


class WebhookCreateSerializer(ConsultancyChoiceMixin, WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "consultancy"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery (Waypoint-Signature). Shown once, now: keep it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event_type")
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "client",
            "status",
            "tries",
            "next_attempt_at",
            "last_status_code",
            "created_at",
            "delivered_at",
            "attempts",
        ]
