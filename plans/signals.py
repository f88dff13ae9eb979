"""Internal events of the plans app, for code in this process (webhooks do not hang here: the
recompute writes their events to the outbox in its own transaction, ``webhook_emit``).

Each is sent once the transaction that stored the result has committed.

- ``scorecard_computed(client_id, plan_id, period, snapshot_id)``: a month's scorecard was
  computed (its inputs had changed).
- ``milestone_achieved`` / ``milestone_missed(client_id, plan_id, key, name, due, achieved_on,
  period)``: a milestone's status in the plan's newest scorecard became achieved or missed.
"""

from django.dispatch import Signal

scorecard_computed = Signal()
milestone_achieved = Signal()
milestone_missed = Signal()
