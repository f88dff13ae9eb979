"""Formulas: the safe parser, evaluation on Decimals, missing inputs, cycles."""

from decimal import Decimal

import pytest

from metrics.formulas import FormulaError, check_keys, find_cycle, parse

D = Decimal


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("mrr * 12", {"mrr": D("2000000")}, D("24000000")),
        ("ltv / cac", {"ltv": D("600000"), "cac": D("120000")}, D("5")),
        # Precedence: 2 + 3 * 4 = 14; parentheses: (2 + 3) * 4 = 20.
        ("a + b * c", {"a": D(2), "b": D(3), "c": D(4)}, D(14)),
        ("(a + b) * c", {"a": D(2), "b": D(3), "c": D(4)}, D(20)),
        # Left to right: 100 / 10 / 2 = 5, 10 - 3 - 2 = 5.
        ("a / b / c", {"a": D(100), "b": D(10), "c": D(2)}, D(5)),
        ("a - b - c", {"a": D(10), "b": D(3), "c": D(2)}, D(5)),
        ("-a + 1", {"a": D(3)}, D(-2)),
        ("min(a, b, 7)", {"a": D(9), "b": D(8)}, D(7)),
        ("max(a, b) / 2", {"a": D("1.5"), "b": D("2.5")}, D("1.25")),
        ("0.15 * visitors", {"visitors": D(1000)}, D("150.00")),
        # visitors x 15% x 25% x 80% = 10000 x 0.03 = 300 customers.
        (
            "visitors * visit_to_lead * lead_to_consultation * consultation_to_customer",
            {
                "visitors": D(10000),
                "visit_to_lead": D("0.15"),
                "lead_to_consultation": D("0.25"),
                "consultation_to_customer": D("0.80"),
            },
            D("300"),
        ),
    ],
)
def test_evaluate(text, values, expected):
    assert parse(text).evaluate(values) == expected


def test_division_by_zero_gives_no_value():
    assert parse("ltv / cac").evaluate({"ltv": D(5), "cac": D(0)}) is None


def test_a_missing_input_gives_no_value():
    assert parse("leads / visitors").evaluate({"leads": D(5)}) is None
    assert parse("max(a, b)").evaluate({"a": D(1), "b": None}) is None


def test_keys_are_collected():
    assert parse("max(a, b) / (c - 1) + -d").keys == {"a", "b", "c", "d"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mrr *",
        "(mrr",
        "mrr)",
        "mrr ** 2",
        "__import__('os')",
        "mrr; 1",
        "MRR * 12",
        "sqrt(mrr)",
        "max",
        "max()",
        "1e5",
        "mrr 12",
        "a,b",
    ],
)
def test_bad_formulas_are_refused(text):
    with pytest.raises(FormulaError):
        parse(text)


def test_unknown_keys_are_named():
    with pytest.raises(FormulaError, match="cac, ltv"):
        check_keys(parse("ltv / cac + mrr"), known={"mrr"})


def test_cycles_are_found():
    assert find_cycle({"arr": ["mrr"], "mrr": []}) is None
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
