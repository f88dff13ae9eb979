"""Scorecard arithmetic, worked by hand (plain numbers, no database)."""

from datetime import date
from decimal import Decimal as D

import pytest

from metrics.formulas import parse
from metrics.periods import Granularity
from metrics.periods import Period as _Period
from metrics.rollup import MetricDef, Rollup
from plans.arithmetic.scorecard import (
    Condition,
    Milestone,
    Node,
    Paths,
    PlanSpec,
    attainment,
    forecast,
    growth_rate,
    least_squares,
    milestone_status,
    score,
    scorecard,
    tidy,
)

P = _Period.parse
TOLERANCE = D("0.9")
METRICS = {
    "leads": MetricDef("leads", "sum"),
    "new_customers": MetricDef("new_customers", "sum"),
    "paying_customers": MetricDef("paying_customers", "last"),
    "churn_rate": MetricDef("churn_rate", "avg"),
    "mrr": MetricDef("mrr", "last"),
    "arr": MetricDef("arr", "last", parse("mrr * 12")),
}


def rollup(measurements, as_of):
    return Rollup(
        METRICS,
        {key: {P(p): D(v) for p, v in values.items()} for key, values in measurements.items()},
        as_of,
    )


def node(key="leads", metric=None, **fields):
    values = {
        "metric": metric or key,
        "parent": None,
        "weight": D(1),
        "baseline_period": P("2025-12"),
        "baseline_value": D(100),
        "must": D(500),
        "stretch": None,
        "target_period": P("2026-12"),
        "interpolation": "linear",
        "higher_is_better": True,
    }
    values.update(fields)
    return Node(key=key, **values)


def plan(*nodes, milestones=()):
    return PlanSpec(date(2026, 1, 1), date(2026, 12, 31), tuple(nodes), tuple(milestones))


def state(key, due, *conditions):
    return Milestone(key, key.title(), due, "state", None, tuple(conditions))


# --- the must path through milestones ------------------------------------------------------------


def test_the_must_path_runs_through_two_quarterly_milestones():
    # Seed 001: paying customers 0 in Dec 2025 -> 3 by March -> 10 by June -> 30 by December.
    paying = node("paying", "paying_customers", baseline_value=D(0), must=D(30))
    milestones = [
        state("q1", date(2026, 3, 31), Condition("paying_customers", "gte", D(3))),
        state("q2", date(2026, 6, 30), Condition("paying_customers", "gte", D(10))),
        # Not waypoints: another metric, the wrong op, a cumulative condition.
        state("churn", date(2026, 6, 30), Condition("churn_rate", "lte", D("0.05"))),
        state("cap", date(2026, 9, 30), Condition("paying_customers", "lte", D(99))),
    ]
    paths = Paths.of(paying, milestones)

    # Dec 0 -> Mar 3: +1 a month; Mar 3 -> Jun 10: +7/3 a month; Jun 10 -> Dec 30: +10/3 a month.
    assert paths.must(P("2025-11")) is None  # before the baseline: no target
    assert paths.must(P("2025-12")) == 0
    assert paths.must(P("2026-02")) == 2
    assert paths.must(P("2026-03")) == 3
    assert tidy(paths.must(P("2026-05"))) == D("7.666667")  # 3 + 2 x 7/3 = 23/3
    assert paths.must(P("2026-09")) == 20  # 10 + 3 x 10/3
    assert paths.must(P("2026-12")) == 30
    assert paths.must(P("2027-03")) == 30  # the final value holds


def test_two_milestones_on_one_period_the_stricter_wins():
    churn = node(
        "churn", "churn_rate", baseline_value=D("0.08"), must=D("0.03"), higher_is_better=False
    )
    milestones = [
        state("a", date(2026, 6, 1), Condition("churn_rate", "lte", D("0.06"))),
        state("b", date(2026, 6, 30), Condition("churn_rate", "lte", D("0.05"))),
    ]
    assert Paths.of(churn, milestones).must(P("2026-06")) == D("0.05")


def test_the_stretch_path_is_never_easier_than_must():
    # Stretch 0 -> 40 is +10/3 a month, so 10 in March; the milestone puts must at 12 there.
    paying = node("paying", "paying_customers", baseline_value=D(0), must=D(30), stretch=D(40))
    milestones = [state("q1", date(2026, 3, 31), Condition("paying_customers", "gte", D(12)))]
    paths = Paths.of(paying, milestones)
    assert paths.must(P("2026-03")) == 12
    assert paths.stretch(P("2026-03")) == 12
    assert tidy(paths.stretch(P("2026-06"))) == 20  # 40 x 6/12 = 20, above must (12 + 3 x 2 = 18)


