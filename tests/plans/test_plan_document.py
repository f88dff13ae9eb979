"""The plan document over the API: round trip, every validation rule, edits by key."""

import copy

import pytest
from django.db import IntegrityError

from clients.models import AuditLogEntry, DirtyMark
from plans.models import KpiNode, Milestone, Plan
from tests.tenancy import minimal_plan

pytestmark = pytest.mark.django_db

# API.md's example, completed: ARR 12M → 100M (stretch 150M) computed from MRR, with a
# quarterly state milestone and an event milestone, and the seed's four-stage funnel.
DOCUMENT = {
    "name": "FY2026",
    "vision": "Automated customer acquisition",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "status": "active",
    "kpis": [
        {
            "key": "arr",
            "metric": "arr",
            "parent": None,
            "weight": 2,
            "baseline": {"period": "2025-12", "value": 12000000},
            "must": 100000000,
            "stretch": 150000000,
            "target_period": "2026-12",
            "granularity": "month",
            "interpolation": "linear",
            "formula": "mrr * 12",
        },
        {
            "key": "mrr",
            "metric": "mrr",
            "parent": "arr",
            "weight": 1,
            "baseline": {"period": "2025-12", "value": 1000000},
            "must": 8330000,
            "stretch": 12500000,
            "target_period": "2026-12",
            "granularity": "month",
            "interpolation": "compound",
            "formula": "",
        },
        {
            "key": "churn",
            "metric": "churn_rate",
            "parent": "arr",
            "weight": 1,
            "baseline": {"period": "2025-Q4", "value": 0.08},
            "must": 0.05,
            "stretch": 0.03,
            "target_period": "2026-Q4",
            "granularity": "quarter",
            "interpolation": "linear",
            "formula": "",
        },
    ],
    "milestones": [
        {
            "key": "q1",
            "name": "Q1 foundation",
            "due": "2026-03-31",
            "kind": "state",
            "achieved_on": None,
            "conditions": [
                {"metric": "mrr", "op": "gte", "value": 2000000, "cumulative": False},
                {"metric": "leads", "op": "gte", "value": 1500, "cumulative": True},
            ],
        },
        {
            "key": "first-hire",
            "name": "First employee",
            "due": "2026-12-31",
            "kind": "event",
            "achieved_on": None,
            "conditions": [],
        },
    ],
    "funnels": [
        {
            "key": "acquisition",
            "name": "Acquisition",
            "stages": [
                {"name": "Visitors", "metric": "visitors", "target_conversion": None},
                {"name": "Leads", "metric": "leads", "target_conversion": 0.15},
                {"name": "Consultations", "metric": "consultations", "target_conversion": 0.25},
                {"name": "Customers", "metric": "new_customers", "target_conversion": 0.8},
            ],
        },
    ],
}


def url(client, plan=None, suffix=""):
    base = f"/api/v1/clients/{client.pk}/plans/"
    return f"{base}{plan}/{suffix}" if plan else base


def without_ids(value):
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def test_a_posted_document_comes_back_equal(world):
    api = world.api("consultant")

    created = api.post(url(world.a1), DOCUMENT, format="json")
    fetched = api.get(url(world.a1, created.json()["id"]))

    assert created.status_code == 201, created.content
    assert without_ids(created.json()) == DOCUMENT
    assert without_ids(fetched.json()) == DOCUMENT
    assert all("id" in kpi for kpi in fetched.json()["kpis"])


def test_activating_a_plan_archives_the_previous_active_one(world):
    old = Plan.objects.get(client=world.a1, status="active")

    world.api("owner").post(url(world.a1), DOCUMENT, format="json")

    old.refresh_from_db()
    assert old.status == "archived"
    assert Plan.objects.filter(client=world.a1, status="active").count() == 1


def test_the_database_refuses_a_second_active_plan(world):
    with pytest.raises(IntegrityError):
        Plan.objects.create(
            client=world.a1, name="x", starts_on="2026-01-01", ends_on="2026-12-31", status="active"
        )


