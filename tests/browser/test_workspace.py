"""The consultants' workspace in a real browser, as a consultant uses it before a client meeting:
the portfolio, a client's hub, a target changed in the plan editor, a recompute seen to finish,
a diagnostic answered with the client; then the same pages in Japanese, with no English label
left on them."""

import re
import uuid
from decimal import Decimal

import pytest

pytestmark = pytest.mark.slow
CONSULTANT = "consultant@demo.waypoint.test"  # assigned to Nimbus Cloud only


def stored_target(demo_db, client_id: str, key: str, level: str = "must") -> Decimal:
    (value,) = demo_db.execute(
        f"select k.{level} from plans_kpinode k join plans_plan p on p.id = k.plan_id"  # noqa: S608 - must or stretch
        " where p.client_id = ? and p.status = 'active' and k.key = ?",
        [uuid.UUID(client_id).hex, key],
    ).fetchone()
    return Decimal(str(value))


def stored_must(demo_db, client_id: str, key: str) -> Decimal:
    return stored_target(demo_db, client_id, key, "must")


def test_a_consultant_runs_the_engagement_from_the_admin(visit, demo_ids, demo_db, tmp_path):
    nimbus = demo_ids["nimbus-saas"]
    page = visit.page

    visit.sign_in(CONSULTANT)

    # The portfolio is the home, holding the one client this consultant may see.
    assert page.url == f"{visit.base}/admin/"
    rows = page.locator("table.ws-table tbody tr")
    assert rows.count() == 1
    assert "Nimbus Cloud" in rows.first.inner_text()
    assert visit.accessibility_problems() == []
    visit.photograph("workspace-portfolio-en")

    page.click("table.ws-table tbody th a")  # the client's hub
    page.wait_for_load_state()
    assert page.url.startswith(f"{visit.base}/admin/clients/{nimbus}/hub/")
    assert "KPI tree" in visit.text("#content")
    assert visit.accessibility_problems() == []
    visit.photograph("workspace-hub-en")

    # A target changed in the plan editor: the paying customers' must, 30 → 32.
    page.click("a[href$='/editor/']")
    page.wait_for_load_state()

    def card(key):
        return page.locator("fieldset.pe-kpi", has=page.locator(f"input.pe-key[value='{key}']"))

    assert card("mrr").locator(".pe-field-must .pe-before").inner_text() == "¥"  # its unit
    card("paying_customers").locator("input[name$='-must']").fill("32")
    assert visit.accessibility_problems() == []
    visit.photograph("workspace-plan-editor-en")
    page.click("#plan-editor button[type=submit]")
    page.wait_for_load_state()
    assert "were saved" in visit.text("body")
    assert stored_must(demo_db, nimbus, "paying_customers") == Decimal(32)

    # Figures imported from the hub: chosen, previewed line by line, then written.
    visit.open(f"/admin/clients/{nimbus}/hub/")
    page.click("a[href*='/admin/metrics/measurement/import/']")
    page.wait_for_load_state()
    figures = tmp_path / "october.csv"
    figures.write_text("metric,period,value\npaying_customers,2026-10,33\n")
    page.set_input_files("input[type=file]", str(figures))
    page.click(".import-upload button[type=submit]")
    page.wait_for_load_state()
    assert "Paying customers" in visit.text("#preview")
    assert visit.accessibility_problems() == []
    visit.photograph("workspace-import-preview-en")
    page.click("button[name=commit]")
    page.wait_for_load_state()
    assert page.url.startswith(f"{visit.base}/admin/clients/{nimbus}/hub/")

    # A recompute from the hub, seen to finish (the demo runs its jobs in-process).
    page.click("button[data-recompute]")
    page.wait_for_load_state()
    assert page.locator("[data-job='succeeded']").count() == 1

    # A diagnostic answered with the client, then its result.
    page.click(f"a[href='/admin/clients/{nimbus}/diagnostics/']")
    page.wait_for_load_state()
    page.click(".ws-diagnostics button[type=submit]")  # start the quick check
    page.wait_for_load_state()
    first = page.locator("fieldset.question").first
    first.locator("input[type=radio]").nth(3).check()
    first.locator(".answer-status").get_by_text("Saved").wait_for()  # saved as it changed
    assert visit.accessibility_problems() == []
    visit.photograph("workspace-diagnostic-questions-en")
    visit.answer_every_section("Finance teams of mid-sized firms")
    page.click(".submit-form button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    assert re.search(r"Level [1-5] of 5", visit.text("#content"))
    assert visit.accessibility_problems() == []
    visit.photograph("workspace-diagnostic-result-en")
    assert visit.csp_violations == []
    assert visit.script_errors == []


# Words on these pages that are data, not labels: the client, its industry and plan, the
# signed-in person, the name commands write under in the audit log, the product's name.
# And the language switch's "English", which names the other language in its own.
DATA = {"Nimbus", "Cloud", "Software", "BtoB", "SaaS", "Demo", "Consultant", "Consulting", "system"}
DATA.add("Waypoint")
DATA.add("English")
# The page's words as a reader sees them: the theme's icons are ligatures ("dashboard") in a
# font, not words, so they are left out.
WORDS_ON_PAGE = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll(".material-symbols-outlined, script, style, template")
        .forEach((node) => node.remove());
    document.documentElement.appendChild(body);
    const text = body.innerText;
    body.remove();
    return text;
}"""


def english_labels(text: str) -> list[str]:
    """The English words left on a Japanese page once data is taken out: e-mail addresses,
    metric keys (shown in brackets after a metric's name), codes in capitals (MRR, KPI, CSV)."""
    text = re.sub(r"\S+@\S+|\w+\.py\b", " ", text)
    keys = set(re.findall(r"\(([a-z0-9_]+)\)", text))
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_']+", text))
    return sorted(
        word
        for word in words - DATA - keys
        if not re.fullmatch(r"[A-Z0-9]{2,}|Excel|[a-z0-9]+_[a-z0-9_]+", word)
    )


def test_the_workspace_in_japanese_has_no_english_label(visit, demo_ids):
    nimbus = demo_ids["nimbus-saas"]
    page = visit.page
    visit.sign_in(CONSULTANT)

    with page.expect_navigation():
        page.click(".ws-language button[value='ja']")  # the header's switch
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"

    pages = {
        "portfolio": "/admin/",
        "hub": f"/admin/clients/{nimbus}/hub/",
        "diagnostics": f"/admin/clients/{nimbus}/diagnostics/",
        "planning": f"/admin/clients/{nimbus}/planning/",
        "clients": "/admin/clients/client/",
        "scorecards": "/admin/plans/scorecardsnapshot/",
        "jobs": "/admin/clients/job/",
    }
    plan = page.locator("a[href*='/admin/plans/plan/'][href$='/editor/']")
    visit.open(pages["hub"])
    pages["plan editor"] = plan.first.get_attribute("href")
    for name, path in pages.items():
        visit.open(path)
        found = english_labels(page.evaluate(WORDS_ON_PAGE))
        assert found == [], (name, found)
        visit.photograph(f"workspace-{name.replace(' ', '-')}-ja")
    assert visit.csp_violations == []
    assert visit.script_errors == []


def test_a_consultant_walks_an_mrr_target_down_to_paying_customers_and_applies_it(
    visit, demo_ids, demo_db
):
    nimbus = demo_ids["nimbus-saas"]
    page = visit.page
    visit.sign_in(CONSULTANT)
    visit.open(f"/admin/clients/{nimbus}/hub/")

    page.click("a[href$='/planning/']")
    page.wait_for_load_state()
    page.select_option("select[name=kpi]", "mrr")
    page.fill("input[name=target]", "2000000")
    page.click("#solve form button[type=submit]")
    page.wait_for_load_state()
    assert "For MRR to reach ¥2,000,000" in visit.text("#solve")
    arpa_now = Decimal(
        page.inner_text("tr[data-driver=arpa] td.r >> nth=0").replace("¥", "").replace(",", "")
    )
    # ARPA held where it is: MRR 2,000,000 needs 2,000,000 / ARPA paying companies.
    needed = Decimal(2_000_000) / arpa_now
    shown = page.inner_text("tr[data-driver=paying_customers] [data-required]")
    assert shown == f"{needed:,.1f}".rstrip("0").rstrip(".")
    assert visit.accessibility_problems() == []

    page.click("tr[data-driver=paying_customers] a")
    page.wait_for_load_state()
    assert page.locator("tr[data-driver=paying_customers][data-chosen]").count() == 1
    visit.photograph("workspace-planning-en")
    must_before = stored_must(demo_db, nimbus, "mrr")

    # 2,000,000 is above MRR's stretch: as a must it is refused, named by the KPI, and nothing
    # is written.
    page.click("[data-apply] button[value=must]")
    page.wait_for_load_state()
    assert "MRR (stretch): is easier than must" in visit.text("body")
    assert stored_must(demo_db, nimbus, "mrr") == must_before

    page.click("[data-apply] button[value=stretch]")
    page.wait_for_load_state()
    assert "Saved as the stretch targets of 2 KPIs" in visit.text("body")
    assert stored_target(demo_db, nimbus, "mrr", "stretch") == Decimal(2_000_000)
    assert stored_target(demo_db, nimbus, "paying_customers", "stretch") == needed.quantize(
        Decimal("0.000001")
    )
    assert visit.csp_violations == []
    assert visit.script_errors == []
