"""The portal's pages, under /portal/ (docs/portal.md)."""

from django.urls import path

from portal import views

app_name = "portal"
client = "<uuid:client_id>/"
urlpatterns = [
    path("", views.picker, name="picker"),
    path(client, views.overview, name="overview"),
    path(f"{client}tree/", views.tree, name="tree"),
    path(f"{client}kpis/<str:key>/", views.kpi, name="kpi"),
    path(f"{client}milestones/", views.milestones, name="milestones"),
    path(f"{client}funnel/", views.funnel, name="funnel"),
    path(f"{client}planning/", views.planning_page, name="planning"),
    path(f"{client}diagnostics/", views.diagnostics_list, name="diagnostics"),
    path(f"{client}diagnostics/<uuid:run_id>/", views.diagnostic, name="diagnostic"),
    path(
        f"{client}diagnostics/<uuid:run_id>/answers/",
        views.diagnostic_answers,
        name="diagnostic-answers",
    ),
    path(
        f"{client}diagnostics/<uuid:run_id>/submit/",
        views.diagnostic_submit,
        name="diagnostic-submit",
    ),
    path(f"{client}report/<str:month>/", views.report, name="report"),
    path(f"{client}recompute/", views.recompute, name="recompute"),
    path(f"{client}jobs/<uuid:job_id>/", views.job, name="job"),
]
