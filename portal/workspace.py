"""The consultant's pages in the admin that span every app: a client's hub (the plan, the
numbers, the work to do), the recompute it starts, the scorecard's exports, and the client's
diagnostics (started, answered with the client in a meeting, read). Each resolves the client
through the signed-in person's scope, like the portal (404 outside it)."""

from __future__ import annotations

from urllib.parse import urlencode

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
from plans.admin.forms import problems_of
from plans.document import DocumentInvalid
from plans.services import planning as plans_planning
from plans.services.recompute.jobs import recompute_job_create
from portal import planning, questionnaires, selectors

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


# --- planning backwards (逆算) -------------------------------------------------------------------


def _planning_url(client_id, query: str = "") -> str:
    url = reverse("admin:client_planning", kwargs={"client_id": client_id})
    return f"{url}?{query}" if query else url


def client_planning(site, request, client_id):
    """From a KGI target down to its drivers, a funnel's requirements, the scenarios side by
    side, and a new scenario — for the client's active plan."""
    page = _page(request, client_id)
    plan = page.plan
    context = {
        **site.each_context(request),
        "title": _("Planning for %(client)s") % {"client": page.client.name},
        "page": page,
        "client": page.client,
        "plan": plan,
    }
    if plan is not None:
        planner = plans_planning.Planner(plan)  # the plan read once for the whole page
        context.update(
            walk=planning.walk_down(page, planner, request.GET),
            needs=planning.funnel_needs(page, planner, request.GET),
            comparison=planning.comparison(page, planner),
            scenario_fields=planning.scenario_fields(page, planner),
        )
    request.current_app = site.name
    status = 400 if plan is not None and context["walk"].errors else 200
    return TemplateResponse(request, "admin/portal/planning.html", context, status=status)


def _planned_plan(request, client_id):
    page = _writable_page(request, client_id)
    if page.plan is None:
        raise Http404
    return page, page.plan


def client_planning_apply(site, request, client_id):
    """The walked-down requirements become the KPIs' must or stretch targets."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page, plan = _planned_plan(request, client_id)
    post = request.POST
    query = urlencode(
        [(name, post.get(name, "")) for name in ("kpi", "target", "period", "basis")]
        + [("path", key) for key in post.getlist("path")]
    )
    planner = plans_planning.Planner(plan)
    node = next((node for node in planner.nodes if node.key == post.get("kpi")), None)
    try:
        if node is None:
            raise plans_planning.PlanningError("kpi", _("No such KPI."))
        answer = plans_planning.plan_solve(
            plan=plan,
            planner=planner,
            kpi=node.key,
            target=planning.typed_value(post.get("target", ""), node.unit),
            period=post.get("period") or None,
            basis=post.get("basis") or "actual",
            path=post.getlist("path"),
            apply=post.get("level"),
            actor=page.principal,
        )
    except planning.Typed as exc:
        messages.error(request, str(exc))
    except plans_planning.PlanningError as exc:
        messages.error(request, exc.message)
    except DocumentInvalid as exc:
        for line in planning.named_problems(page, planner, problems_of(exc)):
            messages.error(request, line)
    else:
        level = answer["applied"]["as"]
        words = _("must") if level == "must" else _("stretch")
        messages.success(
            request,
            _("Saved as the %(level)s targets of %(count)d KPIs; the scorecard follows.")
            % {"level": words, "count": len(answer["applied"]["kpis"])},
        )
    return redirect(_planning_url(page.client.pk, query))


def client_scenario_save(site, request, client_id):
    """A scenario typed as changes in percent, kept for the plan."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page, plan = _planned_plan(request, client_id)
    name = request.POST.get("name", "").strip()
    changes, errors = planning.scenario_changes(plans_planning.Planner(plan), request.POST)
    if not name:
        messages.error(request, _("Give the scenario a name."))
    elif errors or not changes:
        messages.error(
            request,
            "; ".join(f"{key}: {message}" for key, message in errors.items())
            or _("Change at least one KPI."),
        )
    else:
        try:
            plans_planning.scenario_save(
                plan=plan, name=name[:200], changes=changes, actor=page.principal
            )
        except plans_planning.PlanningError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The scenario “%(name)s” was saved.") % {"name": name})
    return redirect(_planning_url(page.client.pk) + "#scenarios")


def client_scenario_delete(site, request, client_id, scenario_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    page, plan = _planned_plan(request, client_id)
    scenario = plan.scenarios.filter(pk=scenario_id).first()
    if scenario is None:
        raise Http404
    plans_planning.scenario_delete(scenario=scenario, actor=page.principal)
    messages.success(request, _("The scenario “%(name)s” was deleted.") % {"name": scenario.name})
    return redirect(_planning_url(page.client.pk) + "#scenarios")
