"""The client portal's pages: thin views that read through ``portal.selectors`` and write
through the apps' services. Every page of a client resolves it through the signed-in person's
scope first, so a client outside it is a 404."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from clients.models import Job
from clients.principals import Principal
from diagnostics import services as diagnostics
from diagnostics.selectors import latest_versions, template_for_client, templates_for_consultancies
from metrics import display
from metrics.periods import Granularity, Period, PeriodError
from plans.selectors import scorecard_rows
from plans.services.planning import Planner
from plans.services.recompute.jobs import recompute_job_create
from portal import planning, questionnaires, selectors


def client_page(view):
    """Resolve the client (404 outside the person's scope) and the month the page is about."""

    @login_required
    @wraps(view)
    def wrapper(request, client_id, *args, **kwargs):
        page = selectors.client_page(
            principal=Principal(user=request.user),
            client_id=client_id,
            period=request.GET.get("period"),
        )
        return view(request, page, *args, **kwargs)

    return wrapper


def _require_write(page) -> None:
    if not page.may_write:
        raise PermissionDenied


def _context(page, **extra) -> dict:
    return {"page": page, "client": page.client, **extra}


@login_required
def picker(request):
    """A client user with one client goes straight to it; anyone else picks."""
    clients = list(selectors.visible_clients(Principal(user=request.user)))
    if len(clients) == 1 and not request.user.is_staff:
        return redirect("portal:overview", client_id=clients[0].pk)
    return render(request, "portal/picker.html", {"clients": clients})


@client_page
def overview(request, page):
    job = None
    if request.GET.get("job"):
        job = selectors.client_job(page, request.GET["job"])
    return render(
        request,
        "portal/overview.html",
        _context(page, overview=selectors.overview(page), job=job, section="overview"),
    )


@client_page
def kpi(request, page, key):
    detail = selectors.kpi_detail(page, key)
    language = get_language()
    chart = {
        **detail.chart,
        "labels": [display.period(period, language) for period in detail.chart["periods"]],
        "unit": detail.metric.unit,
        "currency": page.client.currency,
        "language": language,
    }
    return render(
        request, "portal/kpi.html", _context(page, detail=detail, chart=chart, section="tree")
    )


@client_page
def tree(request, page):
    return render(
        request, "portal/tree.html", _context(page, roots=selectors.kpi_tree(page), section="tree")
    )


@client_page
def milestones(request, page):
    return render(
        request,
        "portal/milestones.html",
        _context(page, timeline=selectors.milestones(page), section="milestones"),
    )


@client_page
def funnel(request, page):
    view = selectors.funnel(page, request.GET.get("funnel"))
    return render(request, "portal/funnel.html", _context(page, funnel=view, section="funnel"))


@login_required
def report(request, client_id, month):
    """The printable monthly report of ``month`` (YYYY-MM), in the reader's language."""
    try:
        period = Period.parse(month)
    except PeriodError as exc:
        raise Http404 from exc
    if period.granularity != Granularity.MONTH:
        raise Http404
    page = selectors.client_page(
        principal=Principal(user=request.user), client_id=client_id, period=str(period)
    )
    rows, milestone_rows = scorecard_rows(page.snapshot) if page.snapshot else ([], [])
    return render(
        request,
        "portal/report.html",
        _context(
            page,
            overview=selectors.overview(page),
            rows=rows,
            milestones=milestone_rows,
            funnel=selectors.funnel(page, None),
        ),
    )


@require_POST
@client_page
def recompute(request, page):
    """Editors ask for the month's results to be computed again, and watch the job."""
    _require_write(page)
    job = recompute_job_create(
        client=page.client, period=page.month, actor=page.principal, force=True
    )
    url = reverse("portal:overview", kwargs={"client_id": page.client.pk})
    return redirect(f"{url}?period={page.month}&job={job.pk}")


@client_page
def job(request, page, job_id):
    """A job's progress, polled by the page while it runs; once it is done the page reloads."""
    found = selectors.client_job(page, job_id)
    finished = found.status in (Job.Status.SUCCEEDED, Job.Status.FAILED)
    if finished and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "portal/partials/job.html", {"job": found, "client": page.client})


