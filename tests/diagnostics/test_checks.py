"""The data checks: each fires on a plan built to trigger it and stays silent on a healthy one."""

import copy
from datetime import date
from decimal import Decimal as D

import pytest

from diagnostics import checks
from diagnostics.builtin import STRATEGY_QUICK_CHECK
from diagnostics.definition import read_definition
from diagnostics.services import client_findings
from metrics.periods import Granularity, Period
from metrics.selectors import client_today
from metrics.services import measurements_upsert
from plans.plan_templates import TEMPLATES
from plans.services import plan_create
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db


def kpi(key, metric, must, stretch, *, parent=None, baseline=10, **extra):
    return {
        "key": key,
        "metric": metric,
        "parent": parent,
        "baseline": {"period": "2025-12", "value": baseline},
        "must": must,
        "stretch": stretch,
        "target_period": "2026-12",
        **extra,
    }


HEALTHY = {
    "name": "Healthy",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "status": "active",
    "kpis": [
        kpi("mrr", "mrr", 2000, 3000, baseline=500),
        kpi("paying", "paying_customers", 40, 60, parent="mrr"),
        kpi("arpa", "arpa", 50, 60, parent="mrr", baseline=40),
    ],
    "milestones": [
        {
            "key": "half",
            "name": "Half way",
            "due": "2026-06-30",
            "kind": "state",
            "conditions": [{"metric": "mrr", "op": "gte", "value": 1000}],
        }
    ],
    "funnels": [
        {
            "key": "journey",
            "name": "Journey",
            "stages": [
                {"name": "Lead", "metric": "leads"},
                {"name": "Customer", "metric": "new_customers", "target_conversion": "0.2"},
            ],
        }
    ],
}
HEALTHY_METRICS = ["mrr", "paying_customers", "arpa", "leads", "new_customers"]


def recent_months(client, count=2):
    current = Period.containing(Granularity.MONTH, client_today(client))
    return [str(current.shift(-back)) for back in range(count, 0, -1)]


def client_with(document, *, measured=HEALTHY_METRICS, skip=()):
    """A client with the plan and a value for each metric in the last two closed months."""
    client = ClientFactory()
    plan_create(client=client, raw=document, actor=None)
    rows = [
        {"metric": metric, "period": month, "value": 100}
        for metric in measured
        for month in recent_months(client)
        if (metric, month) not in skip
    ]
    if rows:
        measurements_upsert(client=client, rows=rows, actor=None)
    return client


def keys(client):
    return [finding["key"] for finding in client_findings(client=client)]


def changed(**fields):
    document = copy.deepcopy(HEALTHY)
    document.update(fields)
    return document


def test_a_healthy_plan_with_fresh_data_has_no_findings():
    assert client_findings(client=client_with(HEALTHY)) == []


def test_without_a_plan_there_is_one_finding():
    assert keys(ClientFactory()) == ["no_plan"]


def test_too_many_core_kpis():
    document = changed(
        kpis=[
            kpi("mrr", "mrr", 2000, 3000, baseline=500),
            *[
                kpi(key, metric, 40, 60, parent="mrr")
                for key, metric in [
                    ("paying", "paying_customers"),
                    ("arpa", "arpa"),
                    ("leads", "leads"),
                    ("nps", "nps"),
                ]
            ],
        ]
    )
    client = client_with(document, measured=[*HEALTHY_METRICS, "nps"])
    (found,) = [f for f in client_findings(client=client) if f["key"] == "too_many_core_kpis"]
    assert found["evidence"]["crowded"] == {"mrr": ["paying", "arpa", "leads", "nps"]}
    assert found["message_ja"]


def test_a_kgi_not_broken_down():
    document = changed(kpis=[kpi("mrr", "mrr", 2000, 3000, baseline=500)])
    assert keys(client_with(document)) == ["kgi_not_decomposed"]


def test_no_milestones_and_event_only_milestones():
    assert keys(client_with(changed(milestones=[]))) == ["no_milestones"]
    events = [{"key": "launch", "name": "Launch", "due": "2026-05-31", "kind": "event"}]
    assert keys(client_with(changed(milestones=events))) == ["event_only_milestones"]


def test_no_stretch_targets():
    document = changed()
    document["kpis"][1]["stretch"] = None
    document["kpis"][2]["stretch"] = document["kpis"][2]["must"]
    (found,) = [f for f in client_findings(client=client_with(document))]
    assert (found["key"], found["evidence"]) == ("no_stretch_targets", {"kpis": ["paying", "arpa"]})


def test_unambitious_targets():
    # MRR from 500 with a stretch of 900: 1.8x, below the 2x of an ambitious goal.
    document = changed()
    document["kpis"][0].update(must=800, stretch=900)
    (found,) = client_findings(client=client_with(document))
    assert found["key"] == "unambitious_targets"
    assert found["evidence"]["kgis"] == [
        {"kpi": "mrr", "baseline": 500, "target": 900, "multiple": D("1.8")}
    ]


def test_no_funnel_and_a_stage_without_target():
    assert keys(client_with(changed(funnels=[]))) == ["no_funnel"]
    document = changed()
    document["funnels"][0]["stages"][1]["target_conversion"] = None
    (found,) = client_findings(client=client_with(document))
    assert (found["key"], found["evidence"]) == (
        "funnel_stage_without_target",
        {"stages": [{"funnel": "journey", "stage": "Customer"}]},
    )


