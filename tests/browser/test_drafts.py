"""Save and come back later in a real browser at 320 px, with JavaScript on and off: the saved page
shows the code, the resume page takes it back on a fresh browser, and both are axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import Server
from tests.browser.test_respondent_journey import axe_violations, describe

pytestmark = pytest.mark.browser


def _press(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_save_then_resume_in_another_browser(browser: Browser, server: Server, javascript: bool) -> None:
    phone = {"viewport": {"width": 320, "height": 640}, "java_script_enabled": javascript}
    first = browser.new_context(**phone)
    page = first.new_page()
    try:
        page.goto(server.landing("lived-experience"))
        _press(page, "Start now")
        page.locator("textarea").first.fill("Written on a break, before the bleep went.")
        _press(page, "Save and come back later")
        assert page.locator("h1").inner_text() == "Your answers are saved"
        code = page.locator("#resume-code").inner_text().strip()
        assert len(code.split()) == 7
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        if javascript:
            violations = axe_violations(page)
            assert not violations, describe(violations)
    finally:
        first.close()
    second = browser.new_context(**phone)
    page = second.new_page()
    try:
        page.goto(server.landing("lived-experience"))
        page.get_by_role("link", name="Continue with your code").click()
        page.wait_for_load_state()
        assert "Continue with your saved answers" in page.locator("h1").inner_text()
        if javascript:
            violations = axe_violations(page)
            assert not violations, describe(violations)
        page.get_by_label("Your code").fill("not the right words at all here")
        _press(page, "Continue")
        assert page.locator(".nhsuk-error-summary").is_visible()
        page.get_by_label("Your code").fill(code)
        _press(page, "Continue")
        assert "What happened" in page.locator("h1").inner_text()
        assert page.locator("textarea").first.input_value() == "Written on a break, before the bleep went."
    finally:
        second.close()
