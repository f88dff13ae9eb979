"""A small world of two consultancies with every kind of principal, for isolation tests.

Consultancy A has clients A1 and A2; B has B1. Every principal of A can read A1 (its "home");
A2 is A1's sibling in the same consultancy; B1 is foreign to all of A.
"""

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.test import Client as Browser
from rest_framework.test import APIClient

from clients.models import Client, Consultancy, Job, WebhookDelivery, WebhookSubscription
from clients.principals import Action, Principal
from clients.services.people import client_assign
from clients.services.tenants import client_create
from diagnostics.models import DiagnosticTemplate
from diagnostics.services import run_start as diagnostic_start
from diagnostics.services import template_copy
from metrics.periods import Period
from metrics.services import measurements_upsert, metric_create
from plans.services import plan_create, scorecards_recompute
from plans.services.planning import scenario_save
from tests.clients.factories import (
    ConsultancyFactory,
    api_key,
    client_member,
    member,
)

USER_KINDS = ("owner", "manager", "consultant", "editor", "viewer")
KEY_KINDS = ("consultancy_key_write", "consultancy_key_read", "client_key_write", "client_key_read")
PRINCIPAL_KINDS = USER_KINDS + KEY_KINDS

R, W, MC, MA = Action.READ, Action.WRITE, Action.MANAGE_CLIENTS, Action.MANAGE_ACCESS

# What each principal may do on A1 (its home client) and A2 (a sibling), by hand from the table
# in DESIGN.md: owners/managers everything in their consultancy; the consultant is assigned to A1
# only; the editor and viewer belong to A1; consultancy keys cover A1 and A2; client keys A1 only.
# Nobody of A may do anything on B1.
EXPECTED = {
    "owner": ({R, W, MC, MA}, {R, W, MC, MA}),
    "manager": ({R, W, MC, MA}, {R, W, MC, MA}),
    "consultant": ({R, W}, set()),
    "editor": ({R, W}, set()),
    "viewer": ({R}, set()),
    "consultancy_key_write": ({R, W, MC}, {R, W, MC}),
    "consultancy_key_read": ({R}, {R}),
    "client_key_write": ({R, W}, set()),
    "client_key_read": ({R}, set()),
}
# At the consultancy level (create clients, manage members and keys), on A.
EXPECTED_CONSULTANCY = {
    "owner": {R, W, MC, MA},
    "manager": {R, W, MC, MA},
    "consultant": {R},
    "editor": {R},
    "viewer": {R},
    "consultancy_key_write": {R, W, MC},
    "consultancy_key_read": {R},
    "client_key_write": {R},
    "client_key_read": {R},
}


# Who manages webhooks (on A; a client key only its client's): owners, managers, and keys with
# the write scope.
WEBHOOK_KINDS = frozenset({"owner", "manager", "consultancy_key_write", "client_key_write"})


@dataclass
class World:
    a: Consultancy
    b: Consultancy
    a1: Client
    a2: Client
    b1: Client
    users: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)  # kind -> (ApiKey, plain key)
    sessions: dict = field(default_factory=dict)  # user kind -> a signed-in session's cookie
    webhooks: dict = field(default_factory=dict)  # "a" (consultancy-wide), "a1", "a2", "b"

    def principal(self, kind: str) -> Principal:
        if kind in self.keys:
            return Principal(api_key=self.keys[kind][0])
        return Principal(user=self.users[kind])

    def browser(self, kind: str) -> Browser:
        """A browser signed in as the world's user of this kind (its session made once)."""
        browser = Browser()
        browser.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[kind]
        return browser

    def api(self, kind: str) -> APIClient:
        """An API client signed in as the principal of this kind."""
        api = APIClient()
        if kind in self.keys:
            api.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.keys[kind][1]}")
        else:
            # The session made once with the world (each test rolls back to it), as
            # force_login would make it for every test.
            api.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[kind]
        return api


