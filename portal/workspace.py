"""The consultant's pages in the admin that span every app: a client's hub (the plan, the
numbers, the work to do), the recompute it starts and the scorecard's exports. Each resolves the
client through the signed-in person's scope, like the portal (404 outside it)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language

from clients.models import AuditLogEntry, Job
from clients.principals import Principal
from diagnostics.models import DiagnosticRun
from metrics import display
from metrics.models import MeasurementHistory
from metrics.periods import Granularity, Period, PeriodError
from plans import exports
from plans.services.recompute.jobs import recompute_job_create
from portal import selectors

RECENT = 8  # rows of each recent list on the hub


def _page(request, client_id, period=None):
    return selectors.client_page(
        principal=Principal(user=request.user),
        client_id=client_id,
        period=period if period is not None else request.GET.get("period"),
    )


def client_hub(site, request, client_id):
    page = _page(request, client_id)
    client = page.client
    job = selectors.client_job(page, request.GET["job"]) if request.GET.get("job") else None
    japanese = display.is_japanese(get_language())
    lines = []
    if page.snapshot is not None:
        lines, _milestones = selectors.scorecard_rows(page.snapshot)
    chart = {
        "labels": [row.metric.name_ja if japanese else row.metric.name for row in lines],
        "attainment": [
            None if row.line["attainment"] is None else float(row.line["attainment"]) * 100
            for row in lines
        ],
    }
    context = {
        **site.each_context(request),
        "title": client.name,
        "page": page,
        "client": client,
        "job": job,
        "overview": selectors.overview(page),
        "roots": selectors.kpi_tree(page),
        "timeline": selectors.milestones(page),
        "funnel": selectors.funnel(page, None),
        "lines": lines,
        "chart": chart,
        "sensitivity": selectors.sensitivity(page),
        "diagnostic": DiagnosticRun.objects.filter(client=client)
        .select_related("template")
        .order_by("-created_at")
        .first(),
        "jobs": Job.objects.filter(client=client).order_by("-created_at")[:RECENT],
        "changes": MeasurementHistory.objects.filter(client=client)
        .select_related("metric")
        .order_by("-changed_at")[:RECENT],
        "audit": AuditLogEntry.objects.filter(client=client).order_by("-at")[:RECENT],
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/portal/client_hub.html", context)


def client_recompute(site, request, client_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page = _page(request, client_id)
    if not page.may_write:
        raise PermissionDenied
    job = recompute_job_create(
        client=page.client, period=page.month, actor=page.principal, force=True
    )
    url = reverse("admin:client_hub", kwargs={"client_id": page.client.pk})
    return redirect(f"{url}?period={page.month}&job={job.pk}")


def scorecard_export(site, request, client_id, month, file_format):
    """The month's scorecard as a CSV or XLSX file."""
    try:
        period = Period.parse(month)
    except PeriodError as exc:
        raise Http404 from exc
    if period.granularity != Granularity.MONTH or file_format not in ("csv", "xlsx"):
        raise Http404
    page = _page(request, client_id, period=str(period))
    if page.snapshot is None:
        raise Http404
    table = exports.scorecard_table(page.snapshot)
    if file_format == "csv":
        body, content_type = exports.as_csv(table), "text/csv; charset=utf-8"
    else:
        body = exports.as_xlsx(table)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    filename = f"scorecard-{page.client.slug}-{period}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
