"""A diagnostic template's content — sections, questions, recommendation and contradiction rules —
read and checked in plain Python (no Django; numbers are read as measurements are).

A template is stored as one document (the JSON below), versioned as a whole: a run keeps the
version it was answered on, and a consultancy's copy is the document copied. ``read_definition``
returns a ``Definition`` or raises ``DefinitionInvalid`` naming every problem by path
(``sections[1].questions[0].options``); ``clean_answer`` checks one answer against its question.

    {"key", "name", "name_ja", "description", "description_ja",
     "sections": [{"key", "title", "title_ja", "weight",
                   "questions": [{"key", "text", "text_ja", "type", "weight", "required",
                                  "reversed", "options"}]}],
     "recommendations": [{"key", "priority", "text", "text_ja",
                          "when": {"section", "below"} | {"question", "answers"}}],
     "contradictions": [{"key", "question", "answers", "check", "metric", "severity",
                         "message", "message_ja"}]}

Question types: ``scale`` (1-5), ``yes_no`` (options may set the scores of true and false;
default 1 and 0), ``choice`` (options ``{"value", "label", "label_ja", "score"}``), ``number``
(options are bands ``{"min", "max", "score"}``, min inclusive, max exclusive, either open),
``text`` (unscored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from clients.documents import DocumentReader
from metrics.ingest import parse_value

KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
TEMPLATE_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
TYPES = ("scale", "yes_no", "choice", "number", "text")
SEVERITIES = ("high", "medium", "low")
# What a contradiction rule can test the data for (DESIGN: "answers the data contradicts").
CONTRADICTION_CHECKS = (
    "funnel_stage_without_data",  # a funnel stage with no data in the last two closed months
    "kpi_off_track",  # the latest scorecard has the metric's line off track (needs "metric")
    "no_state_milestones",
    "no_stretch_targets",
    "too_many_core_kpis",
    "no_funnel",
    "stale_data",
)


@dataclass(frozen=True)
class Option:
    value: object  # a choice's value, True/False for yes_no
    score: Decimal
    label: str = ""
    label_ja: str = ""


@dataclass(frozen=True)
class Band:
    min: Decimal | None
    max: Decimal | None
    score: Decimal

    def holds(self, value: Decimal) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    text_ja: str
    type: str
    weight: Decimal = Decimal(1)
    required: bool = True
    reversed: bool = False
    options: tuple[Option, ...] = ()
    bands: tuple[Band, ...] = ()
    section: str = ""

    @property
    def scored(self) -> bool:
        return self.type != "text"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    title_ja: str
    weight: Decimal
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Recommendation:
    key: str
    priority: int  # 1 first
    text: str
    text_ja: str
    section: str | None = None  # fires when this section scores below ``below``
    below: Decimal | None = None
    question: str | None = None  # or when this question got one of ``answers``
    answers: tuple = ()


@dataclass(frozen=True)
class Contradiction:
    key: str
    question: str
    answers: tuple  # the answers that claim something
    check: str  # the data check that would disprove it
    severity: str
    message: str
    message_ja: str
    metric: str | None = None


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    name_ja: str
    description: str
    description_ja: str
    sections: tuple[Section, ...]
    recommendations: tuple[Recommendation, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    questions: dict[str, Question] = field(default_factory=dict, compare=False)


class DefinitionInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


class _Reader(DocumentReader):
    """A document reader whose numbers are optional unless said otherwise, and read as a
    measurement's value is (at most 14 digits before the point and 6 after)."""

    def number(self, name, *, default=None, required=False):
        return super().number(name, parse=parse_value, required=required, default=default)

    def text(self, name, *, max_length=2000, **options):
        return super().text(name, max_length=max_length, **options)


