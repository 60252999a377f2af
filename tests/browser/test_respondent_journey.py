"""Respondents in a real browser at 320 px: with JavaScript and without, by mouse and by keyboard.

Every page of every journey is checked for what a respondent cannot see but must be able to trust:
no request leaves 127.0.0.1, no cookie is set, nothing is wider than the screen, and (with
JavaScript on, where axe-core can run) no WCAG 2.2 A/AA violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

from tests.browser.conftest import INSTRUMENTS, ROOT, Server

pytestmark = pytest.mark.browser

AXE_SOURCE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTH = 320
TYPED_TEXT = "It happened on a night shift and nobody listened."
MAX_PAGES = 30


@dataclass
class Visit:
    """One browser context and what it saw."""

    context: BrowserContext
    page: Page
    javascript: bool
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Visit]:
    javascript: bool = request.param
    context = browser.new_context(viewport={"width": WIDTH, "height": 640}, java_script_enabled=javascript)
    page = context.new_page()
    seen = Visit(context, page, javascript)

    def record_request(sent: Request) -> None:
        seen.requests.append(sent.url)

    def record_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    context.on("request", record_request)
    page.on("console", record_console)
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
    try:
        yield seen
    finally:
        context.close()


def axe_violations(page: Page) -> list[dict[str, object]]:
    # Evaluated over the DevTools protocol: a <script> tag would be (rightly) blocked by our CSP.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return list(result["violations"])


def describe(violations: list[dict[str, object]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:  # type: ignore[union-attr]
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '')}")  # type: ignore[index]
    return "\n".join(lines)


def check_page(visit: Visit) -> None:
    """What every page must satisfy, checked as it is shown."""
    page = visit.page
    title = page.title()
    visit.titles.append(title)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{title!r} scrolls sideways at {WIDTH}px: {width}px wide"
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.locator("a.nhsuk-skip-link[href='#maincontent']").count() == 1
    for form in page.locator("form").all():
        assert (form.get_attribute("method") or "").lower() == "post"
    if visit.javascript:
        violations = axe_violations(page)
        assert not violations, f"accessibility problems on {title!r}:\n{describe(violations)}"


def heading(page: Page) -> str:
    return " ".join(page.locator("h1").first.inner_text().split())


def answer_page(page: Page) -> None:
    """First radio of each question, the first checkbox, and some text in every box."""
    names: list[str] = []
    for choice in page.locator("form input[type=radio], form input[type=checkbox]").all():
        name = choice.get_attribute("name") or ""
        if name in names:
            continue
        names.append(name)
        # Click the label, as a person does: NHS.UK draws its own radio over the hidden input.
        page.locator(f"label[for='{choice.get_attribute('id')}']").click()
    for box in page.locator("form textarea").all():
        box.fill(TYPED_TEXT)


def press(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def finish_checks(visit: Visit, server: Server) -> None:
    hosts = {urlparse(url).hostname for url in visit.requests}
    assert hosts == {"127.0.0.1"}, f"requests left the server: {sorted(set(visit.requests))}"
    assert urlparse(server.base_url).port in {urlparse(url).port for url in visit.requests}
    for url in visit.requests:
        assert "?" not in url, f"a URL carried data: {url}"
    assert visit.context.cookies() == []
    assert visit.console_errors == [], "\n".join(visit.console_errors)


@pytest.mark.parametrize("visit", [True, False], ids=["javascript", "no-javascript"], indirect=True)
@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_whole_journey(visit: Visit, server: Server, instrument: str) -> None:
    page = visit.page
    page.goto(server.landing(instrument))
    check_page(visit)
    assert "groups of at least 11 people" in page.inner_text("main")
    press(page, "Start now")

    if instrument == "lived-experience":
        # The one required question, left empty: the error state must be as accessible as the rest.
        press(page, "Continue")
        assert page.title().startswith("Error: ")
        summary = page.locator(".nhsuk-error-summary")
        assert summary.is_visible()
        assert summary.locator("a[href='#what_happened']").count() == 1
        if visit.javascript:
            # NHS.UK's script moves focus to the summary so it is read out first.
            assert page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")
        check_page(visit)

    for _ in range(MAX_PAGES):
        if heading(page) == "Check your answers":
            break
        assert "Page " in heading(page)
        answer_page(page)
        check_page(visit)
        press(page, "Continue")
        assert not page.title().startswith("Error"), f"{heading(page)} refused the answers"
    else:
        pytest.fail("the journey never reached Check your answers")

    check_page(visit)
    assert page.locator(".nhsuk-summary-list").count() >= 1
    press(page, "Submit")
    assert heading(page) == "Your answers have been sent"
    check_page(visit)
    text = page.inner_text("main")
    for help_now in ("999", "NHS 111", "Samaritans", "116 123"):
        assert help_now in text
    finish_checks(visit, server)


def _focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            return {tag: element.tagName, type: element.type || '', name: element.name || '',
                    value: element.value || '', id: element.id || '', text: element.innerText || ''};
        }"""
    )


def keyboard_page(page: Page) -> None:
    """Fill a page with Tab, Space and typing only, then press Enter on Continue."""
    answered: set[str] = set()
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["tag"] == "INPUT" and focused["type"] in ("radio", "checkbox"):
            if focused["name"] not in answered:
                page.keyboard.press("Space")
                answered.add(focused["name"])
        elif focused["tag"] == "TEXTAREA" and focused["name"] not in answered and not focused["value"]:
            # A box that already holds the words (the consent page's edit box) is left as it is.
            page.keyboard.type(TYPED_TEXT)
            answered.add(focused["name"])
        elif focused["tag"] == "BUTTON" and focused["value"] in ("continue", "start", "submit"):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    pytest.fail(f"could not reach the button on {heading(page)!r} with the keyboard")


@pytest.mark.parametrize("visit", [True], ids=["javascript"], indirect=True)
def test_keyboard_only_journey(visit: Visit, server: Server) -> None:
    page = visit.page
    page.goto(server.landing("lived-experience"))
    # The first Tab reaches the skip link, and following it moves focus into the page's content.
    page.keyboard.press("Tab")
    assert _focused(page)["text"].strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "maincontent"
    keyboard_page(page)  # Start now
    for _ in range(MAX_PAGES):
        if heading(page) == "Check your answers":
            break
        keyboard_page(page)
        assert not page.title().startswith("Error"), heading(page)
    keyboard_page(page)  # Submit
    assert heading(page) == "Your answers have been sent"
    finish_checks(visit, server)


@pytest.mark.parametrize("visit", [False], ids=["no-javascript"], indirect=True)
def test_routing_without_javascript(visit: Visit, server: Server) -> None:
    """Answering No to q16a and q16b hides q16c on the next page; Yes shows it."""
    page = visit.page
    page.goto(server.landing("nhs-staff-survey"))
    press(page, "Start now")
    for _ in range(MAX_PAGES):
        if heading(page).endswith("Fairness and discrimination"):
            break
        press(page, "Continue")
    page.locator("label[for='q16a-2']").click()
    page.locator("label[for='q16b-2']").click()
    press(page, "Continue")
    assert page.locator("input[name='q16c']").count() == 0
    press(page, "Back")
    page.locator("label[for='q16b']").click()  # Yes
    press(page, "Continue")
    assert page.locator("input[name='q16c']").count() == 10
    check_page(visit)
    finish_checks(visit, server)


def test_no_request_is_logged(server: Server) -> None:
    """Runs after the journeys above, against the same server: no request may leave a log line."""
    log = server.log.read_text(errors="replace")
    for method in ("GET", "POST"):
        assert f"{method} /s/" not in log, log
