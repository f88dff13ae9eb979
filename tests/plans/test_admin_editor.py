"""The plan editor (the KPI tree, milestones with their conditions, funnels with their stages,
saved as one document) and the "apply template" action."""

from decimal import Decimal

import pytest

from clients.models import AuditLogEntry
from plans.admin.editor import as_percent, from_percent, tree_order
from plans.models import Funnel, FunnelStage, KpiNode, Milestone, MilestoneCondition, Plan

pytestmark = pytest.mark.django_db

PLANS_URL = "/admin/plans/plan/"


def editor_url(plan):
    return f"{PLANS_URL}{plan.pk}/editor/"


def shown_rows(response) -> dict[str, list[dict]]:
    """The rows the page shows, by formset prefix (``kpis``, ``milestones-0-conditions``...),
    as the browser would post them back."""
    return {
        formset.prefix: [{field.name: field.value() for field in form} for form in formset.forms]
        for formset in response.context["editor"].all_formsets()
    }


def posted(rows: dict[str, list[dict]], initial: dict[str, int]) -> dict:
    data = {}
    for prefix, items in rows.items():
        data[f"{prefix}-TOTAL_FORMS"] = len(items)
        data[f"{prefix}-INITIAL_FORMS"] = initial.get(prefix, 0)
        for index, row in enumerate(items):
            for field, value in row.items():
                if value is None or value is False:
                    continue
                data[f"{prefix}-{index}-{field}"] = "on" if value is True else value
    return data


# A KPI row as the page posts it when a person adds churn: 5% → 3% typed as percentages.
CHURN_ROW = {
    "key": "churn",
    "metric": "churn_rate",
    "granularity": "month",
    "baseline_period": "2025-12",
    "baseline_value": "5",
    "must": "3",
    "target_period": "2026-12",
    "interpolation": "linear",
}


def post_back(client, plan, change, meanwhile=None):
    """GET the page, let ``change`` edit its rows (adding rows as the page's buttons do), POST
    them with the version the page was shown (after ``meanwhile``, someone else's save)."""
    page = client.get(editor_url(plan))
    rows = shown_rows(page)
    initial = {prefix: len(items) for prefix, items in rows.items()}
    change(rows)
    if meanwhile is not None:
        meanwhile()
    data = {**posted(rows, initial), "version": page.context["version"]}
    return client.post(editor_url(plan), data)


def test_the_page_shows_the_plan_without_blank_rows(as_user, world):
    plan = Plan.objects.get(client=world.a1)

    response = as_user("owner").get(editor_url(plan))

    rows = shown_rows(response)
    assert [
        (r["key"], r["metric"], r["parent"], r["baseline_period"], r["must"], r["stretch"])
        for r in rows["kpis"]
    ] == [("leads", "leads", "", "2025-12", "500", "800")]
    assert [(r["key"], r["kind"], r["due"]) for r in rows["milestones"]] == [
        ("launch", "event", "2026-06-30")
    ]
    assert rows["milestones-0-conditions"] == rows["funnels"] == []
    # The "add" buttons clone an empty form whose metric is not chosen yet.
    empty = response.context["editor"].empty_forms()
    assert empty["kpi"]["metric"].value() is None
    assert 'value="" selected' in str(empty["kpi"]["metric"])


def test_metrics_are_named_in_the_readers_language_with_their_units(as_user, world):
    plan = Plan.objects.get(client=world.a1)
    client = as_user("owner")

    english = client.get(editor_url(plan), headers={"accept-language": "en"})
    japanese = client.get(editor_url(plan), headers={"accept-language": "ja"})

    choices = dict(english.context["editor"].kpis.forms[0].fields["metric"].choices)
    assert choices["leads"] == "Leads (leads)"
    assert choices["mrr"] == "MRR (mrr)"
    choices = dict(japanese.context["editor"].kpis.forms[0].fields["metric"].choices)
    assert choices["leads"] == "リード数 (leads)"
    page = japanese.content.decode()
    # Each metric option says what stands beside its values: 件 for a count, 円 for money.
    assert 'value="leads" selected data-before="" data-after="件"' in page
    assert 'value="mrr" data-before="" data-after="円"' in page
    assert 'value="churn_rate" data-before="" data-after="%"' in page
    assert english.context["editor"].kpis.forms[0].affixes == ("", "")
    assert japanese.context["editor"].kpis.forms[0].affixes == ("", "件")


