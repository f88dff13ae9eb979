"""Scorecards and bottleneck reports: the active plan held against the client's measurements,
month by month, stored as snapshots. One module per step:

- ``inputs``: load the active plans, their catalogues and measurements as the arithmetic takes
  them (a fixed number of queries for any number of clients, KPIs and months);
- ``fingerprints``: which months to look at, and the digest of each month's inputs;
- ``compute``: run the pure arithmetic (``plans.arithmetic``) for the months that changed;
- ``store``: the stored snapshots, and writing the new ones;
- ``announce``: the signals sent once the results are committed;
- ``run``: the service that does all of it in one transaction (``scorecards_recompute_many``);
- ``jobs``: asking for a recompute as a job, and what a recompute job does.
"""

from plans.services.recompute.run import (
    RecomputeResult,
    scorecards_recompute,
    scorecards_recompute_many,
)

__all__ = ["RecomputeResult", "scorecards_recompute", "scorecards_recompute_many"]
