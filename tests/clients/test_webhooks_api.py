"""Webhook subscriptions over the API: who sees and makes which, refused receivers (a 400 naming
the field, in the caller's language), the audit trail, and the test endpoint."""

import pytest

from clients.models import WebhookDelivery, WebhookSubscription
from tests.tenancy import WEBHOOK_KINDS

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/"


def test_the_secret_is_shown_once_at_creation(world):
    api = world.api("owner")

    created = api.post(LIST, {"url": "http://127.0.0.1:9/x", "events": ["diagnostic.scored"]})
    shown = api.get(f"{LIST}{created.json()['id']}/")

    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    assert len(created.json()["secret"]) > 40
    assert "secret" not in shown.json()
    stored = WebhookSubscription.objects.get(pk=created.json()["id"])
    assert (stored.consultancy, stored.client, stored.events) == (
        world.a,
        None,
        ["diagnostic.scored"],
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("owner", {"a", "a1", "a2"}),
        ("manager", {"a", "a1", "a2"}),
        ("consultancy_key_write", {"a", "a1", "a2"}),
        ("client_key_write", {"a1"}),
        ("foreign_owner", {"b"}),
    ],
)
def test_each_principal_lists_only_the_webhooks_it_manages(world, kind, expected):
    response = world.api(kind).get(LIST)

    names = {name: str(hook.pk) for name, hook in world.webhooks.items()}
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {names[n] for n in expected}


@pytest.mark.parametrize("kind", ["consultant", "editor", "viewer", "consultancy_key_read"])
def test_principals_that_do_not_manage_webhooks_get_403(world, kind):
    assert world.api(kind).get(LIST).status_code == 403


OUTSIDE = [(kind, "b") for kind in sorted(WEBHOOK_KINDS)] + [
    ("client_key_write", "a"),
    ("client_key_write", "a2"),
]


@pytest.mark.parametrize(("kind", "hook"), OUTSIDE)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "ping/"), ("get", "deliveries/")],
)
def test_a_webhook_outside_the_callers_scope_is_404_and_untouched(
    world, kind, hook, method, suffix
):
    subscription = world.webhooks[hook]
    body = {"description": "taken over"} if method == "patch" else None
    logged = WebhookDelivery.objects.filter(subscription=subscription).count()

    response = getattr(world.api(kind), method)(
        f"{LIST}{subscription.pk}/{suffix}", body, format="json"
    )

    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.description == ""
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == logged


def test_a_client_key_makes_webhooks_for_its_own_client_only(world):
    api = world.api("client_key_write")

    own = api.post(LIST, {"url": "http://127.0.0.1:9/x", "events": ["milestone.missed"]})
    sibling = api.post(
        LIST,
        {"url": "http://127.0.0.1:9/x", "events": ["milestone.missed"], "client": str(world.a2.pk)},
        format="json",
    )

    assert own.status_code == 201
    assert own.json()["client"] == str(world.a1.pk)
    assert sibling.status_code == 400
    assert [e["field"] for e in sibling.json()["errors"]] == ["client"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.1.2.3/hook", "internal address"),
        ("http://169.254.169.254/latest/meta-data/", "internal address"),
        ("http://192.168.0.10:8080/hook", "internal address"),
        ("http://[fd00:ec2::254]/", "internal address"),
        ("ftp://127.0.0.1/hook", "must start with"),
        ("http://user:pw@127.0.0.1/hook", "user name or password"),
        ("http://no-such-host.invalid/hook", "cannot be found"),
        ("http://bücher.invalid/hook", "cannot be found"),  # an IDN: looked up by its A-label
        ("http://[64:ff9b::a00:5]/", "internal address"),  # NAT64 to 10.0.0.5
        ("http://[2002:a00:5::1]/", "internal address"),  # 6to4 of 10.0.0.5
        ("http://[::ffff:0:a00:5]/", "internal address"),  # IPv4-translated
        ("http://[::1/", "valid URL"),
    ],
)
def test_a_refused_receiver_is_a_400_naming_the_url(world, url, why):
    response = world.api("owner").post(LIST, {"url": url, "events": ["diagnostic.scored"]})

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["url"]
    assert why in errors[0]["message"]
    assert not WebhookSubscription.objects.filter(url=url).exists()


