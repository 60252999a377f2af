"""The EDI dashboard in a real browser: overview, an indicator page and the board report, at desktop
width and at 320 px, signed in through the staff form.

Each page is scanned with axe-core (WCAG 2.2 A/AA), must not scroll sideways, must draw its charts,
and no request may leave 127.0.0.1. The board report is also checked as printed (print media).
The wave is built and released in this process (it holds the key-encryption key); the server runs
without it, as in production.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page

from survey_app.config import Settings
from survey_app.keys import write_secret_file
from survey_app.storage.database import engine_for, upgrade
from survey_app.wave_names import long_date

from tests.browser.conftest import ROOT, running_server
from tests.survey_app import released_wave as rw

pytestmark = pytest.mark.browser

AXE_SOURCE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BANK_SURVEY = "Survey of bank, agency, locum and temporary workers"
# A4 at the CSS pixel density of print (96 px per inch), less the report's 12 mm page margins.
A4_WIDTH, A4_HEIGHT, A4_MARGIN = 794, 1123, 45
PAGES = {
    "overview": (f"/edi/waves/{rw.WAVE}", "Workforce Race Equality Standard indicators", 4),
    "indicator": (f"/edi/waves/{rw.WAVE}/indicators/wres6", "Indicator 6: Harassment, bullying or abuse from staff", 6),
    "report": (f"/edi/waves/{rw.WAVE}/report", "Workforce race equality: staff survey results for the board", 12),
}


@dataclass(frozen=True)
class DashboardServer:
    base_url: str


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    folder = tmp_path_factory.mktemp("dashboard-browser")
    url = f"sqlite:///{folder / 'survey.db'}"
    kek, case = folder / "keys" / "kek.key", folder / "keys" / "case.key"
    write_secret_file(kek)
    write_secret_file(case)
    upgrade(url)
    rw.build(Settings(database_url=url, key_file=kek, case_key_file=case))
    engine_for(url).dispose()
    web = {name: value for name, value in os.environ.items() if name != "SURVEY_KEY_FILE"}
    web.update(DATABASE_URL=url, SURVEY_CASE_KEY_FILE=str(case))
    # Run from the temporary folder, so staff sessions (files under ./var) stay there.
    with running_server(web, folder, cwd=folder) as base_url:
        yield DashboardServer(base_url)


def axe_violations(page: Page) -> list[dict[str, object]]:
    # Evaluated over the DevTools protocol: a <script> tag would be (rightly) blocked by the CSP.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return list(result["violations"])


def describe(violations: list[dict[str, object]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:  # type: ignore[index]
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '')}")  # type: ignore[index]
    return "\n".join(lines)


def sign_in_as_edi_lead(page: Page, base: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("input[name=email]", rw.EMAILS["edi"])
    page.fill("input[name=password]", rw.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("width", [1024, 320])
def test_dashboard_pages_in_a_browser(browser: Browser, dashboard_server: DashboardServer, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda sent: requests.append(sent.url))
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        base = dashboard_server.base_url
        sign_in_as_edi_lead(page, base)
        assert page.url == f"{base}/staff"
        with page.expect_navigation():  # waves are named by survey title and dates, not by slug
            current = re.compile(rf"^{BANK_SURVEY}\s*, opened {long_date(dt.date.today())}$")
            page.get_by_role("link", name=current).click()
        for name, (path, heading, charts) in PAGES.items():
            if page.url != base + path:
                page.goto(base + path)
            assert " ".join(page.locator("h1").first.inner_text().split()) == heading, name
            assert page.locator("svg.app-chart[role=img]").count() == charts, name
            assert page.locator("strong.app-withheld", has_text="fewer than 11 responses").count() > 0, name
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{name} scrolls sideways at {width}px: {scroll_width}px wide"
            violations = axe_violations(page)
            assert not violations, f"accessibility problems on {name} at {width}px:\n{describe(violations)}"
        # Printed, the report drops the service's header and sign-out bar, and keeps its charts.
        page.emulate_media(media="print")
        assert page.locator("header.nhsuk-header").is_hidden()
        assert page.locator("form[action='/staff/logout']").is_hidden()
        assert page.locator("svg.app-chart").first.is_visible()
        page.emulate_media(media="screen")
        # The overview's links lead to an indicator page without JavaScript help.
        page.goto(f"{base}{PAGES['overview'][0]}")
        with page.expect_navigation():
            page.get_by_role("link", name="Indicator 8 by every breakdown").click()
        assert page.url.endswith("/indicators/wres8")
    finally:
        context.close()
    assert not errors, errors
    outside = [url for url in requests if urlparse(url).hostname != "127.0.0.1"]
    assert not outside, f"requests left 127.0.0.1: {outside}"


def test_dashboard_works_without_javascript(browser: Browser, dashboard_server: DashboardServer) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        base = dashboard_server.base_url
        sign_in_as_edi_lead(page, base)
        for name, (path, heading, charts) in PAGES.items():
            page.goto(base + path)
            assert " ".join(page.locator("h1").first.inner_text().split()) == heading, name
            assert page.locator("svg.app-chart").count() == charts, name
            assert page.locator("table.app-figures-table").count() >= charts, name
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, name
        with page.expect_download() as download:
            page.goto(f"{base}{PAGES['overview'][0]}")
            page.get_by_role("link", name="CSV by way of working").click()
        assert download.value.suggested_filename == f"{rw.WAVE}-indicators-worker_type-release-1.csv"
    finally:
        context.close()


def test_board_report_first_page_fits_a4(browser: Browser, dashboard_server: DashboardServer, tmp_path: Path) -> None:
    """Printed, the board report's summary (facts, the four indicators, the guide) is its first A4 page."""
    context = browser.new_context(viewport={"width": A4_WIDTH - 2 * A4_MARGIN, "height": A4_HEIGHT - 2 * A4_MARGIN})
    page = context.new_page()
    try:
        base = dashboard_server.base_url
        sign_in_as_edi_lead(page, base)
        page.goto(f"{base}{PAGES['report'][0]}")
        page.emulate_media(media="print")
        summary = page.locator("section.app-report__summary")
        assert summary.locator("table tbody tr").count() == 4
        assert summary.get_by_text("How to read these figures").is_visible()
        box = summary.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= A4_HEIGHT - 2 * A4_MARGIN, f"the summary runs past page 1: {box}"
        # The first detail section starts a new page.
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.app-report__section')).breakBefore"
        ) == "page"
        page.screenshot(path=str(tmp_path / "board-report-page-1.png"), full_page=False)
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF")
        (tmp_path / "board-report.pdf").write_bytes(pdf)
        violations = axe_violations(page)
        assert not violations, f"accessibility problems on the printed board report:\n{describe(violations)}"
    finally:
        context.close()
