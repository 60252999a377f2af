"""Checking a set of answers against an instrument: codes, routing, lengths, required questions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from questionnaires.instrument import Instrument, Question

AnswerErrors = dict[str, str]

# Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069): invisible,
# they reorder what a reader sees, so a quote could be made to say something else on the page.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi_controls(text: str) -> str:
    """Free text as stored and shown: without the invisible characters that reorder it."""
    return text.translate(BIDI_CONTROLS)


def _is_code(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(question: Question, value: Any) -> tuple[Any, str | None]:
    """Return the cleaned value (None for 'not answered') and an error message, if any."""
    if question.type == "text":
        if not isinstance(value, str):
            return None, "Answer with text"
        value = strip_bidi_controls(value).strip()
        if not value:
            return None, None
        if len(value) > question.max_length:
            return None, (
                f"Your answer is {len(value):,} characters long; it must be "
                f"{question.max_length:,} characters or fewer"
            )
        return value, None
    codes = question.codes
    if question.type == "multiple":
        values = value if isinstance(value, list) else [value]
        if not values:
            return None, None
        if not all(_is_code(item) for item in values):
            return None, f"Answer with a list of option codes ({_allowed(question)})"
        unknown = sorted(set(values) - codes)
        if unknown:
            return None, f"{', '.join(map(str, unknown))} is not an option here; the options are {_allowed(question)}"
        if len(set(values)) != len(values):
            return None, "An option is chosen twice"
        chosen = set(values)
        exclusive = chosen & question.exclusive
        if exclusive and len(chosen) > 1:
            label = question.label_for(min(exclusive))
            return None, f"'{label}' cannot be chosen with other options"
        return sorted(chosen), None
    if not _is_code(value):
        return None, f"Answer with one option code ({_allowed(question)})"
    if value not in codes:
        return None, f"{value} is not an option here; the options are {_allowed(question)}"
    return value, None


def _allowed(question: Question) -> str:
    """The option codes, for an error message (built only when there is an error)."""
    return ", ".join(str(code) for code in sorted(question.codes))


def validate_answers(
    instrument: Instrument,
    raw: Mapping[str, Any],
    only: Iterable[str] | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], AnswerErrors]:
    """Check answers; return the cleaned answers and an error per offending question id.

    `only` limits the check to some questions (one page of the form); `context` supplies answers
    already accepted on earlier pages, which routing on this page depends on.
    """
    questions = instrument.questions
    scope = set(only) if only is not None else set(questions)
    errors: AnswerErrors = {}
    clean: dict[str, Any] = {}
    for question_id, value in raw.items():
        question = questions.get(question_id)
        if question is None or question_id not in scope:
            errors[question_id] = "This is not a question in this survey"
            continue
        if value is None:
            continue
        cleaned, error = _check_value(question, value)
        if error:
            errors[question_id] = error
        elif cleaned is not None:
            clean[question_id] = cleaned
    known = {**(context or {}), **clean}
    for question_id, question in questions.items():  # instrument order
        if question_id not in scope or question_id in errors:
            continue
        shown = question.is_shown(known)
        if question_id in clean and not shown:
            assert question.show_if is not None
            errors[question_id] = (
                f"This question is only asked when {question.show_if.describe(instrument)}"
            )
            del clean[question_id]
        elif question.required and shown and question_id not in clean:
            errors[question_id] = question.blank_error
    return clean, errors
