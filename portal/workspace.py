"""The consultant's pages in the admin that span every app: a client's hub (the plan, the
numbers, the work to do), the recompute it starts, the scorecard's exports, and the client's
diagnostics (started, answered with the client in a meeting, read). Each resolves the client
through the signed-in person's scope, like the portal (404 outside it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.principals import Principal
from diagnostics import services as diagnostics
from diagnostics.selectors import latest_versions, template_for_client, templates_for_consultancies
from metrics import display
from metrics.periods import Granularity, Period, PeriodError
from plans import exports
from plans.services.recompute.jobs import recompute_job_create
from portal import questionnaires, selectors

RECENT = 8  # rows of each recent list on the hub


def _page(request, client_id, period=None):
    return selectors.client_page(
        principal=Principal(user=request.user),
        client_id=client_id,
        period=period if period is not None else request.GET.get("period"),
    )


def _writable_page(request, client_id):
    page = _page(request, client_id)
    if not page.may_write:
        raise PermissionDenied
    return page


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
        **selectors.hub_activity(page, recent=RECENT),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/portal/client_hub.html", context)


def client_recompute(site, request, client_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page = _writable_page(request, client_id)
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


# --- diagnostics with the client ----------------------------------------------------------------


def _run_url(client_id, run_id) -> str:
    return reverse("admin:client_diagnostic", kwargs={"client_id": client_id, "run_id": run_id})


def client_diagnostics(site, request, client_id):
    """The client's runs, and a new one started from a questionnaire."""
    if request.method == "POST":
        page = _writable_page(request, client_id)
        template = template_for_client(client=page.client, key=request.POST.get("template", ""))
        if template is None:
            raise Http404
        run = diagnostics.run_start(client=page.client, template=template, actor=page.principal)
        return redirect(_run_url(page.client.pk, run.pk))
    page = _page(request, client_id)
    context = {
        **site.each_context(request),
        "title": _("Diagnostics of %(client)s") % {"client": page.client.name},
        "page": page,
        "client": page.client,
        "runs": selectors.diagnostic_runs(page),
        "templates": latest_versions(templates_for_consultancies([page.client.consultancy_id])),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/portal/diagnostics.html", context)


def client_diagnostic(site, request, client_id, run_id, missing=(), status=200):
    """One run: its questions a section at a time, or its result."""
    page = _page(request, client_id)
    run = selectors.diagnostic_run(page, run_id)
    urls = {"client_id": page.client.pk, "run_id": run.pk}
    context = {
        **site.each_context(request),
        **questionnaires.run_context(run, asked=request.GET.get("section"), missing=missing),
        "title": page.client.name,
        "page": page,
        "client": page.client,
        "answers_url": reverse("admin:client_diagnostic_answers", kwargs=urls),
        "submit_url": reverse("admin:client_diagnostic_submit", kwargs=urls),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/portal/diagnostic.html", context, status=status)


def client_diagnostic_answers(site, request, client_id, run_id):
    """Save answers: one as it changes (htmx, answered with its status), or a section's."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page = _writable_page(request, client_id)
    run = selectors.diagnostic_run(page, run_id)
    answers, errors = questionnaires.answers_save(run, request.POST, page.principal)
    if request.htmx:
        return TemplateResponse(
            request,
            "portal/partials/answer_status.html",
            questionnaires.answer_status(run, answers, errors),
        )
    for key, message in errors.items():
        messages.error(request, f"{key}: {message}")
    if not errors:
        messages.success(request, _("The answers were saved."))
    following = request.POST.get("next_section")
    url = _run_url(page.client.pk, run.pk)
    return redirect(f"{url}?section={following}" if following and not errors else url)


def client_diagnostic_submit(site, request, client_id, run_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page = _writable_page(request, client_id)
    run = selectors.diagnostic_run(page, run_id)
    try:
        diagnostics.run_submit(run=run, actor=page.principal)
    except diagnostics.RunIncomplete as exc:
        messages.error(request, _("Some required questions are not answered yet."))
        return client_diagnostic(site, request, client_id, run_id, exc.missing, status=400)
    except diagnostics.RunClosed:
        messages.info(request, _("This diagnostic was submitted already."))
    return redirect(_run_url(page.client.pk, run.pk))
