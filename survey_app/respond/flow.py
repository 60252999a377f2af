"""Where a respondent goes next: plain functions from a posted form to what to show.

Nothing here touches HTTP or the database, so the whole journey (routing, Back, Change, the
final check) can be reasoned about and tested on its own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from questionnaires import Instrument, Page, Question, validate_answers
from survey_app.respond.form_state import (
    BACK,
    CHANGE_PREFIX,
    CHECK,
    CONTINUE,
    SAVE,
    STAY,
    START_ACTION,
    SUBMIT,
    FormState,
    RawAnswers,
    parse_answers,
    prune_hidden,
    typed_answers,
)

Errors = dict[str, str]
NOTHING_ANSWERED = "You have not answered any questions. Answer at least one question, then submit."


@dataclass(frozen=True)
class ShowLanding:
    raw: RawAnswers


@dataclass(frozen=True)
class ShowPage:
    page: Page
    raw: RawAnswers
    errors: Errors = field(default_factory=dict)
    return_to_check: bool = False
    # Question ids shown on reaching "Check your answers"; carried while changing an answer there.
    seen: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ShowCheck:
    raw: RawAnswers
    error: str | None = None


@dataclass(frozen=True)
class Submit:
    """Everything checked: these answers are ready to seal and store."""

    answers: dict[str, Any]


@dataclass(frozen=True)
class SaveDraft:
    """Save the answers so far (unchecked) and the page they were on, to come back to later."""

    step: str
    raw: RawAnswers


Outcome = ShowLanding | ShowPage | ShowCheck | Submit | SaveDraft


def is_shown(page: Page, answers: dict[str, Any]) -> bool:
    return bool(page.shown_questions(answers))


def shown_pages(instrument: Instrument, raw: RawAnswers) -> list[Page]:
    """Pages with at least one question that routing shows, given the answers so far."""
    answers = typed_answers(instrument, raw)
    return [page for page in instrument.pages if is_shown(page, answers)]


def reachable_pages(instrument: Instrument, page: Page, raw: RawAnswers) -> list[Page]:
    """The pages a respondent on `page` can still see, for "Page N of M".

    Answers on earlier pages are settled; questions on this page and later ones are not (they can
    still be answered or changed), so a page whose routing waits on one of them counts: M is the
    most pages this visit can still reach, and it only goes down as answers close pages, never up.
    """
    answers = typed_answers(instrument, raw)
    index = instrument.page_index(page.id)
    undecided = {question.id for later in instrument.pages[index:] for question in later.questions}

    def may_show(question: Question) -> bool:
        if question.show_if is None:
            return True
        results = [
            None if condition.question in undecided else condition.is_met(answers)
            for condition in question.show_if.conditions
        ]
        if question.show_if.mode == "any":
            return any(result is not False for result in results)
        return all(result is not False for result in results)

    reachable = [
        candidate for position, candidate in enumerate(instrument.pages)
        if candidate.id == page.id
        or (position < index and is_shown(candidate, answers))
        or (position > index and any(may_show(question) for question in candidate.questions))
    ]
    return reachable


def next_page(
    instrument: Instrument, after: int, raw: RawAnswers, seen: Collection[str] | None = None
) -> Page | None:
    """The first shown page after index `after`; None when only the check is left.

    With `seen` (question ids the respondent was shown before changing an answer), only a page
    that now shows a question not among them counts: a change can open a new question, and that
    is the one page worth visiting before going back to check the answers.
    """
    answers = typed_answers(instrument, raw)
    for page in instrument.pages[after + 1 :]:
        shown = page.shown_questions(answers)
        if seen is None and shown:
            return page
        if seen is not None and any(question.id not in seen for question in shown):
            return page
    return None


def previous_page(instrument: Instrument, before: int, raw: RawAnswers) -> Page | None:
    answers = typed_answers(instrument, raw)
    for page in reversed(instrument.pages[:before]):
        if is_shown(page, answers):
            return page
    return None


def _ordered(instrument: Instrument, errors: Errors) -> Errors:
    order = list(instrument.questions)
    return {question_id: errors[question_id] for question_id in sorted(errors, key=order.index)}


def earlier_answers(instrument: Instrument, page: Page, raw: RawAnswers) -> dict[str, Any]:
    """Typed answers from the pages before this one: all that routing on this page may look at."""
    index = instrument.page_index(page.id)
    earlier_ids = {question.id for earlier in instrument.pages[:index] for question in earlier.questions}
    return typed_answers(instrument, {qid: values for qid, values in raw.items() if qid in earlier_ids})


def shown_questions(instrument: Instrument, page: Page, raw: RawAnswers) -> list[Question]:
    return page.shown_questions(earlier_answers(instrument, page, raw))


def page_errors(instrument: Instrument, page: Page, raw: RawAnswers) -> Errors:
    """Check the questions this page shows, with the earlier pages' answers as routing context."""
    earlier = earlier_answers(instrument, page, raw)
    shown_ids = [question.id for question in page.shown_questions(earlier)]
    answers, parse_errors = parse_answers(instrument, {qid: raw[qid] for qid in shown_ids if qid in raw})
    _, errors = validate_answers(instrument, answers, only=shown_ids, context=earlier)
    # A value we could not read is the more useful message than "Select an answer".
    return _ordered(instrument, {**errors, **parse_errors})


