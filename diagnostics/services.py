"""Writes and computations of diagnostics: templates, runs, scoring and the data checks.

Every function takes keyword arguments and owns its transaction. ``actor`` is the acting
principal (None for the operator or a task).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consultancy
from clients.services.audit import actor_label, audit_record
from clients.services.jobs import job_create
from diagnostics import checks, scoring, signals
from diagnostics.builtin import BUILTIN_TEMPLATES
from diagnostics.definition import (
    Definition,
    DefinitionInvalid,
    clean_answer,
    read_definition,
)
from diagnostics.models import DiagnosticRun, DiagnosticTemplate
from metrics.periods import Granularity, Period
from metrics.rollup import Rollup
from metrics.selectors import client_today
from plans.arithmetic.bottlenecks import formula_over_children
from plans.arithmetic.scorecard import children_of
from plans.models import Plan, ScorecardSnapshot
from plans.services.recompute.inputs import (
    active_plan_inputs,
    measured_values,
    measurement_rows,
)

SCORE_JOB = "diagnostic_score"


class RunClosed(Exception):
    """The run was submitted: its answers are final (409)."""


class AnswersInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(f"{len(errors)} bad answers")
        self.errors = errors  # question key -> what is wrong


class RunIncomplete(Exception):
    def __init__(self, missing: list[str]):
        super().__init__(f"{len(missing)} required questions unanswered")
        self.missing = missing


def definition_of(template: DiagnosticTemplate) -> Definition:
    return read_definition(template.definition)


# --- templates ----------------------------------------------------------------------------------


@transaction.atomic
def template_copy(
    *, template: DiagnosticTemplate, consultancy: Consultancy, key: str, actor
) -> DiagnosticTemplate:
    """The consultancy's own editable copy of a template, under a key of its own."""
    document = copy.deepcopy(template.definition)
    document["key"] = key
    try:
        read_definition(document)
    except DefinitionInvalid as exc:
        raise ValidationError({"key": [message for _path, message in exc.errors]}) from exc
    if (
        key in {doc["key"] for doc in BUILTIN_TEMPLATES}
        or DiagnosticTemplate.objects.filter(consultancy=consultancy, key=key).exists()
    ):
        raise ValidationError({"key": [f"{key!r} is taken; choose another key."]})
    created = DiagnosticTemplate.objects.create(
        consultancy=consultancy,
        key=key,
        version=1,
        name=document["name"],
        name_ja=document["name_ja"],
        definition=document,
        copied_from=template,
    )
    audit_record(
        actor=actor,
        action="diagnostic_template.copied",
        obj=created,
        consultancy=consultancy,
        after={"key": key, "from": f"{template.key} v{template.version}"},
    )
    return created


@transaction.atomic
def template_update(*, template: DiagnosticTemplate, raw, actor) -> DiagnosticTemplate:
    """Change a consultancy's template. Raises DefinitionInvalid. While no run uses this version
    it changes in place; after that the change is the next version, so every run keeps the
    questions it was answered on."""
    if template.builtin:
        raise ValidationError("Built-in templates are read-only: copy one to change it.")
    definition = read_definition(raw)
    if definition.key != template.key:
        raise DefinitionInvalid([("key", "the key of a template does not change")])
    before = template.definition
    if template.runs.exists():
        latest = DiagnosticTemplate.objects.filter(
            consultancy=template.consultancy, key=template.key
        ).aggregate(Max("version"))["version__max"]
        template = DiagnosticTemplate(
            consultancy=template.consultancy,
            key=template.key,
            version=latest + 1,
            copied_from=template.copied_from,
        )
    template.name, template.name_ja, template.definition = definition.name, definition.name_ja, raw
    template.save()
    audit_record(
        actor=actor,
        action="diagnostic_template.updated",
        obj=template,
        consultancy=template.consultancy,
        before=before,
        after=raw,
    )
    return template


# --- runs ---------------------------------------------------------------------------------------


@transaction.atomic
def run_start(*, client: Client, template: DiagnosticTemplate, actor) -> DiagnosticRun:
    run = DiagnosticRun.objects.create(
        client=client, template=template, started_by=actor_label(actor)
    )
    audit_record(
        actor=actor,
        action="diagnostic.started",
        obj=run,
        consultancy=client.consultancy,
        client=client,
        after={"template": template.key, "version": template.version},
    )
    return run


@transaction.atomic
def run_answers_save(*, run: DiagnosticRun, answers, actor) -> DiagnosticRun:
    """Merge ``answers`` ({question key: value}; None clears one) into the saved answers. Every
    unknown key and wrong value is named (AnswersInvalid); nothing is saved then."""
    run = (
        DiagnosticRun.objects.select_for_update(of=("self",))
        .select_related("template")
        .get(pk=run.pk)
    )
    if run.status != DiagnosticRun.Status.DRAFT:
        raise RunClosed
    if not isinstance(answers, Mapping):
        raise AnswersInvalid({"answers": "must be an object of question keys to answers"})
    questions = definition_of(run.template).questions
    errors, merged = {}, dict(run.answers)
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            errors[key] = "is not a question of this diagnostic"
            continue
        if value is None:
            merged.pop(key, None)
            continue
        try:
            merged[key] = clean_answer(question, value)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise AnswersInvalid(errors)
    run.answers = merged
    run.updated_at = timezone.now()
    run.save(update_fields=["answers", "updated_at"])
    return run


