"""Scoring a diagnostic run (API.md, "Diagnostics"), in plain Python with exact decimals.

- A question scores 0..1: scale (v - 1) / 4; yes/no and choice: the option's score; number: its
  band's score (no band: 0); reversed questions flip (1 - s). Text questions are not scored.
- Unanswered optional questions drop out. A section's score is 100 x the weighted mean of its
  answered questions (none: no score, and the section drops out of the overall score).
- The overall score is the mean of the section scores weighted by section weight; level 1 below
  20, 2 below 40, 3 below 60, 4 below 80, else 5.
- Recommendations fire on a section scoring below a threshold or on given answers, sorted by
  priority (1 first), then key.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from diagnostics.definition import Definition, Question

PLACES = Decimal("0.01")
LEVELS = ((Decimal(20), 1), (Decimal(40), 2), (Decimal(60), 3), (Decimal(80), 4))


def _round(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    rounded = value.quantize(PLACES, rounding=ROUND_HALF_EVEN)
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded


def question_score(question: Question, answer) -> Decimal | None:
    """0..1, or None for an unscored question or no answer."""
    if answer is None or not question.scored:
        return None
    match question.type:
        case "scale":
            score = (Decimal(answer) - 1) / 4
        case "yes_no" | "choice":
            score = next(
                (
                    option.score
                    for option in question.options
                    if option.value == answer and type(option.value) is type(answer)
                ),
                Decimal(0),
            )
        case "number":
            value = Decimal(str(answer))
            score = next((band.score for band in question.bands if band.holds(value)), Decimal(0))
        case _:
            return None
    return 1 - score if question.reversed else score


def level(score: Decimal | None) -> int | None:
    if score is None:
        return None
    return next((number for limit, number in LEVELS if score < limit), 5)


def score_run(definition: Definition, answers: Mapping[str, object]) -> dict:
    with localcontext() as context:
        context.prec = 34
        sections, raw_sections = [], {}
        for section in definition.sections:
            total = weights = Decimal(0)
            for question in section.questions:
                score = question_score(question, answers.get(question.key))
                if score is None:
                    continue
                total += question.weight * score
                weights += question.weight
            raw = Decimal(100) * total / weights if weights else None
            raw_sections[section.key] = raw
            sections.append({"key": section.key, "score": _round(raw)})
        weighted = [
            (section.weight, raw_sections[section.key])
            for section in definition.sections
            if raw_sections[section.key] is not None
        ]
        weight_sum = sum((weight for weight, _score in weighted), Decimal(0))
        overall = (
            sum((weight * score for weight, score in weighted), Decimal(0)) / weight_sum
            if weight_sum
            else None
        )
    return {
        "score": _round(overall),
        "level": level(overall),
        "sections": sections,
        "recommendations": recommendations(definition, answers, raw_sections),
    }


def recommendations(
    definition: Definition, answers: Mapping[str, object], sections: Mapping[str, Decimal | None]
) -> list[dict]:
    fired = []
    for rule in definition.recommendations:
        if rule.section is not None:
            score = sections.get(rule.section)
            hit = score is not None and score < rule.below
        else:
            answer = answers.get(rule.question)
            hit = answer is not None and any(
                (answer == wanted and type(answer) is type(wanted))
                or (isinstance(answer, Decimal) and _same_number(answer, wanted))
                for wanted in rule.answers
            )
        if hit:
            fired.append(
                {
                    "key": rule.key,
                    "priority": rule.priority,
                    "text": rule.text,
                    "text_ja": rule.text_ja,
                }
            )
    return sorted(fired, key=lambda item: (item["priority"], item["key"]))


def _same_number(answer: Decimal, wanted) -> bool:
    if isinstance(wanted, bool) or not isinstance(wanted, (int, float, Decimal)):
        return False
    return answer == Decimal(str(wanted))
