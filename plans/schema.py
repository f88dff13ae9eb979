"""The shapes of the plans app's JSON documents, for the OpenAPI schema only.

A plan travels as one document, and scorecards and bottleneck reports are stored as computed
JSON; none of them is read or written through these serializers. They say exactly what the
views send and take, field by field, so that the schema is true (``tests/api/test_fuzz.py``
checks every response against it).
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from clients.fields import RegexTextField, TextField
from metrics.models import GRANULARITY_CHOICES
from metrics.periods import MONTH_PATTERN
from metrics.serializers import NumberInputField
from plans.models import KpiNode, Milestone, MilestoneCondition, Plan


def _number(**kwargs):
    return serializers.FloatField(**kwargs)


class BaselineSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="A period of the KPI's granularity, e.g. 2025-12.")
    value = NumberInputField()


class PlanKpiSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    key = serializers.CharField(help_text="The document's handle of the KPI (lower-case, _).")
    metric = serializers.CharField(help_text="A metric key of the catalogue.")
    parent = serializers.CharField(required=False, allow_null=True, help_text="A KPI's key.")
    weight = NumberInputField(required=False, allow_null=True, help_text="Default 1.")
    baseline = BaselineSerializer()
    must = NumberInputField(help_text="The must-achieve target (必達) at target_period.")
    stretch = NumberInputField(
        required=False, allow_null=True, help_text="The stretch target (挑戦)."
    )
    target_period = serializers.CharField(help_text="e.g. 2026-12")
    granularity = serializers.ChoiceField(
        choices=GRANULARITY_CHOICES, required=False, allow_null=True, help_text="Default month."
    )
    interpolation = serializers.ChoiceField(
        choices=KpiNode.Interpolation.choices,
        required=False,
        allow_null=True,
        help_text="Default linear.",
    )
    formula = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Over the children's keys; empty: the metric's own.",
    )


class MilestoneConditionSerializer(serializers.Serializer):
    metric = serializers.CharField()
    op = serializers.ChoiceField(
        choices=MilestoneCondition.Op.choices,
        required=False,
        allow_null=True,
        help_text="Default gte.",
    )
    value = NumberInputField()
    cumulative = serializers.BooleanField(required=False)


class PlanMilestoneSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    key = serializers.CharField()
    name = serializers.CharField()
    due = serializers.DateField()
    kind = serializers.ChoiceField(
        choices=Milestone.Kind.choices, required=False, allow_null=True, help_text="Default state."
    )
    achieved_on = serializers.DateField(required=False, allow_null=True)
    conditions = MilestoneConditionSerializer(many=True, required=False, allow_null=True)


class FunnelStageSerializer(serializers.Serializer):
    name = serializers.CharField()
    metric = serializers.CharField()
    target_conversion = NumberInputField(
        required=False, allow_null=True, help_text="From the stage before; none on the first."
    )


class PlanFunnelSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    key = serializers.CharField()
    name = serializers.CharField()
    stages = FunnelStageSerializer(many=True)


class PlanDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField()
    vision = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.ChoiceField(
        choices=Plan.Status.choices, required=False, allow_null=True, help_text="Default draft."
    )
    # Absent or null: none. (The request's lists are optional; a response always has them.)
    kpis = PlanKpiSerializer(many=True, required=False, allow_null=True)
    milestones = PlanMilestoneSerializer(many=True, required=False, allow_null=True)
    funnels = PlanFunnelSerializer(many=True, required=False, allow_null=True)


# --- scorecards ---------------------------------------------------------------------------------

STATUSES = ["exceeded", "on_track", "at_risk", "off_track", "no_data"]
HEALTHS = ["green", "amber", "red", "no_data"]
MILESTONE_STATUSES = ["pending", "on_track", "at_risk", "achieved", "missed"]


class LineChangeSerializer(serializers.Serializer):
    abs = _number(allow_null=True)
    pct = _number(allow_null=True)


class ForecastSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = _number(allow_null=True)
    meets_must = serializers.BooleanField(allow_null=True)
    eta = serializers.CharField(allow_null=True)


class ScorecardLineSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    metric = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    period = serializers.CharField()
    weight = _number()
    actual = _number(allow_null=True)
    must_target = _number(allow_null=True)
    stretch_target = _number(allow_null=True)
    attainment = _number(allow_null=True)
    progress = _number(allow_null=True)
    status = serializers.ChoiceField(choices=STATUSES)
    change = LineChangeSerializer()
    partial = serializers.BooleanField()
    growth_rate = _number(allow_null=True)
    forecast = ForecastSerializer(allow_null=True)


class ConditionResultSerializer(serializers.Serializer):
    metric = serializers.CharField()
    op = serializers.ChoiceField(choices=MilestoneCondition.Op.choices)
    value = _number()
    cumulative = serializers.BooleanField(required=False)
    actual = _number(allow_null=True)
    met = serializers.BooleanField(allow_null=True)


class MilestoneResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    due = serializers.DateField()
    kind = serializers.ChoiceField(choices=Milestone.Kind.choices)
    status = serializers.ChoiceField(choices=MILESTONE_STATUSES)
    achieved_on = serializers.DateField(allow_null=True)
    conditions = ConditionResultSerializer(many=True)


@extend_schema_serializer(many=False)  # one document, though served by a list route
class ScorecardSerializer(serializers.Serializer):
    client = serializers.UUIDField()
    plan = serializers.UUIDField()
    period = serializers.CharField()
    as_of = serializers.DateField()
    computed_at = serializers.DateTimeField()
    stale = serializers.BooleanField()
    score = _number(allow_null=True)
    health = serializers.ChoiceField(choices=HEALTHS)
    coverage = _number(allow_null=True)
    lines = ScorecardLineSerializer(many=True)
    milestones = MilestoneResultSerializer(many=True)


# --- bottleneck reports -------------------------------------------------------------------------


class StageResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    metric = serializers.CharField()
    volume = _number(allow_null=True)
    conversion = _number(allow_null=True)
    target_conversion = _number(allow_null=True)
    attainment = _number(allow_null=True)
    lost_output = _number(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)


class SensitivitySerializer(serializers.Serializer):
    kpi = serializers.CharField()
    parent = serializers.CharField()
    gain = _number(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(many=False)
class BottleneckReportSerializer(serializers.Serializer):
    client = serializers.UUIDField()
    plan = serializers.UUIDField()
    period = serializers.CharField()
    funnel = serializers.CharField(allow_null=True)
    funnel_name = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField()
    stale = serializers.BooleanField()
    overall_conversion = _number(allow_null=True)
    target_overall_conversion = _number(allow_null=True)
    bottleneck = serializers.CharField(allow_null=True)
    stages = StageResultSerializer(many=True)
    kpi_sensitivity = SensitivitySerializer(many=True)


# --- planning backwards -------------------------------------------------------------------------

TARGET_LEVELS = ["must", "stretch"]  # the targets a solve can be applied as


class SolveRequestSerializer(serializers.Serializer):
    kpi = TextField(help_text="The KPI to reach a target: one with a formula over its children.")
    target = NumberInputField(
        required=False, allow_null=True, help_text="Default: the KPI's must for the period."
    )
    period = RegexTextField(
        MONTH_PATTERN,
        required=False,
        allow_null=True,
        help_text="A month. Default: the KPI's target period.",
    )
    basis = serializers.ChoiceField(
        choices=["actual", "must", "stretch"],
        default="actual",
        help_text="Where the other children are held.",
    )
    path = serializers.ListField(
        child=TextField(),
        required=False,
        help_text="KPI keys, each a child of the one before (the first a child of `kpi`).",
    )
    apply = serializers.ChoiceField(
        choices=TARGET_LEVELS,
        required=False,
        allow_null=True,
        help_text="Write the target and the path's requirements as these targets of the KPIs "
        "(needs the write right; the period must be their target period).",
    )


class AppliedSerializer(serializers.Serializer):
    # "as" is a Python keyword: the field is declared below.
    kpis = serializers.DictField(child=serializers.FloatField(), help_text="KPI key -> target")


AppliedSerializer._declared_fields["as"] = serializers.ChoiceField(choices=TARGET_LEVELS)


class RequirementSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    metric = serializers.CharField()
    basis_value = _number(allow_null=True)
    required = _number(allow_null=True, help_text="null when no value in the domain reaches it.")
    change_pct = _number(allow_null=True)
    feasible = serializers.BooleanField()


class SolveResultSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    period = serializers.CharField()
    target = _number()
    basis = serializers.CharField()
    current = _number(allow_null=True)
    alternatives = RequirementSerializer(many=True)
    cascade = RequirementSerializer(many=True)
    applied = AppliedSerializer(required=False, help_text="With `apply`: what was written.")


class StageRequirementSerializer(serializers.Serializer):
    name = serializers.CharField()
    metric = serializers.CharField()
    conversion = _number(allow_null=True)
    actual = _number(allow_null=True)
    required = _number(allow_null=True)
    gap = _number(allow_null=True)


class FunnelRequirementsSerializer(serializers.Serializer):
    funnel = serializers.CharField()
    period = serializers.CharField()
    target = _number()
    conversions = serializers.CharField()
    stages = StageRequirementSerializer(many=True)


class ScenarioChangeSerializer(serializers.Serializer):
    kpi = TextField()
    value = NumberInputField(required=False, allow_null=True, help_text="The KPI's value.")
    change_pct = NumberInputField(
        required=False, allow_null=True, help_text="Or a change of its actual: 0.2 = +20%."
    )


class ScenarioRequestSerializer(serializers.Serializer):
    name = TextField(required=False, allow_blank=True, max_length=200)
    period = RegexTextField(
        MONTH_PATTERN, required=False, allow_null=True, help_text="Default: the latest closed."
    )
    changes = ScenarioChangeSerializer(many=True)


class ScenarioNodeSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    metric = serializers.CharField()
    base = _number(allow_null=True)
    scenario = _number(allow_null=True)
    delta = _number(allow_null=True)
    delta_pct = _number(allow_null=True)


class ScenarioKgiSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    scenario = _number(allow_null=True)
    must_target = _number(allow_null=True)
    stretch_target = _number(allow_null=True)
    meets_must = serializers.BooleanField(allow_null=True)
    meets_stretch = serializers.BooleanField(allow_null=True)


class ScenarioOutcomeSerializer(serializers.Serializer):
    nodes = ScenarioNodeSerializer(many=True)
    kgis = ScenarioKgiSerializer(many=True)


class ScenarioPreviewSerializer(serializers.Serializer):
    name = serializers.CharField()
    period = serializers.CharField()
    changes = ScenarioChangeSerializer(many=True)
    result = ScenarioOutcomeSerializer()


class ScenarioStoreSerializer(ScenarioRequestSerializer):
    name = TextField(max_length=200, help_text="e.g. Upside, Base, Downside")


class ScenarioSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    period = serializers.CharField()
    changes = ScenarioChangeSerializer(many=True)
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    result = ScenarioOutcomeSerializer(help_text="Computed when read, on today's data.")
