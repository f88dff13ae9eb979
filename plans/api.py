"""API: plan documents under /clients/{id}/plans/ and event milestones' achievements."""

import uuid
from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language_from_request
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from clients.fields import TextOnlyModelSerializer
from clients.principals import Action
from clients.viewsets import ClientScopedViewSet
from metrics.ingest import NUMBER_PATTERN, parse_value
from metrics.periods import MONTH_PATTERN, or_empty
from plans import services
from plans.document import DocumentInvalid
from plans.models import Milestone, Plan, Scenario
from plans.plan_templates import TEMPLATES
from plans.schema import (
    FunnelRequirementsSerializer,
    PlanDocumentSerializer,
    ScenarioPreviewSerializer,
    ScenarioRequestSerializer,
    ScenarioSerializer,
    ScenarioStoreSerializer,
    SolveRequestSerializer,
    SolveResultSerializer,
)
from plans.selectors import plan_document, plan_with_document, plans_for_client
from plans.services import planning


class PlanSummarySerializer(TextOnlyModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "name", "vision", "starts_on", "ends_on", "status"]


class AchieveSerializer(serializers.Serializer):
    achieved_on = serializers.DateField()


class FromTemplateSerializer(serializers.Serializer):
    template = serializers.ChoiceField(choices=sorted(TEMPLATES))
    starts_on = serializers.DateField()
    status = serializers.ChoiceField(choices=Plan.Status.choices, default=Plan.Status.DRAFT)
    language = serializers.ChoiceField(
        choices=["ja", "en"], required=False, help_text="Default: from Accept-Language."
    )


class PlanTemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    description = serializers.CharField()
    description_ja = serializers.CharField()