def read_definition(raw) -> Definition:
    errors: list[tuple[str, str]] = []
    top = _Reader(errors, raw, "")
    sections, questions = [], {}
    section_keys = set()
    for index, raw_section in enumerate(top.items("sections", required=True)):
        s = _Reader(errors, raw_section, f"sections[{index}]")
        key = s.text("key", pattern=KEY, max_length=64)
        if key in section_keys:
            s.fail("key", f"{key!r} is used twice")
        section_keys.add(key)
        weight = s.number("weight", default=Decimal(1))
        if weight is not None and weight < 0:
            s.fail("weight", "must be 0 or more")
        section_questions = []
        for position, raw_question in enumerate(s.items("questions", required=True)):
            question = _question(errors, raw_question, s.where(f"questions[{position}]"), key)
            if question.key in questions:
                errors.append(
                    (f"{s.where(f'questions[{position}]')}.key", f"{question.key!r} is used twice")
                )
            questions[question.key] = question
            section_questions.append(question)
        sections.append(
            Section(key, s.text("title"), s.text("title_ja"), weight, tuple(section_questions))
        )
    recommendations = [
        _recommendation(errors, raw_rule, f"recommendations[{index}]", section_keys, questions)
        for index, raw_rule in enumerate(top.items("recommendations"))
    ]
    contradictions = [
        _contradiction(errors, raw_rule, f"contradictions[{index}]", questions)
        for index, raw_rule in enumerate(top.items("contradictions"))
    ]
    for name, rules in (("recommendations", recommendations), ("contradictions", contradictions)):
        seen = set()
        for index, rule in enumerate(rules):
            if rule.key in seen:
                errors.append((f"{name}[{index}].key", f"{rule.key!r} is used twice"))
            seen.add(rule.key)
    definition = Definition(
        key=top.text("key", pattern=TEMPLATE_KEY, max_length=64),
        name=top.text("name", max_length=200),
        name_ja=top.text("name_ja", max_length=200),
        description=top.text("description", required=False),
        description_ja=top.text("description_ja", required=False),
        sections=tuple(sections),
        recommendations=tuple(recommendations),
        contradictions=tuple(contradictions),
        questions=questions,
    )
    if errors:
        raise DefinitionInvalid(errors)
    return definition


def _question(errors, raw, path, section) -> Question:
    q = _Reader(errors, raw, path)
    kind = q.raw.get("type")
    if kind not in TYPES:
        q.fail("type", f"must be one of {', '.join(TYPES)}")
        kind = "text"
    weight = q.number("weight", default=Decimal(1))
    if weight is not None and weight < 0:
        q.fail("weight", "must be 0 or more")
    options, bands = (), ()
    raw_options = q.items("options")
    if kind == "choice":
        options = tuple(
            _option(errors, item, f"{path}.options[{i}]") for i, item in enumerate(raw_options)
        )
        if len(options) < 2:
            q.fail("options", "a choice needs at least two options")
        values = [option.value for option in options]
        if len(set(map(repr, values))) != len(values):
            q.fail("options", "option values must differ")
    elif kind == "yes_no":
        scores = {True: Decimal(1), False: Decimal(0)}
        for i, item in enumerate(raw_options):
            option = _option(errors, item, f"{path}.options[{i}]")
            if option.value not in (True, False):
                errors.append((f"{path}.options[{i}].value", "must be true or false"))
            else:
                scores[option.value] = option.score
        options = (Option(True, scores[True]), Option(False, scores[False]))
    elif kind == "number":
        bands = tuple(
            _band(errors, item, f"{path}.options[{i}]") for i, item in enumerate(raw_options)
        )
        if not bands:
            q.fail("options", "a number question needs at least one scoring band")
    elif raw_options:
        q.fail("options", f"a {kind} question has no options")
    return Question(
        key=q.text("key", pattern=KEY, max_length=64),
        text=q.text("text"),
        text_ja=q.text("text_ja"),
        type=kind,
        weight=weight,
        required=q.flag("required", True),
        reversed=q.flag("reversed", False),
        options=options,
        bands=bands,
        section=section,
    )


def _score(r: _Reader) -> Decimal:
    score = r.number("score", required=True, default=Decimal(0))
    if not (0 <= score <= 1):
        r.fail("score", "must be between 0 and 1")
    return score


