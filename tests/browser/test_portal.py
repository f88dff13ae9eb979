"""The client portal in a real browser, as its readers use it: a client viewer on Monday
morning, a client editor answering a diagnostic, the consultant printing the monthly report."""

import io
import uuid
from decimal import Decimal

import pytest
from pypdf import PdfReader

from metrics import display

pytestmark = pytest.mark.slow
VIEWER, EDITOR = "viewer@sakura.waypoint.test", "editor@hikari.waypoint.test"


def latest_score(demo_db, client_id: str):
    """The score of the client's latest stored scorecard with data (what the overview opens on)."""
    (score,) = demo_db.execute(
        "select s.score from plans_scorecardsnapshot s join plans_plan p on p.id = s.plan_id"
        " where s.client_id = ? and p.status = 'active' and s.score is not null"
        " order by s.period_start desc limit 1",
        [uuid.UUID(client_id).hex],
    ).fetchone()
    return score


def test_a_viewer_reads_the_overview_a_kpi_chart_and_the_funnel_in_both_languages(
    visit, demo_ids, demo_db
):
    sakura = demo_ids["sakura-cafe"]
    page = visit.page

    visit.sign_in(VIEWER)

    # A client user with one client lands on its overview.
    assert page.url == f"{visit.base}/portal/{sakura}/"
    expected = display.count(latest_score(demo_db, sakura), "en").text
    assert page.inner_text("[data-score]") == expected
    assert page.locator(".kgi [data-status]").count() >= 1  # each KGI's status, as a word
    assert visit.accessibility_problems() == []
    visit.photograph("portal-overview-en")

    page.click(".kgi h3 a")
    page.wait_for_load_state()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    drawn = page.evaluate(
        """() => {
            const canvas = document.querySelector("canvas[data-chart='kpi']");
            return Boolean(Chart.getChart(canvas)) && canvas.width > 0 && canvas.height > 0
                && canvas.toDataURL().length > 10000;
        }"""
    )
    assert drawn, "the KPI chart was not drawn"
    assert "Period by period" in visit.text()
    assert visit.accessibility_problems() == []
    visit.photograph("portal-kpi-en")

    with page.expect_navigation():
        page.select_option("#language", "ja")  # the switch submits itself
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "期間ごとの数値" in visit.text()
    assert "万円" in visit.text()
    visit.photograph("portal-kpi-ja")

    page.click(".portal-nav a[href*='/funnel/']")
    page.wait_for_load_state()
    bottleneck = page.locator(".funnel-stage.is-bottleneck")
    assert bottleneck.count() == 1
    assert "ボトルネック" in bottleneck.inner_text()
    assert visit.accessibility_problems() == []
    visit.photograph("portal-funnel-ja")

    for name in ("overview", "tree", "milestones"):
        path = "" if name == "overview" else f"{name}/"
        visit.open(f"/portal/{sakura}/{path}")
        assert visit.accessibility_problems() == [], name
        visit.photograph(f"portal-{name}-ja")
    assert "概要" in visit.text("nav.portal-nav")  # the language stuck across pages
    assert visit.csp_violations == []


def test_an_editor_answers_a_diagnostic_submits_it_and_reads_the_result(visit, demo_ids):
    hikari = demo_ids["hikari-growth"]
    page = visit.page
    visit.sign_in(EDITOR)
    visit.open(f"/portal/{hikari}/diagnostics/")

    page.click(".inline-form button[type=submit]")  # start the quick check
    page.wait_for_load_state()
    assert visit.accessibility_problems() == []
    visit.photograph("portal-diagnostic-questions-en")
    first = page.locator("fieldset.question").first
    first.locator("input[type=radio]").nth(3).check()
    first.locator(".answer-status").get_by_text("Saved").wait_for()  # saved as it changed
    assert page.get_attribute("#answered", "value") == "1"  # and counted at once

    visit.answer_every_section("Owners of small shops in Kansai")
    page.click(".submit-form button[type=submit]")
    page.wait_for_load_state()

    # Scored in-process (the demo has no broker): the result is there.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    assert "Result" in visit.text()
    assert "Level" in visit.text()
    assert page.evaluate(
        "() => Boolean(Chart.getChart(document.querySelector(\"canvas[data-chart='sections']\")))"
    )
    assert visit.accessibility_problems() == []
    visit.photograph("portal-diagnostic-result-en")
    assert visit.csp_violations == []