def build_world() -> World:
    a, b = ConsultancyFactory(slug="acme"), ConsultancyFactory(slug="bravo")
    # Made through the service, as the API would, so each client has its audit trail.
    world = World(
        a=a,
        b=b,
        a1=client_create(consultancy=a, name="A1", slug="a1", actor=None),
        a2=client_create(consultancy=a, name="A2", slug="a2", actor=None),
        b1=client_create(consultancy=b, name="B1", slug="b1", actor=None),
    )
    world.users["owner"] = member(a, "owner")
    world.users["manager"] = member(a, "manager")
    world.users["consultant"] = member(a, "consultant")
    client_assign(client=world.a1, user=world.users["consultant"], actor=None)
    world.users["editor"] = client_member(world.a1, "editor")
    world.users["viewer"] = client_member(world.a1, "viewer")
    world.users["foreign_owner"] = member(b, "owner")
    world.keys["consultancy_key_write"] = api_key(a, "read,write")
    world.keys["consultancy_key_read"] = api_key(a, "read")
    world.keys["client_key_write"] = api_key(a, "read,write", client=world.a1)
    world.keys["client_key_read"] = api_key(a, "read", client=world.a1)
    # Each consultancy has a metric of its own, and each client a measurement.
    for consultancy in (a, b):
        metric_create(
            consultancy=consultancy,
            actor=None,
            key=f"{consultancy.slug}_only",
            name="Own",
            name_ja="独自",
            unit="count",
            direction="higher_is_better",
            aggregation="sum",
        )
    for value, client in enumerate((world.a1, world.a2, world.b1), start=1):
        measurements_upsert(
            client=client,
            actor=None,
            rows=[
                {"metric": "leads", "period": "2026-09", "value": value},
                {"metric": f"{client.consultancy.slug}_only", "period": "2026-09", "value": 1},
            ],
        )
    builtin = DiagnosticTemplate.objects.get(consultancy=None, key="strategy-quick-check")
    for client in (world.a1, world.a2, world.b1):
        plan_create(client=client, raw=minimal_plan(), actor=None)
        # Stored results and a job, for the scorecard, bottleneck and job routes to show.
        scorecards_recompute(client_id=client.pk, period=WORLD_MONTH)
        Job.objects.create(kind="scorecard_recompute", client=client)
        diagnostic_start(client=client, template=builtin, actor=None)
        plan_of_client = client.plans.get()
        scenario_save(
            plan=plan_of_client,
            name="Upside",
            period="2026-09",
            changes=[{"kpi": "leads", "change_pct": "0.1"}],
            actor=None,
        )
    # Webhooks: Acme-wide, one for each Acme client, and Bravo's. The receiver's port is
    # discard's (nothing listens): a ping is refused at once.
    for name, consultancy, client in (
        ("a", a, None),
        ("a1", a, world.a1),
        ("a2", a, world.a2),
        ("b", b, None),
    ):
        world.webhooks[name] = WebhookSubscription.objects.create(
            consultancy=consultancy,
            client=client,
            url=f"http://127.0.0.1:9/{name}",
            events=["scorecard.computed"],
            secret=f"whsec_{name}",
        )
    for name in ("a2", "b"):  # a logged delivery each, for the delivery log's pages
        WebhookDelivery.objects.create(
            subscription=world.webhooks[name],
            client=world.webhooks[name].client,
            event_id=uuid.uuid4(),
            event_type="scorecard.computed",
            body="{}",
            status=WebhookDelivery.Status.FAILED,
        )
    # Bravo has a questionnaire of its own, which Acme's principals must not be able to use.
    template_copy(template=builtin, consultancy=world.b, key="bravo-check", actor=None)
    for kind, user in world.users.items():
        browser = Browser()
        browser.force_login(user)
        world.sessions[kind] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return world


WORLD_MONTH = Period.parse("2026-09")  # the month the world's measurements fall in


def minimal_plan(**changes) -> dict:
    """A small valid plan document: one KPI, one event milestone."""
    return {
        "name": "FY2026",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "status": "active",
        "kpis": [
            {
                "key": "leads",
                "metric": "leads",
                "baseline": {"period": "2025-12", "value": 100},
                "must": 500,
                "stretch": 800,
                "target_period": "2026-12",
            }
        ],
        "milestones": [{"key": "launch", "name": "Launch", "due": "2026-06-30", "kind": "event"}],
        **changes,
    }
