"""Writes and computations of diagnostics, one module per concern: ``templates`` (copies and
versions of questionnaires), ``runs`` (start, answer, submit, score) and ``checks`` (the data
checks on a client's plan and measurements). Every function takes keyword arguments and owns
its transaction; ``actor`` is the acting principal (None for the operator or a task)."""

from diagnostics.services.checks import check_inputs, client_findings
from diagnostics.services.runs import (
    SCORE_JOB,
    AnswersInvalid,
    RunClosed,
    RunIncomplete,
    run_answers_save,
    run_score,
    run_score_job,
    run_start,
    run_submit,
)
from diagnostics.services.templates import definition_of, template_copy, template_update

__all__ = [
    "SCORE_JOB",
    "AnswersInvalid",
    "RunClosed",
    "RunIncomplete",
    "check_inputs",
    "client_findings",
    "definition_of",
    "run_answers_save",
    "run_score",
    "run_score_job",
    "run_start",
    "run_submit",
    "template_copy",
    "template_update",
]
