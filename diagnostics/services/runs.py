"""Diagnostic runs: started, answered section by section, submitted, and scored by a worker
with the findings of the data checks."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from clients.services.audit import actor_label, audit_record
from clients.services.jobs import job_create
from clients.services.webhooks import WebhookEvent, webhook_emit
from diagnostics import checks, scoring, signals
from diagnostics.definition import clean_answer
from diagnostics.models import DiagnosticRun, DiagnosticTemplate
from diagnostics.services.checks import check_inputs
from diagnostics.services.templates import definition_of

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
    # The webhooks' outbox, in this transaction. One event per run: scoring it again (a task
    # run twice) emits nothing new.
    webhook_emit(
        events=[
            WebhookEvent(
                type="diagnostic.scored",
                consultancy_id=run.client.consultancy_id,
                client_id=client_id,
                cause=str(run_pk),
                data={
                    "run": str(run_pk),
                    "template": run.template.key,
                    "score": score,
                    "level": result["level"],
                    "url": f"/api/v1/clients/{client_id}/diagnostics/{run_pk}/",
                },
            )
        ]
    )
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
