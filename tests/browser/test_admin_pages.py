"""The administration page in a real browser at 320 px with JavaScript off and on: sign in with the
second factor, change a headcount with a plain form, axe-clean, nothing wider than the screen."""

from __future__ import annotations

import json

import pyotp
import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import Server
from tests.browser.test_ftsu_receipt import _cli
from tests.browser.test_respondent_journey import axe_violations, describe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_administrator_changes_a_headcount_at_320px(browser: Browser, server: Server, javascript: bool) -> None:
    email = f"admin-{'js' if javascript else 'nojs'}@barts.example"
    password = json.loads(_cli(server, "user", "add", "--email", email, "--role", "admin", "--org", "barts", "--format", "json"))["password"]
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(f"{server.base_url}/staff/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.locator("#code").fill(pyotp.TOTP(secret).now())
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        page.goto(f"{server.base_url}/admin")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        if javascript:
            violations = axe_violations(page)
            assert not violations, describe(violations)
        field = page.locator("#org-barts")
        field.fill("21500")
        with page.expect_navigation():
            page.get_by_role("button", name="Save headcount of Barts Health").click()
        assert "21,500" in page.locator("#admin-message").inner_text()
        if javascript:
            violations = axe_violations(page)
            assert not violations, describe(violations)
    finally:
        context.close()
