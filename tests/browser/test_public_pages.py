"""The root, a mistyped address and the accessibility statement in a real browser at 320 px: titled,
in English, axe-clean, nothing wider than the screen; "Exit this page" leaves and Back does not return."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import Server
from tests.browser.test_respondent_journey import axe_violations, describe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/no/such/page", "/accessibility"])
def test_public_pages_are_real_pages(browser: Browser, server: Server, path: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(server.base_url + path)
        assert page.title() and page.locator("html").get_attribute("lang") == "en-GB"
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        violations = axe_violations(page)
        assert not violations, describe(violations)
        assert page.locator("footer a[href='/accessibility']").count() == 1
    finally:
        context.close()


def test_exit_this_page_replaces_the_page(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    # Nothing leaves this machine in tests: the exit target is answered here.
    page.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(status=200, body="<title>Weather</title>", content_type="text/html"))
    try:
        page.goto(server.base_url + "/")
        page.goto(server.landing("lived-experience"))
        violations = axe_violations(page)
        assert not violations, describe(violations)
        with page.expect_navigation():
            page.locator("#exit-this-page").click()
        assert "bbc.co.uk" in page.url
        page.go_back()
        assert page.url.rstrip("/") == server.base_url, "Back went to the survey page it left"
    finally:
        context.close()