def test_loopback_is_refused_unless_a_setting_allows_it(world, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    response = world.api("owner").post(
        LIST, {"url": "http://127.0.0.1:9/x", "events": ["diagnostic.scored"]}
    )

    assert response.status_code == 400
    assert "127.0.0.1" in response.json()["errors"][0]["message"]


def test_https_only_refuses_plain_http(world, settings):
    settings.WEBHOOK_HTTPS_ONLY = True

    response = world.api("owner").post(
        LIST, {"url": "http://127.0.0.1:9/x", "events": ["diagnostic.scored"]}
    )

    assert response.status_code == 400
    assert "https://" in response.json()["errors"][0]["message"]


def test_an_unknown_event_is_a_400_naming_events(world):
    response = world.api("owner").post(
        LIST, {"url": "http://127.0.0.1:9/x", "events": ["invoice.paid"]}, format="json"
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["events[0]"]


def test_the_refusal_is_in_japanese_when_asked(world, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    response = world.api("owner").post(
        LIST,
        {"url": "http://127.0.0.1:9/x", "events": ["diagnostic.scored"]},
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert response.status_code == 400
    assert "内部" in response.json()["errors"][0]["message"]


def test_patch_and_delete_are_audited(world):
    api = world.api("manager")
    hook = world.webhooks["a"]

    patched = api.patch(f"{LIST}{hook.pk}/", {"is_active": False}, format="json")
    deleted = api.delete(f"{LIST}{hook.pk}/")

    assert patched.status_code == 200
    assert patched.json()["is_active"] is False
    assert deleted.status_code == 204
    assert not WebhookSubscription.objects.filter(pk=hook.pk).exists()
    actions = list(
        world.a.audit_log.filter(object_id=str(hook.pk))
        .order_by("at")
        .values_list("action", "after")
    )
    assert actions == [("webhook.updated", {"is_active": False}), ("webhook.deleted", None)]


def test_ping_answers_with_what_the_receiver_said(world, receiver):
    hook = world.webhooks["a"]
    WebhookSubscription.objects.filter(pk=hook.pk).update(url=receiver.url)

    response = world.api("owner").post(f"{LIST}{hook.pk}/ping/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["event"], body["status"], body["tries"]) == ("ping", "succeeded", 1)
    assert body["attempts"][0]["status_code"] == 200
    assert receiver.received[0].headers["Waypoint-Event"] == "ping"
    listed = world.api("owner").get(f"{LIST}{hook.pk}/deliveries/").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]


def test_a_ping_nobody_answers_fails_at_once(world):
    response = world.api("owner").post(f"{LIST}{world.webhooks['a'].pk}/ping/")

    body = response.json()
    assert (body["status"], body["tries"]) == ("failed", 1)
    assert body["attempts"][0]["error"].startswith("ConnectError")


def test_a_client_key_cannot_widen_its_webhook_by_patching_the_client(world):
    hook = world.webhooks["a1"]

    response = world.api("client_key_write").patch(
        f"{LIST}{hook.pk}/", {"client": None, "description": "mine"}
    )

    hook.refresh_from_db()
    assert response.status_code == 200
    assert (hook.client, hook.description) == (world.a1, "mine")  # the client is fixed


def test_the_refusal_does_not_say_which_internal_address_a_name_has(world, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    response = world.api("owner").post(
        LIST, {"url": "http://localhost:9/x", "events": ["diagnostic.scored"]}
    )

    message = response.json()["errors"][0]["message"]
    assert "localhost" in message
    assert "127.0.0.1" not in message


def test_a_403_on_webhooks_is_explained_in_japanese(world):
    response = world.api("viewer").get(LIST, HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Webhook は")
