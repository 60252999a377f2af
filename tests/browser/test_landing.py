"""The landing page on a phone: Start is reached within two screens, and the details are one tap away."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import INSTRUMENTS, Server

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 320, 568  # a small phone


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_start_is_within_two_phone_screens(browser: Browser, server: Server, instrument: str) -> None:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        page.goto(server.landing(instrument))
        start = page.get_by_role("button", name="Start now", exact=True).bounding_box()
        assert start is not None
        bottom = start["y"] + start["height"]
        print(f"{instrument}: Start ends {bottom:.0f} px down at {WIDTH} px wide")
        assert bottom <= 2 * HEIGHT, f"Start is {bottom:.0f} px down, more than two {HEIGHT} px screens"
        # The protections are one tap away, not gone.
        details = page.locator("details", has_text="How your answers are protected")
        assert not details.locator("li").first.is_visible()
        details.locator("summary").click()
        assert "IP address" in details.inner_text()
    finally:
        context.close()
