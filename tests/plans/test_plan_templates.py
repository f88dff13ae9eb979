"""The built-in plan templates: both languages, dates relative to starts_on, valid documents."""

from decimal import Decimal

import pytest

from plans.models import FunnelStage, KpiNode, Milestone, Plan
from plans.plan_templates import TEMPLATES

pytestmark = pytest.mark.django_db


def from_template(world, template, starts_on="2026-04-01", **extra):
    return world.api("owner").post(
        f"/api/v1/clients/{world.a1.pk}/plans/from-template/",
        {"template": template, "starts_on": starts_on, **extra},
        format="json",
    )


def test_the_catalogue_lists_five_templates_in_both_languages(world):
    response = world.api("viewer").get("/api/v1/plan-templates/")

    rows = response.json()["results"]
    assert [row["key"] for row in rows] == [
        "first-year",
        "b2b-saas-12m",
        "automated-acquisition",
        "sales-x3",
        "customer-journey",
    ]
    assert all(row["name"] and row["name_ja"] and row["description_ja"] for row in rows)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_template_instantiates_and_passes_its_own_validation(world, template, language):
    response = from_template(world, template, language=language)

    assert response.status_code == 201, response.content
    body = response.json()
    # A twelve-month plan from 1 April 2026 ends on 31 March 2027.
    assert (body["starts_on"], body["ends_on"], body["status"]) == (
        "2026-04-01",
        "2027-03-31",
        "draft",
    )
    japanese = any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in body["name"])
    assert japanese == (language == "ja")


def test_the_language_defaults_from_accept_language(world):
    response = world.api("owner").post(
        f"/api/v1/clients/{world.a1.pk}/plans/from-template/",
        {"template": "b2b-saas-12m", "starts_on": "2026-01-01"},
        format="json",
        headers={"accept-language": "ja"},
    )

    assert response.json()["name"] == "BtoB SaaS:12カ月でMRR100万円"


def test_b2b_saas_milestones_are_dated_from_the_start(world):
    plan_id = from_template(world, "b2b-saas-12m", starts_on="2026-04-01").json()["id"]

    milestones = {m.key: m for m in Milestone.objects.filter(plan_id=plan_id)}

    # Three, six and twelve months after 1 April 2026: the ends of June, September and March.
    assert {k: m.due.isoformat() for k, m in milestones.items()} == {
        "m3": "2026-06-30",
        "m6": "2026-09-30",
        "m12": "2027-03-31",
    }
    six = [(c.metric.key, c.op, c.value) for c in milestones["m6"].conditions.all()]
    assert six == [
        ("paying_customers", "gte", Decimal(10)),
        ("mrr", "gte", Decimal(300000)),
        ("churn_rate", "lte", Decimal("0.05")),
    ]


def test_the_acquisition_plan_keeps_the_seeds_numbers(world):
    plan_id = from_template(world, "automated-acquisition", starts_on="2026-01-01").json()["id"]

    stages = list(FunnelStage.objects.filter(funnel__plan_id=plan_id).order_by("position"))
    kpis = {k.key: k for k in KpiNode.objects.filter(plan_id=plan_id)}
    q4 = Milestone.objects.get(plan_id=plan_id, key="q4")

    assert [
        (s.metric.key, s.target_conversion and str(s.target_conversion.normalize())) for s in stages
    ] == [
        ("visitors", None),
        ("leads", "0.15"),
        ("consultations", "0.25"),
        ("new_customers", "0.8"),
    ]
    assert (int(kpis["arr"].must), int(kpis["mrr"].must)) == (100000000, 8330000)
    assert (int(kpis["leads"].must), int(kpis["new_customers"].must)) == (500, 10)
    assert int(kpis["ltv_cac"].must) == 5
    assert [(c.metric.key, int(c.value), c.cumulative) for c in q4.conditions.all()] == [
        ("mrr", 8330000, False),
        ("new_customers", 100, True),
        ("leads", 6000, True),
    ]
    assert q4.due.isoformat() == "2026-12-31"


def test_sales_x3_is_arithmetic_at_new_customers(world):
    plan_id = from_template(world, "sales-x3", starts_on="2026-01-01").json()["id"]
    kpis = {k.key: k for k in KpiNode.objects.filter(plan_id=plan_id).select_related("parent")}

    revenue, new = kpis["revenue"], kpis["new_customers"]
    # Must x1.5 and stretch x3 of last year's 300M, judged on the year.
    assert (revenue.granularity, revenue.baseline_period, revenue.target_period) == (
        "year",
        "2025",
        "2026",
    )
    assert (int(revenue.must), int(revenue.stretch)) == (450000000, 900000000)
    assert {k.key for k in kpis.values() if k.parent_id == new.pk} == {
        "visitors",
        "visit_to_lead",
        "lead_to_consultation",
        "consultation_to_customer",
    }
    # Stretch is the source's target; must is halfway: 30,000 x 3.5% x 10% x 27.5% = 28.875.
    assert str(new.must.normalize()) == "28.875"
    assert str(kpis["churn_rate"].must.normalize()) == "0.1"


def test_an_unknown_template_is_400(world):
    response = from_template(world, "nope")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "template"
    assert not Plan.objects.filter(client=world.a1, status="draft").exists()
