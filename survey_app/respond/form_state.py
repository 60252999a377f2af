"""The respondent's answers as they travel in the form: read from a POST, parsed, pruned, written back.

There is no session and no cookie: every page is a form that carries all answers given so far in
hidden fields, named by question id, beside the inputs of the page on show. Answers are kept as
the strings the browser sent (`RawAnswers`) until they are checked, so a page re-shown after an
error keeps exactly what the respondent typed, and a tampered value is reported, never crashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from questionnaires import Instrument, Question
from survey_app.pagekit import normalise_text

# Question id -> the non-empty values the form sent for it, in order (several for checkboxes).
RawAnswers = dict[str, tuple[str, ...]]
ParseErrors = dict[str, str]

# Control fields start with "_", which no question id can (ids are [a-z][a-z0-9_]*).
STEP_FIELD = "_step"
ACTION_FIELD = "_action"
RETURN_FIELD = "_return"
SEEN_FIELD = "_seen"
# The visit's token, issued by the server at Start (survey_app/submissions.py): the same answers sent
# twice are kept once.
SUBMISSION_FIELD = "_submission"
# Set once the visit has saved a draft (survey_app/drafts.py), so that submitting deletes it.
DRAFTED_FIELD = "_drafted"
# The invitation code typed (or carried by the link) on an invited wave's landing page.
INVITATION_FIELD = "_invitation"

# Where a form was posted from: the landing page, a page id, or the check-your-answers page.
START = "start"
CHECK = "check"

# What the respondent pressed.
START_ACTION = "start"
CONTINUE = "continue"
BACK = "back"
SUBMIT = "submit"
# "Save and come back later", and "Continue now" on the page that shows the resume code.
SAVE = "save"
STAY = "stay"
CHANGE_PREFIX = "change:"

# A code is a short run of ASCII digits: int() would also accept "١" or "1_000".
CODE_PATTERN = re.compile(r"-?[0-9]{1,9}")

CHOOSE_ONE = "Select one of the answers shown"
CHOOSE_FROM_LIST = "Select only answers from the list shown"
ONE_TEXT = "Enter your answer in the box"


class FormValues(Protocol):
    """What we need from a parsed form body (Litestar's FormMultiDict has it)."""

    def getall(self, key: str, default: Any = ...) -> list[Any]: ...

    def keys(self) -> Iterable[str]: ...


@dataclass(frozen=True)
class FormState:
    """Everything one POST carries."""

    step: str
    action: str
    raw: RawAnswers
    # Set when the respondent came from "Check your answers" to change a page.
    return_to_check: bool = False
    # Question ids shown when the respondent reached "Check your answers": in change mode, only a
    # page with a question not among them is worth visiting before going back there.
    seen: frozenset[str] = field(default_factory=frozenset)
    # The visit token as the form carried it, unchecked: the controller keeps it only if the server
    # issued it for this wave (survey_app/submissions.VisitTokens.accept), else issues a new one.
    submission: str = ""
    # The visit has a saved draft (survey_app/drafts.py).
    drafted: bool = False


def _strings(values: Iterable[Any]) -> list[str]:
    # A multipart body may carry file parts; they are never an answer.
    return [value for value in values if isinstance(value, str)]


def _first(form: FormValues, name: str) -> str:
    values = _strings(form.getall(name, []))
    return values[0].strip() if values else ""


def read_form_state(instrument: Instrument, form: FormValues) -> FormState:
    """The state a POST carries; fields that are not questions of this instrument are ignored."""
    questions = instrument.questions
    raw: RawAnswers = {}
    for name in dict.fromkeys(form.keys()):  # a repeated field is listed once per value
        question = questions.get(name)
        if question is None:
            continue
        values = _strings(form.getall(name, []))
        if question.is_free_text:
            values = [normalise_text(value) for value in values]
            kept = tuple(value for value in values if value.strip())
        else:
            kept = tuple(value.strip() for value in values if value.strip())
        if kept:
            raw[name] = kept
    return FormState(
        step=_first(form, STEP_FIELD) or START,
        action=_first(form, ACTION_FIELD),
        raw=raw,
        return_to_check=_first(form, RETURN_FIELD) == CHECK,
        seen=frozenset(_first(form, SEEN_FIELD).split()),
        submission=_first(form, SUBMISSION_FIELD),
        drafted=_first(form, DRAFTED_FIELD) == "1",
    )


def parse_value(question: Question, values: tuple[str, ...]) -> tuple[Any, str | None]:
    """One question's form values as an answer for `validate_answers`, or a message for the respondent.

    Codes are checked against the options here so that a tampered value gets a message a
    respondent understands; `validate_answers` then checks everything else (exclusive options,
    lengths, required questions, routing).
    """
    if question.is_free_text:
        if len(values) != 1:
            return None, ONE_TEXT
        return values[0], None
    if question.type == "multiple":
        if not all(CODE_PATTERN.fullmatch(value) for value in values):
            return None, CHOOSE_FROM_LIST
        codes = [int(value) for value in values]
        if not set(codes) <= question.codes:
            return None, CHOOSE_FROM_LIST
        return codes, None
    if len(values) != 1 or not CODE_PATTERN.fullmatch(values[0]) or int(values[0]) not in question.codes:
        return None, CHOOSE_ONE
    return int(values[0]), None


def parse_answers(instrument: Instrument, raw: Mapping[str, tuple[str, ...]]) -> tuple[dict[str, Any], ParseErrors]:
    """Typed answers for the values that parse, and a message per question whose value does not."""
    questions = instrument.questions
    answers: dict[str, Any] = {}
    errors: ParseErrors = {}
    for question_id, values in raw.items():
        question = questions.get(question_id)
        if question is None:
            continue
        value, error = parse_value(question, values)
        if error is not None:
            errors[question_id] = error
        else:
            answers[question_id] = value
    return answers, errors


def prune_hidden(instrument: Instrument, raw: RawAnswers) -> RawAnswers:
    """Drop answers to questions that routing hides, given the answers on earlier pages.

    Someone who answers q16c, goes back and changes q16a and q16b to "No" must not send q16c.
    Routing only looks at earlier pages, so one pass in page order settles every question.
    """
    kept: RawAnswers = {}
    earlier: dict[str, Any] = {}
    for page in instrument.pages:
        on_page: RawAnswers = {}
        for question in page.questions:
            if question.id in raw and question.is_shown(earlier):
                on_page[question.id] = raw[question.id]
        kept.update(on_page)
        typed, _ = parse_answers(instrument, on_page)
        earlier.update(typed)
    return kept


def typed_answers(instrument: Instrument, raw: RawAnswers) -> dict[str, Any]:
    """The answers that parse; what routing and progress are worked out from."""
    return parse_answers(instrument, raw)[0]


def hidden_fields(raw: RawAnswers, exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(name, value) pairs for hidden inputs carrying every answer except those shown as inputs."""
    skipped = set(exclude)
    return [
        (question_id, value)
        for question_id, values in raw.items()
        if question_id not in skipped
        for value in values
    ]
