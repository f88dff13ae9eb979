"""The browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``; `make test`
installs it with apt when it is missing, and no browser is ever downloaded) against the demo as
`make serve` serves it (``served_demo``). Each test signs in as a person of the demo and does
what that person would do; every page is checked with axe-core (vendored here, for tests only)
and photographed under var/screenshots/ (ignored by git)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.helpers import ROOT

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling home, which this machine's
# closed network refuses, many times a second.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "waypoint-demo"


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """One person's browser on the demo site, and what it noticed on the way."""

    page: Page
    base: str
    csp_violations: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state()

    def sign_in(self, email: str) -> None:
        self.open("/accounts/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main form button[type=submit]")
        self.page.wait_for_load_state()

    def accessibility_problems(self) -> list[str]:
        """axe-core's serious and critical violations on the page, as 'rule: element' lines."""
        self.page.evaluate(AXE)
        return self.page.evaluate(
            """async () => {
                const result = await axe.run(document);
                return result.violations
                    .filter((v) => v.impact === "serious" || v.impact === "critical")
                    .flatMap((v) => v.nodes.map((n) => v.id + ": " + n.target.join(" ")));
            }"""
        )

    def photograph(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def answer_every_section(self, text_answer: str) -> None:
        """Answer a diagnostic's questions section by section, the second-best choice each
        (numbers 6, free text ``text_answer``), saving each section as a person would."""
        page = self.page
        for _section in range(10):
            for question in page.locator("fieldset.question").all():
                choices = question.locator("input[type=radio]")
                if choices.count():
                    choices.nth(choices.count() - 2).check()
                elif question.locator("input[type=number]").count():
                    question.locator("input[type=number]").fill("6")
                else:
                    question.locator("textarea").fill(text_answer)
            following = page.locator("button[name=next_section]")
            if not following.count():
                page.click(".step-buttons button[type=submit]")  # save the last section
                page.wait_for_load_state()
                return
            following.click()
            page.wait_for_load_state()

    def text(self, selector: str = "main") -> str:
        return " ".join(self.page.inner_text(selector).split())


@pytest.fixture
def visit(chromium, served_demo):
    """A fresh browser context in English (``visit.page.context`` can be closed early)."""
    base, _env, _printed = served_demo
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    found = Visit(page, base)
    page.on(
        "console",
        lambda message: (
            found.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: found.script_errors.append(str(error)))
    yield found
    context.close()


@pytest.fixture(scope="session")
def demo_ids(served_demo) -> dict[str, str]:
    """The demo clients' ids by slug, as load_demo printed them."""
    _base, _env, printed = served_demo
    return dict(
        (slug, client_id)
        for client_id, slug in re.findall(r"^\s+([0-9a-f-]{36})\s+(\S+)", printed, re.M)
    )


@pytest.fixture
def demo_db(demo_site):
    """The demo's SQLite file, to read the stored numbers a page must show."""
    _env, var_dir, _printed = demo_site
    with sqlite3.connect(var_dir / "waypoint.sqlite3") as connection:
        yield connection