def all_errors(instrument: Instrument, raw: RawAnswers) -> tuple[dict[str, Any], Errors]:
    """The final check before storing: every answer against the whole instrument."""
    answers, parse_errors = parse_answers(instrument, raw)
    clean, errors = validate_answers(instrument, answers)
    return clean, _ordered(instrument, {**errors, **parse_errors})


def advance(instrument: Instrument, state: FormState) -> Outcome:
    """What to show after a POST, given where it came from and which button was pressed."""
    raw = prune_hidden(instrument, state.raw)
    page_ids = {page.id for page in instrument.pages}
    if state.step in page_ids | {CHECK} and state.action == SAVE:
        return SaveDraft(state.step, raw)
    if state.step in page_ids and state.action == STAY:
        return ShowPage(instrument.page(state.step), raw, return_to_check=state.return_to_check, seen=state.seen)
    if state.step == CHECK:
        return _from_check(instrument, state, raw)
    if state.step in page_ids:
        return _from_page(instrument, instrument.page(state.step), state, raw)
    if state.action == START_ACTION:
        first = next_page(instrument, -1, raw)
        return ShowPage(first, raw) if first is not None else ShowCheck(raw)
    return ShowLanding(raw)


def _from_page(instrument: Instrument, page: Page, state: FormState, raw: RawAnswers) -> Outcome:
    index = instrument.page_index(page.id)
    if state.action == BACK:
        # Back keeps what was entered on this page, unchecked; it is checked on the way forward.
        if state.return_to_check:
            return ShowCheck(raw)
        previous = previous_page(instrument, index, raw)
        return ShowPage(previous, raw) if previous is not None else ShowLanding(raw)
    errors = page_errors(instrument, page, raw)
    if state.action != CONTINUE or errors:
        return ShowPage(page, raw, errors, state.return_to_check, state.seen)
    following = next_page(instrument, index, raw, state.seen if state.return_to_check else None)
    if following is None:
        return ShowCheck(raw)
    return ShowPage(following, raw, {}, state.return_to_check, state.seen)


def _from_check(instrument: Instrument, state: FormState, raw: RawAnswers) -> Outcome:
    shown = shown_pages(instrument, raw)
    answers = typed_answers(instrument, raw)
    seen = frozenset(question.id for page in shown for question in page.shown_questions(answers))
    if state.action == SUBMIT:
        clean, errors = all_errors(instrument, raw)
        if errors:
            for page in shown:
                on_page = {qid: message for qid, message in errors.items() if qid in page_question_ids(page)}
                if on_page:
                    return ShowPage(page, raw, on_page, return_to_check=True, seen=seen)
            return ShowCheck(raw, error=next(iter(errors.values())))
        if not clean:
            return ShowCheck(raw, error=NOTHING_ANSWERED)
        return Submit(clean)
    if state.action.startswith(CHANGE_PREFIX):
        wanted = state.action.removeprefix(CHANGE_PREFIX)
        for page in shown:
            if page.id == wanted:
                return ShowPage(page, raw, return_to_check=True, seen=seen)
    if state.action == BACK and shown:
        return ShowPage(shown[-1], raw)
    return ShowCheck(raw)


def page_question_ids(page: Page) -> set[str]:
    return {question.id for question in page.questions}


def refuse_sharing(instrument: Instrument, state: FormState, message: str) -> Outcome:
    """Back to the page that asks about sharing a concern, with `message` at that question.

    Used when everything else was in order but the concern cannot be shared now (the web
    process has no case key): nothing is stored, and the respondent chooses again.
    """
    raw = prune_hidden(instrument, state.raw)
    question_id = instrument.concern_when.question if instrument.concern_when is not None else None
    shown = shown_pages(instrument, raw)
    answers = typed_answers(instrument, raw)
    seen = frozenset(question.id for page in shown for question in page.shown_questions(answers))
    for page in shown:
        if question_id in page_question_ids(page):
            return ShowPage(page, raw, {question_id: message}, return_to_check=True, seen=seen)
    return ShowCheck(raw, error=message)
