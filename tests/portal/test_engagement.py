"""A whole engagement run from the admin, in Japanese, by the consultancy's owner: a new client,
a plan from a template, its targets adjusted and a funnel added, a month of figures imported
with a preview, a recompute, the scorecard and the bottleneck read, a diagnostic started and
the scorecard exported. Every number is worked out by hand below."""

import csv
import io
from decimal import Decimal

import pytest

from clients.models import Client, Job
from diagnostics.models import DiagnosticRun
from plans.models import BottleneckReport, Plan, ScorecardSnapshot
from plans.tasks import run_recompute_job
from tests.plans.test_admin_editor import post_back

pytestmark = pytest.mark.django_db

# March 2026, the plan's third month (it starts in January; the baselines are December's).
FIGURES = (
    "metric,period,value\n"
    "mrr,2026-03,180000\n"
    "paying_customers,2026-03,10\n"
    "churn_rate,2026-03,0.05\n"
    "leads,2026-03,40\n"
    "consultations,2026-03,10\n"
    "new_customers,2026-03,3\n"
)


def test_an_owner_runs_a_whole_engagement_from_the_admin_in_japanese(as_user, world):
    browser = as_user("owner")
    browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"

    # A new client: its hub is the next page, and offers to start a plan.
    added = browser.post(
        "/admin/clients/client/add/",
        {
            "consultancy": world.a.pk,
            "name": "Kaze KK",
            "slug": "kaze",
            "industry": "SaaS",
            "business_model": "B2B SaaS",
            "currency": "JPY",
            "timezone": "Asia/Tokyo",
            "fiscal_year_start_month": "4",
            "status": "active",
        },
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    client = Client.objects.get(slug="kaze")
    hub = f"/admin/clients/{client.pk}/hub/"
    assert added.url == hub
    assert "テンプレートから計画を始める" in browser.get(hub).content.decode()

    # A plan from the SaaS template, active from January 2026; next: its targets.
    created = browser.post(
        f"/admin/plans/plan/from-template/?client={client.pk}",
        {
            "client": client.pk,
            "template": "b2b-saas-12m",
            "starts_on": "2026-01-01",
            "language": "ja",
            "status": "active",
        },
    )
    plan = Plan.objects.get(client=client)
    assert created.url == f"/admin/plans/plan/{plan.pk}/editor/"

    # MRR's must raised from 1,000,000 to 1,200,000, and the sales funnel added.
    def adjust(rows):
        mrr = next(row for row in rows["kpis"] if row["key"] == "mrr")
        mrr["must"] = "1200000"
        rows["funnels"].append({"key": "sales", "name": "営業ファネル"})
        rows["funnels-0-stages"] = [
            {"name": "リード", "metric": "leads", "ORDER": "1"},
            {"name": "商談", "metric": "consultations", "target_conversion": "30", "ORDER": "2"},
            {
                "name": "新規契約",
                "metric": "new_customers",
                "target_conversion": "35",
                "ORDER": "3",
            },
        ]

    assert post_back(browser, plan, adjust).status_code == 302

    # March's figures, previewed (six new values), then written.
    upload = io.BytesIO(FIGURES.encode())
    upload.name = "march.csv"
    preview = browser.post(
        "/admin/metrics/measurement/import/", {"client": client.pk, "file": upload}
    )
    assert preview.context["preview"].counts == {"created": 6, "updated": 0, "unchanged": 0}
    assert "取り込むと何が起きるか" in preview.content.decode()
    commit = preview.context["commit"]
    committed = browser.post(
        "/admin/metrics/measurement/import/",
        {**{name: commit[name].value() for name in commit.fields}, "commit": "1"},
    )
    assert committed.url == hub

    # A recompute of March, done as the worker does it.
    queued = browser.post(f"/admin/clients/{client.pk}/recompute/?period=2026-03")
    job = Job.objects.filter(client=client).latest("created_at")
    assert queued.url == f"{hub}?period=2026-03&job={job.pk}"
    run_recompute_job.apply(args=[str(job.pk)])
    assert Job.objects.get(pk=job.pk).status == "succeeded"

    # The scorecard. MRR's must path runs through the six-month milestone "MRR ≥ 300,000"
    # (a waypoint, DESIGN's must path): 0 in December to 300,000 in June, so 150,000 in March;
    # 180,000 is 120.0% of it. The stretch path, 0 to 1,500,000 over twelve months, is 375,000
    # in March: not reached, so MRR is on track, not past its stretch.
    page = browser.get(f"{hub}?period=2026-03").content.decode()
    assert "スコアカード — 2026年3月" in page
    assert "120.0%" in page
    snapshot = ScorecardSnapshot.objects.get(client=client, period_start="2026-03-01")
    mrr = next(line for line in snapshot.payload["lines"] if line["kpi"] == "mrr")
    assert (Decimal(mrr["attainment"]), mrr["status"]) == (Decimal("1.2"), "on_track")
    # The bottleneck: at its 30%, 40 leads would make 12 consultations and, at March's 30%
    # onward, 3.6 customers: 0.6 lost; at 35%, 10 consultations would close 3.5: 0.5 lost.
    # The consultations stage loses more.
    report = BottleneckReport.objects.get(client=client, period_start="2026-03-01")
    assert report.payload["bottleneck"] == "商談"
    assert "ボトルネック" in page
    assert "商談" in page

    # A diagnostic started with the client, on its first section.
    started = browser.post(
        f"/admin/clients/{client.pk}/diagnostics/", {"template": "strategy-quick-check"}
    )
    run = DiagnosticRun.objects.get(client=client)
    assert started.url == f"/admin/clients/{client.pk}/diagnostics/{run.pk}/"
    assert "戦略" in browser.get(started.url).content.decode()

    # The scorecard as CSV, in Japanese, for the consultant's deck.
    exported = browser.get(f"/admin/clients/{client.pk}/scorecard/2026-03.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    mrr_row = next(row for row in rows if row[1] == "mrr")
    # Progress counts to the raised final must: (180,000 - 0) / (1,200,000 - 0) = 0.15.
    assert mrr_row[2:8] == ["2026年3月", "180000", "150000", "375000", "1.2", "0.15"]
