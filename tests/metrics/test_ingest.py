"""Row validation in plain Python: what counts as a number, a source, a row."""

from decimal import Decimal

import pytest

from metrics.ingest import MetricRef, RowsInvalid, clean_rows, parse_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1500, Decimal(1500)),
        ("2000000.50", Decimal("2000000.5")),
        (Decimal("0.045"), Decimal("0.045")),
        ("-3", Decimal(-3)),
        ("1e3", Decimal(1000)),
        # A spreadsheet float carries binary noise; it is read to the 15 digits it holds.
        (3703.6800000000003, Decimal("3703.68")),
        ("99999999999999.999999", Decimal("99999999999999.999999")),
    ],
)
def test_numbers(raw, expected):
    assert parse_value(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        True,
        None,
        [0, [1, 2], -1],
        "1_000",
        "１２３",
        "NaN",
        "Infinity",
        "",
        "12 apples",
        "100000000000000",
        "0.0000001",
        {"value": 1},
    ],
)
def test_not_numbers(raw):
    with pytest.raises(ValueError, match=r"number|digits"):
        parse_value(raw)


def test_a_source_with_control_characters_is_a_bad_row():
    catalogue = {"leads": MetricRef(id=1, derived=False)}

    with pytest.raises(RowsInvalid) as raised:
        clean_rows(
            [{"metric": "leads", "period": "2026-09", "value": 1, "source": "a\x00b"}], catalogue
        )

    assert [(e.row, e.field) for e in raised.value.errors] == [(0, "source")]


@pytest.mark.parametrize(
    "row", [{"metric": "leads", "value": 1}, {"metric": "leads", "period": "", "value": 1}]
)
def test_a_row_without_a_period_says_the_period_is_required(row):
    catalogue = {"leads": MetricRef(id=1, derived=False)}

    with pytest.raises(RowsInvalid) as caught:
        clean_rows([row], catalogue)

    assert [(e.row, e.field, e.message) for e in caught.value.errors] == [
        (0, "period", "is required")
    ]
