"""The checkers' problems, which the API gives in English, read in Japanese in the admin: the
messages real bad input produces are each found in the table, details kept."""

import re

import pytest

from clients.problem_words import line_problem_text, problem_text
from metrics.importing import ImportFileError, read_file
from plans.document import DocumentInvalid, MetricInfo, read_document

CATALOGUE = {
    "mrr": MetricInfo("money", "higher_is_better", "last"),
    "leads": MetricInfo("count", "higher_is_better", "sum"),
    "churn_rate": MetricInfo("ratio", "lower_is_better", "avg"),
    "visitors": MetricInfo("count", "higher_is_better", "sum"),
}

# A plan with a fault in nearly every place the checker looks.
BAD_PLAN = {
    "name": "",
    "starts_on": "2026-13-01",
    "ends_on": "2026-12-31",
    "status": "maybe",
    "kpis": [
        {
            "key": "MRR!",
            "metric": "nope",
            "baseline": {"period": "2026-02", "value": "x"},
            "must": 10,
            "target_period": "2026-01",
        },
        {
            "key": "mrr",
            "metric": "mrr",
            "parent": "ghost",
            "weight": -1,
            "baseline": {"period": "2025-12", "value": 100},
            "must": 200,
            "stretch": 150,
            "target_period": "2026-Q4",
        },
        {
            "key": "churn",
            "metric": "churn_rate",
            "baseline": {"period": "2025-12", "value": 0.05},
            "must": 0.03,
            "stretch": 0.04,
            "target_period": "2026-12",
            "interpolation": "compound",
            "formula": "visitors *",
        },
    ],
    "milestones": [
        {"key": "a", "name": "A", "due": "2027-06-30", "kind": "state", "conditions": []},
        {
            "key": "b",
            "name": "B",
            "due": "2026-06-30",
            "kind": "event",
            "conditions": [{"metric": "mrr", "op": "gte", "value": 1}],
        },
        {
            "key": "c",
            "name": "C",
            "due": "2026-06-30",
            "kind": "state",
            "achieved_on": "2026-06-01",
            "conditions": [{"metric": "churn_rate", "op": "lte", "value": 1, "cumulative": True}],
        },
    ],
    "funnels": [
        {"key": "f", "name": "F", "stages": [{"name": "Lead", "metric": "churn_rate"}]},
        {
            "key": "g",
            "name": "G",
            "stages": [
                {"name": "Visitor", "metric": "visitors", "target_conversion": 0.5},
                {"name": "Lead", "metric": "leads", "target_conversion": 1.5},
            ],
        },
    ],
}


def untranslated(japanese: str) -> list[str]:
    """English words left once the details are taken out: quoted values, lists of names
    (``draft, active, archived``, the header ``metric,period,value``), codes (``UTF-8``)."""
    plain = re.sub(r"'[^']*'|\"[^\"]*\"|\{[^}]*\}|\[[^\]]*\]|[A-Z]{2,}\S*", " ", japanese)
    plain = re.sub(r"[a-z_]+(?:,\s*[a-z_]+)+", " ", plain)
    return [
        w for w in re.findall(r"[A-Za-z]{3,}", plain) if w not in {"min", "max", "true", "false"}
    ]


def test_every_problem_of_a_bad_plan_reads_in_japanese():
    with pytest.raises(DocumentInvalid) as caught:
        read_document(BAD_PLAN, CATALOGUE)
    messages = {message for _where, message in caught.value.errors}
    assert len(messages) >= 15  # the plan above trips that many different checks

    for message in messages:
        japanese = problem_text(message, "ja")
        assert japanese != message, message
        assert untranslated(japanese) == [], (message, japanese)


def test_details_are_kept_and_english_readers_get_the_message_as_it_was():
    assert problem_text("'ghost' is not a KPI of this plan", "ja") == (
        "'ghost' はこの計画の KPI ではありません"
    )
    assert problem_text("must be a month (the KPI's granularity), e.g. 2026-09", "ja") == (
        "KPI の粒度（月）の期間にしてください。例: 2026-09"
    )
    assert problem_text("'ghost' is not a KPI of this plan", "en") == (
        "'ghost' is not a KPI of this plan"
    )
    assert problem_text("something new", "ja") == "something new"  # unknown: as it is


def test_an_imports_bad_lines_read_in_japanese():
    text = "line 4, period: '2026-13' is not a real month: write it as 2026-09-15, 2026-W38, "
    text += "2026-09, 2026-Q3 or 2026."

    assert line_problem_text(text, "ja") == (
        "4 行目・period: '2026-13' は実在する月ではありません。"
        "2026-09-15、2026-W38、2026-09、2026-Q3、2026 のように書いてください"
    )
    assert line_problem_text("line 6: has more cells than the header names", "ja") == (
        "6 行目: 見出しより多くのセルがあります"
    )


@pytest.mark.parametrize(
    "content", [b"", b"metric,value\nleads,1\n", b"\x00\x01binary", "見出し".encode("utf-16")]
)
def test_an_unreadable_files_reason_reads_in_japanese(content):
    with pytest.raises(ImportFileError) as caught:
        read_file("f.csv", content)
    japanese = problem_text(str(caught.value), "ja")
    assert japanese != str(caught.value)
    assert untranslated(japanese) == [], japanese
