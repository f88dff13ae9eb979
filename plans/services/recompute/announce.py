"""The signals a recompute sends once its results are committed: each month computed, and the
milestones that became achieved or missed (hooks such as webhooks hang on them)."""

from __future__ import annotations

from django.db import transaction

from metrics.periods import Period
from plans import signals
from plans.models import Milestone, Plan, ScorecardSnapshot


def results_announce(
    *, plan: Plan, cards: dict[Period, dict], newest: Period, stored: dict
) -> None:
    """After commit: ``scorecard_computed`` for each month in ``cards``, and for the plan's
    newest month the milestones whose status became achieved or missed against what that month,
    or else the latest stored month before it, said last (``stored``: month start ->
    (fingerprint, milestone statuses))."""
    client_id, plan_id = plan.client_id, plan.pk
    months = [str(month) for month in cards]
    changed = []
    if newest in cards:
        earlier = [start for start in stored if start <= newest.start]
        before = stored[max(earlier)][1] if earlier else {}
        changed = [
            milestone
            for milestone in cards[newest]["milestones"]
            if milestone["status"] in ("achieved", "missed")
            and before.get(milestone["key"]) != milestone["status"]
        ]

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
