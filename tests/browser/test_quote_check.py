"""The consent page's quote check in a real browser at 320 px, with JavaScript and without: a kept word that
might be a name is marked, ticking it removes it, and the page shows the new version before going on."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Server
from tests.browser.test_respondent_journey import (  # noqa: F401 - the visit fixture
    Visit,
    check_page,
    finish_checks,
    heading,
    press,
    visit,
)

pytestmark = pytest.mark.browser

STORY = "The Skipper shouted at me on the night shift and Kwame Boateng just watched."
CONSENT = "How we may use your words"


@pytest.mark.parametrize("visit", [True, False], ids=["javascript", "no-javascript"], indirect=True)
def test_respondent_removes_a_word_before_agreeing(visit: Visit, server: Server) -> None:
    page = visit.page
    page.goto(server.landing("lived-experience"))
    press(page, "Start now")
    page.locator("textarea[name='what_happened']").fill(STORY)
    for _ in range(10):
        if heading(page).endswith(CONSENT):
            break
        press(page, "Continue")
    else:
        pytest.fail("never reached the consent page")
    check_page(visit)
    preview = page.locator(".app-quote-preview")
    assert "[NAME]" in preview.inner_text() and "Boateng" not in preview.inner_text()
    assert preview.locator("mark").first.inner_text().startswith("Skipper")

    page.locator("label[for='consent_quote']").click()  # Yes, my words may be quoted
    page.locator("label[for='consent_share-2']").click()  # No
    page.get_by_text("Remove “Skipper”").click()
    press(page, "Continue")
    assert heading(page).endswith(CONSENT), "changed words must be shown again before going on"
    check_page(visit)
    assert "Skipper" not in page.locator(".app-quote-preview").inner_text()
    assert "[REMOVED]" in page.locator(".app-quote-preview").inner_text()
    assert page.locator("input[name='consent_quote'][value='1']").is_checked()

    press(page, "Continue")
    assert heading(page) == "Check your answers"
    assert "Skipper" not in page.inner_text("main")
    finish_checks(visit, server)
