"""The consultants' workspace: Django's admin in django-unfold's theme, whose home is the
portfolio dashboard and which adds each client's hub. Who sees what is still decided by each
admin class's scoping (clients/admin_scoping.py); this site only arranges the pages, and the
sidebar shows a page only to those its admin class lets in."""

from functools import partial

from django.apps import apps
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite


class WaypointAdminSite(UnfoldAdminSite):
    site_title = site_header = "Waypoint"
    index_title = _("Portfolio")

    def index(self, request, extra_context=None):
        """The portfolio: every client the person may see, riskiest first."""
        from clients.principals import Principal
        from portal.dashboard import Filters, portfolio_dashboard

        dashboard = portfolio_dashboard(
            Principal(user=request.user), Filters.from_query(request.GET)
        )
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "dashboard": dashboard,
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/index.html", context)

    def extra_urls(self):
        """A client's hub, its recompute, its scorecard's exports, its diagnostics and its
        planning (unfold adds these)."""
        from portal import workspace

        client = "clients/<uuid:client_id>/"
        run = f"{client}diagnostics/<uuid:run_id>/"
        planned = f"{client}planning/"
        pages = [  # (path, view in portal.workspace, URL name)
            (f"{client}hub/", workspace.client_hub, "client_hub"),
            (f"{client}recompute/", workspace.client_recompute, "client_recompute"),
            (
                f"{client}scorecard/<str:month>.<str:file_format>",
                workspace.scorecard_export,
                "scorecard_export",
            ),
            (f"{client}diagnostics/", workspace.client_diagnostics, "client_diagnostics"),
            (run, workspace.client_diagnostic, "client_diagnostic"),
            (f"{run}answers/", workspace.client_diagnostic_answers, "client_diagnostic_answers"),
            (f"{run}submit/", workspace.client_diagnostic_submit, "client_diagnostic_submit"),
            (planned, workspace.client_planning, "client_planning"),
            (f"{planned}apply/", workspace.client_planning_apply, "client_planning_apply"),
            (f"{planned}scenarios/", workspace.client_scenario_save, "client_scenario_save"),
            (
                f"{planned}scenarios/<uuid:scenario_id>/delete/",
                workspace.client_scenario_delete,
                "client_scenario_delete",
            ),
        ]
        return [
            path(route, self.admin_view(partial(function, self)), name=name)
            for route, function, name in pages
        ]


def _entry(request, title, icon, model_label, view="changelist"):
    """A sidebar link to a model's admin page, or None for someone its admin keeps out."""
    from django.contrib import admin

    model = apps.get_model(model_label)
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not model_admin.has_view_permission(request):
        return None
    opts = model._meta
    return {
        "title": title,
        "icon": icon,
        "link": reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}"),
    }


def sidebar(request) -> list[dict]:
    """The sidebar, by the work a consultant does (unfold's SIDEBAR navigation callback)."""

    def group(title, *entries):
        items = [entry for entry in entries if entry is not None]
        return {"title": title, "separator": True, "items": items} if items else None

    home = {"title": _("Portfolio"), "icon": "dashboard", "link": reverse("admin:index")}
    groups = [
        {"items": [home]},
        group(
            _("Engagements"),
            _entry(request, _("Clients"), "apartment", "clients.Client"),
            _entry(request, _("Plans"), "flag", "plans.Plan"),
            _entry(request, _("Scorecards"), "monitoring", "plans.ScorecardSnapshot"),
            _entry(request, _("Diagnostics"), "quiz", "diagnostics.DiagnosticRun"),
        ),
        group(
            _("Data"),
            _entry(request, _("Measurements"), "table_chart", "metrics.Measurement"),
            _entry(request, _("Changes to measurements"), "history", "metrics.MeasurementHistory"),
            _entry(request, _("Metrics"), "straighten", "metrics.Metric"),
            _entry(request, _("Questionnaires"), "checklist", "diagnostics.DiagnosticTemplate"),
        ),
        group(
            _("People and access"),
            _entry(request, _("Consultancies"), "domain", "clients.Consultancy"),
            _entry(request, _("Members"), "badge", "clients.ConsultancyMembership"),
            _entry(
                request, _("Consultant assignments"), "assignment_ind", "clients.ClientAssignment"
            ),
            _entry(request, _("Client users"), "group", "clients.ClientMembership"),
            _entry(request, _("API keys"), "key", "clients.ApiKey"),
            _entry(request, _("Users"), "person", "clients.User"),
        ),
        group(
            _("Operations"),
            _entry(request, _("Jobs"), "sync", "clients.Job"),
            _entry(request, _("Audit log"), "receipt_long", "clients.AuditLogEntry"),
            _entry(request, _("Webhooks"), "webhook", "clients.WebhookSubscription"),
            _entry(request, _("Webhook deliveries"), "send", "clients.WebhookDelivery"),
            _entry(request, _("Periodic tasks"), "schedule", "django_celery_beat.PeriodicTask"),
        ),
    ]
    return [found for found in groups if found is not None]
