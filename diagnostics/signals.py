"""Internal events of diagnostics, for hooks such as webhooks (the API issue hangs
``diagnostic.scored`` here). Sent once the transaction that stored the result has committed.

- ``diagnostic_scored(client_id, run_id, score)``: a run was scored.
"""

from django.dispatch import Signal

diagnostic_scored = Signal()
