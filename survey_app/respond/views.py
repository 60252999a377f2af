"""Template data for respondent pages: parameters for the NHS.UK frontend macros, built in Python.

Building the macro parameters here keeps the templates short and lets the wording that matters
for screen readers (legends that include a shared stem, error summaries that name the question)
be read and tested in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from questionnaires import Instrument, Page, Question
from survey_app.respond.flow import Errors, reachable_pages, shown_pages, shown_questions
from survey_app.respond.form_state import CODE_PATTERN, RawAnswers

# Shown at every free-text box, as the national staff survey does; used when a question has no hint.
NO_NAMES_HINT = (
    "Do not include names of people, wards or teams, or anything else that could identify you or "
    "someone else."
)
NOT_ANSWERED = "Not answered"
TEXT_ROWS = 8


@dataclass(frozen=True)
class QuestionView:
    """One question as a macro call: `macro` is radios, checkboxes or characterCount."""

    id: str
    macro: str
    params: dict[str, Any]


@dataclass(frozen=True)
class QuestionGroup:
    """Consecutive questions that share a stem ("In the last 12 months how many times ..."), or one question."""

    lead: str | None
    questions: list[QuestionView]


@dataclass(frozen=True)
class Progress:
    number: int
    total: int


@dataclass(frozen=True)
class SummarySection:
    page: Page
    rows: list[dict[str, Any]]


def legend_html(question: Question) -> Markup:
    """The question's own words, after its shared stem in text only screen readers announce.

    The stem is shown once above the group; repeating it (visually hidden) in each legend means a
    screen reader user who tabs into any item hears the whole question.
    """
    if question.lead:
        return Markup('<span class="nhsuk-u-visually-hidden">{} </span>{}').format(question.lead, question.text)
    return Markup("{}").format(question.text)


def _error(errors: Errors, question: Question) -> dict[str, Any]:
    message = errors.get(question.id)
    return {"errorMessage": message} if message else {}


def _radios(question: Question, values: tuple[str, ...], errors: Errors, size: str) -> QuestionView:
    return QuestionView(
        id=question.id,
        macro="radios",
        params={
            "name": question.id,
            "idPrefix": question.id,
            "fieldset": {"legend": {"html": legend_html(question), "size": size}},
            "hint": question.hint,
            "value": values[0] if len(values) == 1 else None,
            "items": [{"value": str(option.code), "text": option.label} for option in question.options],
            **_error(errors, question),
        },
    )


def _checkboxes(question: Question, values: tuple[str, ...], errors: Errors, size: str) -> QuestionView:
    def item(code: int, label: str) -> dict[str, Any]:
        return {"value": str(code), "text": label}

    regular = [item(o.code, o.label) for o in question.options if o.code not in question.exclusive]
    # An exclusive answer ("None of these") goes last, after NHS.UK's "or" divider; with JavaScript
    # it unticks the others, without it the server says it cannot be combined.
    exclusive = [
        {**item(o.code, o.label), "behaviour": "exclusive"}
        for o in question.options
        if o.code in question.exclusive
    ]
    divider = [{"divider": "or"}] if regular and exclusive else []
    return QuestionView(
        id=question.id,
        macro="checkboxes",
        params={
            "name": question.id,
            "idPrefix": question.id,
            "fieldset": {"legend": {"html": legend_html(question), "size": size}},
            "hint": question.hint,
            "values": list(values),
            "items": regular + divider + exclusive,
            **_error(errors, question),
        },
    )


def _text(question: Question, values: tuple[str, ...], errors: Errors, size: str) -> QuestionView:
    return QuestionView(
        id=question.id,
        macro="characterCount",
        params={
            "name": question.id,
            "id": question.id,
            "label": {"html": legend_html(question), "size": size},
            "hint": question.hint or NO_NAMES_HINT,
            "maxlength": question.max_length,
            "rows": TEXT_ROWS,
            "value": values[0] if values else "",
            # Nothing a respondent writes should be offered back to the next user of a shared device.
            "autocomplete": "off",
            **_error(errors, question),
        },
    )


def question_view(question: Question, values: tuple[str, ...], errors: Errors, size: str) -> QuestionView:
    if question.is_free_text:
        return _text(question, values, errors, size)
    if question.type == "multiple":
        return _checkboxes(question, values, errors, size)
    return _radios(question, values, errors, size)


def question_groups(instrument: Instrument, page: Page, raw: RawAnswers, errors: Errors) -> list[QuestionGroup]:
    """The page's shown questions, grouped by shared stem, as macro parameters."""
    groups: list[QuestionGroup] = []
    for question in shown_questions(instrument, page, raw):
        values = raw.get(question.id, ())
        if question.lead and groups and groups[-1].lead == question.lead:
            groups[-1].questions.append(question_view(question, values, errors, "s"))
            continue
        size = "s" if question.lead else "m"
        groups.append(QuestionGroup(question.lead, [question_view(question, values, errors, size)]))
    return groups


def error_list(instrument: Instrument, errors: Errors) -> list[dict[str, str]]:
    """Error summary items: each names its question and links to its first input."""
    questions = instrument.questions
    return [
        {"text": f"{questions[question_id].text} – {message}", "href": f"#{question_id}"}
        for question_id, message in errors.items()
        if question_id in questions
    ]


def progress(instrument: Instrument, page: Page, raw: RawAnswers) -> Progress:
    """"Page N of M", M counting every page the answers so far can still reach (flow.reachable_pages):
    choosing to share a concern never turns "Page 4 of 4" into "Page 5 of 5"."""
    pages = [reachable.id for reachable in reachable_pages(instrument, page, raw)]
    return Progress(pages.index(page.id) + 1, len(pages))


def _answer_html(question: Question, values: tuple[str, ...]) -> Markup:
    if not values:
        return Markup('<span class="nhsuk-u-secondary-text-colour">{}</span>').format(NOT_ANSWERED)
    if question.is_free_text:
        return Markup("<br>").join(escape(line) for line in values[0].split("\n"))
    # A value that is not one of the codes (it was tampered with) is shown as sent, and the final
    # check sends the respondent back to its page.
    labels = [question.label_for(int(value)) if CODE_PATTERN.fullmatch(value) else value for value in values]
    return Markup("<br>").join(escape(label) for label in labels)


def summary_sections(instrument: Instrument, raw: RawAnswers) -> list[SummarySection]:
    """Check-your-answers content: a summary list per shown page."""
    sections = []
    for page in shown_pages(instrument, raw):
        rows = [
            {
                "key": {"html": legend_html(question)},
                "value": {"html": _answer_html(question, raw.get(question.id, ()))},
            }
            for question in shown_questions(instrument, page, raw)
        ]
        sections.append(SummarySection(page, rows))
    return sections


def paragraphs(text: str | None) -> list[str]:
    """An instrument's intro, split at blank lines into paragraphs."""
    if not text:
        return []
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
