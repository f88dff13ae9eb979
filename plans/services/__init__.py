"""Writes and computations of the plans app: the plan document (``plans.services.plans``) and
the scorecards and bottleneck reports computed from it (``plans.services.scorecards``)."""

from plans.services.plans import (
    PLAN_FIELDS,
    milestone_achieve,
    plan_create,
    plan_delete,
    plan_replace,
    plan_update,
)
from plans.services.scorecards import (
    RecomputeResult,
    scorecards_recompute,
    scorecards_recompute_many,
)

__all__ = [
    "PLAN_FIELDS",
    "RecomputeResult",
    "milestone_achieve",
    "plan_create",
    "plan_delete",
    "plan_replace",
    "plan_update",
    "scorecards_recompute",
    "scorecards_recompute_many",
]
