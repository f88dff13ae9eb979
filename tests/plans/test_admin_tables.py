"""The plan's tables page (inline editing without nesting) and the "apply template" action."""

from decimal import Decimal

import pytest

from clients.models import AuditLogEntry
from plans.models import Funnel, FunnelStage, KpiNode, Milestone, MilestoneCondition, Plan

pytestmark = pytest.mark.django_db

PLANS_URL = "/admin/plans/plan/"


def tables_url(plan):
    return f"{PLANS_URL}{plan.pk}/tables/"


def shown_rows(response) -> dict[str, list[dict]]:
    """The rows the page shows, per table, as the browser would post them back."""
    rows = {}
    for _title, formset, name in response.context["tables"].sections():
        rows[name] = [
            {field.name: field.value() for field in form}
            for form in formset.forms[: formset.initial_form_count()]
        ]
    return rows


def posted(rows: dict[str, list[dict]], initial: dict[str, int]) -> dict:
    data = {}
    for name, items in rows.items():
        data[f"{name}-TOTAL_FORMS"] = len(items)
        data[f"{name}-INITIAL_FORMS"] = initial.get(name, 0)
        for index, row in enumerate(items):
            for field, value in row.items():
                if value is None or value is False:
                    continue
                data[f"{name}-{index}-{field}"] = "on" if value is True else value
    return data


def post_back(client, plan, change):
    """GET the page, let ``change`` edit its rows, POST them."""
    rows = shown_rows(client.get(tables_url(plan)))
    initial = {name: len(items) for name, items in rows.items()}
    change(rows)
    return client.post(tables_url(plan), posted(rows, initial))


def test_the_page_shows_the_plan_as_rows(as_user, world):
    plan = Plan.objects.get(client=world.a1)
    rows = shown_rows(as_user("owner").get(tables_url(plan)))
    assert [
        (r["key"], r["metric"], r["baseline_period"], str(r["must"])) for r in rows["kpis"]
    ] == [("leads", "leads", "2025-12", "500")]
    assert [(r["key"], r["kind"], r["due"]) for r in rows["milestones"]] == [
        ("launch", "event", "2026-06-30")
    ]
    assert rows["conditions"] == rows["funnels"] == rows["stages"] == []


def test_rows_saved_together_keep_ids_nest_by_key_and_are_audited(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)
    kpi_id = KpiNode.objects.get(plan=plan, key="leads").pk
    launch_id = Milestone.objects.get(plan=plan, key="launch").pk

    def change(rows):
        rows["kpis"][0]["must"] = "650"
        rows["milestones"].append(
            {"key": "june", "name": "June", "due": "2026-06-30", "kind": "state"}
        )
        rows["conditions"] += [
            {"milestone": "june", "metric": "leads", "op": "gte", "value": "300"},
            {
                "milestone": "june",
                "metric": "leads",
                "op": "gte",
                "value": "1200",
                "cumulative": True,
            },
        ]
        rows["funnels"].append({"key": "journey", "name": "Journey"})
        # Posted out of order: the ORDER column puts visitors first.
        rows["stages"] += [
            {
                "funnel": "journey",
                "name": "Lead",
                "metric": "leads",
                "target_conversion": "0.15",
                "ORDER": "2",
            },
            {"funnel": "journey", "name": "Visitor", "metric": "visitors", "ORDER": "1"},
        ]

    response = post_back(client, plan, change)

    assert response.status_code == 302, response.context["tables"].problems
    assert KpiNode.objects.get(plan=plan, key="leads").pk == kpi_id
    assert KpiNode.objects.get(pk=kpi_id).must == Decimal(650)
    assert Milestone.objects.get(plan=plan, key="launch").pk == launch_id
    conditions = MilestoneCondition.objects.filter(milestone__plan=plan, milestone__key="june")
    assert sorted((c.value, c.cumulative) for c in conditions) == [
        (Decimal(300), False),
        (Decimal(1200), True),
    ]
    funnel = Funnel.objects.get(plan=plan, key="journey")
    stages = FunnelStage.objects.filter(funnel=funnel).order_by("position")
    assert [(s.name, s.target_conversion) for s in stages] == [
        ("Visitor", None),
        ("Lead", Decimal("0.15")),
    ]
    entry = AuditLogEntry.objects.filter(object_id=str(plan.pk)).first()
    assert entry.action == "plan.updated"
    assert entry.actor_user == world.users["owner"]


