"""Answer checking: the rules every channel (web form, API, paper import) shares."""

from __future__ import annotations

from questionnaires import load_instrument, parse_instrument, validate_answers

STAFF = load_instrument("nhs-staff-survey")
LIVED = load_instrument("lived-experience")


def test_valid_answers_come_back_clean() -> None:
    clean, errors = validate_answers(STAFF, {"q14a": 2, "q16a": 1, "q16b": 2, "q16c": [6, 1], "q15": None})
    assert errors == {}
    assert clean == {"q14a": 2, "q16a": 1, "q16b": 2, "q16c": [1, 6]}


def test_routing_skips_q16c_when_both_answers_are_no() -> None:
    _, errors = validate_answers(STAFF, {"q16a": 2, "q16b": 2, "q16c": [1]})
    assert "only asked when" in errors["q16c"]
    _, errors = validate_answers(STAFF, {"q16b": 1, "q16c": [1]})
    assert errors == {}


def test_booleans_and_strings_are_not_codes() -> None:
    _, errors = validate_answers(STAFF, {"q16a": True, "q14a": "2", "q16c": ["1"]})
    assert set(errors) == {"q16a", "q14a", "q16c"}


def test_exclusive_option_cannot_be_combined() -> None:
    instrument = parse_instrument(
        {"id": "t", "version": "1", "title": "T", "minutes": 1, "pages": [{"id": "p", "title": "P", "questions": [
            {"id": "why", "text": "Why?", "type": "multiple", "exclusive": [9],
             "options": [{"code": 1, "label": "Pay"}, {"code": 2, "label": "Hours"}, {"code": 9, "label": "None of these"}]},
        ]}]},
        "test",
    )
    assert validate_answers(instrument, {"why": [1, 2]})[1] == {}
    assert validate_answers(instrument, {"why": [9]})[1] == {}
    _, errors = validate_answers(instrument, {"why": [1, 9]})
    assert errors == {"why": "'None of these' cannot be chosen with other options"}


def test_required_and_length_rules_for_testimonies() -> None:
    _, errors = validate_answers(LIVED, {"what_happened": "   ", "consent_quote": 2, "consent_share": 2})
    assert errors == {"what_happened": "Enter what happened"}
    _, errors = validate_answers(LIVED, {"what_happened": "x" * 5001, "consent_quote": 2, "consent_share": 2})
    assert "5,001 characters" in errors["what_happened"]


def test_a_page_is_checked_in_the_context_of_earlier_answers() -> None:
    page = STAFF.page("discrimination_grounds")
    only = [q.id for q in page.questions]
    _, errors = validate_answers(STAFF, {"q16c": [1]}, only=only, context={"q16a": 2, "q16b": 2})
    assert "q16c" in errors
    _, errors = validate_answers(STAFF, {"q16c": [1]}, only=only, context={"q16a": 1})
    assert errors == {}
    _, errors = validate_answers(STAFF, {"q14a": 1}, only=only)
    assert errors == {"q14a": "This is not a question in this survey"}


def test_every_required_question_says_which_question_is_blank() -> None:
    """An error must name its question ("Enter what happened"), not just say "Enter your answer"."""
    for name in ("lived-experience", "nhs-staff-survey", "bank-temporary-workers"):
        for question in load_instrument(name).questions.values():
            if question.required:
                assert question.required_error, f"{name}: {question.id} needs a required_error"
                assert question.blank_error == question.required_error


def test_bidirectional_controls_are_removed_from_free_text() -> None:
    """U+202E could make a released quote read differently on screen: it never gets into an answer."""
    spoof = "I was told \u202etnemssarah\u202c is normal \u2066here\u2069"
    clean, errors = validate_answers(LIVED, {"what_happened": spoof, "consent_quote": 1, "consent_share": 2})
    assert errors == {}
    assert clean["what_happened"] == "I was told tnemssarah is normal here"
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in clean["what_happened"])
