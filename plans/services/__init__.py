"""Writes and computations of the plans app: the plan document (``plans.services.plans``),
plans from the built-in templates (``plans.services.templates``), and the scorecards and
bottleneck reports computed from a plan (``plans.services.recompute``)."""

from plans.services.plans import (
    PLAN_FIELDS,
    PlanChanged,
    milestone_achieve,
    plan_create,
    plan_delete,
    plan_replace,
    plan_update,
)
from plans.services.recompute import (
    RecomputeResult,
    scorecards_recompute,
    scorecards_recompute_many,
)
from plans.services.templates import plan_apply_template, plan_create_from_template

__all__ = [
    "PLAN_FIELDS",
    "PlanChanged",
    "RecomputeResult",
    "milestone_achieve",
    "plan_apply_template",
    "plan_create",
    "plan_create_from_template",
    "plan_delete",
    "plan_replace",
    "plan_update",
    "scorecards_recompute",
    "scorecards_recompute_many",
]
