"""Planning backwards (逆算), worked by hand: the funnel a customer target needs, what each
driver of a KPI tree alone would have to reach, and scenarios recomputed up the tree."""

from decimal import Decimal as D

import pytest

from metrics.formulas import parse
from plans.arithmetic.bottlenecks import TreeNode
from plans.arithmetic.planning import (
    Change,
    NotSolvable,
    PlanningNode,
    StageInput,
    funnel_requirements,
    scenario,
    solve,
    solve_input,
)


def node(key, metric, parent=None, formula=None, unit="count", higher=True):
    tree = TreeNode(
        key=key,
        metric=metric,
        parent=parent,
        higher_is_better=higher,
        formula=parse(formula) if formula else None,
        metric_formula=None,
    )
    return PlanningNode(tree=tree, unit=unit)


# sales = customers x unit_price; customers = visitors x conversion.
# Actuals: 2,000 visitors at 40% make 800 customers; at ¥1,250 that is ¥1,000,000 of sales.
TREE = [
    node("sales", "revenue", formula="customers * unit_price", unit="money"),
    node("customers", "new_customers", "sales", formula="visitors * conversion"),
    node("unit_price", "arpa", "sales", unit="money"),
    node("visitors", "visitors", "customers"),
    node("conversion", "visit_to_lead", "customers", unit="ratio"),
]
ACTUAL = {
    "sales": D(1_000_000),
    "customers": D(800),
    "unit_price": D(1250),
    "visitors": D(2000),
    "conversion": D("0.4"),
}


def test_the_funnel_for_100_customers_at_target_conversions():
    stages = [
        StageInput("Visitors", "visitors", None, D(3000)),
        StageInput("Leads", "leads", D("0.15"), D(450)),
        StageInput("Consultations", "consultations", D("0.25"), D(100)),
        StageInput("Customers", "new_customers", D("0.80"), D(80)),
    ]

    rows = funnel_requirements(stages, D(100))

    # 100 / 0.80 = 125 consultations; 125 / 0.25 = 500 leads; 500 / 0.15 = 3,333.33... visitors.
    assert [row["required"] for row in rows] == [D("3333.333333"), D(500), D(125), D(100)]
    assert [row["gap"] for row in rows] == [D("333.333333"), D(50), D(25), D(20)]


def test_a_missing_conversion_leaves_the_stages_above_it_unknown():
    stages = [
        StageInput("Visitors", "visitors", None, D(3000)),
        StageInput("Leads", "leads", None, D(450)),  # no target conversion set
        StageInput("Customers", "new_customers", D("0.5"), D(80)),
    ]

    rows = funnel_requirements(stages, D(100))

    assert [row["required"] for row in rows] == [None, D(200), D(100)]
    assert rows[0]["gap"] is None


def test_sales_times_three_with_the_unit_price_held_takes_2400_customers_then_6000_visitors():
    result = solve(TREE, "sales", D(3_000_000), ACTUAL.get, path=["customers", "visitors"])

    by_kpi = {row["kpi"]: row for row in result["alternatives"]}
    # Alone: 3,000,000 / 1,250 = 2,400 customers (+200%), or 3,000,000 / 800 = ¥3,750 (+200%).
    assert (by_kpi["customers"]["required"], by_kpi["customers"]["change_pct"]) == (D(2400), D(2))
    assert by_kpi["unit_price"]["required"] == D(3750)
    # Down the path: 2,400 customers at 40% need 2,400 / 0.4 = 6,000 visitors.
    assert [(row["kpi"], row["required"], row["feasible"]) for row in result["cascade"]] == [
        ("customers", D(2400), True),
        ("visitors", D(6000), True),
    ]


def test_flexing_the_conversion_instead_needs_120_percent_which_is_infeasible():
    result = solve(TREE, "sales", D(3_000_000), ACTUAL.get, path=["customers", "conversion"])

    # 2,400 customers from 2,000 visitors would need a conversion of 1.2: above 100%.
    step = result["cascade"][1]
    assert (step["kpi"], step["required"], step["feasible"]) == ("conversion", None, False)
    assert step["basis_value"] == D("0.4")


def test_ltv_over_cac_to_five_needs_ltv_two_million_or_cac_240000():
    tree = [
        node("ltv_cac", "ltv_cac", formula="ltv / cac", unit="multiple"),
        node("ltv", "ltv", "ltv_cac", unit="money"),
        node("cac", "cac", "ltv_cac", unit="money", higher=False),
    ]
    actual = {"ltv_cac": D(3), "ltv": D(1_200_000), "cac": D(400_000)}

    result = solve(tree, "ltv_cac", D(5), actual.get)

    assert {row["kpi"]: row["required"] for row in result["alternatives"]} == {
        "ltv": D(2_000_000),  # 5 x 400,000
        "cac": D(240_000),  # 1,200,000 / 5
    }
    assert {row["kpi"]: row["change_pct"] for row in result["alternatives"]} == {
        "ltv": D("0.666667"),
        "cac": D("-0.4"),
    }


