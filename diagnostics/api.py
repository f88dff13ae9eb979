"""API: diagnostic templates, runs (start, answer, submit, read) and the data checks
(API.md, "Diagnostics")."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from clients.fields import TextField
from clients.principals import Action, Principal
from clients.problems import Conflict
from clients.viewsets import ClientScopedViewSet
from diagnostics import services
from diagnostics.definition import Question
from diagnostics.models import DiagnosticRun, DiagnosticTemplate
from diagnostics.schema import (
    DiagnosticRunSerializer,
    DiagnosticTemplateSerializer,
    FindingSerializer,
)
from diagnostics.selectors import (
    latest_versions,
    runs_for_client,
    template_for_client,
    templates_visible_to,
)


def _options(question: Question) -> list[dict]:
    if question.type == "number":
        return [{"min": b.min, "max": b.max, "score": b.score} for b in question.bands]
    return [
        {"value": o.value, "label": o.label, "label_ja": o.label_ja, "score": o.score}
        for o in question.options
    ]


def template_document(template: DiagnosticTemplate) -> dict:
    definition = services.definition_of(template)
    return {
        "key": template.key,
        "version": template.version,
        "builtin": template.builtin,
        "name": definition.name,
        "name_ja": definition.name_ja,
        "description": definition.description,
        "description_ja": definition.description_ja,
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "title_ja": section.title_ja,
                "weight": section.weight,
                "questions": [
                    {
                        "key": q.key,
                        "text": q.text,
                        "text_ja": q.text_ja,
                        "type": q.type,
                        "options": _options(q),
                        "weight": q.weight,
                        "required": q.required,
                        "reversed": q.reversed,
                    }
                    for q in section.questions
                ],
            }
            for section in definition.sections
        ],
    }


class DiagnosticTemplateViewSet(viewsets.GenericViewSet):
    """The questionnaires the caller may use: the built-in ones and its consultancies' own (the
    newest version of each)."""

    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9][a-z0-9-]*"
    filter_backends = []
    queryset = DiagnosticTemplate.objects.none()

    def _templates(self):
        return latest_versions(templates_visible_to(Principal.from_request(self.request)))

    @extend_schema(
        operation_id="diagnostic_templates_list", responses=DiagnosticTemplateSerializer(many=True)
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self._templates())
        return self.get_paginated_response([template_document(t) for t in page])

    @extend_schema(responses=DiagnosticTemplateSerializer)
    def retrieve(self, request, *args, key=None, **kwargs):
        for template in self._templates():
            if template.key == key:
                return Response(template_document(template))
        raise Http404


class StartSerializer(serializers.Serializer):
    template = TextField(help_text="A template's key, e.g. strategy-quick-check.")


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="Question key -> answer; null clears an answer.",
    )


RUN_DOCUMENT = DiagnosticRunSerializer


class DiagnosticRunViewSet(mixins.ListModelMixin, ClientScopedViewSet):
    """A client's diagnostic runs: start one, save answers, submit it for scoring, read it."""

    queryset = DiagnosticRun.objects.all()
    lookup_url_kwarg = "run_id"
    serializer_class = StartSerializer  # the schema's request body of create

    def client_queryset(self, client):
        return runs_for_client(client=client).order_by("-created_at")

    def run_document(self, run: DiagnosticRun) -> dict:
        job = None
        if run.job_id is not None:
            url = reverse("api-v1:job-detail", kwargs={"pk": run.job_id})
            job = {"id": run.job_id, "url": self.request.build_absolute_uri(url)}
        return {
            "id": run.pk,
            "client": run.client_id,
            "template": run.template.key,
            "version": run.template.version,
            "status": run.status,
            "answers": run.answers,
            "created_at": run.created_at,
            "submitted_at": run.submitted_at,
            "scored_at": run.scored_at,
            "job": job,
            "result": run.result if run.status == DiagnosticRun.Status.SCORED else None,
        }

    @extend_schema(responses=RUN_DOCUMENT)
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([self.run_document(run) for run in page])

    @extend_schema(responses=RUN_DOCUMENT)
    def retrieve(self, request, *args, **kwargs):
        return Response(self.run_document(self.get_object()))

    @extend_schema(request=StartSerializer, responses={201: RUN_DOCUMENT})
    def create(self, request, *args, **kwargs):
        body = StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = template_for_client(client=self.client, key=body.validated_data["template"])
        if template is None:
            raise exceptions.ValidationError({"template": [_("No such diagnostic template.")]})
        run = services.run_start(client=self.client, template=template, actor=self.principal)
        return Response(self.run_document(run), status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswersSerializer, responses=RUN_DOCUMENT)
    @action(detail=True, methods=["put"], url_path="answers")
    def answers(self, request, *args, **kwargs):
        run = self.get_object()
        if not isinstance(request.data, dict) or not isinstance(request.data.get("answers"), dict):
            raise exceptions.ValidationError({"answers": ['Send {"answers": {key: value}}.']})
        try:
            run = services.run_answers_save(
                run=run, answers=request.data["answers"], actor=self.principal
            )
        except services.RunClosed:
            raise Conflict(_("This diagnostic was submitted; its answers are final.")) from None
        except services.AnswersInvalid as exc:
            raise exceptions.ValidationError(
                {f"answers.{key}": [message] for key, message in exc.errors.items()}
            ) from exc
        return Response(self.run_document(run))

    @extend_schema(request=None, responses={202: RUN_DOCUMENT})
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request, *args, **kwargs):
        run = self.get_object()
        try:
            run = services.run_submit(run=run, actor=self.principal)
        except services.RunClosed:
            raise Conflict(_("This diagnostic was submitted already.")) from None
        except services.RunIncomplete as exc:
            raise exceptions.ValidationError(
                {f"answers.{key}": [_("This question needs an answer.")] for key in exc.missing}
            ) from exc
        return Response(self.run_document(run), status=status.HTTP_202_ACCEPTED)

    def required_action(self, request):
        return Action.READ if request.method == "GET" else Action.WRITE


class ChecksViewSet(ClientScopedViewSet):
    """The data checks alone, for the client's active plan and its data as of today."""

    queryset = DiagnosticRun.objects.none()
    filter_backends = []

    def client_queryset(self, client):
        return DiagnosticRun.objects.filter(client=client)

    @extend_schema(responses=FindingSerializer(many=True))
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(services.client_findings(client=self.client))
        return self.get_paginated_response(page)


router = SimpleRouter()
router.register("diagnostic-templates", DiagnosticTemplateViewSet, basename="diagnostic-template")
router.register(
    r"clients/(?P<client_id>[^/.]+)/diagnostics", DiagnosticRunViewSet, basename="client-diagnostic"
)
router.register(r"clients/(?P<client_id>[^/.]+)/checks", ChecksViewSet, basename="client-check")
urlpatterns = router.urls
