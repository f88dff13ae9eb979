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


def stored_must(demo_db, client_id: str, key: str) -> Decimal:
    (must,) = demo_db.execute(
        "select k.must from plans_kpinode k join plans_plan p on p.id = k.plan_id"
        " where p.client_id = ? and p.status = 'active' and k.key = ?",
        [uuid.UUID(client_id).hex, key],
    ).fetchone()
    return Decimal(str(must))


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
