"""The consultants' admin for plans: ``plan`` (the plan's own fields, new plans from templates),
``editor`` and ``forms`` (the plan editor and the forms it edits with), ``results`` (the stored
scorecards, and the "recompute" action it adds to the client list)."""

from django.contrib import admin

from plans.admin import plan, results  # noqa: F401  (importing registers the admin classes)

results.add_client_actions(admin.site)
