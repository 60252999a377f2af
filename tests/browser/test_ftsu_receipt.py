"""A concern and its replies in a real browser: the receipt, /receipt, and the guardian's case page.

The respondent shares a concern through the pages, keeps the receipt shown on the confirmation
page, and reads the guardian's reply at /receipt, with JavaScript on (axe-core checks every page)
and off. The respondent's browser never holds a cookie and never sends data in a URL. The
guardian's side runs in its own browser context (staff pages have a session cookie).
"""

from __future__ import annotations

import json
import os
import subprocess

import pyotp
import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import ROOT, SURVEY_APP, Server
from tests.browser.test_respondent_journey import (  # noqa: F401 (visit is a fixture)
    Visit,
    axe_violations,
    check_page,
    describe,
    finish_checks,
    heading,
    press,
    visit,
)

pytestmark = pytest.mark.browser

CONCERN = "The night manager shouted at me in front of patients and changed my shifts after I complained."
REPLY = "Thank you for raising this. I would like to understand more: which weeks did it happen?"


def _operator(server: Server) -> dict[str, str]:
    """The operator's environment for the server's database (the folder the fixture made)."""
    folder = server.log.parent
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'survey.db'}",
        "SURVEY_KEY_FILE": str(folder / "keys" / "kek.key"),
        "SURVEY_CASE_KEY_FILE": str(folder / "keys" / "case.key"),
    }


def _cli(server: Server, *args: str) -> str:
    result = subprocess.run(
        [SURVEY_APP, *args], env=_operator(server), cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def share_a_concern(visit: Visit, server: Server) -> str:
    page = visit.page
    page.goto(server.landing("lived-experience"))
    press(page, "Start now")
    page.locator("textarea[name='what_happened']").fill(CONCERN)
    press(page, "Continue")
    while not heading(page).endswith("How we may use your words"):
        press(page, "Continue")
    page.locator("label[for='consent_quote-2']").click()
    page.locator("label[for='consent_share']").click()  # Yes, share with the guardian
    press(page, "Continue")
    assert heading(page).endswith("Sharing with the guardian")
    check_page(visit)
    page.locator("label[for='share_unredacted-2']").click()
    page.locator("label[for='urgent']").click()  # urgent: delivered on the worker's next round
    press(page, "Continue")
    press(page, "Submit")
    assert heading(page) == "Your answers have been sent"
    check_page(visit)
    words = page.locator("#receipt-words").inner_text().strip()
    assert len(words.split()) == 7
    assert "We cannot show them again" in page.inner_text("main")
    return words


def open_receipt(visit: Visit, server: Server, words: str) -> Page:
    page = visit.page
    page.goto(f"{server.base_url}/receipt")
    check_page(visit)
    box = page.locator("input[name='receipt']")
    assert box.get_attribute("autocomplete") == "off"
    box.fill(words)
    press(page, "Read replies")
    assert heading(page) == "Your concern"
    check_page(visit)
    return page


@pytest.mark.parametrize("visit", [True, False], ids=["javascript", "no-javascript"], indirect=True)
def test_reply_round_trip(visit: Visit, server: Server, browser: Browser) -> None:
    words = share_a_concern(visit, server)
    # Before the worker's next round the concern has not reached the guardian; the page says it may not have.
    page = visit.page
    page.goto(f"{server.base_url}/receipt")
    page.locator("input[name='receipt']").fill(words)
    press(page, "Read replies")
    assert "may not have reached the guardian yet" in page.inner_text("main")
    check_page(visit)

    # The worker's round delivers the urgent concern.
    _cli(server, "ftsu", "drop")
    page = open_receipt(visit, server, words)
    assert "The guardian has not replied yet" in page.inner_text("main")

    # A guardian replies, in their own browser.
    email = f"guardian-{'js' if visit.javascript else 'nojs'}@barts.example"
    password = json.loads(_cli(server, "user", "add", "--email", email, "--role", "ftsu", "--org", "barts", "--format", "json"))["password"]
    staff = browser.new_context(viewport={"width": 1024, "height": 800}, java_script_enabled=visit.javascript)
    try:
        guardian = staff.new_page()
        guardian.goto(f"{server.base_url}/staff/login")
        guardian.locator("#email").fill(email)
        guardian.locator("#password").fill(password)
        press(guardian, "Sign in")
        # A password alone opens nothing: a guardian sets up the second factor first (issue: staff sign-in).
        guardian.goto(f"{server.base_url}/ftsu")
        assert "/staff/login" in guardian.url
        guardian.goto(f"{server.base_url}/staff/login/enrol")
        assert guardian.locator("#totp-qr svg").is_visible(), "the QR code is drawn"
        if visit.javascript:
            violations = axe_violations(guardian)
            assert not violations, describe(violations)
        secret = guardian.locator("#totp-secret").inner_text().replace(" ", "")
        guardian.locator("#code").fill(pyotp.TOTP(secret).now())
        press(guardian, "Continue")
        assert guardian.locator("#recovery-codes li").count() == 10
        guardian.goto(f"{server.base_url}/ftsu")
        assert "Urgent" in guardian.inner_text("main")
        # On a phone the case list reflows: nothing wider than the screen (WCAG 1.4.10).
        guardian.set_viewport_size({"width": 320, "height": 640})
        assert guardian.evaluate("document.documentElement.scrollWidth") <= 320
        assert "Due by" in guardian.inner_text("main")
        if visit.javascript:
            violations = axe_violations(guardian)
            assert not violations, describe(violations)
        guardian.set_viewport_size({"width": 1024, "height": 800})
        link = guardian.locator(".app-case-list a[href^='/ftsu/cases/']").first
        with guardian.expect_navigation():
            link.click()
        assert "shouted at me in front of patients" in guardian.inner_text("main")
        if visit.javascript:
            violations = axe_violations(guardian)
            assert not violations, describe(violations)
        guardian.locator("textarea[name='message']").fill(REPLY)
        press(guardian, "Send reply")
        assert REPLY in guardian.inner_text("main")
    finally:
        staff.close()

    page = open_receipt(visit, server, words)
    assert REPLY in page.inner_text("main")
    page.locator("textarea[name='message']").fill("It was the first two weeks of March.")
    press(page, "Send message")
    assert "Your message has been sent to the guardian." in page.inner_text("main")
    check_page(visit)
    finish_checks(visit, server)


def test_receipt_requests_are_not_logged(server: Server) -> None:
    log = server.log.read_text(errors="replace")
    assert "/receipt" not in log, log

