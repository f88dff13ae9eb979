"""API: the metric catalogue, measurements (bulk upsert, raw list) and series."""

import hashlib
import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from clients.principals import Principal
from clients.problems import PayloadTooLarge, UnprocessableEntity
from clients.services.idempotency import MAX_KEY_LENGTH, IdempotencyMismatch
from clients.viewsets import ClientScopedViewSet, consultancy_for_create
from metrics import services
from metrics.ingest import RowsInvalid
from metrics.models import Measurement
from metrics.periods import PERIOD_PATTERN, Granularity, Period, PeriodError, or_empty
from metrics.selectors import (
    MAX_SERIES_METRICS,
    MAX_SERIES_PERIODS,
    measurements_for_client,
    metric_catalogue_for,
    metrics_for_client,
    series_for_client,
)
from metrics.serializers import (
    MeasurementBulkSerializer,
    MeasurementSerializer,
    MetricCreateSerializer,
    MetricSerializer,
    SeriesSerializer,
    UpsertResultSerializer,
)

PERIOD_SCHEMA = {"type": "string", "pattern": or_empty(PERIOD_PATTERN)}  # empty: the default
SIX_PLACES, FOUR_PLACES = Decimal("0.000001"), Decimal("0.0001")


def _period_param(request, name: str) -> Period | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return Period.parse(raw)
    except PeriodError as exc:
        raise exceptions.ValidationError({name: [str(exc)]}) from exc


class MetricViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Built-in metrics and the caller's consultancies' own; managers add their own."""

    serializer_class = MetricSerializer

    def get_queryset(self):
        return metric_catalogue_for(Principal.from_request(self.request)).order_by(
            "consultancy__slug", "key"
        )

    @extend_schema(request=MetricCreateSerializer, responses={201: MetricSerializer})
    def create(self, request, *args, **kwargs):
        consultancy, fields = consultancy_for_create(
            Principal.from_request(request), MetricCreateSerializer, request.data
        )
        metric = services.metric_create(
            consultancy=consultancy, actor=Principal.from_request(request), **fields
        )
        return Response(MetricSerializer(metric).data, status=status.HTTP_201_CREATED)


class MeasurementViewSet(mixins.ListModelMixin, ClientScopedViewSet):
    """Raw measurements of the client (filters ``metric``, ``from``, ``to``), and bulk upsert."""

    serializer_class = MeasurementSerializer
    queryset = Measurement.objects.all()

    def client_queryset(self, client):
        return measurements_for_client(
            client=client,
            metric=self.request.query_params.get("metric") or None,
            since=_period_param(self.request, "from"),
            until=_period_param(self.request, "to"),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, description="a metric key"),
            OpenApiParameter(
                "from", PERIOD_SCHEMA, description="a period: measurements starting in it or later"
            ),
            OpenApiParameter(
                "to", PERIOD_SCHEMA, description="a period: measurements starting by its end"
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=MeasurementBulkSerializer,
        responses={200: UpsertResultSerializer},
        examples=[
            OpenApiExample(
                "A month of figures",
                request_only=True,
                value={
                    "measurements": [
                        {"metric": "visitors", "period": "2026-09", "value": 12000},
                        {"metric": "leads", "period": "2026-09", "value": 1500, "source": "crm"},
                        {"metric": "mrr", "period": "2026-09", "value": 2000000},
                    ]
                },
            ),
            OpenApiExample(
                "Counts",
                response_only=True,
                value={"created": 2, "updated": 1, "unchanged": 0},
            ),
        ],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "maxLength": MAX_KEY_LENGTH},
                OpenApiParameter.HEADER,
                description="A new UUID for each batch; the same one when retrying that batch. "
                "A retry gets the first answer, with `Idempotent-Replayed: true`.",
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request, *args, **kwargs):
        """Upsert up to 10,000 measurements, all or nothing."""
        rows = request.data.get("measurements") if isinstance(request.data, dict) else None
        if not isinstance(rows, list):
            raise exceptions.ValidationError(
                {"measurements": ["A list of measurements is required."]}
            )
        idempotency_key = request.headers.get("Idempotency-Key", "").strip()
        if len(idempotency_key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [_("At most %(n)d characters.") % {"n": MAX_KEY_LENGTH}]}
            )
        try:
            answer = services.measurements_bulk_upsert(
                client=self.client,
                rows=rows,
                actor=self.principal,
                idempotency_key=idempotency_key,
                request_hash=_request_hash(request) if idempotency_key else "",
            )
        except services.BatchTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from exc
        except RowsInvalid as exc:
            raise exceptions.ValidationError({"measurements": _row_errors(exc, len(rows))}) from exc
        except IdempotencyMismatch as exc:
            raise UnprocessableEntity(
                _("This Idempotency-Key was used for a different request.")
            ) from exc
        # Says that this is the stored answer to an earlier request with the same key.
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return Response(answer.body, status=answer.status, headers=headers)


def _request_hash(request) -> str:
    canonical = json.dumps(
        [request.method, request.path, request.data], sort_keys=True, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _row_errors(exc: RowsInvalid, count: int) -> list:
    """The rows' errors in DRF's nested shape, so that each becomes ``{row, field, message}``."""
    by_row: dict[int, dict] = {}
    for error in exc.errors:
        by_row.setdefault(error.row, {}).setdefault(error.field or "row", []).append(error.message)
    return [by_row.get(index, {}) for index in range(max(by_row) + 1)] if by_row else []


class SeriesViewSet(ClientScopedViewSet):
    """Metrics over time with roll-ups and derived metrics applied."""

    queryset = Measurement.objects.all()
    serializer_class = SeriesSerializer
    pagination_class = None

    def client_queryset(self, client):
        return Measurement.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("metrics", str, required=True, description="keys, comma-separated"),
            OpenApiParameter("granularity", str, enum=[g.value for g in Granularity]),
            OpenApiParameter(
                "from", PERIOD_SCHEMA, description="first period (default: 11 before `to`)"
            ),
            OpenApiParameter(
                "to", PERIOD_SCHEMA, description="last period (default: the current one)"
            ),
        ],
        responses=SeriesSerializer,
    )
    def list(self, request, *args, **kwargs):
        keys = [k.strip() for k in request.query_params.get("metrics", "").split(",") if k.strip()]
        if not keys or len(keys) > MAX_SERIES_METRICS:
            raise exceptions.ValidationError(
                {"metrics": [_("Name one to %(n)d metric keys.") % {"n": MAX_SERIES_METRICS}]}
            )
        known = set(metrics_for_client(self.client).values_list("key", flat=True))
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise exceptions.ValidationError(
                {"metrics": [_("Unknown metric keys: %(keys)s.") % {"keys": ", ".join(unknown)}]}
            )
        try:
            granularity = Granularity(request.query_params.get("granularity", "month"))
        except ValueError:
            raise exceptions.ValidationError(
                {"granularity": [_("One of day, week, month, quarter, year.")]}
            ) from None
        first, last = _series_range(request, granularity, self.client)
        computed = series_for_client(
            client=self.client, keys=keys, granularity=granularity, first=first, last=last
        )
        periods = [period for period, _ in next(iter(computed.values()))]
        return Response(
            {
                "granularity": granularity.value,
                "periods": [str(period) for period in periods],
                "series": {
                    key: [
                        {
                            "period": str(period),
                            "value": value.value.quantize(SIX_PLACES) if value else None,
                            "coverage": value.coverage.quantize(FOUR_PLACES) if value else None,
                        }
                        for period, value in points
                    ]
                    for key, points in computed.items()
                },
            }
        )


def _series_range(request, granularity, client) -> tuple[Period, Period]:
    from metrics.selectors import client_today

    to_param, from_param = _period_param(request, "to"), _period_param(request, "from")
    last = (
        Period.containing(granularity, to_param.end)
        if to_param
        else Period.containing(granularity, client_today(client))
    )
    try:
        first = Period.containing(granularity, from_param.start) if from_param else last.shift(-11)
    except PeriodError as exc:
        raise exceptions.ValidationError({"from": [str(exc)]}) from exc
    count = first.distance(last) + 1
    if count < 1:
        raise exceptions.ValidationError({"from": ["`from` must not be after `to`."]})
    if count > MAX_SERIES_PERIODS:
        raise exceptions.ValidationError(
            {
                "to": [
                    _("At most %(n)d periods a request (%(count)d asked).")
                    % {"n": MAX_SERIES_PERIODS, "count": count}
                ]
            }
        )
    return first, last


router = SimpleRouter()
router.register("metrics", MetricViewSet, basename="metric")
router.register(
    r"clients/(?P<client_id>[^/.]+)/measurements", MeasurementViewSet, basename="client-measurement"
)
router.register(r"clients/(?P<client_id>[^/.]+)/series", SeriesViewSet, basename="client-series")
urlpatterns = router.urls