def test_an_editor_recomputes_and_sees_the_job_finish(visit, demo_ids):
    visit.sign_in(EDITOR)

    visit.page.click("form.recompute button")
    visit.page.wait_for_load_state()

    assert visit.page.locator("[data-job='succeeded']").count() == 1
    assert "The figures on this page are the new ones" in visit.text()


def test_the_monthly_report_prints_on_a4_with_no_empty_or_cut_page(visit, demo_ids, demo_db):
    sakura = demo_ids["sakura-cafe"]
    visit.sign_in(VIEWER)
    month = visit.page.input_value("#period")
    visit.open(f"/portal/{sakura}/report/{month}/")
    assert visit.accessibility_problems() == []
    visit.photograph("portal-report-en")
    names = [
        name
        for (name,) in demo_db.execute(
            "select m.name from plans_kpinode k join metrics_metric m on m.id = k.metric_id"
            " join plans_plan p on p.id = k.plan_id"
            " where p.client_id = ? and p.status = 'active'",
            [uuid.UUID(sakura).hex],
        )
    ]

    pdf = PdfReader(io.BytesIO(visit.page.pdf(format="A4", print_background=True)))

    texts = [" ".join((sheet.extract_text() or "").split()) for sheet in pdf.pages]
    assert 1 <= len(texts) <= 3
    assert all(texts), "a printed page is empty"
    whole = " ".join(texts)
    assert "Back to the portal" not in whole  # the screen's tools are not printed
    assert [name for name in names if name not in whole] == []  # every KPI made it to paper
    assert "Waypoint ·" in texts[-1]  # the footer closes the last page: nothing was cut


def test_an_owner_picks_among_the_clients(visit, demo_ids):
    visit.sign_in("owner@demo.waypoint.test")
    assert visit.page.url.endswith("/admin/")  # consultancy members land in the admin

    visit.open("/portal/")

    assert visit.page.locator(".picker-item").count() == len(demo_ids)
    assert visit.page.locator(".picker-item [data-health]").count() == len(demo_ids)
    assert visit.accessibility_problems() == []


def test_a_viewer_moves_a_driver_in_the_what_if_and_sees_revenue_follow(visit, demo_ids):
    sakura = demo_ids["sakura-cafe"]
    page = visit.page
    visit.sign_in(VIEWER)
    page.click("nav a[href$='/planning/']")
    page.wait_for_load_state()
    assert page.url == f"{visit.base}/portal/{sakura}/planning/"

    def typed(kpi):
        return Decimal(page.input_value(f"[data-lever={kpi}] [data-lever-value]"))

    new, repeat, arpa = typed("new_customers"), typed("repeat_customers"), typed("arpa")
    # Untouched, the outcome is revenue's own actual.
    revenue_now = page.inner_text("[data-kgi=revenue] [data-outcome]")

    # Two steps of 5% to the right: 10% more new customers, everything else as it is.
    slider = page.locator("[data-lever=new_customers] [data-lever-slider]")
    slider.focus()
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(now) => document.querySelector('[data-kgi=revenue] [data-outcome]').innerText !== now",
        arg=revenue_now,
    )
    assert page.inner_text("[data-lever=new_customers] [data-lever-change]") == "+10%"
    moved = typed("new_customers")
    # Moved, revenue is worked out through its formula: (new + repeat) x ARPA.
    assert moved == (new * Decimal("1.1")).quantize(Decimal("0.01")).normalize()
    expected = display.money((moved + repeat) * arpa, "JPY", "en").text
    assert page.inner_text("[data-kgi=revenue] [data-outcome]") == expected
    assert page.locator("[data-saved-scenarios] th[data-column]").count() == 3  # now and two saved
    assert visit.accessibility_problems() == []
    visit.photograph("portal-planning-en")

    with page.expect_navigation():
        page.select_option("#language", "ja")
    page.wait_for_load_state()
    assert "もしも試算" in visit.text()
    assert page.inner_text("[data-kgi=revenue] [data-outcome]").endswith("円")
    visit.photograph("portal-planning-ja")
    assert visit.csp_violations == []
    assert visit.script_errors == []
