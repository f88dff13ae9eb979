"""Periods: parsing, dates, arithmetic and roll-up chains, by hand and by property."""

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.periods import Granularity, Period, PeriodError, iterate, rolls_up_into

G = Granularity


@pytest.mark.parametrize(
    ("text", "granularity", "start", "end"),
    [
        ("2026-09-15", G.DAY, date(2026, 9, 15), date(2026, 9, 15)),
        # ISO week 38 of 2026 runs Monday 14 to Sunday 20 September.
        ("2026-W38", G.WEEK, date(2026, 9, 14), date(2026, 9, 20)),
        # Week 1 of 2026 starts on Monday 29 December 2025 (it holds 1 January, a Thursday).
        ("2026-W01", G.WEEK, date(2025, 12, 29), date(2026, 1, 4)),
        # 2026 has 53 ISO weeks; the last ends on Sunday 3 January 2027.
        ("2026-W53", G.WEEK, date(2026, 12, 28), date(2027, 1, 3)),
        ("2026-09", G.MONTH, date(2026, 9, 1), date(2026, 9, 30)),
        ("2024-02", G.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-Q3", G.QUARTER, date(2026, 7, 1), date(2026, 9, 30)),
        ("2026", G.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_parse_start_and_end(text, granularity, start, end):
    period = Period.parse(text)

    assert period.granularity == granularity
    assert (period.start, period.end) == (start, end)
    assert str(period) == text


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-02-30",
        "2026-Q5",
        "2026-Q0",
        "2025-W53",
        "2026-W00",
        "26-09",
        "2026/09",
        "2026-9",
        "0000",
        "",
        "September",
        "2026-09-15T00:00",
        " ",
    ],
)
def test_invalid_periods_are_refused_with_a_hint(text):
    with pytest.raises(PeriodError, match=r"2026-09-15, 2026-W38, 2026-09, 2026-Q3 or 2026|9998"):
        Period.parse(text)


def test_a_non_string_is_refused():
    with pytest.raises(PeriodError):
        Period.parse(45900)  # what a spreadsheet date cell turns into


def test_next_previous_and_distance():
    assert str(Period.parse("2026-12").next()) == "2027-01"
    assert str(Period.parse("2026-Q1").previous()) == "2025-Q4"
    assert str(Period.parse("2026-W53").next()) == "2027-W01"
    assert str(Period.parse("2024-02-28").shift(2)) == "2024-03-01"  # 2024 is a leap year
    # December 2025 to December 2026 is 12 months; Q1 to Q3 two quarters.
    assert Period.parse("2025-12").distance(Period.parse("2026-12")) == 12
    assert Period.parse("2026-Q3").distance(Period.parse("2026-Q1")) == -2


def test_distance_across_granularities_is_refused():
    with pytest.raises(PeriodError):
        Period.parse("2026-09").distance(Period.parse("2026-Q3"))


def test_ordering_within_a_granularity():
    assert Period.parse("2026-01") < Period.parse("2026-02") <= Period.parse("2026-02")
    assert sorted(map(Period.parse, ["2026-03", "2025-12", "2026-01"])) == list(
        map(Period.parse, ["2025-12", "2026-01", "2026-03"])
    )


def test_containment():
    q3 = Period.parse("2026-Q3")

    assert q3.contains(Period.parse("2026-09"))
    assert q3.contains(Period.parse("2026-07-01"))
    assert q3.contains(date(2026, 9, 30))
    assert not q3.contains(Period.parse("2026-10"))
    # Week 27 of 2026 runs 29 June to 5 July: it straddles Q2 and Q3.
    assert not q3.contains(Period.parse("2026-W27"))


def test_iterate_includes_both_ends():
    months = [str(p) for p in iterate(Period.parse("2025-11"), Period.parse("2026-02"))]

    assert months == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_children_follow_the_roll_up_chains():
    assert [str(p) for p in Period.parse("2026").children()] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    assert [str(p) for p in Period.parse("2026-Q3").children()] == ["2026-07", "2026-08", "2026-09"]
    assert len(Period.parse("2026-02").children()) == 28
    assert next(str(p) for p in Period.parse("2026-W38").children()) == "2026-09-14"
    assert len(Period.parse("2026-W38").children()) == 7
    assert Period.parse("2026-09-15").children() == []


def test_weeks_never_feed_months():
    assert rolls_up_into(G.DAY, G.WEEK)
    assert rolls_up_into(G.DAY, G.YEAR)
    assert rolls_up_into(G.MONTH, G.QUARTER)
    assert not rolls_up_into(G.WEEK, G.MONTH)
    assert not rolls_up_into(G.WEEK, G.YEAR)
    assert not rolls_up_into(G.QUARTER, G.MONTH)
    with pytest.raises(PeriodError):
        Period.parse("2026-W38").parent(G.MONTH)
    assert str(Period.parse("2026-09-15").parent(G.WEEK)) == "2026-W38"
    assert str(Period.parse("2026-09").parent(G.YEAR)) == "2026"


# --- properties -----------------------------------------------------------------------------------

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
granularities = st.sampled_from(list(Granularity))


@given(granularities, days)
def test_round_trip(granularity, day):
    period = Period.containing(granularity, day)

    assert Period.parse(str(period)) == period


@given(granularities, days)
def test_a_period_contains_the_day_it_was_made_from_and_tiles_the_calendar(granularity, day):
    period = Period.containing(granularity, day)

    assert period.contains(day)
    assert period.next().start == period.end + timedelta(days=1)
    assert period.previous().end == period.start - timedelta(days=1)
    assert period.next().previous() == period


@given(granularities, days, st.integers(min_value=-500, max_value=500))
def test_shift_and_distance_agree(granularity, day, steps):
    period = Period.containing(granularity, day)

    assert period.distance(period.shift(steps)) == steps


@given(st.sampled_from([G.WEEK, G.MONTH, G.QUARTER, G.YEAR]), days)
def test_children_partition_their_parent(granularity, day):
    period = Period.containing(granularity, day)
    children = period.children()

    assert children[0].start == period.start
    assert children[-1].end == period.end
    assert all(a.next() == b for a, b in itertools.pairwise(children))
    assert all(period.contains(child) for child in children)
