"""Every page of the admin holds exactly the clients a person may see: the portfolio, and the
changelist of every client-owned model, for each role. A client user gets no admin at all."""

from functools import reduce

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.admin_scoping import ConsultancyScopedAdmin, TenantScopedAdmin
from plans.models import Scenario

# By hand from the world (tests/tenancy.py): A's owner and manager see A1 and A2, the
# consultant the A1 they are assigned to, B's owner B1.
SEES = {
    "owner": {"a1", "a2"},
    "manager": {"a1", "a2"},
    "consultant": {"a1"},
    "foreign_owner": {"b1"},
}


def client_owned_admins():
    """Each registered admin of rows that belong to a client, by its changelist's URL."""
    return {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/": model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedAdmin)
        and not isinstance(model_admin, ConsultancyScopedAdmin)
    }


def test_the_admins_of_client_owned_rows_are_the_ones_expected():
    # A new client-owned model must join this test: the list is checked, not assumed.
    assert set(client_owned_admins()) == {
        "/admin/clients/client/",
        "/admin/clients/job/",
        "/admin/clients/auditlogentry/",
        "/admin/metrics/measurement/",
        "/admin/metrics/measurementhistory/",
        "/admin/plans/plan/",
        "/admin/plans/scorecardsnapshot/",
        "/admin/diagnostics/diagnosticrun/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SEES))
def test_every_changelist_and_the_portfolio_hold_exactly_the_allowed_clients(world, kind):
    browser = world.browser(kind)
    allowed = {getattr(world, name).pk for name in SEES[kind]}
    checked = 0
    for url, model_admin in client_owned_admins().items():
        response = browser.get(url)
        assert response.status_code == 200, url
        rows = response.context["cl"].result_list
        shown = {c.pk for c in map(model_admin.client_of, rows) if c is not None}
        # Of the clients that have such rows at all, exactly the allowed ones are listed.
        queryset = model_admin.model.objects.all()
        path = model_admin.client_path
        having = set(
            queryset.values_list(f"{path}__pk" if path else "pk", flat=True).exclude(
                **{f"{path}__isnull" if path else "pk__isnull": True}
            )
        )
        assert shown == allowed & having, url
        checked += bool(shown)
    assert checked >= 6  # the world has rows in most of them: the test is not vacuous

    portfolio = browser.get("/admin/")
    assert {row.client.pk for row in portfolio.context["dashboard"].rows} == allowed


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["viewer", "editor"])
def test_a_client_user_gets_no_admin_page(world, kind):
    browser = world.browser(kind)
    for url in ["/admin/", *client_owned_admins()]:
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/admin/login/"), url


@pytest.mark.django_db
def test_a_foreign_clients_pages_are_404(world):
    browser = world.browser("consultant")  # assigned to A1, not A2
    client = world.a2
    for url in (
        f"/admin/clients/{client.pk}/hub/",
        f"/admin/clients/{client.pk}/diagnostics/",
        f"/admin/clients/{client.pk}/scorecard/2026-09.csv",
        f"/admin/clients/{client.pk}/planning/",
    ):
        assert browser.get(url).status_code == 404, url
    scenario = client.plans.get().scenarios.get()
    for url in (
        f"/admin/clients/{client.pk}/recompute/",
        f"/admin/clients/{client.pk}/planning/apply/",
        f"/admin/clients/{client.pk}/planning/scenarios/",
        f"/admin/clients/{client.pk}/planning/scenarios/{scenario.pk}/delete/",
    ):
        assert browser.post(url, {"name": "x", "kpi": "mrr", "level": "must"}).status_code == 404
    assert Scenario.objects.filter(pk=scenario.pk).exists()
    change = browser.get(f"/admin/clients/client/{client.pk}/change/")
    assert change.status_code == 302  # the admin's "not found" goes back to its home


def consultancy_owned_admins():
    """Each registered admin of rows its consultancy's owners and managers manage."""
    return {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/": model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ConsultancyScopedAdmin)
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "consultancy", "status"),
    [
        ("owner", "a", 200),
        ("manager", "a", 200),
        ("foreign_owner", "b", 200),
        ("consultant", "a", 403),
    ],
)
def test_consultancy_pages_hold_only_the_persons_consultancy(world, kind, consultancy, status):
    browser = world.browser(kind)
    home = getattr(world, consultancy).pk
    for url, model_admin in consultancy_owned_admins().items():
        response = browser.get(url)
        if model_admin.model._meta.model_name in ("consultancy", "metric", "diagnostictemplate"):
            # Every member reads their consultancy and the catalogues (built-in entries too).
            assert response.status_code == 200, url
        else:
            assert response.status_code == status, url
        if response.status_code != 200:
            continue
        for row in response.context["cl"].result_list:
            path = model_admin.consultancy_path
            owner = reduce(getattr, path.split("__"), row) if path else row
            assert owner is None or owner.pk == home, (url, row)  # None: a built-in entry


def _more_rows(world):
    """Two more clients of A with a plan, figures, a scorecard, a diagnostic and a job each:
    a row more in every client-owned list."""
    from clients.services.jobs import job_create
    from diagnostics.selectors import template_for_client
    from diagnostics.services import run_start
    from metrics.periods import Period
    from metrics.services import measurements_upsert
    from plans.services import plan_create, scorecards_recompute
    from tests.clients.factories import ClientFactory
    from tests.tenancy import minimal_plan

    for name in ("More 1", "More 2"):
        client = ClientFactory(consultancy=world.a, name=name)
        plan_create(client=client, raw=minimal_plan(), actor=world.principal("owner"))
        rows = [{"metric": "leads", "period": "2026-09", "value": 1}]
        measurements_upsert(client=client, rows=rows, actor=world.principal("owner"))
        measurements_upsert(
            client=client, rows=[{**rows[0], "value": 2}], actor=world.principal("owner")
        )
        scorecards_recompute(client_id=client.pk, period=Period.parse("2026-09"))
        template = template_for_client(client=client, key="strategy-quick-check")
        run_start(client=client, template=template, actor=world.principal("owner"))
        job_create(kind="recompute", client=client, params={"period": "2026-09"})


@pytest.mark.django_db
def test_every_changelist_takes_the_same_queries_with_more_rows(world):
    browser = world.browser("owner")

    def counts():
        found = {}
        for url in client_owned_admins():
            with CaptureQueriesContext(connection) as queries:
                response = browser.get(url)
            found[url] = (len(queries), len(response.context["cl"].result_list))
        return found

    before = counts()
    _more_rows(world)
    after = counts()

    for url in before:
        assert after[url][1] > before[url][1], url  # the list did grow
        assert after[url][0] == before[url][0], url


@pytest.mark.django_db
def test_a_superuser_outside_the_consultancy_lands_on_the_lists_not_a_hub_they_cannot_see(
    client, world
):
    from clients.models import User

    client.force_login(User.objects.create_superuser(email="root@example.test", password="x"))
    data = {
        "consultancy": world.a.pk,
        "name": "Mori KK",
        "slug": "mori",
        "currency": "JPY",
        "timezone": "Asia/Tokyo",
        "fiscal_year_start_month": "1",
        "status": "active",
    }

    response = client.post("/admin/clients/client/add/", data)

    assert response.status_code == 302
    assert response.url == "/admin/clients/client/"
