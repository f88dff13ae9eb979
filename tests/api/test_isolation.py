"""The isolation matrix: every API route, every kind of principal, and a foreign tenant.

Routes are discovered from the URL resolver; ``ROUTES`` says how to address each one. A route
missing from ``ROUTES`` fails ``test_every_api_route_is_in_the_matrix``, so each new endpoint
joins the matrix when it is added.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clients.models import AuditLogEntry, Job
from clients.principals import Action
from clients.selectors import clients_visible_to
from diagnostics.models import DiagnosticRun
from metrics.models import Measurement
from metrics.selectors import metrics_for_client
from plans.models import Plan, Scenario
from plans.plan_templates import TEMPLATES
from tests.tenancy import (
    EXPECTED,
    EXPECTED_CONSULTANCY,
    PRINCIPAL_KINDS,
    WEBHOOK_KINDS,
    minimal_plan,
)

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
NOT_DATA = {"api-v1:schema", "api-v1:docs"}  # the API's own description, public by design
OUR_APPS = {"clients", "metrics", "plans", "diagnostics"}
VOLATILE_FIELDS = {"last_used_at", "last_login"}
# Sent where a body is expected on a foreign client: the 404 must come before validation.
INVALID_BODY = {"name": "", "slug": "not a slug!"}


@dataclass
class Method:
    needs: Action  # on the client in the path; for routes without one, at the consultancy level
    body: Callable | None = None  # world -> a valid body
    ok: int = 200
    kinds: frozenset | None = None  # who may, where the rule is not one of ``needs``


@dataclass
class Route:
    url_kwargs: Callable  # (world, client) -> kwargs addressing that client's rows
    methods: dict[str, Method]
    client_in_path: bool = True
    rows_of: Callable | None = None  # (world, client) -> ids a list shows for the client
    nested_object: Callable | None = None  # (world, client) -> kwargs of one of its objects
    foreign_body: Callable | None = None  # world -> a body naming another tenant's object
    row_id: Callable = lambda row: str(row["id"])  # how a list row is told apart
    query: str = ""  # a query string a GET needs


NEW_METRIC = {
    "key": "demo_signups",
    "name": "Demo sign-ups",
    "name_ja": "デモ申込数",
    "unit": "count",
    "direction": "higher_is_better",
    "aggregation": "sum",
}


def _plan(world, client):
    return {"plan_id": Plan.objects.filter(client=client).values_list("pk", flat=True)[0]}


def _scenario(world, client):
    scenario = Scenario.objects.filter(client=client).first()
    return {"plan_id": scenario.plan_id, "scenario_id": scenario.pk}


SCENARIO = {"name": "Downside", "period": "2026-09", "changes": [{"kpi": "leads", "value": 1}]}


def _job(world, client):
    return {"pk": Job.objects.filter(client=client or world.a1).values_list("pk", flat=True)[0]}


def _run(world, client):
    return {"run_id": DiagnosticRun.objects.filter(client=client).values_list("pk", flat=True)[0]}


def _webhook(world, client):
    # Narrowed to A1: every principal that manages webhooks on A sees it.
    return {"pk": world.webhooks["a1"].pk}


NEW_WEBHOOK = {"url": "http://127.0.0.1:9/new", "events": ["diagnostic.scored"]}


def _audit_entry(world, client):
    return {"pk": AuditLogEntry.objects.filter(client=client).values_list("pk", flat=True)[0]}


ROUTES = {
    "api-v1:client-list": Route(
        url_kwargs=lambda world, client: {},
        client_in_path=False,
        methods={
            "get": Method(Action.READ),
            "post": Method(
                Action.MANAGE_CLIENTS,
                body=lambda world: {"name": "New Co", "slug": "new-co", "industry": "Retail"},
                ok=201,
            ),
        },
        rows_of=lambda world, client: {str(client.pk)},
        foreign_body=lambda world: {"name": "X", "slug": "x", "consultancy": world.b.slug},
    ),
    "api-v1:client-detail": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={
            "get": Method(Action.READ),
            "patch": Method(Action.MANAGE_CLIENTS, body=lambda world: {"industry": "Retail"}),
        },
    ),
    "api-v1:client-audit-log-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"get": Method(Action.READ)},
        rows_of=lambda world, client: {
            str(pk)
            for pk in AuditLogEntry.objects.filter(client=client).values_list("pk", flat=True)
        },
    ),
    "api-v1:metric-list": Route(
        url_kwargs=lambda world, client: {},
        client_in_path=False,
        methods={
            "get": Method(Action.READ),
            "post": Method(Action.MANAGE_CLIENTS, body=lambda world: NEW_METRIC, ok=201),
        },
        rows_of=lambda world, client: {
            f"{m.consultancy.slug if m.consultancy else None}:{m.key}"
            for m in metrics_for_client(client).select_related("consultancy")
        },
        row_id=lambda row: f"{row['consultancy']}:{row['key']}",
        foreign_body=lambda world: {**NEW_METRIC, "consultancy": world.b.slug},
    ),
    "api-v1:client-measurement-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"get": Method(Action.READ)},
        rows_of=lambda world, client: {
            f"{m.metric.key}:{m.period}" for m in Measurement.objects.filter(client=client)
        },
        row_id=lambda row: f"{row['metric']}:{row['period']}",
    ),
    "api-v1:client-measurement-bulk": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={
            "post": Method(
                Action.WRITE,
                body=lambda world: {
                    "measurements": [{"metric": "leads", "period": "2026-10", "value": 7}]
                },
            )
        },
        # Bravo's own metric does not exist for a client of Acme.
        foreign_body=lambda world: {
            "measurements": [{"metric": "bravo_only", "period": "2026-10", "value": 7}]
        },
    ),
    "api-v1:client-series-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"get": Method(Action.READ)},
        query="metrics=leads,visit_to_lead&from=2026-07&to=2026-09",
    ),
    "api-v1:client-plan-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={
            "get": Method(Action.READ),
            "post": Method(Action.WRITE, body=lambda world: minimal_plan(status="draft"), ok=201),
        },
        rows_of=lambda world, client: {str(p.pk) for p in Plan.objects.filter(client=client)},
        foreign_body=lambda world: minimal_plan(
            kpis=[
                {
                    "key": "own",
                    "metric": "bravo_only",
                    "baseline": {"period": "2025-12", "value": 1},
                    "must": 2,
                    "target_period": "2026-12",
                }
            ]
        ),
    ),
    "api-v1:client-plan-detail": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_plan(world, client)},
        methods={
            "get": Method(Action.READ),
            "put": Method(Action.WRITE, body=lambda world: minimal_plan(name="FY2026 v2")),
            "patch": Method(Action.WRITE, body=lambda world: {"name": "Renamed"}),
            "delete": Method(Action.WRITE, ok=204),
        },
        nested_object=_plan,
    ),
    "api-v1:client-plan-achieve": Route(
        url_kwargs=lambda world, client: {
            "client_id": client.pk,
            "milestone_key": "launch",
            **_plan(world, client),
        },
        methods={"post": Method(Action.WRITE, body=lambda world: {"achieved_on": "2026-03-01"})},
        nested_object=lambda world, client: {"milestone_key": "launch", **_plan(world, client)},
    ),
    # Planning reads the plan and its data and stores nothing: reading is enough. The world's
    # plan has one KPI without children and no funnel, so solve and requirements reach their
    # validation (400 naming the field); the scenario is computed.
    "api-v1:client-plan-solve": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_plan(world, client)},
        methods={"post": Method(Action.READ, body=lambda world: {"kpi": "leads"}, ok=400)},
        nested_object=_plan,
    ),
    "api-v1:client-plan-requirements": Route(
        url_kwargs=lambda world, client: {
            "client_id": client.pk,
            "funnel_key": "journey",
            **_plan(world, client),
        },
        methods={"get": Method(Action.READ, ok=400)},
        nested_object=lambda world, client: {"funnel_key": "journey", **_plan(world, client)},
        query="target=100",
    ),
    "api-v1:client-plan-scenario-preview": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_plan(world, client)},
        methods={
            "post": Method(
                Action.READ, body=lambda world: {"changes": [{"kpi": "leads", "value": 5}]}
            )
        },
        nested_object=_plan,
    ),
    "api-v1:client-plan-scenario-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_plan(world, client)},
        methods={
            "get": Method(Action.READ),
            "post": Method(Action.WRITE, body=lambda world: SCENARIO, ok=201),
        },
        rows_of=lambda world, client: {
            str(pk) for pk in Scenario.objects.filter(client=client).values_list("pk", flat=True)
        },
        nested_object=_plan,
    ),
    "api-v1:client-plan-scenario-detail": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_scenario(world, client)},
        methods={
            "get": Method(Action.READ),
            "put": Method(Action.WRITE, body=lambda world: SCENARIO),
            "delete": Method(Action.WRITE, ok=204),
        },
        nested_object=_scenario,
    ),
    "api-v1:client-plan-from-template": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={
            "post": Method(
                Action.WRITE,
                body=lambda world: {"template": "b2b-saas-12m", "starts_on": "2026-01-01"},
                ok=201,
            )
        },
    ),
    "api-v1:plan-template-list": Route(
        url_kwargs=lambda world, client: {},
        client_in_path=False,
        methods={"get": Method(Action.READ)},
        rows_of=lambda world, client: set(TEMPLATES),
        row_id=lambda row: row["key"],
    ),
    "api-v1:client-scorecard-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"get": Method(Action.READ)},
        query="period=2026-09",
    ),
    "api-v1:client-scorecard-recompute": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"post": Method(Action.WRITE, body=lambda world: {"period": "2026-09"}, ok=202)},
    ),
    "api-v1:client-bottleneck-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"get": Method(Action.READ)},
        query="period=2026-09",
    ),
    "api-v1:client-bottleneck-recompute": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"post": Method(Action.WRITE, body=lambda world: {"period": "2026-09"}, ok=202)},
    ),
    # A job of A1: every principal of Acme reads A1; the tests in tests/plans/test_results_api.py
    # show jobs of other clients are 404.
    "api-v1:job-detail": Route(
        url_kwargs=_job,
        client_in_path=False,
        methods={"get": Method(Action.READ)},
    ),
    "api-v1:portfolio-list": Route(
        url_kwargs=lambda world, client: {},
        client_in_path=False,
        methods={"get": Method(Action.READ)},
        rows_of=lambda world, client: {str(client.pk)},
        row_id=lambda row: row["client"],
    ),
    "api-v1:diagnostic-template-list": Route(
        url_kwargs=lambda world, client: {},
        client_in_path=False,
        methods={"get": Method(Action.READ)},
        # The built-in one, and Bravo's own copy for Bravo's people only.
        rows_of=lambda world, client: (
            {"strategy-quick-check"}
            | ({"bravo-check"} if client.consultancy_id == world.b.pk else set())
        ),
        row_id=lambda row: row["key"],
    ),
    "api-v1:diagnostic-template-detail": Route(
        url_kwargs=lambda world, client: {"key": "strategy-quick-check"},
        client_in_path=False,
        methods={"get": Method(Action.READ)},
    ),
    "api-v1:client-diagnostic-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={
            "get": Method(Action.READ),
            "post": Method(
                Action.WRITE, body=lambda world: {"template": "strategy-quick-check"}, ok=201
            ),
        },
        rows_of=lambda world, client: {
            str(pk)
            for pk in DiagnosticRun.objects.filter(client=client).values_list("pk", flat=True)
        },
        # Bravo's own template is not Acme's to use.
        foreign_body=lambda world: {"template": "bravo-check"},
    ),
    "api-v1:client-diagnostic-detail": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_run(world, client)},
        methods={"get": Method(Action.READ)},
        nested_object=_run,
    ),
    "api-v1:client-diagnostic-answers": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_run(world, client)},
        methods={"put": Method(Action.WRITE, body=lambda world: {"answers": {"focus": "one"}})},
        nested_object=_run,
    ),
    "api-v1:client-diagnostic-submit": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_run(world, client)},
        # The world's runs are unanswered: submitting is a 400 naming the missing answers.
        methods={"post": Method(Action.WRITE, ok=400)},
        nested_object=_run,
    ),
    "api-v1:client-check-list": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk},
        methods={"get": Method(Action.READ)},
    ),
    "api-v1:client-audit-log-detail": Route(
        url_kwargs=lambda world, client: {"client_id": client.pk, **_audit_entry(world, client)},
        methods={"get": Method(Action.READ)},
        nested_object=_audit_entry,
    ),
    # Webhooks: the list rows and the foreign ones are in tests/clients/test_webhooks.py.
    "api-v1:webhook-list": Route(
        url_kwargs=lambda world, client: {},
        client_in_path=False,
        methods={
            "get": Method(Action.MANAGE_CLIENTS, kinds=WEBHOOK_KINDS),
            "post": Method(
                Action.MANAGE_CLIENTS, body=lambda world: NEW_WEBHOOK, ok=201, kinds=WEBHOOK_KINDS
            ),
        },
        foreign_body=lambda world: {**NEW_WEBHOOK, "client": str(world.b1.pk)},
    ),
    "api-v1:webhook-detail": Route(
        url_kwargs=_webhook,
        client_in_path=False,
        methods={
            "get": Method(Action.MANAGE_CLIENTS, kinds=WEBHOOK_KINDS),
            "patch": Method(
                Action.MANAGE_CLIENTS,
                body=lambda world: {"description": "CRM"},
                kinds=WEBHOOK_KINDS,
            ),
            "delete": Method(Action.MANAGE_CLIENTS, ok=204, kinds=WEBHOOK_KINDS),
        },
    ),
    "api-v1:webhook-ping": Route(
        url_kwargs=_webhook,
        client_in_path=False,
        methods={"post": Method(Action.MANAGE_CLIENTS, kinds=WEBHOOK_KINDS)},
    ),
    "api-v1:webhook-deliveries": Route(
        url_kwargs=_webhook,
        client_in_path=False,
        methods={"get": Method(Action.MANAGE_CLIENTS, kinds=WEBHOOK_KINDS)},
    ),
}


def allowed_at_consultancy(method: Method, kind: str) -> bool:
    if method.kinds is not None:
        return kind in method.kinds
    return method.needs in EXPECTED_CONSULTANCY[kind]


# --- discovery ----------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern.callback


def _methods(callback) -> set[str]:
    if hasattr(callback, "actions"):  # a DRF viewset route (DRF adds "head" once it has served)
        names = set(callback.actions)
    else:
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        names = {m for m in getattr(view, "http_method_names", []) if hasattr(view, m)}
    return names - {"head", "options"}


def discovered_routes() -> dict[str, set[str]]:
    return {
        name: _methods(callback)
        for name, route, callback in _walk(get_resolver().url_patterns)
        if route.lstrip("^").startswith(API_PREFIX) and name not in NOT_DATA
    }


def test_every_api_route_is_in_the_matrix():
    expected = {name: set(route.methods) for name, route in ROUTES.items()}

    assert discovered_routes() == expected


# --- helpers ------------------------------------------------------------------------------------


def url_of(name, world, client):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.url_kwargs(world, client))
    return f"{url}?{route.query}" if route.query else url


def db_state() -> list[tuple[str, str]]:
    """A digest of every row of our apps (less bookkeeping timestamps), to prove a request
    changed nothing: one query, the hashing done by PostgreSQL."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and not model._meta.proxy
    )
    volatile = "".join(f" - '{name}'" for name in sorted(VOLATILE_FIELDS))
    row = f"(to_jsonb(t){volatile})::text"
    digest = f"md5(coalesce(string_agg({row}, ',' ORDER BY {row}), ''))"
    sql = " UNION ALL ".join(
        f"SELECT '{table}', {digest} FROM {table} t"  # noqa: S608  (our own table names)
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def call(api, method, url, body=None):
    return (
        getattr(api, method)(url, data=body, format="json")
        if body is not None
        else (getattr(api, method)(url))
    )


def cases(predicate=lambda route, method: True, kinds=PRINCIPAL_KINDS):
    return [
        pytest.param(name, method, kind, id=f"{name.split(':')[1]}-{method}-{kind}")
        for name, route in ROUTES.items()
        for method in route.methods
        if predicate(route, method)
        for kind in kinds
    ]


def expected_status(route, method, allowed):
    return route.methods[method].ok if allowed else 403


# --- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "kind"), cases(lambda r, m: r.client_in_path))
def test_a_foreign_clients_id_is_404_and_changes_nothing(world, name, method, kind):
    url = url_of(name, world, world.b1)
    before = db_state()

    body = INVALID_BODY if method in ("post", "put", "patch") else None
    response = call(world.api(kind), method, url, body)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert db_state() == before


@pytest.mark.parametrize(("name", "method", "kind"), cases(lambda r, m: r.client_in_path))
def test_the_home_client_follows_the_rules(world, name, method, kind):
    route = ROUTES[name]
    url = url_of(name, world, world.a1)
    body = route.methods[method].body(world) if route.methods[method].body else None

    response = call(world.api(kind), method, url, body)

    allowed = route.methods[method].needs in EXPECTED[kind][0]
    assert response.status_code == expected_status(route, method, allowed), response.content


@pytest.mark.parametrize(("name", "method", "kind"), cases(lambda r, m: r.client_in_path))
def test_a_sibling_client_is_404_unless_the_principal_sees_it(world, name, method, kind):
    route = ROUTES[name]
    url = url_of(name, world, world.a2)
    body = route.methods[method].body(world) if route.methods[method].body else None

    response = call(world.api(kind), method, url, body)

    on_a2 = EXPECTED[kind][1]
    if not on_a2:
        assert response.status_code == 404
    else:
        allowed = route.methods[method].needs in on_a2
        assert response.status_code == expected_status(route, method, allowed), response.content


@pytest.mark.parametrize(("name", "method", "kind"), cases(lambda r, m: not r.client_in_path))
def test_routes_without_a_client_follow_the_consultancy_rules(world, name, method, kind):
    route = ROUTES[name]
    url = url_of(name, world, None)
    body = route.methods[method].body(world) if route.methods[method].body else None

    response = call(world.api(kind), method, url, body)

    allowed = allowed_at_consultancy(route.methods[method], kind)
    assert response.status_code == expected_status(route, method, allowed), response.content


LIST_CASES = cases(lambda r, m: m == "get" and r.rows_of is not None) + cases(
    # A principal of another consultancy, on the routes that take no client.
    lambda r, m: m == "get" and r.rows_of is not None and not r.client_in_path,
    ["foreign_owner"],
)


@pytest.mark.parametrize(("name", "method", "kind"), LIST_CASES)
def test_lists_show_no_foreign_rows(world, name, method, kind):
    route = ROUTES[name]
    if route.client_in_path:
        clients = [world.a1]
    else:
        clients = list(clients_visible_to(world.principal(kind)))
    url = url_of(name, world, world.a1)

    response = world.api(kind).get(url, {"page_size": 500})

    assert response.status_code == 200
    shown = {route.row_id(row) for row in response.json()["results"]}
    expected = set().union(*(route.rows_of(world, client) for client in clients))
    assert shown == expected
    assert shown  # the world gives every principal something to see


NESTED_VIEWERS = [k for k in PRINCIPAL_KINDS if EXPECTED[k][1]]


@pytest.mark.parametrize(
    ("name", "method", "kind"), cases(lambda r, m: r.nested_object is not None, NESTED_VIEWERS)
)
def test_an_object_of_one_client_under_another_clients_url_is_404(world, name, method, kind):
    route = ROUTES[name]
    # A2 is visible to this principal, but the object belongs to A1.
    url = reverse(name, kwargs={"client_id": world.a2.pk, **route.nested_object(world, world.a1)})

    response = call(world.api(kind), method, url)

    # The object is never found under A2; a principal without the method's right on A2 is
    # stopped before the lookup (403), which reveals nothing about the object either.
    allowed = route.methods[method].needs in EXPECTED[kind][1]
    assert response.status_code == (404 if allowed else 403)


@pytest.mark.parametrize(
    ("name", "method", "kind"),
    [
        case
        for case in cases(lambda r, m: r.foreign_body is not None and r.methods[m].body)
        if (
            allowed_at_consultancy(ROUTES[case.values[0]].methods[case.values[1]], case.values[2])
            if not ROUTES[case.values[0]].client_in_path
            else ROUTES[case.values[0]].methods[case.values[1]].needs in EXPECTED[case.values[2]][0]
        )
    ],
)
def test_a_foreign_object_in_the_body_is_400(world, name, method, kind):
    route = ROUTES[name]
    url = url_of(name, world, world.a1)
    before = db_state()

    response = call(world.api(kind), method, url, route.foreign_body(world))

    assert response.status_code == 400, response.content
    assert db_state() == before


@pytest.mark.parametrize(("name", "method", "kind"), cases(kinds=["anonymous"]))
def test_no_credentials_is_401_with_the_scheme(world, name, method, kind):
    from rest_framework.test import APIClient

    url = url_of(name, world, world.a1)

    response = call(APIClient(), method, url, {} if method != "get" else None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["status"] == 401


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_options_describes_every_route(world, name):
    response = world.api("owner").options(url_of(name, world, world.a1))

    assert response.status_code == 200, response.content
    assert set(response.json()) >= {"name", "renders", "parses"}
