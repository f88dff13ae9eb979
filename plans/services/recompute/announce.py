"""What a recompute tells the world about its results: each month computed, and the milestones
that became achieved or missed. Webhook events are written to the outbox inside the recompute's
transaction (``results_events``); the internal signals are sent once it has committed
(``results_announce``)."""

from __future__ import annotations

from django.db import transaction

from clients.services.webhooks import WebhookEvent
from metrics.periods import Period
from plans import signals
from plans.models import Milestone, Plan, ScorecardSnapshot


def changed_milestones(*, cards: dict[Period, dict], newest: Period, stored: dict) -> list[dict]:
    """For the plan's newest month, the milestones whose status became achieved or missed
    against what that month, or else the latest stored month before it, said last (``stored``:
    month start -> (fingerprint, milestone statuses))."""
    if newest not in cards:
        return []
    earlier = [start for start in stored if start <= newest.start]
    before = stored[max(earlier)][1] if earlier else {}
    return [
        milestone
        for milestone in cards[newest]["milestones"]
        if milestone["status"] in ("achieved", "missed")
        and before.get(milestone["key"]) != milestone["status"]
    ]


def results_events(
    *,
    plan: Plan,
    cards: dict[Period, dict],
    fingerprints: dict[Period, str],
    newest: Period,
    stored: dict,
) -> list[WebhookEvent]:
    """The webhook events of one client's recompute: ``scorecard.computed`` for each month
    computed (one event per month and set of inputs) and ``milestone.achieved`` /
    ``milestone.missed`` for each milestone whose status changed (one per status and month)."""
    client_id, consultancy_id = plan.client_id, plan.client.consultancy_id
    events = []
    for month, card in cards.items():
        events.append(
            WebhookEvent(
                type="scorecard.computed",
                consultancy_id=consultancy_id,
                client_id=client_id,
                cause=f"{plan.pk}:{month}:{fingerprints[month]}",
                data={
                    "plan": str(plan.pk),
                    "period": str(month),
                    "score": card["score"],
                    "health": card["health"],
                    "coverage": card["coverage"],
                    "url": f"/api/v1/clients/{client_id}/scorecard/?period={month}",
                },
            )
        )
    for milestone in changed_milestones(cards=cards, newest=newest, stored=stored):
        status = milestone["status"]
        events.append(
            WebhookEvent(
                type=f"milestone.{status}",
                consultancy_id=consultancy_id,
                client_id=client_id,
                cause=f"{plan.pk}:{milestone['key']}:{status}:{newest}",
                data={
                    "plan": str(plan.pk),
                    "key": milestone["key"],
                    "name": milestone["name"],
                    "due": milestone["due"],
                    "achieved_on": milestone["achieved_on"],
                    "period": str(newest),
                },
            )
        )
    return events


def results_announce(
    *, plan: Plan, cards: dict[Period, dict], newest: Period, stored: dict, **_
) -> None:
    """After commit: ``scorecard_computed`` for each month in ``cards``, and
    ``milestone_achieved`` / ``milestone_missed`` for each milestone that changed."""
    client_id, plan_id = plan.client_id, plan.pk
    months = [str(month) for month in cards]
    changed = changed_milestones(cards=cards, newest=newest, stored=stored)

    def send():
        for month in months:
            signals.scorecard_computed.send(
                sender=ScorecardSnapshot, client_id=client_id, plan_id=plan_id, period=month
            )
        for milestone in changed:
            achieved = milestone["status"] == "achieved"
            (signals.milestone_achieved if achieved else signals.milestone_missed).send(
                sender=Milestone,
                client_id=client_id,
                plan_id=plan_id,
                key=milestone["key"],
                name=milestone["name"],
                due=milestone["due"],
                achieved_on=milestone["achieved_on"],
                period=str(newest),
            )

    transaction.on_commit(send)
