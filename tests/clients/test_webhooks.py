"""Webhooks: subscriptions over the API (who sees which), refused receivers, and deliveries to a
real HTTP receiver on loopback — signed, retried under the same id, bounded, logged, emitted
once per cause and never for a cause that rolled back."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from clients.models import WebhookDelivery, WebhookSubscription
from clients.services.webhooks import (
    WebhookEvent,
    retry_delay,
    webhook_create,
    webhook_deliveries_purge,
    webhook_emit,
    webhook_redeliver,
    webhook_send,
    webhooks_sweep,
)
from diagnostics.models import DiagnosticTemplate
from diagnostics.services import run_answers_save, run_score, run_start, run_submit
from plans.services import plan_create, scorecards_recompute
from tests.clients.factories import ClientFactory
from tests.clients.webhook_receiver import verify
from tests.plans.builders import measure, plan_document

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/"


def subscribe(client, url, events=("scorecard.computed",)):
    subscription, secret = webhook_create(
        consultancy=client.consultancy, client=None, url=url, events=list(events), actor=None
    )
    return subscription, secret


def emit_one(client, cause="c1", event_type="scorecard.computed"):
    with transaction.atomic():
        webhook_emit(
            events=[
                WebhookEvent(
                    type=event_type,
                    consultancy_id=client.consultancy_id,
                    client_id=client.pk,
                    cause=cause,
                    data={"period": "2026-09", "score": 82.5},
                )
            ]
        )
    return WebhookDelivery.objects.filter(client=client).order_by("-created_at").first()


# --- deliveries ---------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_the_signature_verifies(receiver):
    client = ClientFactory()
    _, secret = subscribe(client, receiver.url)
    delivery = emit_one(client)

    attempt = webhook_send(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    (got,) = receiver.received
    assert got.path == "/hooks/waypoint"
    assert got.headers["Waypoint-Event"] == "scorecard.computed"
    assert got.headers["Waypoint-Delivery"] == str(delivery.pk)
    assert verify(secret, got.headers, got.body)
    assert not verify("whsec_someone-else", got.headers, got.body)
    body = json.loads(got.body)
    assert body["type"] == "scorecard.computed"
    assert body["client"] == str(client.pk)
    assert body["data"] == {"period": "2026-09", "score": 82.5}
    assert body["created_at"].endswith("Z")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries, delivery.last_status_code) == ("succeeded", 1, 200)


def test_a_failed_attempt_is_retried_under_the_same_delivery_id(receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.answers = [500]
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)

    first = webhook_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    not_yet = webhook_send(delivery_id=delivery.pk)  # its retry is not due
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    second = webhook_send(delivery_id=delivery.pk)

    assert (first.status_code, not_yet, second.status_code) == (500, None, 200)
    # Backoff with jitter: 60 s ±20% after the first failure.
    assert timedelta(seconds=47) < delivery.next_attempt_at - first.at < timedelta(seconds=73)
    ids = [got.headers["Waypoint-Delivery"] for got in receiver.received]
    assert ids == [str(delivery.pk)] * 2
    log = list(delivery.attempts.values_list("status_code", "response_excerpt"))
    assert log == [(500, "receiver says no"), (200, '{"ok": true}')]


def test_retries_stop_at_the_bound_and_the_delivery_fails(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    receiver.answers = [503] * 5
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)

    codes = [getattr(webhook_send(delivery_id=delivery.pk), "status_code", None) for _ in range(4)]

    delivery.refresh_from_db()
    assert codes == [503, 503, 503, None]
    assert (delivery.status, delivery.tries, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(receiver.received) == 3


def test_redirects_are_not_followed_and_count_as_failures(receiver):
    receiver.answers = [302]
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)

    attempt = webhook_send(delivery_id=delivery.pk)

    assert attempt.status_code == 302
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == "pending"


def test_the_receiver_is_checked_again_before_each_post(receiver, settings):
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # e.g. its name now resolves to an internal address

    attempt = webhook_send(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert "internal address" in attempt.error
    assert receiver.received == []


def test_a_network_error_is_logged_and_retried(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    client = ClientFactory()
    subscribe(client, "http://127.0.0.1:9/nobody-listens")
    delivery = emit_one(client)

    attempt = webhook_send(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectError")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == ("pending", 1)


def test_redeliver_sends_a_failed_delivery_again_under_its_id(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers = [500]
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)
    webhook_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed"

    webhook_redeliver(deliveries=[delivery], actor=None)
    again = webhook_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert again.status_code == 200
    assert (delivery.status, delivery.attempts.count()) == ("succeeded", 2)
    assert {got.headers["Waypoint-Delivery"] for got in receiver.received} == {str(delivery.pk)}


def test_only_matching_subscriptions_get_a_delivery(receiver):
    client = ClientFactory()
    other = ClientFactory(consultancy=client.consultancy)
    everything, _ = subscribe(client, receiver.url, WebhookSubscription.Event.values)
    subscribe(client, receiver.url, ["milestone.achieved"])
    webhook_create(
        consultancy=client.consultancy,
        client=other,
        url=receiver.url,
        events=["scorecard.computed"],
        actor=None,
    )
    paused, _ = subscribe(client, receiver.url)
    WebhookSubscription.objects.filter(pk=paused.pk).update(is_active=False)
    subscribe(ClientFactory(), receiver.url)

    emit_one(client)

    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [everything.pk]


def test_an_event_whose_cause_rolls_back_writes_and_sends_nothing(
    receiver, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    subscribe(client, receiver.url, ["scorecard.computed", "milestone.achieved"])
    plan_create(client=client, raw=plan_document(), actor=None)
    measure(client, [("leads", "2026-04", 160)])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                scorecards_recompute(client_id=client.pk)
                assert WebhookDelivery.objects.exists()  # written with the results...
                raise RuntimeError("the recompute's transaction fails after the outbox write")
        except RuntimeError:
            pass

    assert not WebhookDelivery.objects.exists()  # ...and gone with them
    assert callbacks == []
    assert receiver.received == []


def test_a_recompute_emits_each_computed_month_and_the_milestone_once(
    receiver, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    subscribe(client, receiver.url, ["scorecard.computed", "milestone.achieved"])
    plan_create(client=client, raw=plan_document(), actor=None)
    measure(client, [("leads", "2026-04", 160)])

    first = scorecards_recompute(client_id=client.pk)
    scorecards_recompute(client_id=client.pk, force=True)  # the same inputs again

    events = list(WebhookDelivery.objects.values_list("event_type", "body"))
    computed = sorted(json.loads(b)["data"]["period"] for t, b in events if t.startswith("score"))
    milestones = [json.loads(b)["data"] for t, b in events if t == "milestone.achieved"]
    assert computed == sorted(first.computed)
    assert [(m["key"], m["achieved_on"]) for m in milestones] == [("spring", "2026-04-30")]


def test_scoring_a_diagnostic_twice_emits_one_event(receiver):
    client = ClientFactory()
    subscribe(client, receiver.url, ["diagnostic.scored"])
    template = DiagnosticTemplate.objects.get(consultancy=None, key="strategy-quick-check")
    run = run_start(client=client, template=template, actor=None)
    answers = {
        q["key"]: _an_answer(q) for s in template.definition["sections"] for q in s["questions"]
    }
    run_answers_save(run=run, answers=answers, actor=None)
    run_submit(run=run, actor=None)

    run_score(run_id=run.pk)
    run_score(run_id=run.pk)  # the scoring task delivered twice

    (delivery,) = WebhookDelivery.objects.all()
    body = json.loads(delivery.body)
    run.refresh_from_db()
    assert body["data"]["run"] == str(run.pk)
    assert body["data"]["score"] == float(run.result["score"])
    assert body["data"]["level"] == run.result["level"]


def _an_answer(question):
    answers = {"scale": 3, "yes_no": True, "number": 1, "text": "Our plan"}
    if question["type"] in answers:
        return answers[question["type"]]
    return question["options"][0]["value"]


def test_retry_delays_grow_threefold_with_jitter(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60

    delays = [retry_delay(tries) for tries in range(1, 8)]

    for tries, delay in enumerate(delays, start=1):
        nominal = 60 * 3 ** (tries - 1)
        assert 0.8 * nominal <= delay <= 1.2 * nominal
    # Eight tries (seven waits) span about a day at most: 60 s * (3^7 - 1) / 2 * 1.2.
    assert sum(delays) <= 1.2 * 60 * (3**7 - 1) / 2


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5  # each read; the whole POST gets twice that
    receiver.answers = ["trickle"]
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)

    attempt = webhook_send(delivery_id=delivery.pk)

    assert attempt.error.startswith("Deadline")
    assert 900 <= attempt.duration_ms < 2500
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries, delivery.claimed_until) == ("pending", 1, None)


def test_a_binary_answer_is_logged_without_its_nul_bytes(receiver):
    receiver.answers = ["nul"]
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)

    attempt = webhook_send(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    assert "\x00" not in attempt.response_excerpt
    assert attempt.response_excerpt.startswith("\ufffdPNG")


def test_the_sweeper_does_not_hand_over_the_same_delivery_twice_in_a_row(
    receiver, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(queued_at=None)  # its send was lost

    with django_capture_on_commit_callbacks():
        first = webhooks_sweep()
        second = webhooks_sweep()

    assert (first, second) == (1, 0)


def test_redeliver_leaves_a_delivery_being_sent_alone(receiver):
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)
    in_flight = timezone.now() + timedelta(seconds=30)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", claimed_until=in_flight)

    count = webhook_redeliver(deliveries=[delivery], actor=None)

    delivery.refresh_from_db()
    assert (count, delivery.status) == (0, "failed")


def test_an_outcome_is_not_written_over_a_claim_that_passed_to_another_sender(receiver):
    client = ClientFactory()
    subscribe(client, receiver.url)
    delivery = emit_one(client)
    # Another sender took the delivery over while this one posted (its claim ran out).
    original = WebhookDelivery.objects.filter

    def taken_over(*args, **kwargs):
        rows = original(*args, **kwargs)
        if kwargs.get("claimed_until") is not None:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                claimed_until=timezone.now() + timedelta(minutes=9)
            )
        return rows

    WebhookDelivery.objects.filter = taken_over
    try:
        attempt = webhook_send(delivery_id=delivery.pk)
    finally:
        WebhookDelivery.objects.filter = original

    delivery.refresh_from_db()
    assert attempt.status_code == 200  # the attempt is logged...
    assert (delivery.status, delivery.tries) == ("pending", 0)  # ...its outcome is the other's


def test_finished_deliveries_are_purged_after_30_days_and_pending_ones_kept():
    client = ClientFactory()
    subscription, _ = subscribe(client, "http://127.0.0.1:9/x")
    old = timezone.now() - timedelta(days=31)
    rows = [
        WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type="ping",
            body="{}",
            status=status,
            created_at=created_at,
        )
        for status, created_at in [
            ("succeeded", old),
            ("failed", old),
            ("pending", old),
            ("failed", timezone.now()),
        ]
    ]

    purged = webhook_deliveries_purge()

    left = set(
        WebhookDelivery.objects.filter(subscription=subscription).values_list("pk", flat=True)
    )
    assert purged == 2
    assert left == {rows[2].pk, rows[3].pk}
