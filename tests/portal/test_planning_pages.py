"""Planning backwards on pages: the consultant's walk from a KGI target to applied driver targets,
the funnel's requirements and the scenarios side by side in the admin; the client's what-if in
the portal. The plan is ``sales_plan``'s (tests/plans/conftest.py): in September, 2,000
visitors at 40% make 800 customers at ¥1,250, ¥1,000,000 of sales; the must for December is
¥3,000,000. Today is in November 2026, so a month to come starts from September's actuals."""

import re
from decimal import Decimal

import pytest

from clients.models import AuditLogEntry
from metrics.services import measurements_upsert
from plans.models import Scenario
from tests.clients.factories import client_member, member
from tests.plans.conftest import sales_plan  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    """The page's visible text, tags dropped and spaces squeezed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(body.split())


@pytest.fixture
def consultant(client, sales_plan):  # noqa: F811
    client.force_login(member(sales_plan.client.consultancy, "owner"))
    return client


def planning_url(plan, tail=""):
    return f"/admin/clients/{plan.client_id}/planning/{tail}"


def test_the_drivers_of_sales_each_need_three_times_their_actual(consultant, sales_plan):  # noqa: F811
    response = consultant.get(planning_url(sales_plan), {"kpi": "sales", "target": "3000000"})

    assert response.status_code == 200
    walk = response.context["walk"]
    [level] = walk.levels
    assert {d.kpi: (d.basis_value, d.required) for d in level.drivers} == {
        "customers": (Decimal(800), Decimal(2400)),  # 3,000,000 / 1,250
        "unit_price": (Decimal(1250), Decimal(3750)),  # 3,000,000 / 800
    }
    text = _text(response)
    assert "For Revenue to reach ¥3,000,000 in Dec 2026" in text
    assert "¥3,750" in text
    assert "+200.0%" in text
    assert walk.applicable == []  # no driver chosen yet


def test_walking_down_to_visitors_then_applying_sets_the_stretch_targets(consultant, sales_plan):  # noqa: F811
    query = "kpi=sales&target=3000000&path=customers&path=visitors"
    response = consultant.get(planning_url(sales_plan) + "?" + query)

    walk = response.context["walk"]
    assert [level.kpi for level in walk.levels] == ["sales", "customers"]
    below = {d.kpi: (d.required, d.feasible) for d in walk.levels[1].drivers}
    # 2,400 customers: 6,000 visitors at 40%, or a conversion of 120% — out of reach.
    assert below == {"visitors": (Decimal(6000), True), "conversion": (None, False)}
    assert "Out of reach" in _text(response)
    assert [(key, value) for key, _metric, value in walk.applicable] == [
        ("sales", Decimal(3_000_000)),
        ("customers", Decimal(2400)),
        ("visitors", Decimal(6000)),
    ]

    applied = consultant.post(
        planning_url(sales_plan, "apply/"),
        {
            "kpi": "sales",
            "target": "3000000",
            "period": "2026-12",
            "basis": "actual",
            "path": ["customers", "visitors"],
            "level": "stretch",
        },
    )

    assert applied.status_code == 302
    stretch = dict(sales_plan.kpis.values_list("key", "stretch"))
    assert (stretch["sales"], stretch["customers"], stretch["visitors"]) == (
        Decimal(3_000_000),
        Decimal(2400),
        Decimal(6000),
    )
    assert AuditLogEntry.objects.filter(client=sales_plan.client, action="plan.updated").exists()
    followed = consultant.get(applied.url)
    assert "Saved as the stretch targets of 3 KPIs" in _text(followed)


def test_a_path_through_an_impossible_conversion_cannot_be_applied(consultant, sales_plan):  # noqa: F811
    query = "kpi=sales&target=3000000&path=customers&path=conversion"
    walk = consultant.get(planning_url(sales_plan) + "?" + query).context["walk"]
    assert walk.applicable == []
    assert walk.blocked.key == "visit_conversion"

    before = dict(sales_plan.kpis.values_list("key", "must"))
    consultant.post(
        planning_url(sales_plan, "apply/"),
        {"kpi": "sales", "target": "3000000", "path": ["customers", "conversion"], "level": "must"},
    )
    assert dict(sales_plan.kpis.values_list("key", "must")) == before


def test_a_target_that_is_not_a_number_is_named_on_the_page(consultant, sales_plan):  # noqa: F811
    response = consultant.get(planning_url(sales_plan), {"kpi": "sales", "target": "lots"})

    assert response.status_code == 400
    assert response.context["walk"].errors["target"].startswith("Type a number")


def test_a_ratio_target_is_typed_as_a_percentage(consultant, sales_plan):  # noqa: F811
    # customers = visitors x conversion: 1,000 customers from 2,000 visitors is a 50% conversion.
    response = consultant.get(
        planning_url(sales_plan), {"kpi": "customers", "target": "1000", "period": "2026-12"}
    )
    drivers = {d.kpi: d.required for d in response.context["walk"].levels[0].drivers}
    assert drivers == {"visitors": Decimal(2500), "conversion": Decimal("0.5")}
    assert "50.0%" in _text(response)


def test_the_funnel_needs_125_consultations_500_leads_and_3333_visitors(consultant, sales_plan):  # noqa: F811
    response = consultant.get(
        planning_url(sales_plan), {"funnel_target": "100", "funnel_period": "2026-09"}
    )

    needs = response.context["needs"]
    assert [(s["name"], s["required"], s["gap"]) for s in needs.stages] == [
        ("Visitors", Decimal("3333.333333"), Decimal("1333.333333")),  # 2,000 in September
        ("Leads", Decimal(500), Decimal(200)),
        ("Consultations", Decimal(125), Decimal(35)),
        ("Customers", Decimal(100), Decimal(-700)),
    ]
    text = _text(response)
    assert "3,333.3" in text
    assert "short by 1,333.3" in text
    assert "enough" in text


def test_a_scenario_typed_in_percent_is_saved_shown_beside_the_actuals_and_deleted(
    consultant,
    sales_plan,  # noqa: F811
):
    saved = consultant.post(
        planning_url(sales_plan, "scenarios/"), {"name": "Upside", "change-visitors": "50"}
    )
    assert saved.status_code == 302
    scenario = Scenario.objects.get(plan=sales_plan)
    assert scenario.changes == [{"kpi": "visitors", "change_pct": Decimal("0.5")}]

    comparison = consultant.get(planning_url(sales_plan)).context["comparison"]
    assert [column.name for column in comparison.columns] == ["Now (the actuals)", "Upside"]
    sales = next(row for row in comparison.rows if row.kpi == "sales")
    # 3,000 visitors x 40% = 1,200 customers x ¥1,250 = ¥1,500,000: +50%.
    assert [cell.value for cell in sales.cells] == [Decimal(1_000_000), Decimal(1_500_000)]
    assert sales.cells[1].delta_pct == Decimal("0.5")

    consultant.post(planning_url(sales_plan, f"scenarios/{scenario.pk}/delete/"))
    assert not Scenario.objects.filter(plan=sales_plan).exists()


def test_a_scenario_without_a_change_is_not_saved(consultant, sales_plan):  # noqa: F811
    consultant.post(planning_url(sales_plan, "scenarios/"), {"name": "Flat", "change-visitors": ""})
    assert not Scenario.objects.filter(plan=sales_plan).exists()


def test_a_viewer_cannot_apply_or_save(client, sales_plan):  # noqa: F811
    client.force_login(client_member(sales_plan.client, "viewer"))
    response = client.post(planning_url(sales_plan, "scenarios/"), {"name": "X"})
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


# --- the portal ---------------------------------------------------------------------------------


@pytest.fixture
def viewer(client, sales_plan):  # noqa: F811
    client.force_login(client_member(sales_plan.client, "viewer"))
    return client


def test_the_portal_what_if_moves_revenue_with_the_visitors_and_stores_nothing(viewer, sales_plan):  # noqa: F811
    url = f"/portal/{sales_plan.client_id}/planning/"
    page = viewer.get(url)
    assert page.status_code == 200
    levers = {lever.kpi: lever.typed for lever in page.context["what_if"].levers}
    # The drivers under a formula, typed as a person types them (the conversion as a %).
    assert levers == {
        "customers": "800",
        "unit_price": "1250",
        "visitors": "2000",
        "conversion": "40",
    }

    audit_before = AuditLogEntry.objects.count()
    answer = viewer.post(
        url, {"kpi-visitors": "3000", "kpi-conversion": "40"}, HTTP_HX_REQUEST="true"
    )

    assert answer.status_code == 200
    rows = {row.kpi: row for row in answer.context["what_if"].outcome.rows}
    # 3,000 x 40% = 1,200 customers; x ¥1,250 = ¥1,500,000.
    assert rows["customers"].cells[1].value == Decimal(1200)
    assert rows["sales"].cells[1].value == Decimal(1_500_000)
    assert "¥1,000,000 → ¥1,500,000 ( +50.0% )" in _text(answer)
    assert not Scenario.objects.exists()
    assert AuditLogEntry.objects.count() == audit_before


def test_the_portal_shows_the_consultants_scenarios_in_japanese(viewer, sales_plan):  # noqa: F811
    from plans.services.planning import scenario_save

    scenario_save(
        plan=sales_plan,
        name="上振れ",
        changes=[{"kpi": "unit_price", "change_pct": "0.2"}],
        actor=None,
    )
    page = viewer.get(f"/portal/{sales_plan.client_id}/planning/", HTTP_ACCEPT_LANGUAGE="ja")

    text = _text(page)
    # ¥1,250 + 20% = ¥1,500; 800 x ¥1,500 = ¥1,200,000, shown as 120万円.
    assert "上振れ" in text
    assert "120万円" in text
    assert "+20.0%" in text
    assert "売上高" in text


def test_a_what_if_value_that_is_not_a_number_is_named(viewer, sales_plan):  # noqa: F811
    answer = viewer.post(
        f"/portal/{sales_plan.client_id}/planning/",
        {"kpi-visitors": "many"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    lever = next(lever for lever in answer.context["what_if"].levers if lever.kpi == "visitors")
    assert lever.error.startswith("Type a number")


def test_a_goal_measured_apart_from_its_drivers_shows_what_they_give(consultant, sales_plan):  # noqa: F811
    # September's sales as measured: ¥900,000, while 800 customers x ¥1,250 give ¥1,000,000.
    measurements_upsert(
        client=sales_plan.client,
        rows=[{"metric": "revenue", "period": "2026-09", "value": 900_000}],
        actor=None,
    )
    comparison = consultant.get(planning_url(sales_plan)).context["comparison"]

    rows = {row.kpi: row for row in comparison.rows}
    assert rows["sales"].cells[0].value == Decimal(900_000)
    assert rows["sales"].modelled == Decimal(1_000_000)
    assert rows["customers"].modelled is None  # 2,000 x 40% = 800, as measured
    text = _text(consultant.get(planning_url(sales_plan)))
    assert "≈ ¥1,000,000 from its drivers" in text
