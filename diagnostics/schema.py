"""The shapes of the diagnostics app's JSON documents, for the OpenAPI schema only (the views
build them as dicts): questionnaires, runs with their results, and findings."""

from rest_framework import serializers

from diagnostics.definition import TYPES
from diagnostics.models import DiagnosticRun

SEVERITIES = ["high", "medium", "low"]


class QuestionOptionSerializer(serializers.Serializer):
    """A choice or yes/no option (``value``, labels, score), or for a number question a band
    (``min`` inclusive, ``max`` exclusive, either null for open, ``score``)."""

    value = serializers.JSONField(required=False, help_text="Choice and yes/no questions.")
    label = serializers.CharField(required=False)
    label_ja = serializers.CharField(required=False)
    min = serializers.FloatField(required=False, allow_null=True, help_text="Number bands.")
    max = serializers.FloatField(required=False, allow_null=True, help_text="Number bands.")
    score = serializers.FloatField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    text_ja = serializers.CharField()
    type = serializers.ChoiceField(choices=TYPES)
    options = QuestionOptionSerializer(many=True)
    weight = serializers.FloatField()
    required = serializers.BooleanField()
    reversed = serializers.BooleanField()


class QuestionnaireSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    title_ja = serializers.CharField()
    weight = serializers.FloatField()
    questions = QuestionSerializer(many=True)


class DiagnosticTemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    builtin = serializers.BooleanField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    description = serializers.CharField()
    description_ja = serializers.CharField()
    sections = QuestionnaireSectionSerializer(many=True)


class FindingSerializer(serializers.Serializer):
    key = serializers.CharField()
    severity = serializers.ChoiceField(choices=SEVERITIES)
    message = serializers.CharField()
    message_ja = serializers.CharField()
    evidence = serializers.JSONField(
        help_text="The figures behind the finding: an object or a list, by the finding's key."
    )


class SectionScoreSerializer(serializers.Serializer):
    key = serializers.CharField()
    score = serializers.FloatField(allow_null=True)


class RecommendationSerializer(serializers.Serializer):
    key = serializers.CharField()
    priority = serializers.IntegerField()
    text = serializers.CharField()
    text_ja = serializers.CharField()


class DiagnosticResultSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    level = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    sections = SectionScoreSerializer(many=True)
    findings = FindingSerializer(many=True)
    recommendations = RecommendationSerializer(many=True)


class RunJobLinkSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()


class DiagnosticRunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    client = serializers.UUIDField()
    template = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DiagnosticRun.Status.choices)
    answers = serializers.DictField(help_text="Question key -> answer.")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    scored_at = serializers.DateTimeField(allow_null=True)
    job = RunJobLinkSerializer(allow_null=True)
    result = DiagnosticResultSerializer(allow_null=True, help_text="Once scored.")