def test_a_checker_problem_lands_on_its_row_and_nothing_is_saved(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)
    entries = AuditLogEntry.objects.count()

    def change(rows):
        rows["kpis"][0]["stretch"] = "400"  # easier than must (500): higher is better
        rows["milestones"].append(
            {"key": "june", "name": "June", "due": "2026-06-30", "kind": "state"}
        )  # a state milestone without conditions

    response = post_back(client, plan, change)

    assert response.status_code == 200
    tables = response.context["tables"]
    assert "easier than must" in tables.kpis.forms[0].errors["stretch"][0]
    assert "at least one condition" in tables.milestones.forms[1].non_field_errors()[0]
    assert KpiNode.objects.get(plan=plan, key="leads").stretch == Decimal(800)
    assert not Milestone.objects.filter(plan=plan, key="june").exists()
    assert AuditLogEntry.objects.count() == entries


def test_a_condition_for_a_milestone_not_on_the_page_is_refused(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["conditions"].append(
            {"milestone": "nope", "metric": "leads", "op": "gte", "value": "1"}
        )

    response = post_back(client, plan, change)

    assert response.status_code == 200
    assert response.context["tables"].conditions.forms[0].errors["milestone"]
    assert not MilestoneCondition.objects.filter(milestone__plan=plan).exists()


def test_a_deleted_row_leaves_the_plan(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["milestones"][0]["DELETE"] = True

    assert post_back(client, plan, change).status_code == 302
    assert not Milestone.objects.filter(plan=plan).exists()


@pytest.mark.parametrize(
    ("kind", "client_name", "status"),
    [("consultant", "a1", 200), ("consultant", "a2", 404), ("owner", "b1", 404)],
)
def test_the_page_is_scoped_like_the_api(as_user, world, kind, client_name, status):
    # The consultant writes the assigned A1 only; B1 is another consultancy's.
    plan = Plan.objects.get(client=getattr(world, client_name))
    client = as_user(kind)
    assert client.get(tables_url(plan)).status_code == status
    if status == 404:
        assert client.post(tables_url(plan), {}).status_code == 404


# --- the "apply template" action ----------------------------------------------------------------


def apply(client, plans, **form):
    data = {"action": "apply_template", "_selected_action": [str(p.pk) for p in plans], **form}
    return client.post(PLANS_URL, data)


def test_the_action_asks_which_template_first(as_user, world):
    plan = Plan.objects.get(client=world.a1)
    response = apply(as_user("owner"), [plan])
    assert response.status_code == 200
    assert "b2b-saas-12m" in dict(response.context["form"].fields["template"].choices)
    assert KpiNode.objects.filter(plan=plan).count() == 1


def test_applying_a_template_replaces_the_tables_and_keeps_the_plan(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    response = apply(client, [plan], apply="yes", template="b2b-saas-12m", language="en")

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.name, plan.starts_on.isoformat(), plan.status) == (
        "FY2026",
        "2026-01-01",
        "active",
    )
    milestones = dict(Milestone.objects.filter(plan=plan).values_list("key", "due"))
    # The SaaS template's 3-, 6- and 12-month milestones, counted from the plan's start.
    assert sorted(due.isoformat() for due in milestones.values()) == [
        "2026-03-31",
        "2026-06-30",
        "2026-12-31",
    ]
    assert AuditLogEntry.objects.filter(object_id=str(plan.pk), action="plan.updated").exists()


def test_a_plan_too_short_for_the_template_is_left_as_it_was(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)
    Plan.objects.filter(pk=plan.pk).update(ends_on="2026-04-30")

    response = apply(client, [plan], apply="yes", template="b2b-saas-12m", language="en")

    assert response.status_code == 302
    assert list(KpiNode.objects.filter(plan=plan).values_list("key", flat=True)) == ["leads"]
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("was left as it was" in m and "must fall within the plan" in m for m in shown)
