"""Shapes of metrics and measurements in the API."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from clients.fields import TextOnlyModelSerializer
from clients.schema import closed_request
from clients.serializers import ConsultancyChoiceMixin
from metrics.ingest import NUMBER_PATTERN, parse_value
from metrics.models import Metric
from metrics.periods import PERIOD_PATTERN


class MetricSerializer(TextOnlyModelSerializer):
    consultancy = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="null for a built-in metric"
    )
    builtin = serializers.BooleanField(source="is_builtin", read_only=True)

    class Meta:
        model = Metric
        fields = [
            "key",
            "name",
            "name_ja",
            "unit",
            "direction",
            "aggregation",
            "formula",
            "consultancy",
            "builtin",
        ]
        validators = []  # key uniqueness and formulas are checked by the service


class MetricCreateSerializer(ConsultancyChoiceMixin, MetricSerializer):
    pass


class MeasurementSerializer(serializers.Serializer):
    metric = serializers.CharField(source="metric.key")
    period = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=6, coerce_to_string=False)
    source = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number"},
            {"type": "string", "pattern": rf"^\s*{NUMBER_PATTERN}\s*$"},
        ],
        "description": "A JSON number, or a numeric string; read as an exact decimal (at most "
        "14 digits before the point and 6 after).",
    }
)
class NumberInputField(serializers.FloatField):
    """A value people send: a number or a numeric string, read as an exact decimal (as the
    ingest reads measurements); written back as a number."""

    def to_internal_value(self, data):
        try:
            return parse_value(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


@closed_request  # a misspelt field in a row would lose a value: rows name only these fields
class MeasurementRowSerializer(serializers.Serializer):
    """One measurement: a metric's value for a period. No other field is accepted."""

    # For the schema only: the bulk endpoint validates rows in plain Python (metrics.ingest).

    metric = serializers.CharField()
    period = serializers.RegexField(
        PERIOD_PATTERN, help_text="2026-09-15, 2026-W38, 2026-09, 2026-Q3 or 2026"
    )
    value = NumberInputField()
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Where the figure came from, e.g. stripe.",
    )


class MeasurementBulkSerializer(serializers.Serializer):
    measurements = MeasurementRowSerializer(many=True)


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class SeriesPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)


@extend_schema_serializer(many=False)  # one document, though served by a list route
class SeriesSerializer(serializers.Serializer):
    granularity = serializers.CharField()
    periods = serializers.ListField(child=serializers.CharField())
    series = serializers.DictField(child=SeriesPointSerializer(many=True))