def test_a_child_the_formula_does_not_name_is_no_driver():
    tree = [
        node("mrr", "mrr", formula="customers * arpa"),
        node("customers", "paying_customers", "mrr"),
        node("arpa", "arpa", "mrr", unit="money"),
        node("churn", "churn_rate", "mrr", unit="ratio", higher=False),
    ]
    values = {"customers": D(28), "arpa": D(35_000), "churn": D("0.03")}

    result = solve(tree, "mrr", D(1_400_000), values.get)

    # 1,400,000 / 35,000 = 40 customers, or 1,400,000 / 28 = 50,000 a customer; no churn row.
    assert {row["kpi"]: row["required"] for row in result["alternatives"]} == {
        "arpa": D(50_000),
        "customers": D(40),
    }


def test_a_multiple_above_one_is_feasible_where_a_ratio_is_not():
    # margin_x = ltv_cac x 1 under a parent: 5 times is a fine multiple, an impossible ratio.
    for unit, feasible in (("multiple", True), ("ratio", False)):
        tree = [
            node("top", "revenue", formula="ltv_cac * 100"),
            node("ltv_cac", "ltv_cac", "top", unit=unit),
        ]
        row = solve(tree, "top", D(500), {"ltv_cac": D(3)}.get)["alternatives"][0]
        assert (row["required"], row["feasible"]) == ((D(5), True) if feasible else (None, False))


@pytest.mark.parametrize(
    ("formula", "name", "target", "values", "expected"),
    [
        # Exact inversions, one per operator and side.
        ("a + b", "a", D(10), {"b": D(3)}, D(7)),
        ("a - b", "b", D(10), {"a": D(30)}, D(20)),
        ("a / b", "b", D(4), {"a": D(10)}, D("2.5")),
        ("-a * 2", "a", D(-8), {}, D(4)),
        # min() has no inverse: bisection finds 15 (min(15, 20) x 2 = 30).
        ("min(a, b) * 2", "a", D(30), {"b": D(20)}, D(15)),
        # a twice: a x a + b = 30 with b = 5 is a = 5 on the count's domain (not -5).
        ("a * a + b", "a", D(30), {"b": D(5)}, D(5)),
    ],
)
def test_one_input_solved_exactly_or_numerically(formula, name, target, values, expected):
    requirement = solve_input(parse(formula), name, target, values, "count")

    assert requirement.feasible
    assert abs(requirement.required - expected) <= D("1e-6") * max(abs(expected), 1)


@pytest.mark.parametrize(
    ("formula", "name", "target", "values", "unit"),
    [
        ("min(a, b) * 2", "b", D(30), {"a": D(10)}, "count"),  # min(10, b) x 2 stays at 20
        ("a - b", "a", D(-10), {"b": D(5)}, "count"),  # a would be -5: no negative count
        ("a * b", "a", D(10), {"b": D(0)}, "count"),  # times zero is never 10
        ("a * b", "a", D(3), {"b": D(2)}, "ratio"),  # a = 1.5 is not a ratio
    ],
)
def test_what_no_value_in_the_domain_reaches_is_infeasible(formula, name, target, values, unit):
    requirement = solve_input(parse(formula), name, target, values, unit)

    assert (requirement.feasible, requirement.required) == (False, None)


def test_a_kpi_without_a_formula_over_its_children_cannot_be_solved():
    with pytest.raises(NotSolvable):
        solve(TREE, "visitors", D(10), ACTUAL.get)
    with pytest.raises(NotSolvable):
        solve(TREE, "sales", D(10), ACTUAL.get, path=["visitors"])  # not a child of sales


def test_a_scenario_recomputes_up_the_tree_and_holds_the_kgi_against_its_targets():
    targets = {"sales": (D(3_000_000), D(4_000_000))}

    plus_20 = scenario(TREE, ACTUAL.get, [Change("visitors", change_pct=D("0.2"))], targets.get)
    six_thousand = scenario(TREE, ACTUAL.get, [Change("visitors", value=D(6000))], targets.get)

    rows = {row["kpi"]: row for row in plus_20["nodes"]}
    # 2,400 visitors x 0.4 = 960 customers; 960 x 1,250 = ¥1,200,000 (+20%).
    assert rows["visitors"]["scenario"] == D(2400)
    assert (rows["customers"]["scenario"], rows["customers"]["delta"]) == (D(960), D(160))
    assert (rows["sales"]["scenario"], rows["sales"]["delta_pct"]) == (D(1_200_000), D("0.2"))
    assert rows["unit_price"]["delta"] == 0  # untouched
    assert plus_20["kgis"] == [
        {
            "kpi": "sales",
            "scenario": D(1_200_000),
            "must_target": D(3_000_000),
            "stretch_target": D(4_000_000),
            "meets_must": False,
            "meets_stretch": False,
        }
    ]
    # 6,000 visitors: 2,400 customers, ¥3,000,000 — the must exactly, not the stretch.
    assert six_thousand["kgis"][0]["scenario"] == D(3_000_000)
    assert (six_thousand["kgis"][0]["meets_must"], six_thousand["kgis"][0]["meets_stretch"]) == (
        True,
        False,
    )