def test_a_compound_path_grows_geometrically():
    # 100 -> 1600 in 12 months is x 2 every 3 months (1600/100 = 16 = 2^4).
    mrr = node("mrr", baseline_value=D(100), must=D(1600), interpolation="compound")
    assert tidy(Paths.of(mrr, []).must(P("2026-03"))) == 200
    assert tidy(Paths.of(mrr, []).must(P("2026-06"))) == 400


# --- attainment, the rule for targets <= 0 --------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "target", "higher", "expected"),
    [
        ("80", "100", True, "0.8"),
        ("300", "100", True, "2"),  # capped at 2
        ("-10", "100", True, "0"),  # a negative actual attains nothing
        ("5", "0", True, "2"),  # target 0: beats
        ("0", "0", True, "1"),  # equal
        ("-1", "0", True, "0"),  # misses
        ("-50", "-100", True, "2"),  # a loss smaller than the targeted loss beats it
        ("-150", "-100", True, "0"),
        ("0", "5", False, "2"),  # lower is better and the actual is 0: beats the target
        ("-1", "-1", False, "1"),
        ("0.04", "0.05", False, "1.25"),  # 0.05 / 0.04
    ],
)
def test_attainment(actual, target, higher, expected):
    assert tidy(attainment(D(actual), D(target), higher)) == D(expected)


def test_attainment_without_data_is_none():
    assert attainment(None, D(5), True) is None


# --- whole lines ----------------------------------------------------------------------------------


def test_a_lower_is_better_kpi_beating_its_stretch_path():
    churn = node(
        "churn",
        "churn_rate",
        baseline_value=D("0.08"),
        must=D("0.03"),
        stretch=D("0.02"),
        higher_is_better=False,
    )
    values = rollup({"churn_rate": {"2026-05": "0.05", "2026-06": "0.04"}}, date(2026, 6, 30))

    card = scorecard(plan(churn), P("2026-06"), date(2026, 6, 30), values, TOLERANCE)
    line = card["lines"][0]

    # June is 6 of 12 months: must 0.08 - 0.05 x 6/12 = 0.055, stretch 0.08 - 0.06 x 6/12 = 0.05.
    assert (line["must_target"], line["stretch_target"]) == (D("0.055"), D("0.05"))
    assert line["actual"] == D("0.04")
    assert line["status"] == "exceeded"
    assert line["attainment"] == D("1.375")  # 0.055 / 0.04
    assert line["progress"] == D("0.8")  # (0.04 - 0.08) / (0.03 - 0.08)
    assert line["change"] == {"abs": D("-0.01"), "pct": D("-0.2")}  # -0.01 / 0.05
    assert line["partial"] is False


def test_a_derived_kgi_is_judged_on_its_own_path():
    arr = node("arr", baseline_value=D(1_200_000), must=D(12_000_000))
    values = rollup({"mrr": {"2026-06": "500000"}}, date(2026, 6, 30))

    line = scorecard(plan(arr), P("2026-06"), date(2026, 6, 30), values, TOLERANCE)["lines"][0]

    # ARR = 500,000 x 12 = 6,000,000; must in June = 1.2M + 10.8M x 6/12 = 6.6M.
    assert line["actual"] == 6_000_000
    assert line["must_target"] == 6_600_000
    assert line["attainment"] == D("0.909091")  # 6 / 6.6 = 0.90909..., rounded to 6 places
    assert line["status"] == "at_risk"  # 0.909 >= the tolerance 0.9
    assert line["progress"] == D("0.444444")  # 4.8M / 10.8M
    assert line["change"] == {"abs": None, "pct": None}  # no May


def test_a_quarterly_node_in_a_monthly_scorecard_is_partial():
    leads = node(
        "leads",
        baseline_period=P("2025-Q4"),
        baseline_value=D(300),
        must=D(700),
        target_period=P("2026-Q4"),
    )
    months = {"2025-10": "100", "2025-11": "100", "2025-12": "100", "2026-01": "150"}
    values = rollup({"leads": {**months, "2026-02": "130"}}, date(2026, 2, 28))

    line = scorecard(plan(leads), P("2026-02"), date(2026, 2, 28), values, TOLERANCE)["lines"][0]

    # Judged on Q1 2026 with January and February so far: 150 + 130 = 280 against 300 + 100.
    assert (line["period"], line["partial"]) == ("2026-Q1", True)
    assert (line["actual"], line["must_target"]) == (280, 400)
    assert line["attainment"] == D("0.7")
    assert line["status"] == "off_track"
    assert line["change"] == {"abs": -20, "pct": D("-0.066667")}  # vs Q4 300: -20 / 300


