"""Invitation cards and codes in a real browser.

If these fail, a user would notice: a printed A4 sheet of invitation cards whose QR codes do not scan
to the link printed beside them, or whose cards spill off the page; a card's link that uses up the
code just by being opened (so a preview or a second look locks the invitee out), or that does not
fill in the code; a used code that is accepted twice, or whose refusal is not shown, not linked to
the code box, or not accessible on a phone, with JavaScript or without.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ROOT, SURVEY_APP, _cli, running_server
from tests.browser.test_respondent_journey import axe_violations, describe

pytestmark = pytest.mark.browser

WAVE = "barts-invited"
CARD_COUNT = 10
CARDS_PER_SHEET = 8
# A4 at 96 CSS px an inch; the cards' stylesheet prints with 10 mm margins.
A4 = {"width": 794, "height": 1123}
PX_PER_MM = 96 / 25.4
PRINTABLE = {"width": 190 * PX_PER_MM, "height": 277 * PX_PER_MM}
PHONE = {"width": 320, "height": 640}
# Card links are made at issue time from PUBLIC_BASE_URL; the server's port is only known once it
# runs, so the tests follow each link's path and query on the running server.
ISSUE_BASE_URL = "https://survey.example.nhs.uk"


@dataclass(frozen=True)
class Invited:
    base_url: str
    cards: Path
    operator: dict[str, str]
    # The links printed on the cards, read from the file as issued, in order.
    card_links: list[str]

    def local(self, link: str) -> str:
        """The card's link, on the server under test."""
        parts = urlsplit(link)
        return f"{self.base_url}{parts.path}?{parts.query}"

    def status(self) -> dict[str, int]:
        result = subprocess.run(
            [SURVEY_APP, "invitations", "status", "--wave", WAVE, "--format", "json"],
            env=self.operator, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        return {name: int(data[name]) for name in ("issued", "used", "unused")}


@pytest.fixture(scope="module")
def invited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Invited]:
    folder = tmp_path_factory.mktemp("invitations")
    operator = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'survey.db'}",
        "SURVEY_KEY_FILE": str(folder / "keys" / "kek.key"),
        "SURVEY_CASE_KEY_FILE": str(folder / "keys" / "case.key"),
        "PUBLIC_BASE_URL": ISSUE_BASE_URL,
    }
    _cli(operator, "keys", "init")
    _cli(operator, "db", "upgrade")
    _cli(operator, "org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")
    _cli(operator, "wave", "open", "--instrument", "bank-temporary-workers", "--org", "barts",
         "--slug", WAVE, "--access", "invited")
    cards = folder / "cards.html"
    _cli(operator, "invitations", "issue", "--wave", WAVE, "--count", str(CARD_COUNT), "--out", str(cards),
         "--format", "html")
    _cli(operator, "invitations", "issue", "--wave", WAVE, "--count", "3", "--out", str(folder / "codes.csv"),
         "--format", "csv")
    links = [html.unescape(link) for link in re.findall(r'<p class="link">(.*?)</p>', cards.read_text("utf-8"))]
    web = {name: value for name, value in operator.items() if name != "SURVEY_KEY_FILE"}
    with running_server(web, folder, cwd=ROOT) as base_url:
        yield Invited(base_url, cards, operator, links)


def test_printed_sheet_fits_a4_and_every_qr_code_scans_to_its_link(browser: Browser, invited: Invited) -> None:
    context = browser.new_context(viewport=A4, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(invited.cards.as_uri())
        page.emulate_media(media="print")
        printed = page.locator(".card .link").all_inner_texts()
        assert len(printed) == CARD_COUNT
        assert len(set(printed)) == CARD_COUNT, "two cards carry the same link"
        assert printed == invited.card_links

        # Every problem is collected, so one failure does not hide the others.
        problems: list[str] = []
        first = page.locator(".sheet").first
        if (on_first := first.locator(".card").count()) != CARDS_PER_SHEET:
            problems.append(f"the first sheet holds {on_first} cards, not {CARDS_PER_SHEET}")
        sheet = first.bounding_box()
        assert sheet is not None
        if sheet["height"] > PRINTABLE["height"] + 0.5:
            problems.append(f"the first sheet is {sheet['height']:.0f} px tall, more than A4's {PRINTABLE['height']:.0f}")
        for number, card in enumerate(first.locator(".card").all(), start=1):
            box = card.bounding_box()
            assert box is not None
            if box["x"] < 0 or box["x"] + box["width"] > min(PRINTABLE["width"] + 0.5, A4["width"]):
                problems.append(f"card {number} lies outside the A4 printable width: {box}")
            clipped = card.evaluate("c => c.scrollHeight - c.clientHeight")
            if clipped > 1:
                problems.append(f"card {number}: {clipped} px of its text is cut off at the bottom of the card")

        image = Image.open(BytesIO(page.screenshot(full_page=True)))
        decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
        if len(decoded) != CARD_COUNT or set(decoded) != set(printed):
            problems.append(f"{len(decoded)} of {CARD_COUNT} QR codes scan, to {sorted(decoded)}")

        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
        if pages != 2:
            problems.append(f"{CARD_COUNT} cards print on {pages} A4 pages, not 2")
        assert not problems, "the printed cards are wrong:\n" + "\n".join(problems)
    finally:
        context.close()


def start(page: Page) -> None:
    page.get_by_role("button", name="Start now", exact=True).click()
    page.wait_for_load_state()


def check_phone_page(page: Page, javascript: bool) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.title()!r} scrolls sideways at {PHONE['width']} px: {width} px wide"
    # axe-core never finishes with the page's scripts off (its timers do not run), so it is run
    # where JavaScript is on; the markup it checks is the same in both.
    if javascript:
        violations = axe_violations(page)
        assert not violations, f"accessibility problems on {page.title()!r}:\n{describe(violations)}"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_card_link_fills_the_code_and_only_start_spends_it(browser: Browser, invited: Invited, javascript: bool) -> None:
    link = invited.card_links[0 if javascript else 1]
    code = parse_qs(urlsplit(link).query)["code"][0]
    before = invited.status()
    assert before["issued"] == CARD_COUNT + 3

    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(invited.local(link))
        box = page.locator("#invitation-code")
        assert box.get_attribute("name") == "_invitation"
        assert box.input_value().replace("-", "").upper() == code
        assert invited.status()["used"] == before["used"], "opening the card's link used up the code"
        check_phone_page(page, javascript)

        start(page)
        expect(page.locator(".nhsuk-caption-l", has_text=re.compile(r"Page 1 of \d+"))).to_be_visible()
        assert invited.status()["used"] == before["used"] + 1
    finally:
        context.close()

    # The same card again, as someone else would: a fresh browser with nothing carried over.
    again = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = again.new_page()
    try:
        page.goto(invited.local(link))
        start(page)
        summary = page.locator(".nhsuk-error-summary")
        expect(summary).to_contain_text("There is a problem")
        expect(summary).to_contain_text("already been used")
        error_link = summary.locator("a", has_text="already been used")
        assert error_link.get_attribute("href") == "#invitation-code"
        expect(page.locator("#invitation-code-error")).to_contain_text("already been used")
        assert page.locator("h1").count() == 1
        check_phone_page(page, javascript)
        error_link.click()
        expect(page.locator("#invitation-code")).to_be_focused()
        assert invited.status()["used"] == before["used"] + 1, "a refused code changed the count"
    finally:
        again.close()
