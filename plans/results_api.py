"""API: stored scorecards and bottleneck reports, their recomputes, jobs and the portfolio
(API.md, "Scorecards, reports, jobs")."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from clients.fields import RegexTextField
from clients.models import Job
from clients.principals import Principal
from clients.selectors import clients_visible_to
from clients.viewsets import ClientScopedViewSet
from metrics.periods import (
    MONTH_PATTERN,
    Granularity,
    Period,
    PeriodError,
    latest_closed_month,
    or_empty,
)
from metrics.selectors import client_today
from plans.arithmetic.scorecard import tidy
from plans.models import ScorecardSnapshot
from plans.schema import BottleneckReportSerializer, ScorecardSerializer
from plans.selectors import bottleneck_report_for, portfolio_for, scorecard_for
from plans.services.recompute.jobs import BOTTLENECKS_KIND, SCORECARD_KIND, recompute_job_create

PERIOD = OpenApiParameter(
    "period",
    {"type": "string", "pattern": or_empty(MONTH_PATTERN)},
    description="A month, e.g. 2026-09. Absent or empty: the latest closed month.",
)


def _month(client, raw) -> Period:
    """The month asked for (400 if it is not a month or lies ahead), else the latest closed."""
    today = client_today(client)
    if raw in (None, ""):
        return latest_closed_month(today)
    try:
        period = Period.parse(raw)
    except PeriodError as exc:
        raise exceptions.ValidationError({"period": [str(exc)]}) from exc
    if period.granularity != Granularity.MONTH:
        raise exceptions.ValidationError({"period": [_("Give a month, written like 2026-09.")]})
    if period > Period.containing(Granularity.MONTH, today):
        raise exceptions.ValidationError({"period": [_("This month has not begun yet.")]})
    return period


class RecomputeSerializer(serializers.Serializer):
    period = RegexTextField(
        MONTH_PATTERN,
        required=False,
        help_text="A month, e.g. 2026-09. Default: the latest closed.",
        error_messages={"invalid": _lazy("Give a month, written like 2026-09.")},
    )


JOB_ACCEPTED = inline_serializer(
    "JobAccepted",
    {
        "job": inline_serializer(
            "JobLink",
            {
                "id": serializers.UUIDField(),
                "status": serializers.CharField(),
                "url": serializers.CharField(),
            },
        )
    },
)


class _ResultViewSet(ClientScopedViewSet):
    """A stored result (GET) and its recompute (POST .../recompute/ -> 202 with a job)."""

    job_kind = ""
    # The recompute's body; also what OPTIONS describes (DRF asks every view for a serializer).
    serializer_class = RecomputeSerializer
    queryset = ScorecardSnapshot.objects.none()  # results are read through selectors
    pagination_class = None
    filter_backends = []

    def client_queryset(self, client):
        return ScorecardSnapshot.objects.filter(client=client)

    @extend_schema(request=RecomputeSerializer, responses={202: JOB_ACCEPTED})
    @action(detail=False, methods=["post"], url_path="recompute")
    def recompute(self, request, *args, **kwargs):
        body = RecomputeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        period = _month(self.client, body.validated_data.get("period"))
        job = recompute_job_create(
            client=self.client, period=period, kind=self.job_kind, actor=self.principal
        )
        url = request.build_absolute_uri(reverse("api-v1:job-detail", kwargs={"pk": job.pk}))
        return Response(
            {"job": {"id": job.pk, "status": job.status, "url": url}},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )


class ScorecardViewSet(_ResultViewSet):
    """The scorecard of the client's active plan for a month."""

    job_kind = SCORECARD_KIND

    @extend_schema(
        operation_id="clients_scorecard_retrieve",
        parameters=[PERIOD],
        responses=ScorecardSerializer,
    )
    def list(self, request, *args, **kwargs):
        period = _month(self.client, request.query_params.get("period"))
        snapshot = scorecard_for(client=self.client, period=period)
        if snapshot is None:
            raise exceptions.NotFound(
                f"No scorecard for {period} yet: POST to recompute/ to compute it."
            )
        payload = snapshot.payload
        return Response(
            {
                "client": self.client.pk,
                "plan": snapshot.plan_id,
                "period": str(period),
                "as_of": payload["as_of"],
                "computed_at": snapshot.computed_at,
                "stale": snapshot.stale,
                "score": payload["score"],
                "health": payload["health"],
                "coverage": payload["coverage"],
                "lines": payload["lines"],
                "milestones": payload["milestones"],
            }
        )


