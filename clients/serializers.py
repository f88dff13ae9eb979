"""Shapes of clients and audit entries in the API."""

from rest_framework import serializers

from clients.models import AuditLogEntry, Client, Consultancy
from clients.services.tenants import CLIENT_FIELDS

CLIENT_FIELDS = ["id", "consultancy", *CLIENT_FIELDS, "created_at", "updated_at"]


class ClientSerializer(serializers.ModelSerializer):
    consultancy = serializers.SlugRelatedField(slug_field="slug", read_only=True)

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
