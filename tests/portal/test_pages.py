"""The portal's pages show the stored scorecard's numbers, formatted for the reader, and let
editors (not viewers) answer diagnostics and ask for a recompute."""

import json
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Job
from diagnostics.models import DiagnosticRun
from metrics.periods import Period
from plans.services import scorecards_recompute
from tests.clients.factories import member
from tests.plans.builders import big_client

pytestmark = pytest.mark.django_db


def page(browser, client, path="", language="en"):
    url = f"/portal/{client.pk}/{path}{'&' if '?' in path else '?'}period=2026-10"
    response = browser.get(url, headers={"accept-language": language})
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def signed_in(client, user):
    client.force_login(user)
    return client


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags, white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def missing(html: str, *texts: str) -> list[str]:
    """The texts the page does not show (an empty list when it shows them all)."""
    shown = text_of(html)
    return [text for text in texts if " ".join(text.split()) not in shown]


def test_the_overview_shows_the_stored_numbers_formatted(client, kumo):
    html = page(signed_in(client, kumo.viewer), kumo)

    # Must in October: 60,000,000 + 40,000,000 x 1/3 = 73,333,333.33; 64 / 73.333 = 87.3%, below
    # the 0.9 tolerance: off track. The score is that attainment: 87.3, health amber.
    # Change: 64 - 60 = +4,000,000, 4/60 = 6.7%. Forecast: the least-squares line through
    # 58, 60, 64 (millions, Aug-Oct) rises 3.0 a month from 63.667 in October: 69.667 in
    # December, below the must of 100.
    # Consultations convert 10% against 25%: 100 x 25% x 80% - 8 = 12 more customers.
    shown = [
        "Score 87.3 / 100",
        "Needs attention",
        "¥64,000,000",
        "¥73,333,333",
        "¥127,000,000",
        "87.3%",
        "Off track",
        "▲ ¥4,000,000 ( 6.7% )",
        "Forecast for Dec 2026",
        "¥69,666,667",
        "falls short of the must",
        "Q4 MRR",
        "0 of 1 condition holds now.",
        "Consultations converts below its 25.0% target: 12 fewer Customers in Oct 2026",
    ]
    assert missing(html, *shown) == []
    assert 'title="64,000,000円"' not in html  # English: yen in full, no 万 with a title


def test_the_overview_in_japanese(client, kumo):
    html = page(signed_in(client, kumo.viewer), kumo, language="ja")

    # The actual in 万 with the exact yen in its title; must 73,333,333 is 7,333万円.
    assert 'title="64,000,000円">6,400万円<' in html
    shown = ["月次経常収益（MRR）", "7,333万円", "要注意", "遅れ", "2026年10月", "2026年12月の予測"]
    assert missing(html, *shown, "必達に届かない見込み") == []


