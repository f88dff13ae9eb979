"""Planning backwards over the API, as API.md "Planning" names it: solve/, the funnel's
requirements/ and scenarios/preview/, with the worked examples (the stored plan of the
``sales_plan`` fixture: 2,000 visitors at 40%, 800 customers at ¥1,250, ¥1,000,000)."""

import pytest

pytestmark = pytest.mark.django_db


def key_client(plan, scopes):
    from rest_framework.test import APIClient

    from tests.clients.factories import api_key

    _key, plain = api_key(plan.client.consultancy, scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return client


@pytest.fixture
def api(sales_plan):
    return key_client(sales_plan, "read")  # reading is enough


@pytest.fixture
def writer(sales_plan):
    return key_client(sales_plan, "read,write")


def url(plan, tail):
    return f"/api/v1/clients/{plan.client_id}/plans/{plan.pk}/{tail}"


def test_solve_walks_sales_times_three_down_to_visitors(api, sales_plan):
    response = api.post(
        url(sales_plan, "solve/"),
        {"kpi": "sales", "target": 3000000, "period": "2026-09", "path": ["customers", "visitors"]},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kpi"], body["period"], body["target"], body["basis"], body["current"]) == (
        "sales",
        "2026-09",
        3000000,
        "actual",
        1000000,
    )
    assert [(row["kpi"], row["required"], row["change_pct"]) for row in body["alternatives"]] == [
        ("customers", 2400, 2),
        ("unit_price", 3750, 2),
    ]
    assert [(row["kpi"], row["required"], row["feasible"]) for row in body["cascade"]] == [
        ("customers", 2400, True),
        ("visitors", 6000, True),
    ]


def test_solve_reports_the_120_percent_conversion_infeasible(api, sales_plan):
    response = api.post(
        url(sales_plan, "solve/"),
        {"kpi": "sales", "target": "3000000", "path": ["customers", "conversion"]},
    )

    step = response.json()["cascade"][1]
    assert (step["kpi"], step["required"], step["feasible"]) == ("conversion", None, False)


def test_the_funnel_requirements_for_100_customers(api, sales_plan):
    response = api.get(
        url(sales_plan, "funnels/acquisition/requirements/"),
        {"target": "100", "period": "2026-09", "conversions": "target"},
    )

    assert response.status_code == 200, response.content
    assert [(s["name"], s["required"]) for s in response.json()["stages"]] == [
        ("Visitors", 3333.333333),
        ("Leads", 500),
        ("Consultations", 125),
        ("Customers", 100),
    ]


def test_a_scenario_preview_stores_nothing(api, sales_plan):
    from plans.models import Plan

    before = Plan.objects.filter(client=sales_plan.client).count()

    response = api.post(
        url(sales_plan, "scenarios/preview/"),
        {
            "name": "Upside",
            "period": "2026-09",
            "changes": [{"kpi": "visitors", "change_pct": 0.2}],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    nodes = {row["kpi"]: row["scenario"] for row in body["result"]["nodes"]}
    assert (body["name"], nodes["customers"], nodes["sales"]) == ("Upside", 960, 1200000)
    assert Plan.objects.filter(client=sales_plan.client).count() == before


@pytest.mark.parametrize(
    ("tail", "body", "field"),
    [
        ("solve/", {"kpi": "visitors"}, "kpi"),  # no formula over children
        ("solve/", {"kpi": "sales", "path": ["visitors"]}, "path"),
        ("solve/", {"kpi": "sales", "target": "lots"}, "target"),
        ("solve/", {"kpi": "sales", "period": "2026-13"}, "period"),
        ("scenarios/preview/", {"changes": [{"kpi": "nope", "value": 1}]}, "changes[0].kpi"),
    ],
)
def test_what_planning_cannot_take_is_a_400_naming_the_field(api, sales_plan, tail, body, field):
    response = api.post(url(sales_plan, tail), body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_requirements_need_a_numeric_target_and_a_known_funnel(api, sales_plan):
    no_target = api.get(url(sales_plan, "funnels/acquisition/requirements/"))
    unknown = api.get(url(sales_plan, "funnels/nope/requirements/"), {"target": 5})

    assert [e["field"] for e in no_target.json()["errors"]] == ["target"]
    assert [e["field"] for e in unknown.json()["errors"]] == ["funnel"]


def test_a_stored_scenario_is_kept_listed_changed_and_deleted(writer, sales_plan):
    from clients.models import AuditLogEntry
    from tests.plans.builders import measure

    created = writer.post(
        url(sales_plan, "scenarios/"),
        {"name": "Upside", "period": "2026-09", "changes": [{"kpi": "visitors", "value": 6000}]},
    )
    scenario = created.json()
    listed = writer.get(url(sales_plan, "scenarios/")).json()["results"]
    # The outcome is computed when read: a better unit price shows at once.
    measure(sales_plan.client, [("arpa", "2026-09", 1500)])
    read = writer.get(url(sales_plan, f"scenarios/{scenario['id']}/")).json()
    changed = writer.put(
        url(sales_plan, f"scenarios/{scenario['id']}/"),
        {"name": "Upside+", "period": "2026-09", "changes": [{"kpi": "visitors", "value": 7000}]},
    ).json()
    deleted = writer.delete(url(sales_plan, f"scenarios/{scenario['id']}/"))

    assert created.status_code == 201, created.content
    sales = next(k for k in scenario["result"]["kgis"] if k["kpi"] == "sales")
    assert sales["scenario"] == 3000000  # 6,000 x 0.4 x 1,250
    assert [row["id"] for row in listed] == [scenario["id"]]
    sales_now = next(k for k in read["result"]["kgis"] if k["kpi"] == "sales")
    assert sales_now["scenario"] == 3600000  # 6,000 x 0.4 x 1,500
    assert (changed["name"], changed["changes"]) == (
        "Upside+",
        [{"kpi": "visitors", "value": 7000}],
    )
    assert deleted.status_code == 204
    actions = list(
        AuditLogEntry.objects.filter(object_id=scenario["id"])
        .order_by("at")
        .values_list("action", flat=True)
    )
    assert actions == ["scenario.created", "scenario.updated", "scenario.deleted"]


def test_storing_a_scenario_needs_the_write_scope(api, sales_plan):
    response = api.post(
        url(sales_plan, "scenarios/"),
        {"name": "X", "changes": [{"kpi": "visitors", "value": 1}]},
    )

    assert response.status_code == 403


def test_a_scenario_without_a_month_is_kept_for_the_latest_closed_one(writer, sales_plan):
    from plans.services.planning import Planner

    response = writer.post(
        url(sales_plan, "scenarios/"), {"name": "Now", "changes": [{"kpi": "visitors", "value": 1}]}
    )

    assert response.status_code == 201, response.content
    assert response.json()["period"] == str(Planner(sales_plan).latest_month)


def test_applying_a_solve_writes_the_targets_through_the_plan(writer, sales_plan):
    from clients.models import AuditLogEntry, DirtyMark
    from plans.models import KpiNode

    response = writer.post(
        url(sales_plan, "solve/"),
        {"kpi": "sales", "target": 3600000, "path": ["customers", "visitors"], "apply": "must"},
    )

    assert response.status_code == 200, response.content
    # December (the KPIs' target period), from September's actuals: 3,600,000 / 1,250 = 2,880
    # customers; 2,880 / 0.4 = 7,200 visitors.
    assert response.json()["applied"] == {
        "as": "must",
        "kpis": {"sales": 3600000, "customers": 2880, "visitors": 7200},
    }
    musts = dict(KpiNode.objects.filter(plan=sales_plan).values_list("key", "must"))
    assert (musts["sales"], musts["customers"], musts["visitors"]) == (3600000, 2880, 7200)
    assert musts["unit_price"] == 1250  # untouched
    assert AuditLogEntry.objects.filter(
        action="plan.updated", object_id=str(sales_plan.pk)
    ).exists()
    assert DirtyMark.objects.filter(client=sales_plan.client).exists()


def test_applying_needs_the_write_right_a_path_and_a_feasible_one(api, writer, sales_plan):
    body = {"kpi": "sales", "target": 3000000, "path": ["customers", "visitors"], "apply": "must"}

    read_only = api.post(url(sales_plan, "solve/"), body)
    no_path = writer.post(url(sales_plan, "solve/"), {**body, "path": []})
    infeasible = writer.post(
        url(sales_plan, "solve/"), {**body, "path": ["customers", "conversion"]}
    )
    other_month = writer.post(url(sales_plan, "solve/"), {**body, "period": "2026-09"})

    assert read_only.status_code == 403
    assert [e["field"] for e in no_path.json()["errors"]] == ["path"]
    assert [e["field"] for e in infeasible.json()["errors"]] == ["path"]
    assert [e["field"] for e in other_month.json()["errors"]] == ["period"]


def test_listing_scenarios_loads_the_plans_month_once_whatever_their_number(writer, sales_plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listed_queries(count):
        for index in range(count):
            writer.post(
                url(sales_plan, "scenarios/"),
                {
                    "name": f"S{index}",
                    "period": "2026-09",
                    "changes": [{"kpi": "visitors", "value": 1}],
                },
            )
        with CaptureQueriesContext(connection) as queries:
            assert writer.get(url(sales_plan, "scenarios/")).status_code == 200
        return len(queries)

    one = listed_queries(1)
    four = listed_queries(3)  # four stored now

    assert four == one
