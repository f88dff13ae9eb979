"""Bottleneck arithmetic and KPI-tree sensitivity, worked by hand (no database)."""

from decimal import Decimal as D

from metrics.formulas import parse
from plans.arithmetic.bottlenecks import StageInput, TreeNode, funnel_report, sensitivity


def stages(volumes, targets):
    names = ["Visitor", "Lead", "Consultation", "Customer"]
    metrics = ["visitors", "leads", "consultations", "new_customers"]
    return [
        StageInput(name, metric, None if v is None else D(v), None if t is None else D(t))
        for name, metric, v, t in zip(names, metrics, volumes, targets, strict=True)
    ]


SEED_TARGETS = [None, "0.15", "0.25", "0.8"]  # seed 002: 15% x 25% x 80% = 3% overall


def test_the_seeds_funnel_with_the_consultation_stage_short():
    report = funnel_report(stages(["10000", "1500", "300", "240"], SEED_TARGETS))

    # c = 1500/10000 = 0.15, 300/1500 = 0.2 (target 0.25), 240/300 = 0.8; overall 240/10000.
    assert report["overall_conversion"] == D("0.024")
    assert report["target_overall_conversion"] == D("0.03")
    by_name = {stage["name"]: stage for stage in report["stages"]}
    assert [s["conversion"] for s in report["stages"]] == [None, D("0.15"), D("0.2"), D("0.8")]
    assert by_name["Consultation"]["attainment"] == D("0.8")  # 0.2 / 0.25
    # Had consultations met 25%: 1500 x 0.25 x 0.8 = 300 customers, 60 more than 240.
    assert [s["lost_output"] for s in report["stages"]] == [None, 0, 60, 0]
    assert [s["rank"] for s in report["stages"]] == [None, None, 1, None]
    assert report["bottleneck"] == "Consultation"


def test_no_stage_losing_means_no_bottleneck():
    report = funnel_report(stages(["1000", "200", "60", "50"], SEED_TARGETS))
    assert report["bottleneck"] is None
    assert {s["rank"] for s in report["stages"]} == {None}
    assert report["stages"][1]["attainment"] == D("1.333333")  # 0.2 / 0.15
    assert report["stages"][3]["attainment"] == D("1.041667")  # (50/60) / 0.8


def test_equal_losses_rank_the_upstream_stage_first():
    # c = 0.1, 0.2, 0.5 against 0.2, 0.4, 1; each stage alone at target gives 20 customers, not 10:
    # 1000 x 0.2 x 0.2 x 0.5 = 20; 100 x 0.4 x 0.5 = 20; 20 x 1 = 20.
    report = funnel_report(stages(["1000", "100", "20", "10"], [None, "0.2", "0.4", "1"]))
    assert [s["lost_output"] for s in report["stages"]] == [None, 10, 10, 10]
    assert [s["rank"] for s in report["stages"]] == [None, 1, 2, 3]
    assert report["bottleneck"] == "Lead"


def test_a_stage_with_zero_volume_gives_nulls_not_errors():
    report = funnel_report(stages(["1000", "0", "0", "0"], SEED_TARGETS))
    # Leads 0: conversion 0 there; below it 0 / 0 has no value, and so nothing that needs it.
    assert [s["conversion"] for s in report["stages"]] == [None, 0, None, None]
    assert [s["lost_output"] for s in report["stages"]] == [None, None, None, None]
    assert report["overall_conversion"] == 0
    assert report["bottleneck"] is None


def test_a_missing_target_gives_no_target_overall_and_no_loss_there():
    report = funnel_report(stages(["10000", "1500", "300", "240"], [None, "0.15", None, "0.8"]))
    assert report["target_overall_conversion"] is None
    assert report["stages"][2]["lost_output"] is None
    assert report["bottleneck"] is None


def test_no_visitors_at_all():
    report = funnel_report(stages([None, None, None, None], SEED_TARGETS))
    assert report["overall_conversion"] is None
    assert report["bottleneck"] is None


def test_sensitivity_of_ltv_to_cac():
    nodes = [
        TreeNode("ltv_cac", "ltv_cac", None, True, None, parse("ltv / cac")),
        TreeNode("ltv", "ltv", "ltv_cac", True, None, None),
        TreeNode("cac", "cac", "ltv_cac", False, None, None),
    ]
    actual = {"ltv_cac": D(3), "ltv": D(300_000), "cac": D(100_000)}
    must = {"ltv": D(400_000), "cac": D(80_000)}

    rows = sensitivity(nodes, actual.get, must.get)

    # LTV at must: 400,000 / 100,000 - 3 = 1; CAC at must: 300,000 / 80,000 - 3 = 0.75.
    assert rows == [
        {"kpi": "ltv", "parent": "ltv_cac", "gain": 1, "rank": 1},
        {"kpi": "cac", "parent": "ltv_cac", "gain": D("0.75"), "rank": 2},
    ]


def test_sensitivity_of_a_lower_is_better_node_with_its_own_formula():
    # Cost per customer = spend / customers, lower is better: 1000 / 10 = 100 now.
    nodes = [
        TreeNode("cpc", "cac", None, False, parse("spend / customers"), None),
        TreeNode("spend", "marketing_spend", "cpc", False, None, None),
        TreeNode("customers", "new_customers", "cpc", True, None, None),
    ]
    actual = {"cpc": D(100), "spend": D(1000), "customers": D(10)}
    must = {"spend": D(900), "customers": D(20)}

    rows = sensitivity(nodes, actual.get, must.get)

    # Spend at must: 900/10 = 90, 10 better; customers at must: 1000/20 = 50, 50 better.
    assert [(r["kpi"], r["gain"], r["rank"]) for r in rows] == [
        ("customers", 50, 1),
        ("spend", 10, 2),
    ]


def test_sensitivity_without_the_nodes_actual_has_no_gain():
    nodes = [
        TreeNode("ltv_cac", "ltv_cac", None, True, None, parse("ltv / cac")),
        TreeNode("ltv", "ltv", "ltv_cac", True, None, None),
        TreeNode("cac", "cac", "ltv_cac", False, None, None),
    ]
    rows = sensitivity(nodes, {"ltv": D(1)}.get, {"ltv": D(2), "cac": D(1)}.get)
    assert [(r["gain"], r["rank"]) for r in rows] == [(None, None), (None, None)]
