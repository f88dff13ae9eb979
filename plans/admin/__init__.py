"""The consultants' admin for plans: ``plan`` (the plan, its KPIs, milestones and funnels, and
plans from templates), ``forms`` and ``tables`` (the forms and inline tables it edits with),
``results`` (the stored scorecards)."""

from plans.admin import plan, results  # noqa: F401  (importing registers the admin classes)
