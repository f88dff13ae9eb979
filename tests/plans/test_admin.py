"""The plans admin is scoped like the API, and writes through the same services and checks."""

import json
from decimal import Decimal

import pytest

from clients.models import AuditLogEntry
from plans.models import KpiNode, Plan
from plans.plan_templates import TEMPLATES
from plans.services import plan_create
from tests.tenancy import minimal_plan

pytestmark = pytest.mark.django_db

PLANS_URL = "/admin/plans/plan/"
FROM_TEMPLATE_URL = f"{PLANS_URL}from-template/"


def plan_of(client):
    return Plan.objects.get(client=client)


def change_url(plan):
    return f"{PLANS_URL}{plan.pk}/change/"


def document_url(plan):
    return f"{PLANS_URL}{plan.pk}/document/"


def plan_form(plan, **fields):
    return {
        "name": plan.name,
        "vision": plan.vision,
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(),
        "status": plan.status,
        **fields,
    }


def listed(response):
    return {plan.client.name for plan in response.context["cl"].result_list}


def shown_document(response):
    return json.loads(response.context["form"].initial["document"])


# --- the changelist and the change page ---------------------------------------------------------


def test_a_consultant_sees_only_the_assigned_clients_plan(as_user):
    response = as_user("consultant").get(PLANS_URL)

    assert response.status_code == 200
    assert listed(response) == {"A1"}


def test_an_owner_sees_the_consultancys_plans_and_nothing_else(as_user):
    assert listed(as_user("owner").get(PLANS_URL)) == {"A1", "A2"}


@pytest.mark.parametrize("kind", ["owner", "consultant"])
def test_a_foreign_plans_change_page_redirects_to_the_index(as_user, world, kind):
    response = as_user(kind).get(change_url(plan_of(world.b1)))

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_change_page_shows_the_document_read_only_and_escaped(as_user, world):
    plan = plan_of(world.a1)
    plan.milestones.update(name="<b>Launch</b>")

    response = as_user("owner").get(change_url(plan))

    content = response.content.decode()
    assert response.status_code == 200
    assert "&lt;b&gt;Launch&lt;/b&gt;" in content
    assert "<b>Launch</b>" not in content
    assert document_url(plan) in content  # the "Edit document" link
    assert response.context["has_add_permission"] is False


def test_an_owner_renames_a_plan_through_the_service(as_user, world):
    plan = plan_of(world.a1)

    response = as_user("owner").post(change_url(plan), plan_form(plan, name="FY2026 revised"))

    assert response.status_code == 302
    assert plan_of(world.a1).name == "FY2026 revised"
    entry = AuditLogEntry.objects.filter(object_id=str(plan.pk)).first()
    assert entry.action == "plan.updated"
    assert entry.actor_user == world.users["owner"]
    assert (entry.before["name"], entry.after["name"]) == ("FY2026", "FY2026 revised")