class BottleneckViewSet(_ResultViewSet):
    """A funnel's bottleneck report for a month, with the KPI tree's sensitivity."""

    job_kind = BOTTLENECKS_KIND

    @extend_schema(
        operation_id="clients_bottlenecks_retrieve",
        parameters=[
            PERIOD,
            OpenApiParameter("funnel", str, description="A funnel's key. Default: the first."),
        ],
        responses=BottleneckReportSerializer,
    )
    def list(self, request, *args, **kwargs):
        period = _month(self.client, request.query_params.get("period"))
        funnel = request.query_params.get("funnel") or None
        report = bottleneck_report_for(client=self.client, period=period, funnel=funnel)
        if report is None:
            what = f"funnel {funnel!r} in {period}" if funnel else str(period)
            raise exceptions.NotFound(_("No bottleneck report for %(what)s yet.") % {"what": what})
        payload = report.payload
        return Response(
            {
                "client": self.client.pk,
                "plan": report.plan_id,
                "period": str(period),
                "funnel": payload["funnel"],
                "funnel_name": payload["funnel_name"],
                "computed_at": report.computed_at,
                "stale": report.stale,
                **{
                    key: payload[key]
                    for key in (
                        "overall_conversion",
                        "target_overall_conversion",
                        "bottleneck",
                        "stages",
                        "kpi_sensitivity",
                    )
                },
            }
        )


class JobSerializer(serializers.ModelSerializer):
    client = serializers.UUIDField(source="client_id", read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "client",
            "status",
            "progress",
            "error",
            "result",
            "result_url",
            "created_at",
            "started_at",
            "finished_at",
        ]


class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A job of a client the caller may see (404 for any other)."""

    serializer_class = JobSerializer
    queryset = Job.objects.none()

    def get_queryset(self):
        principal = Principal.from_request(self.request)
        return Job.objects.filter(client__in=clients_visible_to(principal))


class PortfolioRowSerializer(serializers.Serializer):
    client = serializers.UUIDField(source="pk")
    name = serializers.CharField()
    period = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()
    off_track = serializers.IntegerField(allow_null=True)
    at_risk = serializers.IntegerField(allow_null=True)
    bottleneck = serializers.SerializerMethodField()
    next_milestone = serializers.JSONField(allow_null=True)
    last_measurement_at = serializers.DateTimeField(allow_null=True)

    def get_period(self, row) -> str | None:
        start = row.scorecard_period
        return None if start is None else str(Period.containing(Granularity.MONTH, start))

    def get_score(self, row) -> Decimal | None:
        return tidy(row.score)

    def get_health(self, row) -> str:
        return row.health or "no_data"

    def get_bottleneck(self, row) -> str | None:
        return row.bottleneck or None


class PortfolioViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every client the caller may see, riskiest first: health red, amber, green, none; then
    score ascending, off-track lines descending, name."""

    serializer_class = PortfolioRowSerializer
    filter_backends = []

    def get_queryset(self):
        return portfolio_for(Principal.from_request(self.request))


router = SimpleRouter()
router.register(
    r"clients/(?P<client_id>[^/.]+)/scorecard", ScorecardViewSet, basename="client-scorecard"
)
router.register(
    r"clients/(?P<client_id>[^/.]+)/bottlenecks", BottleneckViewSet, basename="client-bottleneck"
)
router.register("jobs", JobViewSet, basename="job")
router.register("portfolio", PortfolioViewSet, basename="portfolio")
urlpatterns = router.urls