def test_the_kpi_page_charts_and_tables_the_periods(client, kumo):
    html = page(signed_in(client, kumo.viewer), kumo, "kpis/mrr/")

    data = json.loads(
        re.search(
            r'<script id="kpi-chart-data" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    # Dec 2025 (the baseline) to Dec 2026: 13 months; actuals from the stored months only.
    assert data["periods"][0] == "2025-12"
    assert len(data["periods"]) == 13
    assert data["actual"][8:11] == [58_000_000, 60_000_000, 64_000_000]
    assert data["must"][0] == 12_000_000
    assert data["must"][9] == 60_000_000  # the Q3 milestone is a waypoint of the must path
    # Both milestones' conditions on MRR are markers: Q3 in September, Q4 in December.
    assert data["milestones"] == [
        {"x": 9, "y": 60_000_000, "label": "Q3 MRR"},
        {"x": 12, "y": 100_000_000, "label": "Q4 MRR"},
    ]
    # The forecast runs from the last actual (October) to the target period (December).
    assert data["forecast"][10] == 64_000_000
    assert round(data["forecast"][12]) == 69_666_667
    assert missing(html, "Period by period", "Oct 2026", "¥64,000,000") == []


def test_the_milestones_page_is_a_timeline(client, kumo):
    html = page(signed_in(client, kumo.viewer), kumo, "milestones/")

    # September's 60,000,000 met Q3 on its due month; Q4 is ahead.
    # October's page: nothing due in October, Q4 ahead, Q3 past.
    this_month, rest = html.split('id="ahead-title"')
    ahead, past = rest.split('id="past-title"')
    assert "No milestone is due this month." in this_month
    assert missing(ahead, "Q4 MRR", "31 Dec 2026", "MRR ≥ ¥100,000,000 actual ¥64,000,000") == []
    assert "Q3 MRR" not in ahead
    assert missing(past, "Q3 MRR", "Achieved", "30 Sep 2026", "Achieved on 30 Sep 2026") == []


def test_the_funnel_page_highlights_the_bottleneck(client, kumo):
    html = page(signed_in(client, kumo.viewer), kumo, "funnel/")

    bottleneck = re.search(r'<li class="funnel-stage is-bottleneck" data-stage="([^"]+)"', html)
    assert bottleneck.group(1) == "Consultations"
    # 8 of 100: 8.0% overall against 25% x 80% = 20.0%.
    assert missing(html, "8.0%", "20.0%", "10.0%", "25.0%") == []


def test_the_report_is_one_printable_page(client, kumo):
    response = signed_in(client, kumo.viewer).get(f"/portal/{kumo.pk}/report/2026-10/")
    html = response.content.decode()

    assert response.status_code == 200
    assert 'class="portal-nav"' not in html  # no navigation on paper
    assert missing(html, "Monthly report", "Kumo KK — Oct 2026", "¥64,000,000", "Q3 MRR") == []
    assert (
        signed_in(client, kumo.viewer).get(f"/portal/{kumo.pk}/report/2026-W40/").status_code == 404
    )


def test_the_default_month_is_the_latest_with_data(client, kumo):
    # Only October has data (and the months of the plan before it were computed empty):
    # the overview opens on October, not on the month in progress.
    response = signed_in(client, kumo.viewer).get(f"/portal/{kumo.pk}/")

    assert response.context["page"].month == Period.parse("2026-10")


def test_a_client_user_lands_on_the_portal_and_a_consultant_in_the_admin(client, kumo, world):
    assert signed_in(client, kumo.viewer).get("/").url == "/portal/"
    assert client.get("/portal/").url == f"/portal/{kumo.pk}/"
    client.force_login(world.users["consultant"])
    assert client.get("/").url == "/admin/"


def test_the_picker_lists_what_a_manager_sees_with_health(client, world, kumo):
    html = signed_in(client, world.users["manager"]).get("/portal/").content.decode()

    assert missing(html, "Kumo KK", "A1", "A2", "Needs attention") == []
    assert "B1" not in html


def test_an_editor_answers_and_submits_a_viewer_cannot(client, kumo):
    editor = signed_in(client, kumo.editor)
    started = editor.post(f"/portal/{kumo.pk}/diagnostics/", {"template": "strategy-quick-check"})
    run = DiagnosticRun.objects.get(client=kumo)
    assert started.url == f"/portal/{kumo.pk}/diagnostics/{run.pk}/"

    saved = editor.post(
        f"/portal/{kumo.pk}/diagnostics/{run.pk}/answers/",
        {"q_focus": "one", "q_customer_defined": "4"},
        headers={"HX-Request": "true"},
    )
    run.refresh_from_db()

    assert saved.status_code == 200
    assert "Saved" in saved.content.decode()
    assert run.answers == {"focus": "one", "customer_defined": 4}
    submitted = editor.post(f"/portal/{kumo.pk}/diagnostics/{run.pk}/submit/")
    assert submitted.status_code == 400  # 25 required questions still unanswered
    assert "These questions still need an answer" in submitted.content.decode()
    client.force_login(kumo.viewer)
    assert (
        client.post(
            f"/portal/{kumo.pk}/diagnostics/{run.pk}/answers/", {"q_focus": "many"}
        ).status_code
        == 403
    )


def test_a_wrong_answer_is_named_and_not_saved(client, kumo):
    editor = signed_in(client, kumo.editor)
    editor.post(f"/portal/{kumo.pk}/diagnostics/", {"template": "strategy-quick-check"})
    run = DiagnosticRun.objects.get(client=kumo)

    response = editor.post(
        f"/portal/{kumo.pk}/diagnostics/{run.pk}/answers/",
        {"q_customer_defined": "7"},
        headers={"HX-Request": "true"},
    )
    run.refresh_from_db()

    assert "must be a whole number from 1 to 5" in response.content.decode()
    assert run.answers == {}


def test_an_editor_recomputes_and_the_job_is_shown(
    client, kumo, django_capture_on_commit_callbacks
):
    editor = signed_in(client, kumo.editor)

    response = editor.post(f"/portal/{kumo.pk}/recompute/?period=2026-10")

    job = Job.objects.filter(client=kumo).latest("created_at")
    assert response.url == f"/portal/{kumo.pk}/?period=2026-10&job={job.pk}"
    assert job.params == {"period": "2026-10", "force": True}
    html = editor.get(response.url).content.decode()
    assert f'hx-get="/portal/{kumo.pk}/jobs/{job.pk}/"' in html  # polled while it waits


def test_pages_carry_a_content_security_policy_and_no_inline_script(client, kumo):
    browser = signed_in(client, kumo.viewer)
    for path in ("", "tree/", "kpis/mrr/", "milestones/", "funnel/", "diagnostics/"):
        response = browser.get(f"/portal/{kumo.pk}/{path}?period=2026-10")
        html = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert inline == [], path
        assert " style=" not in html, path


@pytest.mark.parametrize("path", ["", "tree/", "kpis/{first}/", "milestones/", "funnel/"])
def test_a_page_takes_the_same_queries_at_3_and_30_kpis_and_more_months(client, world, path):
    owner = member(world.a, "owner")
    client.force_login(owner)

    def queries(kpis, months):
        made = big_client(kpis, months, consultancy=world.a)
        scorecards_recompute(client_id=made.pk, period=Period.parse("2025-06"))
        first = made.plans.get().kpis.order_by("position").first().key
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/portal/{made.pk}/{path.format(first=first)}?period=2025-06")
        assert response.status_code == 200
        return len(captured.captured_queries)

    assert queries(3, 6) == queries(30, 24)


@pytest.mark.parametrize("job", ["zzz", "00000000-0000-0000-0000-000000000000"])
def test_a_page_asked_for_a_job_that_is_no_job_of_the_client_is_404(client, kumo, job):
    editor = signed_in(client, kumo.editor)

    assert editor.get(f"/portal/{kumo.pk}/?job={job}").status_code == 404


def test_only_signed_in_staff_get_the_admins_looser_policy(client, world):
    def policy(path):
        return client.get(path)["Content-Security-Policy"]

    assert "unsafe-eval" not in policy("/admin/login/")  # before signing in
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["owner"]
    assert "unsafe-eval" in policy("/admin/")
    assert "unsafe-eval" not in policy(f"/portal/{world.a1.pk}/")  # the portal stays strict