def test_no_data_at_all():
    leads = node("leads", weight=D(2))
    churn = node(
        "churn", "churn_rate", baseline_value=D("0.1"), must=D("0.05"), higher_is_better=False
    )
    milestones = [
        state("spring", date(2026, 4, 30), Condition("leads", "gte", D(200))),
        state("autumn", date(2026, 10, 31), Condition("leads", "gte", D(400))),
        Milestone("launch", "Launch", date(2026, 5, 31), "event"),
    ]
    as_of = date(2026, 6, 30)

    card = scorecard(
        plan(leads, churn, milestones=milestones), P("2026-06"), as_of, rollup({}, as_of), TOLERANCE
    )

    assert (card["score"], card["health"], card["coverage"]) == (None, "no_data", 0)
    assert {line["status"] for line in card["lines"]} == {"no_data"}
    assert all(line["forecast"] is None and line["attainment"] is None for line in card["lines"])
    statuses = {m["key"]: m["status"] for m in card["milestones"]}
    assert statuses == {"spring": "missed", "autumn": "pending", "launch": "missed"}
    spring = card["milestones"][0]["conditions"][0]
    assert (spring["actual"], spring["met"]) == (None, False)


# --- growth, forecast, score ----------------------------------------------------------------------


def test_growth_rate_over_three_periods():
    # 100 -> 133.1 in three periods: 1.331^(1/3) - 1 = 0.1.
    assert tidy(growth_rate(D("133.1"), D(100))) == D("0.1")
    assert growth_rate(D(5), D(0)) is None
    assert growth_rate(None, D(5)) is None


def test_least_squares_on_three_points():
    # x -2, -1, 0 and y 1, 3, 6: slope = ((-1)(1 - 10/3) + (1)(6 - 10/3)) / 2 = 5/2,
    # intercept = 10/3 + 5/2 = 35/6.
    fit = least_squares([(-2, D(1)), (-1, D(3)), (0, D(6))])
    assert tidy(fit.slope) == D("2.5")
    assert tidy(fit.intercept) == D("5.833333")


def test_a_linear_forecast_its_value_and_eta():
    leads = node("leads", baseline_value=D(100), must=D(500))
    # 6 months from July: 110, 120, ... 160 - a line of +10 a month, with a gap in September.
    actuals = {P(f"2026-{m:02d}"): D(100 + 10 * (m - 6)) for m in (7, 8, 10, 11, 12)}
    actuals[P("2027-01")] = D(170)
    result = forecast(leads, P("2027-01"), actuals.get, search_periods=24)
    # Target period Dec 2026 is one month back: 160. 500 is reached 33 months on - past 24.
    assert result == {"period": "2026-12", "value": 160, "meets_must": False, "eta": None}
    far = forecast(leads, P("2027-01"), actuals.get, search_periods=40)
    assert far["eta"] == "2029-10"  # 170 + 10 x 33 = 500


def test_a_compound_forecast_fits_logs():
    mrr = node(
        "mrr",
        baseline_value=D(100),
        must=D(1600),
        interpolation="compound",
        target_period=P("2026-12"),
    )
    actuals = {P("2026-01"): D(100), P("2026-02"): D(200), P("2026-03"): D(400)}
    result = forecast(mrr, P("2026-03"), actuals.get, search_periods=24)
    # Doubling monthly: Dec is 9 months after March, 400 x 2^9 = 204800; 1600 is reached in May.
    assert result == {"period": "2026-12", "value": 204800, "meets_must": True, "eta": "2026-05"}


def test_fewer_than_three_points_give_no_forecast():
    actuals = {P("2026-01"): D(100), P("2026-03"): D(400)}
    assert forecast(node(), P("2026-03"), actuals.get, search_periods=24) is None