# --- planning (逆算) ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@client_page
def planning_page(request, page):
    """The scenarios the consultant saved, and the what-if panel: moving a driver shows where
    the KGIs would land (a POST of the panel computes it again; nothing is stored, so anyone who
    may read the client may ask)."""
    found = comparison = None
    if page.plan is not None:
        planner = Planner(page.plan)
        found = planning.what_if(page, planner, request.POST if request.method == "POST" else None)
        if request.method == "POST" and request.htmx:
            return render(request, "portal/partials/what_if.html", _context(page, what_if=found))
        comparison = planning.comparison(page, planner)
    return render(
        request,
        "portal/planning.html",
        _context(page, what_if=found, comparison=comparison, section="planning"),
    )


# --- diagnostics --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@client_page
def diagnostics_list(request, page):
    if request.method == "POST":
        _require_write(page)
        template = template_for_client(client=page.client, key=request.POST.get("template", ""))
        if template is None:
            raise Http404
        run = diagnostics.run_start(client=page.client, template=template, actor=page.principal)
        return redirect("portal:diagnostic", client_id=page.client.pk, run_id=run.pk)
    templates = latest_versions(templates_for_consultancies([page.client.consultancy_id]))
    return render(
        request,
        "portal/diagnostics.html",
        _context(
            page,
            runs=selectors.diagnostic_runs(page),
            templates=templates,
            section="diagnostics",
        ),
    )


@client_page
def diagnostic(request, page, run_id):
    return _diagnostic_page(request, page, selectors.diagnostic_run(page, run_id))


def _diagnostic_page(request, page, run, missing=()):
    """A run: its questions to answer a section at a time (an editor, before submitting), or
    its result."""
    urls = {"client_id": page.client.pk, "run_id": run.pk}
    return render(
        request,
        "portal/diagnostic.html",
        _context(
            page,
            **questionnaires.run_context(run, asked=request.GET.get("section"), missing=missing),
            answers_url=reverse("portal:diagnostic-answers", kwargs=urls),
            submit_url=reverse("portal:diagnostic-submit", kwargs=urls),
            section="diagnostics",
        ),
    )


@require_POST
@client_page
def diagnostic_answers(request, page, run_id):
    """Save the answers a form sends (``q_<key>`` fields): one question as it changes (htmx,
    answered with its status), or all of them (the form's button, answered with the page)."""
    _require_write(page)
    run = selectors.diagnostic_run(page, run_id)
    answers, errors = questionnaires.answers_save(run, request.POST, page.principal)
    if request.htmx:  # the question's status, and the count of answers out of band
        return render(
            request,
            "portal/partials/answer_status.html",
            questionnaires.answer_status(run, answers, errors),
        )
    if errors:
        for key, message in errors.items():
            messages.error(request, f"{key}: {message}")
    else:
        messages.success(request, _("Your answers were saved."))
    url = reverse("portal:diagnostic", kwargs={"client_id": page.client.pk, "run_id": run.pk})
    following = request.POST.get("next_section")
    return redirect(f"{url}?section={following}" if following and not errors else url)


@require_POST
@client_page
def diagnostic_submit(request, page, run_id):
    _require_write(page)
    run = selectors.diagnostic_run(page, run_id)
    try:
        diagnostics.run_submit(run=run, actor=page.principal)
    except diagnostics.RunIncomplete as exc:
        messages.error(request, _("Some required questions are not answered yet."))
        response = _diagnostic_page(request, page, run, missing=exc.missing)
        response.status_code = 400
        return response
    except diagnostics.RunClosed:
        messages.info(request, _("This diagnostic was submitted already."))
    return redirect("portal:diagnostic", client_id=page.client.pk, run_id=run.pk)
