"""The phone's Back gesture on survey pages, in a real browser at 320 px.

With JavaScript each page adds a history entry of its own, so the browser's Back posts the page's
Back link and every answer is kept, instead of Chrome's "Confirm Form Resubmission". Without
JavaScript the pages stay uncached (a shared device must not show someone's answers), and the
landing page tells people to use the Back link.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def _heading(page: Page) -> str:
    return " ".join(page.locator("h1").first.inner_text().split())


def _start(page: Page, server: Server) -> None:
    page.goto(server.landing("bank-temporary-workers"))
    with page.expect_navigation():
        page.get_by_role("button", name="Start now", exact=True).click()


def test_the_back_gesture_returns_to_the_previous_page_with_its_answers(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        _start(page, server)
        first_heading = _heading(page)
        choice = page.locator("form input[type=radio]").first
        page.locator(f"label[for='{choice.get_attribute('id')}']").click()
        chosen = choice.get_attribute("id")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue", exact=True).click()
        assert _heading(page) != first_heading
        # The gesture: the browser's own Back, not the page's link.
        with page.expect_navigation():
            page.go_back()
        page.wait_for_load_state()
        assert _heading(page) == first_heading
        assert page.locator(f"#{chosen}").is_checked(), "the answer given on the page was lost"
        # And forward again works as before, the answer still there.
        with page.expect_navigation():
            page.get_by_role("button", name="Continue", exact=True).click()
        assert _heading(page) != first_heading
    finally:
        context.close()


def test_without_javascript_the_landing_page_explains_the_back_link(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server.landing("bank-temporary-workers"))
        assert "link at the top of the page" in page.inner_text("main")
        _start(page, server)
        back = page.locator("button.nhsuk-back-link")
        assert back.is_visible()
        box = back.bounding_box()
        heading = page.locator("h1").first.bounding_box()
        assert box is not None and heading is not None and box["y"] < heading["y"]
        with page.expect_navigation():
            back.click()
        assert page.get_by_role("button", name="Start now", exact=True).is_visible()
    finally:
        context.close()
