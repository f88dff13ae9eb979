"""Webhooks in the admin: adding one shows its secret once; the delivery log sends deliveries
again under their ids. (Which rows each person sees: tests/portal/test_admin_isolation.py.)"""

import pytest

from clients.models import AuditLogEntry, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def test_an_owner_adds_a_webhook_and_sees_its_secret_once(world):
    browser = world.browser("owner")

    response = browser.post(
        "/admin/clients/webhooksubscription/add/",
        {
            "consultancy": world.a.pk,
            "client": world.a1.pk,
            "url": "http://127.0.0.1:9/crm",
            "events": ["milestone.achieved", "milestone.missed"],
            "description": "CRM",
            "is_active": "on",
        },
        follow=True,
    )

    added = WebhookSubscription.objects.get(description="CRM")
    shown = [str(message) for message in response.context["messages"]]
    assert (added.consultancy, added.client, added.events) == (
        world.a,
        world.a1,
        ["milestone.achieved", "milestone.missed"],
    )
    assert any(added.secret in message for message in shown)
    assert AuditLogEntry.objects.filter(action="webhook.created", object_id=str(added.pk)).exists()
    page = browser.get(f"/admin/clients/webhooksubscription/{added.pk}/change/")
    assert added.secret not in page.content.decode()


def test_an_internal_receiver_is_refused_on_its_field(world):
    response = world.browser("owner").post(
        "/admin/clients/webhooksubscription/add/",
        {
            "consultancy": world.a.pk,
            "url": "http://10.0.0.8/hook",
            "events": ["diagnostic.scored"],
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.filter(url="http://10.0.0.8/hook").exists()


def test_the_delivery_log_sends_a_failed_delivery_again(world):
    failed = WebhookDelivery.objects.get(subscription=world.webhooks["a2"])

    response = world.browser("manager").post(
        "/admin/clients/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [failed.pk]},
    )

    failed.refresh_from_db()
    assert response.status_code == 302
    assert (failed.status, failed.tries) == ("pending", 0)
    assert AuditLogEntry.objects.filter(
        action="webhook.redelivered", object_id=str(failed.pk)
    ).exists()


def test_the_delivery_page_shows_the_body_and_the_attempts(world):
    delivery = WebhookDelivery.objects.get(subscription=world.webhooks["a2"])
    delivery.attempts.create(status_code=503, duration_ms=12, response_excerpt="down")

    page = world.browser("owner").get(f"/admin/clients/webhookdelivery/{delivery.pk}/change/")

    assert page.status_code == 200
    assert "503" in page.content.decode()
    assert "down" in page.content.decode()


def test_a_foreign_delivery_cannot_be_sent_again(world):
    foreign = WebhookDelivery.objects.get(subscription=world.webhooks["b"])

    world.browser("owner").post(
        "/admin/clients/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [foreign.pk]},
    )

    foreign.refresh_from_db()
    assert foreign.status == "failed"