def _invalid(exc: DocumentInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError(exc.as_dict())


PLANNING_ACTIONS = ("solve", "requirements", "scenario_preview")
NUMBER_QUERY = {"type": "string", "pattern": rf"^\s*{NUMBER_PATTERN}\s*$"}
MONTH_QUERY = {"type": "string", "pattern": or_empty(MONTH_PATTERN)}


def _planned(service, **arguments):
    """A planning service's answer, or a 400 naming the field it could not take."""
    try:
        return service(**arguments)
    except planning.PlanningError as exc:
        raise exceptions.ValidationError({exc.field: [exc.message]}) from None
    except DocumentInvalid as exc:  # applying made the plan invalid (a stretch under must)
        raise _invalid(exc) from exc


class PlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ClientScopedViewSet,
):
    """A client's plans. POST and PUT take the whole document (API.md, "Plans"); PATCH the
    plan's own fields; DELETE removes the plan."""

    queryset = Plan.objects.all()
    serializer_class = PlanSummarySerializer
    lookup_url_kwarg = "plan_id"

    def client_queryset(self, client):
        if self.action == "list":
            return plans_for_client(client=client)
        return plan_with_document(client=client)

    @extend_schema(responses=PlanDocumentSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(plan_document(self.get_object()))

    @extend_schema(
        request=PlanDocumentSerializer,
        responses={201: PlanDocumentSerializer},
        examples=[
            OpenApiExample(
                "A KGI with one driver, a milestone and a funnel",
                request_only=True,
                value={
                    "name": "FY2026",
                    "starts_on": "2026-01-01",
                    "ends_on": "2026-12-31",
                    "status": "active",
                    "kpis": [
                        {
                            "key": "arr",
                            "metric": "arr",
                            "baseline": {"period": "2025-12", "value": 12000000},
                            "must": 100000000,
                            "stretch": 150000000,
                            "target_period": "2026-12",
                        },
                        {
                            "key": "mrr",
                            "metric": "mrr",
                            "parent": "arr",
                            "baseline": {"period": "2025-12", "value": 1000000},
                            "must": 8400000,
                            "target_period": "2026-12",
                        },
                    ],
                    "milestones": [
                        {
                            "key": "q1",
                            "name": "Q1 foundation",
                            "due": "2026-03-31",
                            "kind": "state",
                            "conditions": [{"metric": "mrr", "op": "gte", "value": 2000000}],
                        }
                    ],
                    "funnels": [
                        {
                            "key": "acquisition",
                            "name": "Acquisition",
                            "stages": [
                                {"name": "Visitors", "metric": "visitors"},
                                {"name": "Leads", "metric": "leads", "target_conversion": 0.15},
                            ],
                        }
                    ],
                },
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        try:
            plan = services.plan_create(client=self.client, raw=request.data, actor=self.principal)
        except DocumentInvalid as exc:
            raise _invalid(exc) from exc
        return Response(self._document(plan), status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanDocumentSerializer, responses=PlanDocumentSerializer)
    def update(self, request, *args, **kwargs):
        plan = self.get_object()
        try:
            plan = services.plan_replace(plan=plan, raw=request.data, actor=self.principal)
        except DocumentInvalid as exc:
            raise _invalid(exc) from exc
        return Response(self._document(plan))

    @extend_schema(request=PlanSummarySerializer, responses=PlanDocumentSerializer)
    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Send an object.")]})
        try:
            plan = services.plan_update(plan=plan, fields=dict(request.data), actor=self.principal)
        except DocumentInvalid as exc:
            raise _invalid(exc) from exc
        return Response(self._document(plan))

    def perform_destroy(self, instance):
        services.plan_delete(plan=instance, actor=self.principal)

    @extend_schema(request=AchieveSerializer, responses=PlanDocumentSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"milestones/(?P<milestone_key>[^/]+)/achieve",
    )
    def achieve(self, request, *args, milestone_key=None, **kwargs):
        """Mark an event milestone achieved (400 for a state milestone)."""
        plan = self.get_object()
        body = AchieveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        achieved_on: date = body.validated_data["achieved_on"]
        try:
            services.milestone_achieve(
                plan=plan, key=milestone_key, achieved_on=achieved_on, actor=self.principal
            )
        except Milestone.DoesNotExist:
            raise exceptions.NotFound(
                _("No milestone '%(key)s' in this plan.") % {"key": milestone_key}
            ) from None
        return Response(self._document(plan))

    @extend_schema(request=FromTemplateSerializer, responses={201: PlanDocumentSerializer})
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request, *args, **kwargs):
        """A new plan from one of the built-in templates, dated from ``starts_on``."""
        body = FromTemplateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        language = body.validated_data.get("language") or (
            "ja" if get_language_from_request(request).startswith("ja") else "en"
        )
        try:
            plan = services.plan_create_from_template(
                client=self.client,
                template=body.validated_data["template"],
                starts_on=body.validated_data["starts_on"],
                language=language,
                status=body.validated_data["status"],
                actor=self.principal,
            )
        except DocumentInvalid as exc:
            raise _invalid(exc) from exc
        return Response(self._document(plan), status=status.HTTP_201_CREATED)

    # --- planning backwards: computations on the plan, nothing stored ---------------------------

    def required_action(self, request):
        if self.action == "solve" and isinstance(request.data, dict) and request.data.get("apply"):
            return Action.WRITE  # it writes the requirements as targets
        if self.action in PLANNING_ACTIONS:
            return Action.READ  # they read the plan and its data, and write nothing
        return super().required_action(request)

    @extend_schema(request=SolveRequestSerializer, responses=SolveResultSerializer)
    @action(detail=True, methods=["post"])
    def solve(self, request, *args, **kwargs):
        """What each driver of a KPI alone would need for the KPI to reach a target (逆算), and
        the requirement walked down a path of children."""
        plan = self.get_object()  # a plan outside the client is a 404 before the body is read
        body = SolveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        return Response(
            _planned(
                planning.plan_solve,
                plan=plan,
                kpi=fields["kpi"],
                target=fields.get("target"),
                period=fields.get("period"),
                basis=fields["basis"],
                path=fields.get("path", []),
                apply=fields.get("apply"),
                actor=self.principal,
            )
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "target", NUMBER_QUERY, required=True, description="units at the last stage"
            ),
            OpenApiParameter(
                "period", MONTH_QUERY, description="a month; default: the latest closed"
            ),
            OpenApiParameter(
                "conversions", str, enum=["target", "actual"], description="default target"
            ),
        ],
        responses=FunnelRequirementsSerializer,
    )
    @action(detail=True, methods=["get"], url_path=r"funnels/(?P<funnel_key>[^/]+)/requirements")
    def requirements(self, request, *args, funnel_key=None, **kwargs):
        """The stage volumes a funnel needs for a target at its last stage, and the gaps."""
        plan = self.get_object()
        query = request.query_params
        try:
            target = parse_value(query.get("target", ""))
        except ValueError as exc:
            raise exceptions.ValidationError({"target": [str(exc)]}) from None
        return Response(
            _planned(
                planning.plan_funnel_requirements,
                plan=plan,
                funnel=funnel_key,
                target=target,
                period=query.get("period") or None,
                conversions=query.get("conversions") or "target",
            )
        )

    @extend_schema(request=ScenarioRequestSerializer, responses=ScenarioPreviewSerializer)
    @action(detail=True, methods=["post"], url_path="scenarios/preview")
    def scenario_preview(self, request, *args, **kwargs):
        """A scenario computed and not stored: the changed KPIs, everything above them
        recomputed through the formulas, and each top KPI against its targets."""
        plan = self.get_object()
        body = ScenarioRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        outcome = _planned(
            planning.plan_scenario,
            plan=plan,
            period=fields.get("period"),
            changes=fields["changes"],
        )
        return Response(
            {
                "name": fields.get("name", ""),
                "period": outcome["period"],
                "changes": fields["changes"],
                "result": outcome["result"],
            }
        )

    def _document(self, plan):
        return plan_document(plan_with_document(client=self.client).get(pk=plan.pk))


class ScenarioViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ClientScopedViewSet,
):
    """A plan's stored scenarios (base, upside, downside...): each a set of changed KPIs for a
    month, its outcome computed when read."""

    queryset = Scenario.objects.all()
    lookup_url_kwarg = "scenario_id"
    lookup_value_regex = r"[0-9a-fA-F-]{36}"
    serializer_class = ScenarioSerializer
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def _plan_id(self):
        try:
            return uuid.UUID(str(self.kwargs.get("plan_id")))
        except ValueError:
            raise Http404 from None

    def client_queryset(self, client):
        return Scenario.objects.filter(plan_id=self._plan_id()).select_related(
            "plan__client__consultancy"
        )

    def _plan(self) -> Plan:
        return get_object_or_404(plans_for_client(client=self.client), pk=self._plan_id())

    @extend_schema(responses=ScenarioSerializer(many=True))
    def list(self, request, *args, **kwargs):
        self._plan()  # a plan outside the client is a 404, not an empty list
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(_planned(planning.scenario_documents, scenarios=page))

    @extend_schema(responses=ScenarioSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(_planned(planning.scenario_document, scenario=self.get_object()))

    @extend_schema(request=ScenarioStoreSerializer, responses={201: ScenarioSerializer})
    def create(self, request, *args, **kwargs):
        plan = self._plan()
        body = ScenarioStoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        scenario = _planned(
            planning.scenario_save, plan=plan, actor=self.principal, **body.validated_data
        )
        return Response(planning.scenario_document(scenario), status=status.HTTP_201_CREATED)

    @extend_schema(request=ScenarioStoreSerializer, responses=ScenarioSerializer)
    def update(self, request, *args, **kwargs):
        scenario = self.get_object()
        body = ScenarioStoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        scenario = _planned(
            planning.scenario_save,
            plan=scenario.plan,
            actor=self.principal,
            scenario=scenario,
            **body.validated_data,
        )
        return Response(planning.scenario_document(scenario))

    def perform_destroy(self, instance):
        planning.scenario_delete(scenario=instance, actor=self.principal)


class PlanTemplateViewSet(viewsets.GenericViewSet):
    """The plan templates that ship with Waypoint."""

    serializer_class = PlanTemplateSerializer
    filter_backends = []  # a fixed list in code, not a queryset

    @extend_schema(responses=PlanTemplateSerializer(many=True))
    def list(self, request, *args, **kwargs):
        templates = [
            {
                "key": t.key,
                "name": t.name,
                "name_ja": t.name_ja,
                "description": t.description,
                "description_ja": t.description_ja,
            }
            for t in TEMPLATES.values()
        ]
        page = self.paginate_queryset(templates)
        return self.get_paginated_response(page)


router = SimpleRouter()
router.register(r"clients/(?P<client_id>[^/.]+)/plans", PlanViewSet, basename="client-plan")
router.register(
    r"clients/(?P<client_id>[^/.]+)/plans/(?P<plan_id>[^/.]+)/scenarios",
    ScenarioViewSet,
    basename="client-plan-scenario",
)
router.register("plan-templates", PlanTemplateViewSet, basename="plan-template")
urlpatterns = router.urls