def _mutate(path, value):
    document = copy.deepcopy(DOCUMENT)
    target = document
    *parents, last = path
    for step in parents:
        target = target[step]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("kpis", 1, "metric"), "no_such_metric", "kpis[1].metric"),
        (("kpis", 1, "metric"), "bravo_only", "kpis[1].metric"),  # another consultancy's
        (("kpis", 1, "parent"), "nobody", "kpis[1].parent"),
        (("kpis", 0, "parent"), "mrr", "kpis[0].parent"),  # arr -> mrr -> arr
        (("kpis", 2, "key"), "mrr", "kpis[2].key"),  # duplicate
        (("kpis", 0, "formula"), "mrr * 12 + leads", "kpis[0].formula"),  # not a child
        (("kpis", 1, "stretch"), 8000000, "kpis[1].stretch"),  # below must, higher is better
        (("kpis", 2, "stretch"), 0.06, "kpis[2].stretch"),  # above must, lower is better
        (("kpis", 1, "target_period"), "2025-11", "kpis[1].target_period"),
        (("kpis", 1, "target_period"), "2026-Q4", "kpis[1].target_period"),  # not a month
        (("kpis", 1, "baseline", "value"), 0, "kpis[1].baseline.value"),  # compound needs > 0
        (("kpis", 1, "weight"), -1, "kpis[1].weight"),
        (("milestones", 0, "due"), "2027-01-15", "milestones[0].due"),
        (("milestones", 0, "conditions"), [], "milestones[0].conditions"),
        (
            ("milestones", 1, "conditions"),
            [{"metric": "mrr", "op": "gte", "value": 1}],
            "milestones[1].conditions",
        ),
        (
            ("milestones", 0, "conditions", 0, "metric"),
            "nope",
            "milestones[0].conditions[0].metric",
        ),
        (
            ("milestones", 0, "conditions", 0, "cumulative"),
            True,
            "milestones[0].conditions[0].cumulative",
        ),  # MRR is a stock
        (("milestones", 1, "key"), "q1", "milestones[1].key"),
        (("funnels", 0, "stages", 1, "metric"), "mrr", "funnels[0].stages[1].metric"),
        (
            ("funnels", 0, "stages", 0, "target_conversion"),
            0.5,
            "funnels[0].stages[0].target_conversion",
        ),
        (
            ("funnels", 0, "stages", 2, "target_conversion"),
            1.2,
            "funnels[0].stages[2].target_conversion",
        ),
        (
            ("funnels", 0, "stages", 2, "target_conversion"),
            0,
            "funnels[0].stages[2].target_conversion",
        ),
        (("funnels", 0, "stages", 3, "name"), "Leads", "funnels[0].stages[3].name"),
        (
            ("funnels", 0, "stages"),
            [{"name": "Visitors", "metric": "visitors"}],
            "funnels[0].stages",
        ),
        (("ends_on",), "2025-12-31", "ends_on"),
        (("name",), _DELETE, "name"),
    ],
)
def test_each_rule_rejects_naming_the_field(world, path, value, field):
    before = Plan.objects.count()

    response = world.api("owner").post(url(world.a1), _mutate(path, value), format="json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert Plan.objects.count() == before


def test_put_matches_by_key_so_ids_and_achievements_survive(world):
    api = world.api("owner")
    created = api.post(url(world.a1), DOCUMENT, format="json").json()
    plan_id = created["id"]
    mrr_id = next(k["id"] for k in created["kpis"] if k["key"] == "mrr")
    api.post(
        url(world.a1, plan_id, "milestones/first-hire/achieve/"),
        {"achieved_on": "2026-05-10"},
        format="json",
    )
    edited = copy.deepcopy(DOCUMENT)
    edited["kpis"][1]["must"] = 9000000
    edited["kpis"] = edited["kpis"][:2]  # churn leaves the plan

    response = api.put(url(world.a1, plan_id), edited, format="json")

    body = response.json()
    assert response.status_code == 200, response.content
    assert [k["key"] for k in body["kpis"]] == ["arr", "mrr"]
    assert next(k for k in body["kpis"] if k["key"] == "mrr")["id"] == mrr_id
    assert next(k for k in body["kpis"] if k["key"] == "mrr")["must"] == 9000000
    assert next(m for m in body["milestones"] if m["key"] == "first-hire")["achieved_on"] == (
        "2026-05-10"
    )
    assert not KpiNode.objects.filter(plan_id=plan_id, key="churn").exists()
    entry = AuditLogEntry.objects.filter(action="plan.updated", object_id=plan_id).first()
    assert entry.before["kpis"][1]["must"] == "8330000.000000"
    assert entry.after["kpis"][1]["must"] == "9000000.000000"


def test_patch_changes_the_plans_own_fields_only(world):
    api = world.api("owner")
    plan = Plan.objects.get(client=world.a1)

    renamed = api.patch(url(world.a1, plan.pk), {"name": "FY2026 (revised)"}, format="json")
    refused = api.patch(url(world.a1, plan.pk), {"kpis": []}, format="json")

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "FY2026 (revised)"
    assert len(renamed.json()["kpis"]) == 1
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "kpis"


def test_a_patch_that_breaks_the_document_is_refused(world):
    # Moving the end before the milestone's due date leaves the milestone outside the plan.
    plan = Plan.objects.get(client=world.a1)

    response = world.api("owner").patch(
        url(world.a1, plan.pk), {"ends_on": "2026-05-31"}, format="json"
    )

    assert response.status_code == 400
    assert "milestones[0].due" in [e["field"] for e in response.json()["errors"]]


def test_achieving_a_milestone(world):
    api = world.api("editor")
    plan = Plan.objects.get(client=world.a1)
    state = api.post(
        url(world.a1),
        minimal_plan(
            status="draft",
            milestones=[
                {
                    "key": "paid-10",
                    "name": "10 paying",
                    "due": "2026-06-30",
                    "kind": "state",
                    "conditions": [{"metric": "paying_customers", "op": "gte", "value": 10}],
                }
            ],
        ),
        format="json",
    ).json()

    achieved = api.post(
        url(world.a1, plan.pk, "milestones/launch/achieve/"),
        {"achieved_on": "2026-04-01"},
        format="json",
    )
    on_state = api.post(
        url(world.a1, state["id"], "milestones/paid-10/achieve/"),
        {"achieved_on": "2026-04-01"},
        format="json",
    )
    unknown = api.post(
        url(world.a1, plan.pk, "milestones/nope/achieve/"),
        {"achieved_on": "2026-04-01"},
        format="json",
    )

    assert achieved.status_code == 200
    assert Milestone.objects.get(plan=plan, key="launch").achieved_on.isoformat() == "2026-04-01"
    assert on_state.status_code == 400
    assert unknown.status_code == 404


def test_plan_writes_mark_the_client_stale(world):
    DirtyMark.objects.all().delete()

    world.api("owner").post(url(world.a1), DOCUMENT, format="json")

    assert DirtyMark.objects.filter(client=world.a1).exists()


def test_delete(world):
    plan = Plan.objects.get(client=world.a1)

    response = world.api("owner").delete(url(world.a1, plan.pk))

    assert response.status_code == 204
    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert AuditLogEntry.objects.filter(action="plan.deleted", object_id=str(plan.pk)).exists()


def test_reading_a_plan_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    api = world.api("owner")
    funnel = {
        "key": "f",
        "name": "F",
        "stages": [{"name": "V", "metric": "visitors"}, {"name": "L", "metric": "leads"}],
    }
    small = api.post(url(world.a1), minimal_plan(funnels=[funnel]), format="json").json()["id"]
    big = api.post(url(world.a1), DOCUMENT, format="json").json()["id"]
    with django_assert_max_num_queries(20) as few:
        api.get(url(world.a1, small))
    baseline = len(few.captured_queries)

    with django_assert_max_num_queries(baseline):
        api.get(url(world.a1, big))


def test_a_parent_that_is_not_text_is_named_not_a_crash():
    from plans.document import DocumentInvalid, MetricInfo, read_document

    catalogue = {"leads": MetricInfo(unit="count", direction="higher_is_better", aggregation="sum")}
    raw = {
        "name": "P",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "kpis": [
            {
                "key": "leads",
                "metric": "leads",
                "parent": ["not", "a", "key"],
                "baseline": {"period": "2025-12", "value": 1},
                "must": 2,
                "target_period": "2026-12",
            }
        ],
    }

    with pytest.raises(DocumentInvalid) as caught:
        read_document(raw, catalogue)

    assert [field for field, _message in caught.value.errors] == ["kpis[0].parent"]
