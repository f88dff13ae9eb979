"""The checkers' problems in the reader's language.

The checkers (the plan document, a measurement row, a period, a formula, an import file) are plain
Python and say what is wrong in English: the API returns that text as its contract. The admin
shows the same problems to people: each known message is matched here, and the same sentence,
marked for translation (its Japanese is in ``locale/``), is written again with the message's
details. A message this table does not know is shown as it is;
``tests/clients/test_problem_words.py`` feeds real bad input through the checkers and finds
every message they give here.
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.translation import gettext_lazy as _

GRANULARITIES = {
    "day": _("day"),
    "week": _("week"),
    "month": _("month"),
    "quarter": _("quarter"),
    "year": _("year"),
}

# (the checker's message as a pattern, the same sentence to translate, with its named parts)
MESSAGES = [
    (
        r"is required",
        _("is required"),
    ),
    (
        r'is required: \{"period", "value"\}',
        _('is required: {{"period", "value"}}'),
    ),
    (
        r"must be an object",
        _("must be an object"),
    ),
    (
        r"must be text of at most (?P<n>\d+) characters",
        _("must be text of at most {n} characters"),
    ),
    (
        r"must be a date written YYYY-MM-DD",
        _("must be a date written YYYY-MM-DD"),
    ),
    (
        r"must be one of (?P<choices>.+)",
        _("must be one of {choices}"),
    ),
    (
        r"must be true or false",
        _("must be true or false"),
    ),
    (
        r"must be a list",
        _("must be a list"),
    ),
    (
        r"(?P<value>.+) is used twice",
        _("{value} is used twice"),
    ),
    (
        r"must be letters, digits, - or _ \(a KPI key: lower-case, digits, _\)",
        _("must be letters, digits, - or _ (a KPI key: lower-case, digits, _)"),
    ),
    (
        r"must be a number",
        _("must be a number"),
    ),
    (
        r"must be a finite number",
        _("must be a finite number"),
    ),
    (
        r"has more than (?P<n>\d+) digits before the point",
        _("has more than {n} digits before the point"),
    ),
    (
        r"has more than (?P<n>\d+) digits after the point",
        _("has more than {n} digits after the point"),
    ),
    (
        r"(?P<text>'.*') is not a period: write it as .+\.",
        _("{text} is not a period: write it as 2026-09-15, 2026-W38, 2026-09, 2026-Q3 or 2026."),
    ),
    (
        r"(?P<text>'.*') is not a real (?P<granularity>\w+): write it as .+\.",
        _(
            "{text} is not a real {granularity}: "
            "write it as 2026-09-15, 2026-W38, 2026-09, 2026-Q3 or 2026."
        ),
    ),
    (
        r"(?P<text>'.*') is out of range: periods end by 9998\.",
        _("{text} is out of range: periods end by 9998."),
    ),
    (
        r"must be after starts_on",
        _("must be after starts_on"),
    ),
    (
        r"(?P<key>'.*') is not a known metric",
        _("{key} is not a known metric"),
    ),
    (
        r"must be 0 or more",
        _("must be 0 or more"),
    ),
    (
        r"must come after the baseline period",
        _("must come after the baseline period"),
    ),
    (
        r"must be above 0 for compound interpolation",
        _("must be above 0 for compound interpolation"),
    ),
    (
        r"is easier than must: below it while higher is better",
        _("is easier than must: below it while higher is better"),
    ),
    (
        r"is easier than must: above it while lower is better",
        _("is easier than must: above it while lower is better"),
    ),
    (
        r"must be a (?P<granularity>\w+) \(the KPI's granularity\), e\.g\. (?P<example>\S+)",
        _("must be a {granularity} (the KPI's granularity), e.g. {example}"),
    ),
    (
        r"(?P<key>'.*') is not a KPI of this plan",
        _("{key} is not a KPI of this plan"),
    ),
    (
        r"makes a cycle through (?P<key>'.*')",
        _("makes a cycle through {key}"),
    ),
    (
        r"names what is not a child of (?P<key>'.*'): (?P<names>.+)",
        _("names what is not a child of {key}: {names}"),
    ),
    (
        r"must fall within the plan \((?P<start>\S+) to (?P<end>\S+)\)",
        _("must fall within the plan ({start} to {end})"),
    ),
    (
        r"a state milestone needs at least one condition",
        _("a state milestone needs at least one condition"),
    ),
    (
        r"only an event milestone is marked achieved; a state milestone is judged from the data",
        _("only an event milestone is marked achieved; a state milestone is judged from the data"),
    ),
    (
        r"an event milestone has no conditions",
        _("an event milestone has no conditions"),
    ),
    (
        r"(?P<key>'.*') is not summed, so it cannot be cumulative",
        _("{key} is not summed, so it cannot be cumulative"),
    ),
    (
        r"a funnel needs at least two stages",
        _("a funnel needs at least two stages"),
    ),
    (
        r"(?P<key>'.*') is not a summed count \(a stage counts people\)",
        _("{key} is not a summed count (a stage counts people)"),
    ),
    (
        r"the first stage has no conversion to meet",
        _("the first stage has no conversion to meet"),
    ),
    (
        r"must be above 0 and at most 1 \(0\.15 = 15%\)",
        _("must be above 0 and at most 1 (0.15 = 15%)"),
    ),
    (
        r"The formula is empty\.",
        _("The formula is empty."),
    ),
    (
        r"Unknown metric keys in (?P<text>'.*'): (?P<keys>.+)\.",
        _("Unknown metric keys in {text}: {keys}."),
    ),
    (
        r"Unexpected (?P<token>'.*') in (?P<text>'.*')\.",
        _("Unexpected {token} in {text}."),
    ),
    (
        r"(?P<text>'.*') ends too early\.",
        _("{text} ends too early."),
    ),
    (
        r"Unknown function (?P<name>'.*'): use min or max\.",
        _("Unknown function {name}: use min or max."),
    ),
    (
        r"must be an object with metric, period and value",
        _("must be an object with metric, period and value"),
    ),
    (
        r"is not a field of a measurement",
        _("is not a field of a measurement"),
    ),
    # A diagnostic's answers.
    (
        r"is not a question of this diagnostic",
        _("is not a question of this diagnostic"),
    ),
    (
        r"must be a whole number from 1 to 5",
        _("must be a whole number from 1 to 5"),
    ),
    (
        r"must be an object of question keys to answers",
        _("must be an object of question keys to answers"),
    ),
    (
        r"(?P<key>'.*') is computed from a formula; write its inputs",
        _("{key} is computed from a formula; write its inputs"),
    ),
    (
        r"is a date cell; write the period as text, e\.g\. 2026-09",
        _("is a date cell; write the period as text, e.g. 2026-09"),
    ),
    (
        r"(?P<key>\S+) for (?P<period>\S+) is already in row (?P<row>\d+)",
        _("{key} for {period} is already in row {row}"),
    ),
    (
        r"has more cells than the header names",
        _("has more cells than the header names"),
    ),
    (
        r"Line 1 must be the header metric,period,value\[,source\]; found (?P<found>.*)\.",
        _("Line 1 must be the header metric,period,value[,source]; found {found}."),
    ),
    (
        r"The file is binary, not CSV text \(save it as CSV or XLSX\)\.",
        _("The file is binary, not CSV text (save it as CSV or XLSX)."),
    ),
    (
        r"The file is neither UTF-8 nor CP932 \(Shift_JIS\) text\.",
        _("The file is neither UTF-8 nor CP932 (Shift_JIS) text."),
    ),
    (
        r"The file is empty\.",
        _("The file is empty."),
    ),
    (
        r"The first sheet is empty\.",
        _("The first sheet is empty."),
    ),
    (
        r"The file is not a readable XLSX workbook \((?P<why>.*)\)\.",
        _("The file is not a readable XLSX workbook ({why})."),
    ),
]
_COMPILED = [(re.compile(pattern), sentence) for pattern, sentence in MESSAGES]
_LINE = re.compile(r"line (?P<line>\d+)(?:, (?P<field>[\w.\[\]]+))?: (?P<message>.*)", re.S)


def problem_text(message: str, language: str | None) -> str:
    """The checker's ``message`` for a reader of ``language``: as it is in English."""
    if not (language or "").lower().startswith("ja"):
        return message
    for pattern, sentence in _COMPILED:
        matched = pattern.fullmatch(message)
        if matched:
            with translation.override(language):
                parts = matched.groupdict()
                if "granularity" in parts:
                    word = parts["granularity"]
                    parts["granularity"] = str(GRANULARITIES.get(word, word))
                return str(sentence).format(**parts)
    return message


def line_problem_text(text: str, language: str | None) -> str:
    """An import's ``line 3, value: must be a number`` for a reader of ``language``."""
    matched = _LINE.fullmatch(text)
    if not (language or "").lower().startswith("ja") or matched is None:
        return text
    with translation.override(language):
        where = _("line %(line)s") % {"line": matched["line"]}
        if matched["field"]:
            where = f"{where}・{matched['field']}"
    return f"{where}: {problem_text(matched['message'], language)}"
