"""A diagnostic run as a page to answer and read, shared by the portal (the client answers on
their own) and the workspace in the admin (the consultant answers with the client in a
meeting): the same sections, the same questions, the same saving."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.principals import Principal
from diagnostics import services as diagnostics
from diagnostics.definition import answer_from_text
from diagnostics.models import DiagnosticRun
from metrics.display import is_japanese


def run_context(run: DiagnosticRun, *, asked: str | None, missing=()) -> dict:
    """What the run's page shows: the sections as steps with their counts of answers, the
    section asked for (else the first with a question still open) with each question and its
    saved answer, and once scored the result by section."""
    definition = diagnostics.definition_of(run.template)
    sections = [
        (section, [(question, run.answers.get(question.key)) for question in section.questions])
        for section in definition.sections
    ]
    answered = sum(1 for key in definition.questions if run.answers.get(key) is not None)
    japanese = is_japanese(get_language())
    steps = [
        {
            "section": section,
            "answered": sum(1 for _question, answer in questions if answer is not None),
            "total": len(questions),
            "missing": any(question.key in missing for question, _answer in questions),
        }
        for section, questions in sections
    ]
    keys = [section.key for section, _questions in sections]
    if asked not in keys:
        unfinished = [s["section"].key for s in steps if s["missing"] or s["answered"] < s["total"]]
        asked = unfinished[0] if unfinished else keys[0]
    position = keys.index(asked)
    section_scores = []
    if run.result:
        scores = {section["key"]: section["score"] for section in run.result["sections"]}
        section_scores = [
            (section.title_ja if japanese else section.title, scores.get(section.key))
            for section in definition.sections
        ]
    return {
        "run": run,
        "definition": definition,
        "steps": steps,
        "current": sections[position],
        "previous_key": keys[position - 1] if position > 0 else None,
        "next_key": keys[position + 1] if position + 1 < len(keys) else None,
        "answered": answered,
        "total": len(definition.questions),
        "missing": set(missing),
        "japanese": japanese,
        "section_scores": section_scores,
        "section_chart": {
            "labels": [title for title, _score in section_scores],
            "scores": [None if score is None else float(score) for _t, score in section_scores],
        },
    }


def answers_save(
    run: DiagnosticRun, data, actor: Principal
) -> tuple[dict[str, object], dict[str, str]]:
    """Save the answers a form sends (``q_<key>`` fields), all or none: the answers read, and
    the reason for each one refused."""
    definition = diagnostics.definition_of(run.template)
    answers, errors = {}, {}
    for key, question in definition.questions.items():
        field = f"q_{key}"
        if field not in data:
            continue
        try:
            answers[key] = answer_from_text(question, data[field])
        except ValueError as exc:
            errors[key] = str(exc)
    if not errors:
        try:
            diagnostics.run_answers_save(run=run, answers=answers, actor=actor)
        except diagnostics.RunClosed:
            errors = {key: _("The diagnostic was submitted; answers are final.") for key in answers}
        except diagnostics.AnswersInvalid as exc:
            errors = exc.errors
    return answers, errors


def answer_status(run: DiagnosticRun, answers: dict, errors: dict) -> dict:
    """The context of the status an htmx save gets back: this answer's, and the count."""
    definition = diagnostics.definition_of(run.template)
    run.refresh_from_db(fields=["answers"])
    return {
        "errors": errors,
        "saved": answers,
        "answered": sum(1 for key in definition.questions if run.answers.get(key) is not None),
        "total": len(definition.questions),
    }
