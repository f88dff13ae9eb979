"""The consultants' workspace in the admin: the portfolio as its home, a client's hub, the
recompute it starts and the scorecard's exports, each scoped like every other admin page."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from clients.models import Job
from clients.services.people import client_assign
from diagnostics.models import DiagnosticRun
from diagnostics.tasks import score_run_job
from metrics.periods import Period
from plans.models import Plan
from plans.services import scorecards_recompute
from tests.clients.factories import ClientFactory, member
from tests.diagnostics.test_api import complete_answers
from tests.plans.builders import big_client

pytestmark = pytest.mark.django_db


def portfolio(browser, query=""):
    response = browser.get(f"/admin/{query}")
    assert response.status_code == 200
    return [row.client for row in response.context["dashboard"].rows]


@pytest.mark.parametrize(
    ("kind", "sees"),
    [
        ("owner", {"A1", "A2", "Kumo KK"}),
        ("manager", {"A1", "A2", "Kumo KK"}),
        ("consultant", {"A1"}),
        ("foreign_owner", {"B1"}),
    ],
)
def test_the_portfolio_holds_exactly_the_clients_a_person_sees(world, kumo, kind, sees):
    assert {client.name for client in portfolio(world.browser(kind))} == sees


def test_a_client_user_does_not_get_the_admin(world):
    response = world.browser("viewer").get("/admin/")

    assert response.status_code == 302  # to the admin's sign-in: not staff


def test_the_portfolio_reads_riskiest_first_with_what_needs_attention(world, kumo):
    rows = world.browser("owner").get("/admin/").context["dashboard"].rows

    kumo_row = next(row for row in rows if row.client.name == "Kumo KK")
    # October (the latest closed month it has): 87.3, amber; one line off track; Q3 met in
    # September, Q4 still open: nothing missed; consultations lose 100 x 25% x 80% - 8 = 12.
    assert (str(kumo_row.client.score), kumo_row.client.health) == ("87.272727", "amber")
    assert (kumo_row.client.off_track, kumo_row.missed) == (1, 0)
    assert (kumo_row.bottleneck, kumo_row.lost_output) == ("Consultations", 12)
    # The world's clients have scorecards with data too; amber comes before green and none.
    healths = [row.client.health for row in rows]
    assert healths == sorted(healths, key=lambda h: {"red": 0, "amber": 1, "green": 2}.get(h, 3))


def test_the_portfolio_filters(world, kumo):
    owner = world.browser("owner")
    consultant = world.users["consultant"]

    assert [c.name for c in portfolio(owner, "?industry=Cloud")] == ["Kumo KK"]
    assert [c.name for c in portfolio(owner, f"?consultant={consultant.pk}")] == ["A1"]
    assert [c.name for c in portfolio(owner, "?health=amber")] == ["Kumo KK"]
    # The world's measurements were made when the test started: none is stale.
    assert portfolio(owner, "?stale=1") == []


def test_the_portfolio_takes_the_same_queries_at_5_and_200_clients(client, world):
    owner = member(world.b, "owner")
    client.force_login(owner)

    def queries(count):
        for index in range(count):
            made = ClientFactory(consultancy=world.b, name=f"Co {count}-{index}")
            client_assign(client=made, user=owner, actor=None)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/admin/")
        assert response.status_code == 200
        return len(captured.captured_queries), len(response.context["dashboard"].rows)

    five, two_hundred = queries(5), queries(195)

    assert (five[1], two_hundred[1]) == (6, 201)  # B1 and the new ones
    assert five[0] == two_hundred[0]


def test_a_hub_is_the_clients_and_a_foreign_ones_is_404(world, kumo):
    hub = world.browser("manager").get(f"/admin/clients/{kumo.pk}/hub/?period=2026-10")

    assert hub.status_code == 200
    html = hub.content.decode()
    assert "Kumo KK" in html
    assert "¥64,000,000" in html
    assert world.browser("consultant").get(f"/admin/clients/{kumo.pk}/hub/").status_code == 404
    assert world.browser("owner").get(f"/admin/clients/{world.b1.pk}/hub/").status_code == 404


@pytest.mark.parametrize("job", ["zzz", "1", "00000000-0000-0000-0000-000000000000"])
def test_a_hub_asked_for_a_job_that_is_no_job_of_the_client_is_404(world, kumo, job):
    response = world.browser("owner").get(f"/admin/clients/{kumo.pk}/hub/?job={job}")

    assert response.status_code == 404


def test_a_recompute_from_the_hub_queues_one_job(world, kumo):
    browser = world.browser("owner")
    before = Job.objects.filter(client=kumo).count()

    response = browser.post(f"/admin/clients/{kumo.pk}/recompute/?period=2026-10")

    job = Job.objects.filter(client=kumo).latest("created_at")
    assert Job.objects.filter(client=kumo).count() == before + 1
    assert job.params == {"period": "2026-10", "force": True}
    assert response.url == f"/admin/clients/{kumo.pk}/hub/?period=2026-10&job={job.pk}"


def test_the_scorecard_exports_as_csv_and_xlsx(world, kumo):
    browser = world.browser("owner")

    as_csv = browser.get(f"/admin/clients/{kumo.pk}/scorecard/2026-10.csv")
    as_xlsx = browser.get(f"/admin/clients/{kumo.pk}/scorecard/2026-10.xlsx")

    assert as_csv["Content-Disposition"].endswith("scorecard-" + kumo.slug + '-2026-10.csv"')
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["KPI", "Metric key", "Period", "Actual"]
    # MRR in October: actual 64,000,000 against a must of 73,333,333.33 (87.3%), off track.
    # Progress: (64 - 12) / (100 - 12) = 0.590909.
    assert rows[1][:9] == [
        "MRR",
        "mrr",
        "Oct 2026",
        "64000000",
        "73333333.333333",
        "127000000",
        "0.872727",
        "0.590909",
        "Off track",
    ]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet["A1"].value == "Kumo KK Oct 2026"
    assert [cell.value for cell in sheet[3]][:4] == ["MRR", "mrr", "Oct 2026", 64000000]
    # Shown in their units: money whole, attainment as a percentage; words for yes and no.
    assert (sheet["D3"].number_format, sheet["G3"].number_format) == ("#,##0", "0.0%")
    assert sheet["M3"].value in ("yes", "no")
    assert browser.get(f"/admin/clients/{world.b1.pk}/scorecard/2026-10.csv").status_code == 404
    assert browser.get(f"/admin/clients/{kumo.pk}/scorecard/2026-W40.csv").status_code == 404


# --- diagnostics with the client ----------------------------------------------------------------


def as_form(answers: dict) -> dict:
    """Answers as the questionnaire's inputs post them."""
    text = {True: "true", False: "false"}
    return {
        f"q_{key}": text[value] if isinstance(value, bool) else str(value)
        for key, value in answers.items()
    }