def test_stale_data_names_the_missing_periods():
    client = ClientFactory()
    last, before = None, None
    plan_create(client=client, raw=HEALTHY, actor=None)
    before, last = recent_months(client)
    rows = [
        {"metric": metric, "period": month, "value": 100}
        for metric in HEALTHY_METRICS
        for month in (before, last)
        if (metric, month) != ("arpa", last)
    ]
    measurements_upsert(client=client, rows=rows, actor=None)

    (found,) = client_findings(client=client)

    assert found["key"] == "stale_data"
    assert found["evidence"] == {"kpis": [{"kpi": "arpa", "metric": "arpa", "missing": [last]}]}


def test_stale_data_counts_rolled_up_values():
    # Daily values roll up into the month: the KPI is not stale.
    client = ClientFactory()
    plan_create(client=client, raw=HEALTHY, actor=None)
    before, last = recent_months(client)
    rows = [
        {"metric": metric, "period": month, "value": 100}
        for metric in HEALTHY_METRICS
        for month in (before, last)
        if metric != "arpa"
    ]
    for month in (before, last):
        rows.append({"metric": "arpa", "period": f"{month}-15", "value": 45})
    measurements_upsert(client=client, rows=rows, actor=None)
    assert client_findings(client=client) == []


def test_a_formula_node_whose_must_disagrees_with_its_children():
    # LTV/CAC must 5, but the children's musts give 400,000 / 100,000 = 4: 20% apart.
    document = changed(
        kpis=[
            kpi("ltv_cac", "ltv_cac", 5, 8, baseline=2),
            kpi("ltv", "ltv", 400000, 500000, parent="ltv_cac", baseline=100000),
            kpi("cac", "cac", 100000, 80000, parent="ltv_cac", baseline=150000),
        ],
        milestones=[],
        funnels=[],
    )
    client = client_with(document, measured=["ltv", "cac"])
    (found,) = [f for f in client_findings(client=client) if f["key"] == "inconsistent_targets"]
    assert found["evidence"] == [
        {
            "kind": "formula",
            "kpi": "ltv_cac",
            "formula": "ltv / cac",
            "must": 5,
            "from_children": 4,
            "difference": D("0.25"),  # |5 - 4| / 4
        }
    ]


def test_the_seed_002_template_plan_has_inconsistent_targets():
    client = ClientFactory()
    raw = TEMPLATES["automated-acquisition"].document(
        starts_on=date(2026, 1, 1), language="en", status="active"
    )
    plan_create(client=client, raw=raw, actor=None)

    (found,) = [f for f in client_findings(client=client) if f["key"] == "inconsistent_targets"]

    # 500 leads a month x 25% x 80% should make 100 customers, but the plan says 10.
    assert found["evidence"] == [
        {
            "kind": "funnel",
            "funnel": "acquisition",
            "from": "Leads",
            "to": "Customers",
            "period": "2026-12",
            "must_from": 500,
            "conversion": D("0.2"),
            "expected": 100,
            "must_to": 10,
            "difference": D("0.9"),
        }
    ]


def test_consistent_template_trees_are_silent():
    # Sales x3: new customers = visitors x three conversion rates, 30,000 x 3.5% x 10% x 27.5%.
    client = ClientFactory()
    raw = TEMPLATES["sales-x3"].document(starts_on=date(2026, 1, 1), language="en", status="active")
    plan_create(client=client, raw=raw, actor=None)
    assert "inconsistent_targets" not in keys(client)


# --- answers the data contradicts ---------------------------------------------------------------


def inputs(**changes):
    base = {
        "today": date(2026, 11, 22),
        "nodes": (),
        "formulas": {},
        "milestones": (),
        "funnels": (checks.FunnelView("j", "J", (("Lead", "leads", None),)),),
        "value": lambda metric, period: D(1),
        "off_track_metrics": frozenset(),
    }
    base.update(changes)
    return checks.CheckInputs(**base)


RULES = read_definition(STRATEGY_QUICK_CHECK).contradictions


def contradicted(answers, data):
    return checks.contradicted(RULES, answers, data, checks.data_checks(data))


def test_measuring_every_stage_is_contradicted_by_a_stage_without_data():
    silent = inputs(value=lambda metric, period: None if metric == "leads" else D(1))

    (found,) = contradicted({"stages_measured": True}, silent)

    assert (found["key"], found["severity"]) == ("answer_contradicted", "high")
    assert found["evidence"]["rule"] == "stages_not_measured"
    assert found["evidence"]["data"] == [
        {"funnel": "j", "stage": "Lead", "months": ["2026-09", "2026-10"]}
    ]
    assert found["message"]
    assert found["message_ja"]
    # The same data, but the answer admits it: nothing contradicted.
    assert contradicted({"stages_measured": False}, silent) == []
    # The answer, but the data backs it.
    assert contradicted({"stages_measured": True}, inputs()) == []


def test_churn_under_control_is_contradicted_by_an_off_track_churn_line():
    off = inputs(off_track_metrics=frozenset({"churn_rate"}))
    (found,) = contradicted({"churn_under_control": 5}, off)
    assert found["evidence"]["data"] == {"metric": "churn_rate"}
    assert contradicted({"churn_under_control": 2}, off) == []
    assert contradicted({"churn_under_control": 5}, inputs()) == []