def test_a_change_that_breaks_the_document_is_a_form_error(as_user, world):
    plan = plan_of(world.a1)
    entries = AuditLogEntry.objects.count()

    # The milestone "launch" is due 2026-06-30: a plan ending before it is refused.
    response = as_user("owner").post(change_url(plan), plan_form(plan, ends_on="2026-05-31"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(error.startswith("milestones[0].due: ") for error in errors)
    assert plan_of(world.a1).ends_on.isoformat() == "2026-12-31"
    assert AuditLogEntry.objects.count() == entries


def test_the_add_page_is_closed(as_user):
    assert as_user("owner").get(f"{PLANS_URL}add/").status_code == 403


# --- the document page --------------------------------------------------------------------------


def test_the_document_page_shows_the_document_without_ids(as_user, world):
    response = as_user("consultant").get(document_url(plan_of(world.a1)))

    assert response.status_code == 200
    document = shown_document(response)
    assert "id" not in document
    assert "id" not in document["kpis"][0]
    assert document["kpis"][0]["must"] == 500
    assert document["milestones"][0]["due"] == "2026-06-30"


def test_a_valid_document_edit_saves_keeps_ids_and_is_audited(as_user, world):
    client = as_user("owner")
    plan = plan_of(world.a1)
    kpi_id = KpiNode.objects.get(plan=plan, key="leads").pk
    page = client.get(document_url(plan))
    document = shown_document(page)
    document["kpis"][0]["must"] = 600

    response = client.post(
        document_url(plan), {"document": json.dumps(document), "version": page.context["version"]}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(plan)
    kpi = KpiNode.objects.get(plan=plan, key="leads")
    assert (kpi.pk, kpi.must) == (kpi_id, Decimal(600))
    entry = AuditLogEntry.objects.filter(object_id=str(plan.pk)).first()
    assert entry.action == "plan.updated"
    before, after = entry.before["kpis"][0]["must"], entry.after["kpis"][0]["must"]
    assert (Decimal(str(before)), Decimal(str(after))) == (Decimal(500), Decimal(600))


def test_an_invalid_document_lists_every_problem_and_saves_nothing(as_user, world):
    client = as_user("owner")
    plan = plan_of(world.a1)
    entries = AuditLogEntry.objects.count()
    page = client.get(document_url(plan))
    document = shown_document(page)
    document["kpis"][0]["stretch"] = 400  # easier than must (500) for a higher-is-better metric

    response = client.post(
        document_url(plan), {"document": json.dumps(document), "version": page.context["version"]}
    )

    assert response.status_code == 200
    assert any(p.startswith("kpis[0].stretch: ") for p in response.context["problems"])
    assert "kpis[0].stretch" in response.content.decode()
    assert KpiNode.objects.get(plan=plan, key="leads").stretch == Decimal(800)
    assert AuditLogEntry.objects.count() == entries


def test_a_save_over_a_newer_version_is_refused_then_allowed_on_purpose(as_user, world):
    client = as_user("owner")
    plan = plan_of(world.a1)
    page = client.get(document_url(plan))
    document = shown_document(page)
    document["kpis"][0]["must"] = 600
    # Meanwhile someone else raises the stretch through the editor.
    KpiNode.objects.filter(plan=plan, key="leads").update(stretch=900)
    posted = {"document": json.dumps(document), "version": page.context["version"]}

    refused = client.post(document_url(plan), posted)

    assert refused.status_code == 409
    assert "Someone saved this plan after you opened it" in refused.context["problems"][0]
    assert KpiNode.objects.get(plan=plan, key="leads").must == Decimal(500)
    again = client.post(document_url(plan), {**posted, "version": refused.context["version"]})
    assert again.status_code == 302  # saved knowingly over theirs
    assert KpiNode.objects.get(plan=plan, key="leads").must == Decimal(600)


def test_bad_json_is_a_form_error(as_user, world):
    plan = plan_of(world.a1)

    response = as_user("owner").post(document_url(plan), {"document": '{"name": '})

    assert response.status_code == 200
    assert response.context["form"].errors["document"]
    assert plan_of(world.a1).name == "FY2026"


def test_a_client_viewer_has_no_admin(as_user, world):
    response = as_user("viewer").get(document_url(plan_of(world.a1)))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_consultant_cannot_open_a_sibling_clients_document(as_user, world):
    client = as_user("consultant")
    plan = plan_of(world.a2)

    assert client.get(document_url(plan)).status_code == 404
    posted = client.post(document_url(plan), {"document": json.dumps(minimal_plan(name="X"))})
    assert posted.status_code == 404
    assert plan_of(world.a2).name == "FY2026"


# --- a plan from a template ---------------------------------------------------------------------


def test_the_changelist_links_to_the_template_page(as_user):
    assert FROM_TEMPLATE_URL in as_user("consultant").get(PLANS_URL).content.decode()


def test_an_owner_creates_a_japanese_plan_from_a_template(as_user, world):
    response = as_user("owner").post(
        FROM_TEMPLATE_URL,
        {
            "client": world.a2.pk,
            "template": "b2b-saas-12m",
            "starts_on": "2027-01-01",
            "language": "ja",
            "status": "draft",
        },
    )

    plan = Plan.objects.get(client=world.a2, status="draft")
    assert response.status_code == 302
    assert response["Location"] == f"{PLANS_URL}{plan.pk}/editor/"  # adjust the targets next
    expected = TEMPLATES["b2b-saas-12m"].document(
        starts_on=plan.starts_on, language="ja", status="draft"
    )
    assert plan.name == expected["name"] == "BtoB SaaS:12カ月でMRR100万円"
    assert plan.kpis.count() == len(expected["kpis"])
    assert AuditLogEntry.objects.filter(object_id=str(plan.pk), action="plan.created").exists()


def test_template_names_follow_the_language(as_user):
    response = as_user("owner").get(FROM_TEMPLATE_URL, HTTP_ACCEPT_LANGUAGE="ja")

    labels = dict(response.context["form"].fields["template"].choices)
    assert labels["b2b-saas-12m"] == TEMPLATES["b2b-saas-12m"].name_ja


def test_a_consultant_cannot_create_a_plan_for_a_sibling_client(as_user, world):
    response = as_user("consultant").post(
        FROM_TEMPLATE_URL,
        {
            "client": world.a2.pk,
            "template": "b2b-saas-12m",
            "starts_on": "2027-01-01",
            "language": "en",
            "status": "draft",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["client"]
    assert Plan.objects.filter(client=world.a2).count() == 1


# --- queries ------------------------------------------------------------------------------------


def test_the_plan_changelist_queries_do_not_grow(as_user, world, django_assert_max_num_queries):
    client = as_user("owner")
    with django_assert_max_num_queries(40) as ctx:
        client.get(PLANS_URL)
    baseline = len(ctx.captured_queries)
    for number in range(10):
        plan_create(
            client=world.a2, raw=minimal_plan(name=f"Draft {number}", status="draft"), actor=None
        )

    with django_assert_max_num_queries(baseline):
        response = client.get(PLANS_URL)

    assert len(response.context["cl"].result_list) == 12