def test_a_consultant_runs_a_diagnostic_with_the_client_in_the_admin(world):
    browser = world.browser("consultant")  # assigned to A1
    base = f"/admin/clients/{world.a1.pk}/diagnostics/"

    started = browser.post(base, {"template": "strategy-quick-check"})

    run = DiagnosticRun.objects.filter(client=world.a1).latest("created_at")
    assert started.url == f"{base}{run.pk}/"
    page = browser.get(started.url)
    assert page.status_code == 200
    assert page.context["current"][0].key == "strategy"  # the first section to answer
    # One answer as it changes (htmx), then a section's worth with "next section".
    one = browser.post(
        f"{base}{run.pk}/answers/", {"q_focus": "one"}, headers={"HX-Request": "true"}
    )
    assert "Saved" in one.content.decode()
    section = browser.post(
        f"{base}{run.pk}/answers/", {"q_customer_defined": "4", "next_section": "process"}
    )
    assert section.url == f"{base}{run.pk}/?section=process"
    run.refresh_from_db()
    assert run.answers == {"focus": "one", "customer_defined": 4}
    # Submitting with required questions open names them and scores nothing.
    early = browser.post(f"{base}{run.pk}/submit/")
    assert early.status_code == 400
    assert early.context["missing"] >= {"value_defined"}

    browser.post(f"{base}{run.pk}/answers/", as_form(complete_answers()))
    submitted = browser.post(f"{base}{run.pk}/submit/")
    run.refresh_from_db()
    assert (submitted.url, run.status) == (f"{base}{run.pk}/", "submitted")
    score_run_job.apply(args=[str(run.job_id)])  # what the worker does

    result = browser.get(f"{base}{run.pk}/")
    run.refresh_from_db()
    assert run.status == "scored"
    html = result.content.decode()
    # The best answer to every question: each section, and so the whole, scores 100.
    assert '<span class="score-value"><span class="wp-num">100</span></span>' in html
    assert "Level 5 of 5" in html
    assert "Findings" in html
    assert "Recommendations" in html
    listing = browser.get(base).content.decode()
    assert f'href="{base}{run.pk}/"' in listing


