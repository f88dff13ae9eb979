"""Diagnostic scoring and template documents, worked by hand (no database)."""

from decimal import Decimal as D

import pytest

from diagnostics.builtin import STRATEGY_QUICK_CHECK
from diagnostics.definition import DefinitionInvalid, clean_answer, read_definition
from diagnostics.scoring import level, score_run

SMALL = {
    "key": "small",
    "name": "Small",
    "name_ja": "小",
    "sections": [
        {
            "key": "a",
            "title": "A",
            "title_ja": "A",
            "weight": 1,
            "questions": [
                {"key": "q1", "text": "1", "text_ja": "1", "type": "scale", "weight": 2},
                {"key": "q2", "text": "2", "text_ja": "2", "type": "yes_no", "reversed": True},
                {"key": "q3", "text": "3", "text_ja": "3", "type": "text", "required": False},
            ],
        },
        {
            "key": "b",
            "title": "B",
            "title_ja": "B",
            "weight": 3,
            "questions": [
                {
                    "key": "q4",
                    "text": "4",
                    "text_ja": "4",
                    "type": "choice",
                    "options": [
                        {"value": "a", "score": 1},
                        {"value": "b", "score": 0.5},
                        {"value": "c", "score": 0},
                    ],
                },
                {
                    "key": "q5",
                    "text": "5",
                    "text_ja": "5",
                    "type": "number",
                    "options": [
                        {"max": 10, "score": 0},
                        {"min": 10, "max": 20, "score": 0.5},
                        {"min": 20, "score": 1},
                    ],
                },
                {"key": "q6", "text": "6", "text_ja": "6", "type": "scale", "required": False},
            ],
        },
    ],
    "recommendations": [
        {
            "key": "r1",
            "priority": 2,
            "text": "A",
            "text_ja": "A",
            "when": {"section": "a", "below": 60},
        },
        {
            "key": "r2",
            "priority": 1,
            "text": "Q4",
            "text_ja": "Q4",
            "when": {"question": "q4", "answers": ["b"]},
        },
        {
            "key": "r3",
            "priority": 1,
            "text": "B",
            "text_ja": "B",
            "when": {"section": "b", "below": 70},
        },
    ],
}


def test_a_small_template_scored_by_hand():
    definition = read_definition(SMALL)
    answers = {"q1": 4, "q2": True, "q3": "free text", "q4": "b", "q5": D(25)}

    result = score_run(definition, answers)

    # A: q1 (4 - 1) / 4 = 0.75 (weight 2); q2 yes scores 1, reversed 0; q3 is not scored.
    #    100 x (2 x 0.75 + 0) / 3 = 50.
    # B: q4 "b" 0.5; q5 25 falls in [20, ...) = 1; q6 optional and unanswered drops out.
    #    100 x (0.5 + 1) / 2 = 75.
    # Overall: (1 x 50 + 3 x 75) / 4 = 68.75, level 4.
    assert result["sections"] == [{"key": "a", "score": 50}, {"key": "b", "score": 75}]
    assert (result["score"], result["level"]) == (D("68.75"), 4)
    # r2 (priority 1) before r1 (priority 2); B's 75 is not below 70.
    assert [r["key"] for r in result["recommendations"]] == ["r2", "r1"]


def test_a_section_without_answers_drops_out_of_the_overall_score():
    definition = read_definition(SMALL)
    result = score_run(definition, {"q4": "a", "q5": D(5)})
    # A has no scored answer: no score. B: (1 + 0) / 2 = 50, and the overall is B's alone.
    assert result["sections"][0] == {"key": "a", "score": None}
    assert (result["score"], result["level"]) == (50, 3)


@pytest.mark.parametrize(
    ("score", "expected"),
    [("0", 1), ("19.99", 1), ("20", 2), ("59.99", 3), ("79.99", 4), ("80", 5)],
)
def test_levels(score, expected):
    assert level(D(score)) == expected


def best_answers(definition):
    answers = {}
    for section in definition.sections:
        for question in section.questions:
            match question.type:
                case "scale":
                    answers[question.key] = 1 if question.reversed else 5
                case "yes_no" | "choice":
                    best = max(question.options, key=lambda o: o.score)
                    answers[question.key] = best.value
                case "number":
                    band = max(question.bands, key=lambda b: b.score)
                    answers[question.key] = band.min if band.min is not None else band.max - 1
    return answers


def test_the_builtin_template_scores_its_best_answers_at_least_90():
    definition = read_definition(STRATEGY_QUICK_CHECK)
    sections = definition.sections
    questions = [q for s in sections for q in s.questions]
    assert len(sections) >= 5
    assert len(questions) >= 15
    assert all(q.text and q.text_ja for q in questions)

    result = score_run(definition, best_answers(definition))

    assert result["score"] >= 90
    assert result["level"] == 5
    assert result["recommendations"] == []


def test_the_worst_answers_fire_the_recommendations_in_priority_order():
    definition = read_definition(STRATEGY_QUICK_CHECK)
    worst = {}
    for section in definition.sections:
        for q in section.questions:
            if q.type == "scale":
                worst[q.key] = 5 if q.reversed else 1
            elif q.type in ("yes_no", "choice"):
                worst[q.key] = min(q.options, key=lambda o: o.score).value
            elif q.type == "number":
                worst[q.key] = D(0)
    result = score_run(definition, worst)
    priorities = [r["priority"] for r in result["recommendations"]]
    assert result["score"] < 20
    assert priorities == sorted(priorities)
    assert {"start_from_the_customer", "build_the_kpi_tree", "stop_handing_off_sales"} <= {
        r["key"] for r in result["recommendations"]
    }


def test_a_bad_definition_names_every_problem():
    broken = {
        **SMALL,
        "sections": [
            {
                "key": "a",
                "title": "A",
                "title_ja": "A",
                "questions": [
                    {
                        "key": "q1",
                        "text": "1",
                        "text_ja": "1",
                        "type": "choice",
                        "options": [{"value": "x", "score": 2}],
                    },
                    {"key": "q1", "text": "2", "text_ja": "2", "type": "dropdown"},
                ],
            }
        ],
        "recommendations": [
            {"key": "r", "text": "t", "text_ja": "t", "when": {"section": "zzz", "below": 1}}
        ],
    }
    with pytest.raises(DefinitionInvalid) as caught:
        read_definition(broken)
    paths = {path for path, _message in caught.value.errors}
    assert {
        "sections[0].questions[0].options[0].score",
        "sections[0].questions[0].options",
        "sections[0].questions[1].type",
        "sections[0].questions[1].key",
        "recommendations[0].when.section",
    } <= paths


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("q1", 3, True),
        ("q1", 6, False),
        ("q1", True, False),
        ("q2", False, True),
        ("q2", "yes", False),
        ("q4", "c", True),
        ("q4", "d", False),
        ("q5", D("12.5"), True),
        ("q5", "12", False),
        ("q3", "anything", True),
    ],
)
def test_answers_are_checked_against_their_question(key, value, ok):
    question = read_definition(SMALL).questions[key]
    if ok:
        assert clean_answer(question, value) == value
    else:
        with pytest.raises(ValueError, match="must"):
            clean_answer(question, value)