def _option(errors, raw, path) -> Option:
    o = _Reader(errors, raw, path)
    value = o.raw.get("value")
    if value is None or isinstance(value, (list, dict)):
        o.fail("value", "is required: text, a number or true/false")
    return Option(value, _score(o), o.raw.get("label") or "", o.raw.get("label_ja") or "")


def _band(errors, raw, path) -> Band:
    b = _Reader(errors, raw, path)
    low, high = b.number("min"), b.number("max")
    if low is not None and high is not None and high <= low:
        b.fail("max", "must be above min")
    return Band(low, high, _score(b))


def _recommendation(errors, raw, path, sections, questions) -> Recommendation:
    r = _Reader(errors, raw, path)
    priority = r.raw.get("priority", 2)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 3:
        r.fail("priority", "must be 1 (first), 2 or 3")
        priority = 2
    when = r.raw.get("when")
    w = _Reader(errors, when, r.where("when"))
    section, below, question, answers = None, None, None, ()
    if "section" in w.raw:
        section = w.raw["section"]
        if section not in sections:
            w.fail("section", f"{section!r} is not a section of this template")
        below = w.number("below", required=True)
    elif "question" in w.raw:
        question = w.raw["question"]
        if question not in questions:
            w.fail("question", f"{question!r} is not a question of this template")
        answers = tuple(w.items("answers", required=True))
    elif isinstance(when, Mapping):
        w.fail("", 'must name a "section" (with "below") or a "question" (with "answers")')
    return Recommendation(
        key=r.text("key", pattern=KEY, max_length=64),
        priority=priority,
        text=r.text("text"),
        text_ja=r.text("text_ja"),
        section=section,
        below=below,
        question=question,
        answers=answers,
    )


def _contradiction(errors, raw, path, questions) -> Contradiction:
    c = _Reader(errors, raw, path)
    question = c.raw.get("question")
    if question not in questions:
        c.fail("question", f"{question!r} is not a question of this template")
    check = c.raw.get("check")
    if check not in CONTRADICTION_CHECKS:
        c.fail("check", f"must be one of {', '.join(CONTRADICTION_CHECKS)}")
    metric = c.raw.get("metric")
    if check == "kpi_off_track" and not metric:
        c.fail("metric", "kpi_off_track needs the metric to look at")
    severity = c.raw.get("severity", "medium")
    if severity not in SEVERITIES:
        c.fail("severity", f"must be one of {', '.join(SEVERITIES)}")
    return Contradiction(
        key=c.text("key", pattern=KEY, max_length=64),
        question=question,
        answers=tuple(c.items("answers", required=True)),
        check=check,
        severity=severity,
        message=c.text("message"),
        message_ja=c.text("message_ja"),
        metric=metric,
    )


# --- answers --------------------------------------------------------------------------------------


def answer_from_text(question: Question, text: str):
    """A form's text as the answer ``clean_answer`` takes (None for an empty field: no answer),
    or ValueError saying what the question takes."""
    text = (text or "").strip()
    if text == "":
        return None
    match question.type:
        case "scale":
            if not text.isdigit():
                raise ValueError("must be a whole number from 1 to 5")
            return int(text)
        case "yes_no":
            if text.lower() not in ("true", "false"):
                raise ValueError("must be true or false")
            return text.lower() == "true"
        case "choice":
            for option in question.options:
                if str(option.value) == text:
                    return option.value
            raise ValueError("is not one of the choices")
        case "number":
            return parse_value(text)
        case _:
            return text


def clean_answer(question: Question, value):
    """The answer as stored, or ValueError saying what the question takes."""
    match question.type:
        case "scale":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise ValueError("must be a whole number from 1 to 5")
            return value
        case "yes_no":
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        case "choice":
            for option in question.options:
                if option.value == value and type(option.value) is type(value):
                    return value
            allowed = ", ".join(repr(option.value) for option in question.options)
            raise ValueError(f"must be one of {allowed}")
        case "number":
            if isinstance(value, str):  # an answer is a JSON number, not text
                raise ValueError("must be a number")
            return parse_value(value)
        case _:
            if not isinstance(value, str) or len(value) > 5000:
                raise ValueError("must be text of at most 5000 characters")
            return value
