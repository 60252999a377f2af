"""A reloaded thank-you page never shows the receipt again, and stores nothing more.

The person after you at a shared ward computer presses Reload (or Back, then Forward) on the
thank-you page: the browser sends the Submit form again. They must not see your receipt words, which
open your concern and the guardian's replies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.spent_visits import expiry_week, forget_spent_visits
from survey_app.storage.database import engine_for
from survey_app.waves import close_wave
from tests.survey_app.helpers import count_rows, open_test_wave, web_settings
from tests.survey_app.test_respond_pages import Respondent, walk_to

RECEIPT = re.compile(r'id="receipt-words">([a-z ]+)<')


@pytest.fixture
def app(settings: Settings) -> Litestar:
    open_test_wave(settings, "lived-experience", "barts-lived", org="barts")
    open_test_wave(settings, "bank-temporary-workers", "barts-bank", org="barts")
    return create_app(web_settings(settings))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


def _share_a_concern(client: TestClient[Litestar]) -> Respondent:
    person = Respondent(client, "barts-lived")
    person.start()
    person.press("continue", {"what_happened": "My manager shouted at me in front of patients."})
    walk_to(person, "How we may use your words", {})
    person.press("continue", {"consent_quote": "2", "consent_share": "1"})
    check = person.press("continue", {"share_unredacted": "2", "urgent": "2"})
    assert check.is_check_page
    return person


def test_reloading_the_thank_you_page_does_not_show_the_receipt_again(
    app: Litestar, client: TestClient[Litestar], settings: Settings
) -> None:
    person = _share_a_concern(client)
    check = person.screen
    first = person.press("submit")
    assert RECEIPT.search(first.html), "the receipt is shown once"
    engine = engine_for(settings.database_url)
    stored = count_rows(engine, "inbox")
    assert stored == 1
    # A double tap a moment later still shows it (the browser keeps the second answer's page) ...
    person.screen = check
    again = person.press("submit")
    assert RECEIPT.search(again.html) and RECEIPT.search(again.html).group(1) == RECEIPT.search(first.html).group(1)  # type: ignore[union-attr]
    # ... but a reload once that moment has passed does not, and stores nothing.
    app.state.spent_visits.grace_seconds = 0
    person.screen = check
    reloaded = person.press("submit")
    assert reloaded.heading == "Your answers have been sent"
    assert not RECEIPT.search(reloaded.html), "a reload showed the receipt again"
    assert "not shown again" in reloaded.text and "have not been sent again" in reloaded.text
    assert count_rows(engine, "inbox") == 2  # the first and the double tap; the mixer keeps one
    assert count_rows(engine, "spent_visit") == 1


def test_another_visit_is_not_affected(app: Litestar, client: TestClient[Litestar], settings: Settings) -> None:
    app.state.spent_visits.grace_seconds = 0
    first = _share_a_concern(client)
    assert RECEIPT.search(first.press("submit").html)
    second = _share_a_concern(client)
    assert RECEIPT.search(second.press("submit").html), "a new visit gets its own receipt"


def _submit_bank(client: TestClient[Litestar]) -> None:
    person = Respondent(client, "barts-bank")
    person.start()
    person.press("continue", person.answer_everything())
    walk_to(person, "Check your answers")
    assert person.press("submit").heading == "Your answers have been sent"


def test_spent_tokens_are_kept_a_week_and_go_with_their_wave(
    app: Litestar, client: TestClient[Litestar], settings: Settings
) -> None:
    _submit_bank(client)
    engine = engine_for(settings.database_url)
    assert count_rows(engine, "spent_visit") == 1
    week = expiry_week(dt.date(2026, 12, 3))
    assert week.weekday() == 0 and dt.timedelta(days=7) < week - dt.date(2026, 12, 3) <= dt.timedelta(days=14)
    with engine.begin() as connection:
        assert forget_spent_visits(connection) == 0
        assert forget_spent_visits(connection, today=dt.date.today() + dt.timedelta(days=15)) == 1
    _submit_bank(client)
    with engine.begin() as connection:
        close_wave(connection, "barts-bank")
        assert forget_spent_visits(connection) == 1
    assert count_rows(engine, "spent_visit") == 0