@transaction.atomic
def run_submit(*, run: DiagnosticRun, actor) -> DiagnosticRun:
    """Close the answers and queue the scoring. RunIncomplete lists unanswered required
    questions; RunClosed if it was submitted already."""
    run = (
        DiagnosticRun.objects.select_for_update(of=("self",))
        .select_related("template", "client__consultancy")
        .get(pk=run.pk)
    )
    if run.status != DiagnosticRun.Status.DRAFT:
        raise RunClosed
    definition = definition_of(run.template)
    missing = [
        question.key
        for section in definition.sections
        for question in section.questions
        if question.required and run.answers.get(question.key) is None
    ]
    if missing:
        raise RunIncomplete(missing)
    run.status, run.submitted_at = DiagnosticRun.Status.SUBMITTED, timezone.now()
    result_url = reverse(
        "api-v1:client-diagnostic-detail", kwargs={"client_id": run.client_id, "run_id": run.pk}
    )
    run.job = job_create(
        kind=SCORE_JOB,
        client=run.client,
        params={"run": str(run.pk)},
        result_url=result_url,
        actor=actor,
    )
    run.save(update_fields=["status", "submitted_at", "job"])
    audit_record(
        actor=actor,
        action="diagnostic.submitted",
        obj=run,
        consultancy=run.client.consultancy,
        client=run.client,
    )
    return run


@transaction.atomic
def run_score(*, run_id) -> DiagnosticRun | None:
    """Score a submitted run: the questionnaire's scores and recommendations, and the findings
    from the client's own plan and data (with the answers they contradict). Idempotent: a
    scored run is scored again from the same answers and today's data."""
    run = (
        DiagnosticRun.objects.select_for_update(of=("self",))
        .select_related("template", "client__consultancy")
        .filter(pk=run_id)
        .first()
    )
    if run is None or run.status == DiagnosticRun.Status.DRAFT:
        return None
    definition = definition_of(run.template)
    result = scoring.score_run(definition, run.answers)
    inputs = check_inputs(client=run.client)
    findings = checks.data_checks(inputs)
    findings += checks.contradicted(definition.contradictions, run.answers, inputs, findings)
    result["findings"] = findings
    run.result = result
    run.status, run.scored_at = DiagnosticRun.Status.SCORED, timezone.now()
    run.save(update_fields=["result", "status", "scored_at"])
    client_id, run_pk, score = run.client_id, run.pk, result["score"]
    transaction.on_commit(
        lambda: signals.diagnostic_scored.send(
            sender=DiagnosticRun, client_id=client_id, run_id=run_pk, score=score
        )
    )
    return run


def run_score_job(job) -> dict | None:
    """The work of a scoring job: score the run it names; returns the job's result summary."""
    run = run_score(run_id=job.params["run"])
    return None if run is None else {"score": run.result["score"], "level": run.result["level"]}


# --- the data checks ----------------------------------------------------------------------------


def client_findings(*, client: Client) -> list[dict]:
    """The data checks alone, for the active plan and the data as of today."""
    return checks.data_checks(check_inputs(client=client))


def check_inputs(*, client: Client) -> checks.CheckInputs:
    today = client_today(client)
    inputs = active_plan_inputs(client_id=client.pk)
    if inputs is None:
        return checks.CheckInputs(
            today, (), {}, (), (), lambda _metric, _period: None, has_plan=False
        )
    rows = measurement_rows({client.pk: inputs}).get(client.pk, [])
    rollup = Rollup(inputs.metrics, measured_values(inputs, rows), today)

    def value(metric: str, period: Period) -> Decimal | None:
        found = rollup.value(metric, period)
        return None if found is None else found.value

    children = children_of(inputs.tree)
    formulas = {}
    for node in inputs.tree:
        found = formula_over_children(node, children.get(node.key, []))
        if found is not None:
            formulas[node.key] = found
    return checks.CheckInputs(
        today=today,
        nodes=inputs.plan.nodes,
        formulas=formulas,
        milestones=inputs.plan.milestones,
        funnels=[checks.FunnelView(f.key, f.name, f.stages) for f in inputs.funnels],
        value=value,
        off_track_metrics=_off_track_metrics(client, today),
    )


def _off_track_metrics(client: Client, today) -> frozenset[str]:
    """The metrics whose line is off track in the latest closed month's stored scorecard."""
    current = Period.containing(Granularity.MONTH, today)
    snapshot = (
        ScorecardSnapshot.objects.filter(
            client=client, plan__status=Plan.Status.ACTIVE, period_start__lt=current.start
        )
        .order_by("-period_start")
        .values_list("payload", flat=True)
        .first()
    )
    if snapshot is None:
        return frozenset()
    return frozenset(line["metric"] for line in snapshot["lines"] if line["status"] == "off_track")
