"""Internal events of diagnostics, for code in this process (the ``diagnostic.scored`` webhook is
written to the outbox by the scoring itself). Sent once the transaction that stored the result
has committed.

- ``diagnostic_scored(client_id, run_id, score)``: a run was scored.
"""

from django.dispatch import Signal

diagnostic_scored = Signal()