def test_the_score_is_a_weighted_mean_of_capped_attainments():
    lines = [
        {"weight": D(1), "attainment": D("0.8")},
        {"weight": D(3), "attainment": D("1.2")},  # counts as 1
        {"weight": D(5), "attainment": None},  # no data: not in the score
    ]
    # 100 x (1 x 0.8 + 3 x 1) / 4 = 95; coverage 2 of 3.
    assert score(lines) == (D(95), "green", D("0.666667"))
    assert score(lines[:1])[:2] == (D(80), "amber")
    assert score([{"weight": D(1), "attainment": D("0.5")}])[:2] == (D(50), "red")


# --- milestones -----------------------------------------------------------------------------------


def test_a_cumulative_condition_sums_from_the_plans_start():
    milestone = state("ten", date(2026, 6, 30), Condition("new_customers", "gte", D(10), True))
    measured = {"new_customers": {"2026-01": "2", "2026-02": "3", "2026-03": "1", "2026-04": "4"}}
    result = milestone_status(
        milestone, plan(), date(2026, 5, 31), rollup(measured, date(2026, 5, 31))
    )

    # 2, 5, 6, 10: reached at the end of April.
    assert (result["status"], result["achieved_on"]) == ("achieved", "2026-04-30")
    assert result["conditions"][0]["actual"] == 10
    assert result["conditions"][0]["met"] is True


@pytest.mark.parametrize(("needed", "expected"), [("10", "on_track"), ("20", "at_risk")])
def test_before_due_a_condition_is_judged_by_its_linear_forecast(needed, expected):
    milestone = state("june", date(2026, 6, 30), Condition("new_customers", "gte", D(needed), True))
    measured = {"new_customers": {"2026-01": "1", "2026-02": "2", "2026-03": "3"}}
    as_of = date(2026, 3, 31)
    result = milestone_status(milestone, plan(), as_of, rollup(measured, as_of))

    # Cumulative 1, 3, 6; the fit is 35/6 + 2.5x (x = 0 in March), at June (x = 3): 13.33.
    assert result["status"] == expected
    assert result["conditions"][0]["actual"] == 6


def test_with_under_three_months_of_data_a_milestone_is_pending():
    milestone = state("june", date(2026, 6, 30), Condition("new_customers", "gte", D(10), True))
    measured = {"new_customers": {"2026-01": "1", "2026-02": "2"}}
    as_of = date(2026, 2, 28)
    assert (
        milestone_status(milestone, plan(), as_of, rollup(measured, as_of))["status"] == "pending"
    )


def test_event_milestones_by_their_achievement_date():
    spec = plan()
    as_of = date(2026, 7, 15)
    values = rollup({}, as_of)

    def judged(due, achieved_on):
        event = Milestone("e", "E", due, "event", achieved_on)
        found = milestone_status(event, spec, as_of, values)
        return found["status"], found["achieved_on"]

    assert judged(date(2026, 6, 30), date(2026, 6, 1)) == ("achieved", "2026-06-01")
    assert judged(date(2026, 6, 30), date(2026, 7, 2)) == ("missed", "2026-07-02")  # late
    assert judged(date(2026, 6, 30), None) == ("missed", None)
    assert judged(date(2026, 9, 30), None) == ("pending", None)
    assert judged(date(2026, 9, 30), date(2026, 8, 1)) == ("pending", None)  # after the as-of date


def test_zero_and_negative_targets_in_a_card():
    # Operating profit from -100 to 0: in June the must path is -50.
    profit = node("profit", "mrr", baseline_value=D(-100), must=D(0))
    values = rollup({"mrr": {"2026-06": "-20"}}, date(2026, 6, 30))
    line = scorecard(plan(profit), P("2026-06"), date(2026, 6, 30), values, TOLERANCE)["lines"][0]
    assert line["must_target"] == -50
    assert (line["attainment"], line["status"]) == (2, "on_track")  # -20 beats -50
    assert line["progress"] == D("0.8")  # (-20 + 100) / (0 + 100)


def test_weekly_nodes_are_judged_on_the_week_of_the_as_of_date():
    weekly = node("leads", baseline_period=P("2026-W01"), must=D(500), target_period=P("2026-W52"))
    values = rollup({"leads": {"2026-W26": "100"}}, date(2026, 6, 28))
    line = scorecard(plan(weekly), P("2026-06"), date(2026, 6, 28), values, TOLERANCE)["lines"][0]
    assert (line["period"], line["actual"]) == ("2026-W26", 100)
    assert Granularity(weekly.granularity) == Granularity.WEEK
