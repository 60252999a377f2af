"""Another website posts into the survey from a real browser: refused, with JavaScript on and off.

The hostile page is served by Playwright at http://attacker.test (nothing leaves the machine); its form
posts Start with a token of its choosing to the survey on 127.0.0.1, as the attack in issue 15 did.
Chromium marks the request `Sec-Fetch-Site: cross-site`; the survey answers with a plain page and keeps
nothing. The same browser, on the survey's own pages, is unaffected (tests/browser/test_respondent_journey.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Route

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser

CHOSEN = "attacker-chosen-token-0123456789"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_form_posted_from_another_site_is_refused(browser: Browser, server: Server, javascript: bool) -> None:
    target = server.landing("lived-experience")
    hostile = f"""<!doctype html><html lang="en"><title>Win a prize</title><body>
      <form method="post" action="{target}">
        <input type="hidden" name="_action" value="start">
        <input type="hidden" name="_submission" value="{CHOSEN}">
        <button id="go">Claim your prize</button>
      </form></body></html>"""
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()

        def serve_hostile(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html", body=hostile)

        page.route("http://attacker.test/**", serve_hostile)
        page.goto("http://attacker.test/prize")
        with page.expect_navigation():
            page.click("#go")
        assert page.url.startswith(target)
        text = page.inner_text("body")
        assert "This form was sent from another website" in text
        assert CHOSEN not in page.content()
        assert context.cookies() == []
        # The respondent who then opens the link themselves starts normally.
        page.goto(target)
        with page.expect_navigation():
            page.click("button[value=start]")
        assert "another website" not in page.inner_text("body")
        assert CHOSEN not in page.content()
    finally:
        context.close()
