"""The consultants' admin is scoped like the API: one mixin decides rows and rights."""

import pytest

from clients.models import ApiKey, AuditLogEntry, Client

pytestmark = pytest.mark.django_db


def changelist_names(response):
    return {str(obj) for obj in response.context["cl"].result_list}


def test_a_consultant_sees_only_assigned_clients(as_user):
    response = as_user("consultant").get("/admin/clients/client/")

    assert response.status_code == 200
    assert changelist_names(response) == {"A1"}


def test_an_owner_sees_every_client_of_the_consultancy_and_nothing_else(as_user):
    response = as_user("owner").get("/admin/clients/client/")

    assert changelist_names(response) == {"A1", "A2"}


@pytest.mark.parametrize("kind", ["owner", "consultant"])
def test_a_foreign_clients_change_page_is_not_shown(as_user, world, kind):
    response = as_user(kind).get(f"/admin/clients/client/{world.b1.pk}/change/")

    # Django's admin answers an object outside the queryset with a redirect to the index.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_consultant_can_view_but_not_edit_a_client(as_user, world):
    client = as_user("consultant")

    page = client.get(f"/admin/clients/client/{world.a1.pk}/change/")
    post = client.post(f"/admin/clients/client/{world.a1.pk}/change/", {"name": "Renamed"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert post.status_code == 403
    assert Client.objects.get(pk=world.a1.pk).name == "A1"


def test_a_consultant_cannot_manage_keys_or_members(as_user):
    client = as_user("consultant")

    assert client.get("/admin/clients/apikey/").status_code == 403
    assert client.get("/admin/clients/consultancymembership/").status_code == 403


def test_client_users_have_no_admin(client, world):
    client.force_login(world.users["viewer"])

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_owner_adds_a_client_through_the_service(as_user, world):
    response = as_user("owner").post(
        "/admin/clients/client/add/",
        {
            "consultancy": world.a.pk,
            "name": "Sakura",
            "slug": "sakura",
            "industry": "",
            "business_model": "",
            "currency": "JPY",
            "timezone": "Asia/Tokyo",
            "fiscal_year_start_month": 4,
            "status": "active",
        },
    )

    assert response.status_code == 302
    client = Client.objects.get(slug="sakura")
    assert AuditLogEntry.objects.filter(action="client.created", client=client).exists()


def test_an_owner_cannot_add_a_client_to_another_consultancy(as_user, world):
    response = as_user("owner").post(
        "/admin/clients/client/add/",
        {
            "consultancy": world.b.pk,
            "name": "X",
            "slug": "x",
            "currency": "JPY",
            "timezone": "Asia/Tokyo",
            "fiscal_year_start_month": 1,
            "status": "active",
        },
    )

    assert response.status_code == 200  # the form again, with an error on consultancy
    assert "consultancy" in response.context["adminform"].form.errors
    assert not Client.objects.filter(slug="x").exists()


def test_a_new_key_is_shown_once_and_only_its_prefix_after(as_user, world):
    client = as_user("owner")

    response = client.post(
        "/admin/clients/apikey/add/",
        {"consultancy": world.a.pk, "client": "", "name": "Billing", "scopes": "read"},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    key = ApiKey.objects.get(name="Billing")
    plain = next(m for m in messages if m.startswith("Copy the key now")).rsplit(" ", 1)[-1]
    assert plain.startswith(f"wp_{key.prefix}_")
    assert len(plain) > len(f"wp_{key.prefix}_") + 40
    assert sum(plain in m for m in messages) == 1
    listing = client.get("/admin/clients/apikey/").content.decode()
    assert f"wp_{key.prefix}_" in listing
    assert plain not in listing


def test_the_audit_log_is_read_only(as_user, world):
    client = as_user("owner")
    entry = AuditLogEntry.objects.filter(consultancy=world.a).first()

    page = client.get(f"/admin/clients/auditlogentry/{entry.pk}/change/")
    post = client.post(f"/admin/clients/auditlogentry/{entry.pk}/change/", {"action": "x"})
    delete = client.post(f"/admin/clients/auditlogentry/{entry.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert post.status_code == 403
    assert delete.status_code == 403
    assert AuditLogEntry.objects.filter(pk=entry.pk, action=entry.action).exists()


def test_the_audit_log_shows_no_foreign_entries(as_user, world):
    response = as_user("owner").get("/admin/clients/auditlogentry/")

    consultancies = {e.consultancy_id for e in response.context["cl"].result_list}
    assert consultancies == {world.a.pk}


def test_admin_changelist_queries_do_not_grow(as_user, world, django_assert_max_num_queries):
    from clients.services.tenants import client_create

    client = as_user("owner")
    with django_assert_max_num_queries(30) as few:
        client.get("/admin/clients/client/")
    baseline = len(few.captured_queries)
    for n in range(15):
        client_create(consultancy=world.a, name=f"More {n}", slug=f"more-{n}", actor=None)

    with django_assert_max_num_queries(baseline):
        client.get("/admin/clients/client/")


def test_an_owner_adds_a_client_viewer_by_email_and_removes_them(as_user, world):
    from clients.models import ClientMembership

    client = as_user("owner")

    added = client.post(
        "/admin/clients/clientmembership/add/",
        {
            "client": world.a2.pk,
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "role": "viewer",
        },
    )
    membership = ClientMembership.objects.get(client=world.a2, user__email="new.person@example.com")
    removed = client.post(
        f"/admin/clients/clientmembership/{membership.pk}/delete/", {"post": "yes"}
    )

    assert added.status_code == 302
    assert removed.status_code == 302
    assert not ClientMembership.objects.filter(pk=membership.pk).exists()
    actions = list(
        AuditLogEntry.objects.filter(client=world.a2, object_type="clients.clientmembership")
        .order_by("at")
        .values_list("action", flat=True)
    )
    assert actions == ["client_membership.created", "client_membership.deleted"]


def test_a_consultant_cannot_add_client_members(as_user, world):
    response = as_user("consultant").post(
        "/admin/clients/clientmembership/add/",
        {"client": world.a1.pk, "email": "x@example.com", "role": "editor"},
    )

    assert response.status_code == 403
