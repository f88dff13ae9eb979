"""Planning backwards on a stored plan, with its measurements: the issue's worked examples
through the services (the arithmetic alone is in test_planning_arithmetic.py)."""

from decimal import Decimal as D

import pytest

from plans.services.planning import (
    PlanningError,
    plan_funnel_requirements,
    plan_scenario,
    plan_solve,
)

pytestmark = pytest.mark.django_db
MONTH = "2026-09"


def test_sales_times_three_walked_down_to_visitors(sales_plan):
    result = plan_solve(
        plan=sales_plan,
        kpi="sales",
        target=D(3_000_000),
        period=MONTH,
        path=["customers", "visitors"],
    )

    assert (result["period"], result["basis"], result["current"]) == (MONTH, "actual", D(1_000_000))
    assert {row["kpi"]: row["required"] for row in result["alternatives"]} == {
        "customers": D(2400),
        "unit_price": D(3750),
    }
    assert [(row["kpi"], row["required"]) for row in result["cascade"]] == [
        ("customers", D(2400)),
        ("visitors", D(6000)),
    ]


def test_the_conversion_it_would_take_is_infeasible(sales_plan):
    result = plan_solve(
        plan=sales_plan,
        kpi="sales",
        target=D(3_000_000),
        period=MONTH,
        path=["customers", "conversion"],
    )

    assert result["cascade"][1] == {
        "kpi": "conversion",
        "metric": "visit_conversion",
        "basis_value": D("0.4"),
        "required": None,
        "change_pct": None,
        "feasible": False,
    }


def test_the_target_defaults_to_the_must_of_the_target_month_from_the_latest_actuals(sales_plan):
    result = plan_solve(plan=sales_plan, kpi="sales")

    # December's must is ¥3,000,000; December has no actuals yet, so each child stands where
    # its latest actual (September) left it: the same answer as in September.
    assert (result["period"], result["target"], result["current"]) == (
        "2026-12",
        D(3_000_000),
        D(1_000_000),
    )
    assert {row["kpi"]: row["required"] for row in result["alternatives"]} == {
        "customers": D(2400),
        "unit_price": D(3750),
    }


def test_a_funnel_needs_125_consultations_500_leads_and_3333_visitors(sales_plan):
    result = plan_funnel_requirements(
        plan=sales_plan, funnel="acquisition", target=D(100), period=MONTH
    )

    assert [(row["name"], row["required"], row["gap"]) for row in result["stages"]] == [
        ("Visitors", D("3333.333333"), D("1333.333333")),
        ("Leads", D(500), D(200)),
        ("Consultations", D(125), D(35)),
        ("Customers", D(100), D(-700)),
    ]


def test_with_the_months_actual_conversions(sales_plan):
    result = plan_funnel_requirements(
        plan=sales_plan, funnel="acquisition", target=D(100), period=MONTH, conversions="actual"
    )

    # Actual conversions in September: 300/2000 = 0.15, 90/300 = 0.3, 800/90 = 8.888889.
    assert [row["conversion"] for row in result["stages"]] == [
        None,
        D("0.15"),
        D("0.3"),
        D("8.888889"),
    ]
    assert result["stages"][2]["required"] == D("11.25")  # 100 / (800/90)


def test_a_scenario_of_20_percent_more_visitors(sales_plan):
    result = plan_scenario(
        plan=sales_plan, period=MONTH, changes=[{"kpi": "visitors", "change_pct": "0.2"}]
    )

    rows = {row["kpi"]: row["scenario"] for row in result["result"]["nodes"]}
    assert (rows["visitors"], rows["customers"], rows["sales"]) == (D(2400), D(960), D(1_200_000))
    kgi = result["result"]["kgis"][0]
    # September's must on the path from 1 (December 2025) to 3,000,000 (December 2026):
    # 1 + (3,000,000 - 1) x 9/12 = 2,250,000.25.
    assert (kgi["kpi"], kgi["must_target"], kgi["meets_must"]) == ("sales", D("2250000.25"), False)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda plan: plan_solve(plan=plan, kpi="nope"), "kpi"),
        (lambda plan: plan_solve(plan=plan, kpi="visitors", target=D(1)), "kpi"),
        (lambda plan: plan_solve(plan=plan, kpi="sales", path=["visitors"]), "path"),
        (lambda plan: plan_solve(plan=plan, kpi="sales", basis="hope"), "basis"),
        (lambda plan: plan_solve(plan=plan, kpi="sales", period="2026-Q3"), "period"),
        (lambda plan: plan_funnel_requirements(plan=plan, funnel="x", target=D(1)), "funnel"),
        (
            lambda plan: plan_scenario(plan=plan, period=MONTH, changes=[{"kpi": "x", "value": 1}]),
            "changes[0].kpi",
        ),
    ],
)
def test_what_planning_cannot_answer_names_the_field(sales_plan, call, field):
    with pytest.raises(PlanningError) as caught:
        call(sales_plan)

    assert caught.value.field == field
