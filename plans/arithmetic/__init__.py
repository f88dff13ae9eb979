"""The plans app's pure arithmetic: no Django, exact decimals, tested with numbers worked by
hand. ``scorecard`` holds a plan against the values (target paths, attainment, status,
forecasts, milestones); ``bottlenecks`` the funnel's conversions and lost output and the KPI
tree's sensitivity. The services in ``plans.services.recompute`` load their inputs and store
what they return."""