@pytest.mark.parametrize(
    ("kind", "client_name", "status"),
    [("consultant", "a2", 404), ("foreign_owner", "a1", 404), ("owner", "b1", 404)],
)
def test_diagnostics_outside_a_persons_scope_are_404(world, kind, client_name, status):
    browser = world.browser(kind)
    client = getattr(world, client_name)
    base = f"/admin/clients/{client.pk}/diagnostics/"
    runs = DiagnosticRun.objects.filter(client=client)
    before = runs.count()

    assert browser.get(base).status_code == status
    assert browser.get(f"{base}{runs.first().pk}/").status_code == status
    assert browser.post(base, {"template": "strategy-quick-check"}).status_code == status
    assert browser.post(f"{base}{runs.first().pk}/submit/").status_code == status
    assert runs.count() == before


def test_text_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(world, kumo):
    kumo.name = '=HYPERLINK("http://example.test","x")'
    kumo.save(update_fields=["name"])
    browser = world.browser("owner")

    as_csv = browser.get(f"/admin/clients/{kumo.pk}/scorecard/2026-10.csv")
    as_xlsx = browser.get(f"/admin/clients/{kumo.pk}/scorecard/2026-10.xlsx")

    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet["A1"].value.startswith("'=HYPERLINK(")
    assert sheet["A1"].data_type == "s"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[1][3] == "64000000"  # numbers stay numbers


def test_a_finding_of_inconsistent_targets_shows_its_numbers():
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import translation

    # The seed's acquisition plan (tests/diagnostics/test_checks.py): 500 leads a month at
    # 25% x 80% make 100 customers, but the plan's must is 10.
    finding = {
        "key": "inconsistent_targets",
        "severity": "high",
        "message": "Targets contradict each other: the numbers below cannot all be met as planned.",
        "message_ja": "",
        "evidence": [
            {
                "kind": "funnel",
                "from": "Leads",
                "to": "Customers",
                "must_from": 500,
                "conversion": "0.2",
                "expected": 100,
                "must_to": 10,
            }
        ],
    }
    run = SimpleNamespace(result={"score": 50, "level": 3, "findings": [finding]})
    with translation.override("en"):
        html = render_to_string("portal/partials/diagnostic_result.html", {"run": run})

    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert (
        "Leads → Customers: a must of 500 at 20.0% makes 100, but the must of Customers is 10."
        in text
    )


def test_the_hub_and_the_plan_editor_take_the_same_queries_at_2_and_10_kpis(world):
    browser = world.browser("owner")
    counts = []
    for kpis in (2, 10):
        client = big_client(kpis, 12, consultancy=world.a, name=f"Big {kpis}")
        scorecards_recompute(client_id=client.pk, period=Period.parse("2025-12"))
        plan = Plan.objects.get(client=client)
        pages = []
        for url in (
            f"/admin/clients/{client.pk}/hub/?period=2025-12",
            f"/admin/plans/plan/{plan.pk}/editor/",
        ):
            with CaptureQueriesContext(connection) as queries:
                assert browser.get(url).status_code == 200
            pages.append(len(queries))
        counts.append(pages)

    assert counts[0] == counts[1]