def test_rows_saved_together_keep_ids_nest_and_are_audited(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)
    kpi_id = KpiNode.objects.get(plan=plan, key="leads").pk
    launch_id = Milestone.objects.get(plan=plan, key="launch").pk

    def change(rows):
        rows["kpis"][0]["must"] = "650"
        rows["milestones"].append(
            {"key": "june", "name": "June", "due": "2026-06-30", "kind": "state"}
        )
        rows["milestones-1-conditions"] = [
            {"metric": "leads", "op": "gte", "value": "300"},
            {"metric": "leads", "op": "gte", "value": "1200", "cumulative": True},
        ]
        rows["funnels"].append({"key": "journey", "name": "Journey"})
        # Posted out of order: the order column puts visitors first. 15 is typed as a
        # percentage: the document holds 0.15.
        rows["funnels-0-stages"] = [
            {"name": "Lead", "metric": "leads", "target_conversion": "15", "ORDER": "2"},
            {"name": "Visitor", "metric": "visitors", "ORDER": "1"},
        ]

    response = post_back(client, plan, change)

    assert response.status_code == 302, response.context["editor"].problems
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


def test_a_ratio_is_typed_and_shown_as_a_percentage(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["kpis"].append(
            {
                "key": "churn",
                "metric": "churn_rate",
                "parent": "leads",
                "granularity": "month",
                "baseline_period": "2025-12",
                "baseline_value": "4.5",  # 4.5% → 0.045
                "must": "3",
                "stretch": "2.25",
                "target_period": "2026-12",
                "interpolation": "linear",
            }
        )

    response = post_back(client, plan, change)

    assert response.status_code == 302, response.context["editor"].problems
    churn = KpiNode.objects.get(plan=plan, key="churn")
    assert (churn.baseline_value, churn.must, churn.stretch) == (
        Decimal("0.045"),
        Decimal("0.03"),
        Decimal("0.0225"),
    )
    assert churn.parent.key == "leads"
    rows = shown_rows(client.get(editor_url(plan)))
    # The tree: the child under its parent, with its values as percentages again.
    assert [(r["key"], r["baseline_value"], r["must"], r["stretch"]) for r in rows["kpis"]] == [
        ("leads", "100", "500", "800"),
        ("churn", "4.5", "3", "2.25"),
    ]


def test_a_checker_problem_lands_on_its_row_and_nothing_is_saved(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)
    entries = AuditLogEntry.objects.count()

    def change(rows):
        rows["kpis"][0]["stretch"] = "400"  # easier than must (500): higher is better
        rows["milestones"] += [
            {"key": "june", "name": "June", "due": "2026-06-30", "kind": "state"},
            {"key": "july", "name": "July", "due": "2026-07-31", "kind": "state"},
        ]
        rows["milestones-1-conditions"] = [{"metric": "leads", "op": "gte", "value": "lots"}]
        rows["milestones-2-conditions"] = []  # a state milestone without conditions

    response = post_back(client, plan, change)

    assert response.status_code == 200
    editor = response.context["editor"]
    assert "easier than must" in editor.kpis.forms[0].errors["stretch"][0]
    assert "at least one condition" in editor.milestones.forms[2].non_field_errors()[0]
    assert editor.milestones.forms[1].conditions.forms[0].errors == {"value": ["must be a number"]}
    assert KpiNode.objects.get(plan=plan, key="leads").stretch == Decimal(800)
    assert not Milestone.objects.filter(plan=plan, key="june").exists()
    assert AuditLogEntry.objects.count() == entries


def test_a_problem_reads_in_the_readers_language(as_user, world):
    client = as_user("owner")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["kpis"][0]["stretch"] = "400"  # easier than must (500): higher is better

    response = post_back(client, plan, change)

    assert response.context["editor"].kpis.forms[0].errors["stretch"] == [
        "必達より易しい目標です（高いほど良い指標なのに、必達を下回っています）"
    ]


def test_an_absurd_number_is_a_field_error_not_a_crash(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["funnels"].append({"key": "journey", "name": "Journey"})
        rows["funnels-0-stages"] = [
            {"name": "Visitor", "metric": "visitors", "ORDER": "1"},
            {"name": "Lead", "metric": "leads", "target_conversion": "1e9999999", "ORDER": "2"},
        ]

    response = post_back(client, plan, change)

    assert response.status_code == 200
    stage = response.context["editor"].funnels.forms[0].stages.forms[1]
    assert list(stage.errors) == ["target_conversion"]
    assert not Funnel.objects.filter(plan=plan).exists()


def test_a_save_over_someone_elses_newer_one_is_refused(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def add_kpi(rows):
        rows["kpis"][0]["must"] = "650"

    def someone_adds_a_milestone():
        other = as_user("manager")
        post_back(
            other,
            plan,
            lambda rows: rows["milestones"].__setitem__(
                0, {**rows["milestones"][0], "name": "Launch, moved"}
            ),
        )
        client.cookies = as_user("owner").cookies

    response = post_back(client, plan, add_kpi, meanwhile=someone_adds_a_milestone)

    assert response.status_code == 409
    assert "Someone saved this plan after you opened it" in response.context["editor"].problems[0]
    assert KpiNode.objects.get(plan=plan, key="leads").must == Decimal(500)
    assert Milestone.objects.get(plan=plan, key="launch").name == "Launch, moved"


def test_a_parent_outside_the_plan_is_refused_at_its_field(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["kpis"][0]["parent"] = "nope"

    response = post_back(client, plan, change)

    assert response.status_code == 200
    assert response.context["editor"].kpis.forms[0].errors == {
        "parent": ["'nope' is not a KPI of this plan"]
    }


def test_a_removed_row_leaves_the_plan(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["milestones"][0]["DELETE"] = True

    assert post_back(client, plan, change).status_code == 302
    assert not Milestone.objects.filter(plan=plan).exists()


def test_an_added_row_left_blank_is_not_saved(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        # What an "add" click posts when nothing is typed: the selects' first choices.
        rows["kpis"].append({"granularity": "month", "interpolation": "linear", "metric": ""})
        rows["milestones"].append({"kind": "state"})
        rows["milestones-1-conditions"] = []

    assert post_back(client, plan, change).status_code == 302
    assert list(KpiNode.objects.filter(plan=plan).values_list("key", flat=True)) == ["leads"]
    assert list(Milestone.objects.filter(plan=plan).values_list("key", flat=True)) == ["launch"]


@pytest.mark.parametrize(
    ("kind", "client_name", "status"),
    [("consultant", "a1", 200), ("consultant", "a2", 404), ("owner", "b1", 404)],
)
def test_the_page_is_scoped_like_the_api(as_user, world, kind, client_name, status):
    # The consultant writes the assigned A1 only; B1 is another consultancy's.
    plan = Plan.objects.get(client=getattr(world, client_name))
    client = as_user(kind)
    assert client.get(editor_url(plan)).status_code == status
    if status == 404:
        assert client.post(editor_url(plan), {}).status_code == 404


# --- the arithmetic of typing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "percent"),
    [("0.15", "15"), ("0.045", "4.5"), ("1", "100"), ("0.0225", "2.25"), ("0.5", "50")],
)
def test_percentages_convert_exactly_both_ways(fraction, percent):
    assert as_percent(Decimal(fraction)) == percent
    assert from_percent(percent) == fraction


@pytest.mark.parametrize(
    ("percent", "fraction"),
    [
        ("0.1000000000000000000000000000001", "0.001000000000000000000000000000001"),
        ("12345678901234567890.5", "123456789012345678.905"),
        ("-2.5", "-0.025"),
    ],
)
def test_long_numbers_shift_without_rounding(percent, fraction):
    # Only the exponent moves: no 28-digit context rounds them.
    assert from_percent(percent) == fraction
    assert as_percent(fraction) == percent


@pytest.mark.parametrize("text", ["lots", "1,5", "1e9999999", "1e-9999999", "Infinity", "NaN"])
def test_text_that_is_not_a_plain_number_goes_to_the_checker_as_it_is(text):
    assert from_percent(text) == text


def test_rows_with_one_key_twice_or_in_a_cycle_are_all_kept_for_the_checker():
    kpis = [
        {"key": "a", "parent": "b"},
        {"key": "b", "parent": "a"},
        {"key": "c", "parent": None},
        {"key": "c", "parent": None},
    ]
    assert sorted(id(kpi) for kpi, _depth in tree_order(kpis)) == sorted(map(id, kpis))


def test_a_kpi_added_under_a_parent_is_saved_next_to_it(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["kpis"] += [
            CHURN_ROW,
            {  # added last, but a child of leads: stored before churn
                "key": "visits",
                "metric": "visitors",
                "parent": "leads",
                "granularity": "month",
                "baseline_period": "2025-12",
                "baseline_value": "100",
                "must": "300",
                "target_period": "2026-12",
                "interpolation": "linear",
            },
        ]

    assert post_back(client, plan, change).status_code == 302
    stored = KpiNode.objects.filter(plan=plan).order_by("position")
    assert [kpi.key for kpi in stored] == ["leads", "visits", "churn"]


def test_the_tree_puts_each_parent_before_its_children():
    kpis = [
        {"key": "cvr", "parent": "sales"},
        {"key": "sales", "parent": None},
        {"key": "visitors", "parent": "sales"},
        {"key": "orphan", "parent": "gone"},
    ]
    assert [(kpi["key"], depth) for kpi, depth in tree_order(kpis)] == [
        ("sales", 0),
        ("cvr", 1),
        ("visitors", 1),
        ("orphan", 0),
    ]


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
