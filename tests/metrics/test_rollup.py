"""Roll-ups by sum / last / mean with coverage, direct values winning, derived metrics from
rolled-up inputs — numbers worked out by hand."""

from datetime import date
from decimal import Decimal

from metrics.formulas import parse
from metrics.periods import Period
from metrics.rollup import MetricDef, Rollup, Value

D = Decimal
P = Period.parse

METRICS = {
    "leads": MetricDef("leads", "sum"),
    "visitors": MetricDef("visitors", "sum"),
    "mrr": MetricDef("mrr", "last"),
    "nps": MetricDef("nps", "avg"),
    "arr": MetricDef("arr", "last", parse("mrr * 12")),
    "visit_to_lead": MetricDef("visit_to_lead", "avg", parse("leads / visitors")),
}
LATE = date(2030, 1, 1)  # an as-of date after everything


def rollup(measurements, as_of=LATE):
    return Rollup(
        METRICS,
        {key: {P(p): D(v) for p, v in values.items()} for key, values in measurements.items()},
        as_of,
    )


def test_a_direct_value_wins_over_the_roll_up():
    r = rollup({"leads": {"2026-09": "500", "2026-09-01": "3", "2026-09-02": "4"}})

    assert r.value("leads", P("2026-09")) == Value(D(500), D(1))


def test_sum_of_months_into_a_quarter_with_coverage():
    # July 120 + August 150, September missing: 270, coverage 2/3.
    r = rollup({"leads": {"2026-07": "120", "2026-08": "150"}})

    value = r.value("leads", P("2026-Q3"))

    assert value.value == D(270)
    assert value.coverage == D(2) / D(3)


def test_last_takes_the_latest_sub_period_with_a_value():
    # MRR is a stock: Q3 is September's 2.1M even though July was 1.9M.
    r = rollup({"mrr": {"2026-07": "1900000", "2026-09": "2100000"}})

    assert r.value("mrr", P("2026-Q3")) == Value(D(2100000), D(2) / D(3))


def test_mean_of_the_sub_periods_that_have_a_value():
    # NPS 30 in July and 40 in August: the quarter's level is 35, coverage 2/3.
    r = rollup({"nps": {"2026-07": "30", "2026-08": "40"}})

    assert r.value("nps", P("2026-Q3")) == Value(D(35), D(2) / D(3))


def test_days_roll_into_a_month_and_the_month_into_the_year():
    # 1 + 2 + 3 leads on three days of June: June = 6 with coverage 3/30.
    # The year sums its quarters: Q2 = June's 6 (coverage 1/3 of its months), Q1 has 10 directly;
    # the year is 16 with coverage 2/4 (Q3 and Q4 have nothing).
    r = rollup(
        {"leads": {"2026-06-01": "1", "2026-06-02": "2", "2026-06-30": "3", "2026-Q1": "10"}}
    )

    assert r.value("leads", P("2026-06")) == Value(D(6), D(3) / D(30))
    assert r.value("leads", P("2026-Q2")) == Value(D(6), D(1) / D(3))
    assert r.value("leads", P("2026")) == Value(D(16), D(2) / D(4))


def test_weeks_roll_up_from_days_only():
    # ISO week 38 of 2026 is 14-20 September; two days have 5 and 7 visitors.
    r = rollup({"visitors": {"2026-09-14": "5", "2026-09-20": "7", "2026-09": "999"}})

    assert r.value("visitors", P("2026-W38")) == Value(D(12), D(2) / D(7))


def test_sub_periods_after_the_as_of_date_count_as_missing():
    # As of 15 August: July's 100 and August's 40 so far count; September has not begun, so
    # the quarter is 140 with coverage 2/3 — and a value already entered for September is ignored.
    r = rollup(
        {"leads": {"2026-07": "100", "2026-08": "40", "2026-09": "70"}}, as_of=date(2026, 8, 15)
    )

    assert r.value("leads", P("2026-Q3")) == Value(D(140), D(2) / D(3))
    assert r.value("leads", P("2026-09")) is None


def test_a_derived_metric_is_its_formula_on_the_same_period():
    r = rollup({"mrr": {"2026-09": "2000000"}})

    assert r.value("arr", P("2026-09")) == Value(D(24000000), D(1))


def test_a_ratio_is_recomputed_from_rolled_up_counts_never_averaged():
    # July: 10 leads of 100 visitors (10%); August: 90 of 300 (30%). The mean of the ratios
    # would be 20%; the quarter's conversion is (10 + 90) / (100 + 300) = 25%, and its coverage
    # is the lower of its inputs' (2/3 each).
    r = rollup(
        {
            "leads": {"2026-07": "10", "2026-08": "90"},
            "visitors": {"2026-07": "100", "2026-08": "300"},
        }
    )

    value = r.value("visit_to_lead", P("2026-Q3"))

    assert value.value == D("0.25")
    assert value.coverage == D(2) / D(3)


def test_derived_coverage_is_the_lowest_of_its_inputs():
    # Leads in all three months, visitors in one: coverage 1/3.
    r = rollup(
        {
            "leads": {"2026-07": "10", "2026-08": "10", "2026-09": "10"},
            "visitors": {"2026-07": "300"},
        }
    )

    assert r.value("visit_to_lead", P("2026-Q3")) == Value(D("0.1"), D(1) / D(3))


def test_no_data_and_division_by_zero_give_no_value():
    r = rollup({"leads": {"2026-07": "10"}, "visitors": {"2026-07": "0"}})

    assert r.value("mrr", P("2026-09")) is None
    assert r.value("visit_to_lead", P("2026-07")) is None
    assert r.value("unknown", P("2026-07")) is None


def test_a_formula_has_no_value_after_the_as_of_date():
    metrics = {"hundred": MetricDef("hundred", "avg", parse("100"))}
    r = Rollup(metrics, {}, date(2026, 9, 15))

    assert r.value("hundred", P("2026-09")) == Value(D(100), D(1))
    assert r.value("hundred", P("2026-10")) is None
