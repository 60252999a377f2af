"""The consent page's quote check (survey_app/respond/quote_check.py): the respondent sees what redaction
kept that might be a name, removes words or edits the text, and sees the new version before agreeing."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.survey_app.test_respond_pages import (  # noqa: F401 - fixtures
    Respondent,
    Screen,
    Survey,
    client,
    survey,
    walk_to,
)

STORY = "The Skipper shouted at me on the night shift and Kwame Boateng just watched."
CONSENT = "How we may use your words"


def _at_consent(client: TestClient[Litestar], survey: Survey) -> tuple[Respondent, Screen]:
    person = Respondent(client, survey.slug("lived-experience"))
    person.start()
    screen = walk_to(person, CONSENT, {"what_happened": STORY})
    return person, screen


def _preview(screen: Screen) -> str:
    return screen.response.text.split('class="app-quote-preview"')[1].split("</blockquote>")[0]


def test_kept_words_that_might_be_names_are_marked(client: TestClient[Litestar], survey: Survey) -> None:
    _, screen = _at_consent(client, survey)
    preview = _preview(screen)
    assert "[NAME]" in preview and "Boateng" not in preview
    assert '<mark class="app-possible-name">Skipper' in preview
    assert "might be a name" in preview  # said in words, not only by colour
    assert [c.value for c in screen.form.choices["_remove"]] == ["what_happened:Skipper"]
    assert screen.form.textareas["what_happened"] == STORY
    # The answer travels in the edit box on this page, never twice.
    assert "what_happened" not in dict(screen.form.hidden)


def test_a_ticked_word_is_removed_and_the_page_shown_again(client: TestClient[Litestar], survey: Survey) -> None:
    person, _ = _at_consent(client, survey)
    consent = {"consent_quote": "1", "consent_share": "2"}
    again = person.press("continue", consent, extra=[("_remove", "what_happened:Skipper")])
    assert again.heading.endswith(CONSENT)
    preview = _preview(again)
    assert "Skipper" not in preview and "[REMOVED]" in preview
    # The choices made on the page are kept.
    assert {c.value for c in again.form.choices["consent_quote"] if c.checked} == {"1"}
    after = person.press("continue")
    assert after.is_check_page
    assert "Skipper" not in after.text and "[REMOVED]" in after.text
    person.press("submit")
    stored = survey.stored_answers("lived-experience")
    assert len(stored) == 1 and "Skipper" not in stored[0]["what_happened"]
    assert stored[0]["what_happened"].startswith("The [REMOVED] shouted at me")


def test_edited_words_are_previewed_before_going_on(client: TestClient[Litestar], survey: Survey) -> None:
    person, _ = _at_consent(client, survey)
    edited = "The shift lead shouted at me on the night shift and nobody helped."
    again = person.press("continue", {"what_happened": edited, "consent_quote": "1", "consent_share": "2"})
    assert again.heading.endswith(CONSENT)
    assert "nobody helped" in _preview(again) and "Skipper" not in _preview(again)
    assert person.press("continue").is_check_page


def test_unchanged_words_go_straight_on(client: TestClient[Litestar], survey: Survey) -> None:
    person, _ = _at_consent(client, survey)
    assert person.press("continue", {"consent_quote": "2", "consent_share": "2"}).is_check_page


def test_tampered_removals_are_ignored(client: TestClient[Litestar], survey: Survey) -> None:
    person, _ = _at_consent(client, survey)
    screen = person.press(
        "continue",
        {"consent_quote": "2", "consent_share": "2"},
        extra=[("_remove", "consent_quote:2"), ("_remove", "nosuchquestion:x"), ("_remove", "what_happened:")],
    )
    assert screen.is_check_page
    assert STORY.split(" and ")[0] in screen.text


def test_other_pages_carry_no_quote_check(client: TestClient[Litestar], survey: Survey) -> None:
    person = Respondent(client, survey.slug("lived-experience"))
    first = person.start()
    assert "app-quote-preview" not in first.response.text
    assert "_remove" not in first.form.choices
